// rights.js: what the page offers a user, from the declared permissions and the user's memberships.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allows, branchesOf, isAdmin, ownOnly, rolesIn, statusChoices } from '../../www/fieldsync/rights.js';

// As the stock-requests and campaigns declarations describe them.
const STOCK = {
	path: 'stock-requests', owner: 'requested_by',
	permissions: {
		rep: { ops: ['read', 'create', 'update'], own: ['create', 'update'], sets: ['pending'], while_in: ['pending'] },
		manager: { ops: ['read', 'create', 'update', 'delete'], own: [] },
		finance: { ops: ['read'], own: [] },
	},
};
const CAMPAIGNS = { path: 'campaigns', permissions: { rep: { ops: ['read'], own: [] }, manager: { ops: ['read', 'create', 'update', 'delete'], own: [] } } };
const rep = { login: 'ann', memberships: [{ branch: 'north', role: 'rep' }] };
const manager = { login: 'max', memberships: [{ branch: 'north', role: 'manager' }, { branch: 'east', role: 'finance' }] };
const admin = { login: 'root', memberships: [{ branch: '*', role: 'admin' }] };

test('branches and roles of a user; an admin holds every branch', () => {
	assert.deepEqual(branchesOf(manager), ['east', 'north']);
	assert.equal(branchesOf(admin), null);
	assert.deepEqual(branchesOf(null), []);
	assert.deepEqual(rolesIn(manager, 'east'), ['finance']);
	assert.ok(isAdmin(admin) && !isAdmin(rep));
});

test('a read-only role may read but not write; nothing in a branch the user does not hold', () => {
	assert.ok(allows(CAMPAIGNS, rep, 'read', { branch: 'north' }));
	for (const op of ['create', 'update', 'delete']) assert.ok(!allows(CAMPAIGNS, rep, op, { branch: 'north' }), op);
	assert.ok(allows(CAMPAIGNS, manager, 'create', { branch: 'north' }));
	assert.ok(!allows(CAMPAIGNS, manager, 'create', { branch: 'east' }), 'finance in east');
	assert.ok(!allows(CAMPAIGNS, rep, 'read', { branch: 'south' }));
	assert.ok(allows(CAMPAIGNS, admin, 'delete', { branch: 'anywhere' }));
	assert.ok(!allows(CAMPAIGNS, null, 'read', { branch: 'north' }));
});

test('own rows and statuses: a rep changes only their own pending stock requests', () => {
	const mine = { branch: 'north', requested_by: 'ann', status: 'pending' };
	assert.ok(allows(STOCK, rep, 'update', { row: mine }));
	assert.ok(!allows(STOCK, rep, 'update', { row: { ...mine, requested_by: 'bob' } }), 'someone else\'s');
	assert.ok(!allows(STOCK, rep, 'update', { row: { ...mine, status: 'approved' } }), 'no longer pending');
	assert.ok(!allows(STOCK, rep, 'delete', { row: mine }));
	assert.ok(allows(STOCK, manager, 'update', { row: { ...mine, requested_by: 'bob', status: 'approved' } }));
	assert.ok(ownOnly(STOCK, rep, 'create', 'north'));
	assert.ok(!ownOnly(STOCK, manager, 'create', 'north'));
	const values = ['pending', 'approved', 'rejected', 'fulfilled'];
	assert.deepEqual(statusChoices(STOCK, rep, 'create', 'north', values), ['pending']);
	assert.deepEqual(statusChoices(STOCK, manager, 'update', 'north', values), values);
});

test('a resource without declared permissions (no access control) allows a signed-in user everything', () => {
	assert.ok(allows({ path: 'x' }, rep, 'delete', { branch: 'nowhere' }));
});

test('the stream and the feed follow only the tables the user may read', async () => {
	const { readableTypes } = await import('../../www/fieldsync/rights.js');
	const LEAVE = { path: 'leave-requests', permissions: { hr: { ops: ['read'], own: [] }, rep: { ops: ['read'], own: ['read'] } } };
	const decls = { campaigns: CAMPAIGNS, stock_requests: STOCK, leave_requests: LEAVE };
	const of = t => decls[t];
	const hr = { login: 'h', memberships: [{ branch: 'north', role: 'hr' }] };
	assert.equal(readableTypes('campaigns:*,leave_requests:create', hr, of), 'leave_requests:create');
	assert.equal(readableTypes('campaigns:*,stock_requests:*', hr, of), '', 'nothing readable: whatever the user may read');
	assert.equal(readableTypes('campaigns:*,stock_requests:update', manager, of), 'campaigns:*,stock_requests:update');
	assert.equal(readableTypes('campaigns:*', admin, of), 'campaigns:*');
	assert.equal(readableTypes('campaigns:*', null, of), 'campaigns:*', 'a server without accounts');
	assert.equal(readableTypes('', hr, of), '');
	assert.equal(readableTypes('*', hr, of), '*');
	assert.equal(readableTypes('nosuch:*', hr, of), '');
});
