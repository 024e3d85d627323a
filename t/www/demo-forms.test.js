// demo-forms.js: the demo page's form fields come from the schema columns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schema } from './helpers.js';
import { formFields, inputValue, labelOf, rowOf } from '../../www/demo-forms.js';

const SHOWN = ['clients', 'appointments', 'stock-requests'];
const fields = path => formFields(schema.find(r => r.path === path), SHOWN);
const byName = (path, name) => fields(path).find(f => f.name === name);

test('labels from names', () => {
	assert.equal(labelOf('name'), 'Name');
	assert.equal(labelOf('client_id'), 'Client');
	assert.equal(labelOf('needed_by'), 'Needed by');
});

test('column types give the inputs; server-set and common columns are left out', () => {
	const names = fields('clients').map(f => f.name);
	for (const n of ['id', 'branch', 'created_at', 'updated_at', 'version']) assert.ok(!names.includes(n), n);
	assert.equal(byName('clients', 'name').input, 'text');
	assert.equal(byName('clients', 'name').required, true);
	assert.equal(byName('clients', 'email').input, 'email');
	assert.equal(byName('clients', 'notes').input, 'textarea');
	assert.deepEqual(byName('clients', 'status').values, ['prospect', 'active', 'inactive']);
	assert.equal(byName('appointments', 'scheduled_at').input, 'datetime-local');
	assert.equal(byName('stock-requests', 'needed_by').input, 'date');
	const d = byName('appointments', 'duration_minutes');
	assert.deepEqual([d.input, d.min, d.max, d.step, d.dflt], ['number', 1, 1440, '1', 30]);
});

test('references: a select of a shown resource\'s rows; a reference to a resource not shown is left out', () => {
	const c = byName('appointments', 'client_id');
	assert.equal(c.input, 'select');
	assert.equal(c.references, 'clients');
	assert.equal(c.required, true);
	assert.equal(byName('clients', 'distributor_id'), undefined);
});

test('items (an array column) is edited as its first item: sku, item_name, quantity', () => {
	const names = fields('stock-requests').map(f => f.name);
	assert.deepEqual(names.slice(0, 4), ['requested_by', 'sku', 'item_name', 'quantity']);
	const row = rowOf(fields('stock-requests'), n => ({ requested_by: 'T', sku: 'S-1', item_name: 'Tea', quantity: '12' }[n] || ''),
		{ items: [{ sku: 'old' }, { sku: 'S-2', name: 'kept', quantity: 1 }] });
	assert.deepEqual(row.items, [{ sku: 'S-1', name: 'Tea', quantity: 12 }, { sku: 'S-2', name: 'kept', quantity: 1 }]);
	assert.equal(row.needed_by, null, 'an empty optional field is null');
	assert.equal(inputValue(byName('stock-requests', 'item_name'), { items: [{ name: 'Tea' }] }), 'Tea');
});

test('numbers go out as numbers, timestamps in UTC', () => {
	const row = rowOf(fields('appointments'), n => ({ client_id: 'c', scheduled_at: '2026-12-01T10:30', duration_minutes: '45' }[n] || ''));
	assert.equal(row.duration_minutes, 45);
	assert.equal(row.scheduled_at, new Date('2026-12-01T10:30').toISOString());
	assert.equal(row.purpose, null);
	const cash = formFields(schema.find(r => r.path === 'finance-cash-requests'), SHOWN);
	assert.equal(rowOf(cash, n => (n === 'amount' ? '125.50' : '')).amount, '125.50', 'money stays exact decimal text');
	assert.equal(cash.find(f => f.name === 'amount').step, '0.01');
});
