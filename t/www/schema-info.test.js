// schema-info.js: tables, order, search and date filters come from the resource declarations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schema } from './helpers.js';
import { SchemaInfo } from '../../www/fieldsync/schema-info.js';

const info = new SchemaInfo(schema);

test('the tables are those the schema declares, in order; other kinds are ignored', () => {
	assert.deepEqual(info.tables, ['appointments', 'campaigns', 'clients', 'distributors', 'finance_cash_requests',
		'leave_requests', 'stock_requests', 'visits']);
	assert.deepEqual(new SchemaInfo([{ kind: 'feed', path: 'changes' }, ...schema.slice(0, 1)]).tables, ['appointments']);
	assert.equal(info.resource('stock-requests').table, 'stock_requests');
});

test('sort keys and direction: lists come out in the server order', () => {
	assert.deepEqual(info.sortOf('clients'), { field: 'name', desc: false });
	assert.deepEqual(info.sortOf('stock_requests'), { field: 'created_at', desc: true });
	assert.deepEqual(info.sortOf('unknown'), { field: 'id', desc: false });
	const rows = [{ id: '2', name: 'b' }, { id: '1', name: 'a' }, { id: '0', name: 'b' }];
	assert.deepEqual(rows.sort(info.compare('clients')).map(r => r.id), ['1', '0', '2']);
	const reqs = [{ id: 'x', created_at: '2026-01-01' }, { id: 'y', created_at: '2026-03-01' }];
	assert.deepEqual(reqs.sort(info.compare('stock_requests')).map(r => r.id), ['y', 'x']);
});

test('search looks in the declared columns only', () => {
	assert.deepEqual(info.searchColumns('clients'), ['name', 'email', 'phone']);
	assert.deepEqual(info.searchColumns('appointments'), []);
	assert.ok(info.matches('clients', { name: 'Acme', email: 'x@shop.example' }, { search: 'SHOP' }));
	assert.ok(!info.matches('clients', { name: 'Acme', notes: 'shop' }, { search: 'shop' }), 'notes are not searched for clients');
	assert.ok(info.matches('visits', { agent: 'x', notes: 'met the owner' }, { search: 'owner' }));
});

test('date filters: a day of a timestamp, or a span of two dates (an open end allowed)', () => {
	assert.deepEqual(info.dateFilter('appointments'), { kind: 'day', columns: ['scheduled_at'] });
	assert.deepEqual(info.dateFilter('campaigns'), { kind: 'span', columns: ['starts_on', 'ends_on'] });
	assert.ok(info.matches('appointments', { scheduled_at: '2026-12-01T09:30:00Z' }, { date: '2026-12-01' }));
	assert.ok(!info.matches('appointments', { scheduled_at: '2026-12-02T09:30:00Z' }, { date: '2026-12-01' }));
	assert.ok(info.matches('campaigns', { starts_on: '2026-12-01', ends_on: null }, { date: '2027-05-01' }));
	assert.ok(!info.matches('campaigns', { starts_on: '2026-12-01', ends_on: '2026-12-31' }, { date: '2027-01-01' }));
	assert.ok(info.matches('leave_requests', { start_date: '2026-12-20', end_date: '2026-12-24' }, { date: '2026-12-24' }));
	assert.ok(!info.matches('clients', { created_at: '2026-12-01T00:00:00Z' }, { date: '2026-12-01' }), 'no date filter on clients');
});

test('equality filters compare as text; limit and after filter nothing', () => {
	assert.ok(info.matches('clients', { branch: 'n', status: 'active' }, { branch: 'n', status: 'active', limit: 1, after: 'x' }));
	assert.ok(!info.matches('clients', { branch: 'n' }, { branch: 's' }));
	assert.ok(info.matches('appointments', { duration_minutes: 30 }, { duration_minutes: '30' }));
});
