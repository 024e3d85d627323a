// fieldsync.js signed in: the cookie and CSRF header, an outbox and a cache per user, a 401 while
// replaying pauses and keeps everything until the same user signs in again (each write once), writes
// refused on replay go to the refused list, another user never sends the previous user's writes.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { FakeEventSource, fakeFetch, freshIndexedDB, schema, until } from './helpers.js';
import { PASSWORD, sessionServer } from './session-server.js';

const built = fs.existsSync(new URL('../../www/schema.js', import.meta.url));
const skip = built ? false : 'www/schema.js is missing: run make first';

const ANN = { id: 'u-ann', login: 'ann', name: 'Ann', memberships: [{ branch: 'north', role: 'rep' }] };
const BEN = { id: 'u-ben', login: 'ben', name: 'Ben', memberships: [{ branch: 'north', role: 'rep' }, { branch: 'south', role: 'manager' }] };

let dbCount = 0;
const open = new Set();	// closed after each test, passed or failed (timers would keep node running)
afterEach(() => {
	for (const c of open) c.close();
	open.clear();
});

// A device: one cookie jar (the server's), one IndexedDB factory; clients are its tabs.
async function device(extra = {}) {
	const server = sessionServer([ANN, BEN]);
	const fetch = fakeFetch(call => server.handle(call));
	const idb = freshIndexedDB();
	const dbName = `session-${++dbCount}`;
	const { createClient } = await import('../../www/fieldsync.js');
	FakeEventSource.instances = [];
	const tab = async () => {
		const c = createClient({ fetch, indexedDB: idb, dbName, eventSource: FakeEventSource, schema, retryMin: 20, retryMax: 40, pollInterval: 0, ...extra });
		open.add(c);
		await c.ready;
		return c;
	};
	return { server, fetch, idb, tab, writes: () => fetch.calls.filter(x => x.method !== 'GET' && !x.path.startsWith('/api/session')) };
}

test('signed out at first; signing in opens the user\'s own database; writes carry the CSRF header', { skip }, async () => {
	const d = await device();
	const c = await d.tab();
	assert.equal(c.status().auth, 'signed-out');
	const before = await c.save('clients', { branch: 'north', name: 'Too early' });
	assert.equal(before.ok, false);
	assert.equal(before.status, 401);
	const bad = await c.signIn('ann', 'wrong');
	assert.equal(bad.ok, false);
	assert.equal(bad.code, 'invalid_credentials');
	const auths = [];
	c.on('auth', a => auths.push(a.state));
	const r = await c.signIn('ann', PASSWORD);
	assert.equal(r.ok, true);
	assert.equal(r.token, undefined, 'the token is not handed on');
	assert.equal(c.user().login, 'ann');
	assert.deepEqual(auths, ['signed-in']);
	assert.match(c.status().db, /:u-ann$/, 'a database of the user\'s own');
	const saved = await c.save('clients', { branch: 'north', name: 'Acme' });
	assert.equal(saved.ok, true);
	assert.equal(saved.savedLocally, false);
	assert.equal(d.writes()[0].headers['X-Requested-With'], 'fieldsync');
	assert.equal(d.fetch.calls.find(x => x.path.startsWith('/api/clients')).credentials, 'same-origin', 'the cookie goes along');
	c.close();
});

test('a 401 while replaying pauses the outbox, keeps every entry, and after the sign-in each write lands once', { skip }, async () => {
	const d = await device();
	const c = await d.tab();
	await c.signIn('ann', PASSWORD);
	d.server.down = true;
	const a = await c.save('clients', { branch: 'north', name: 'One' });
	await c.save('clients', { branch: 'north', name: 'Two' });
	await c.save('clients', { id: a.id, version: 1, branch: 'north', name: 'One, renamed' });
	assert.equal(c.status().pending, 3);
	d.server.revokeAll();	// the session ends while the device is offline
	d.server.down = false;
	const auths = [];
	c.on('auth', x => auths.push(x));
	await c.syncNow();
	assert.equal(c.status().auth, 'expired', 'asks for a sign-in');
	assert.equal(auths.at(-1).state, 'expired');
	assert.equal(c.status().pending, 3, 'every entry kept');
	assert.equal(d.server.api.applied.length, 0, 'nothing applied');
	const refusedOnce = d.writes().length;
	await c.syncNow();
	assert.equal(d.writes().length, refusedOnce, 'paused: nothing more is sent until the sign-in');
	const later = await c.save('clients', { branch: 'north', name: 'Three' });
	assert.equal(later.savedLocally, true);
	assert.equal(later.signInNeeded, true, 'a save meanwhile is kept, with the reason');
	const listed = await c.load('clients', { branch: 'north' });
	assert.deepEqual([listed.ok, listed.fromCache, listed.signInNeeded], [true, true, true], 'a list from the cache, saying why');
	assert.deepEqual((await c.cached('clients', { branch: 'north' })).map(x => x.name).sort(), ['One, renamed', 'Three', 'Two'], 'state not lost');
	await c.signIn('ann', PASSWORD);
	await until(() => c.status().pending === 0, 3000, 'the outbox to drain');
	assert.equal(c.status().auth, 'signed-in');
	const applied = d.server.api.applied.map(x => [x.method, x.body.name]);
	assert.deepEqual(applied, [['POST', 'One'], ['POST', 'Two'], ['PUT', 'One, renamed'], ['POST', 'Three']], 'each once, in order');
	const keys = d.server.api.applied.map(x => x.key);
	assert.equal(keys[0], keys[1], 'the two creates in a row went as one batch, under its key');
	assert.equal(new Set(keys).size, 3);
	c.close();
});

test('a 403 or 422 on replay moves the write to the refused list with the server\'s reason; the rest goes on', { skip }, async () => {
	const d = await device();
	const c = await d.tab();
	await c.signIn('ann', PASSWORD);
	d.server.down = true;
	await c.save('clients', { branch: 'north', name: 'Fine 1' });
	const forbidden = await c.save('campaigns', { branch: 'north', name: 'Not a rep\'s' });
	const invalid = await c.save('clients', { branch: 'north', name: 'Invalid' });
	await c.save('clients', { branch: 'north', name: 'Fine 2' });
	d.server.down = false;
	d.server.forbid = call => call.path.startsWith('/api/campaigns');
	d.server.api.refuse = call => call.body && call.body.name === 'Invalid';
	const seen = [];
	c.on('refused', r => seen.push(r));
	await c.syncNow();
	assert.equal(c.status().pending, 0, 'the rest of the queue went on');
	assert.deepEqual((await c.cached('clients', { branch: 'north' })).map(x => x.name), ['Fine 1', 'Fine 2']);
	const list = await c.refused();
	assert.equal(list.length, 2, 'never dropped silently');
	assert.equal(c.status().refused, 2);
	const byId = Object.fromEntries(list.map(r => [r.id, r]));
	assert.equal(byId[forbidden.id].status, 403);
	assert.equal(byId[forbidden.id].code, 'forbidden');
	assert.match(byId[forbidden.id].message, /ann may not do that/);
	assert.equal(byId[forbidden.id].resource, 'campaigns');
	assert.equal(byId[invalid.id].status, 422);
	assert.equal(byId[invalid.id].field, 'name');
	assert.equal(byId[invalid.id].body.name, 'Invalid', 'what the user wrote is kept');
	assert.equal(seen.length, 2, 'listeners heard of both');
	await c.syncNow();
	assert.equal(d.writes().filter(x => x.body && x.body.name === 'Invalid').length, 1, 'sent once on replay, never again');
	await c.dismissRefused(list[0].seq);
	assert.equal((await c.refused()).length, 1);
	assert.equal(c.status().refused, 1);
	await c.dismissRefused();
	assert.equal((await c.refused()).length, 0);
	c.close();
});

test('another user signing in never sends the previous user\'s writes, nor sees their rows; they go when that user is back', { skip }, async () => {
	const d = await device();
	const c = await d.tab();
	await c.signIn('ann', PASSWORD);
	await c.save('clients', { branch: 'north', name: 'Ann online' });
	d.server.down = true;
	await c.save('clients', { branch: 'north', name: 'Ann offline 1' });
	await c.save('clients', { branch: 'north', name: 'Ann offline 2' });
	d.server.down = false;
	d.server.revokeAll();
	await c.syncNow();
	assert.equal(c.status().auth, 'expired');
	const sentBefore = d.writes().length;
	const r = await c.signIn('ben', PASSWORD);
	assert.equal(r.ok, true);
	assert.equal(c.user().login, 'ben');
	assert.equal(c.status().pending, 0, 'Ben has nothing pending');
	assert.deepEqual(await c.cached('clients', { branch: 'north' }), [], 'Ann\'s cached rows are not shown to Ben');
	await c.syncNow();
	await c.save('clients', { branch: 'north', name: 'Ben\'s' });
	const sinceBen = d.server.sent.slice(sentBefore);
	assert.ok(sinceBen.every(x => x.user === 'ben'), 'only Ben\'s writes under Ben\'s session');
	assert.ok(!d.writes().slice(sentBefore).some(x => /^Ann/.test(x.body.name)), 'none of Ann\'s writes was sent');
	const out = await c.signOut();
	assert.equal(out.pending, 0);
	assert.equal(c.status().auth, 'signed-out');
	await c.signIn('ann', PASSWORD);
	await until(() => c.status().pending === 0, 3000, 'Ann\'s outbox to drain');
	const annWrites = d.server.sent.filter(x => /^Ann offline/.test(x.body.name));
	assert.deepEqual(annWrites.map(x => [x.user, x.body.name]), [['ann', 'Ann offline 1'], ['ann', 'Ann offline 2']], 'sent once each, under Ann');
	c.close();
});

test('two tabs: a sign-in in one stops the other tab\'s requests for the previous user before the cookie changes', { skip }, async () => {
	const d = await device({ retryMin: 60000, retryMax: 60000 });	// no retry of its own meanwhile
	const tab1 = await d.tab();
	await tab1.signIn('ann', PASSWORD);
	d.server.down = true;
	await tab1.save('clients', { branch: 'north', name: 'Ann in tab 1' });
	const tab2 = await d.tab();	// still offline: its own copy of Ann's client cannot send either
	assert.equal(tab2.user().login, 'ann', 'the other tab knows who is signed in');
	await new Promise(r => setTimeout(r, 20));
	d.server.down = false;
	await tab2.signIn('ben', PASSWORD);
	await tab1.syncNow();	// tab 1 still has Ann's client open
	assert.equal(d.server.sent.filter(x => x.body.name === 'Ann in tab 1').length, 0, 'not sent under Ben\'s cookie');
	assert.equal(tab1.status().pending, 1, 'still waiting in Ann\'s outbox');
	assert.equal(tab1.status().auth, 'expired');
	tab1.close();
	tab2.close();
});

test('signing out clears the user\'s cache but keeps their pending writes', { skip }, async () => {
	const d = await device();
	const c = await d.tab();
	await c.signIn('ann', PASSWORD);
	await c.save('clients', { branch: 'north', name: 'Cached' });
	d.server.down = true;
	await c.save('clients', { branch: 'north', name: 'Pending' });
	const out = await c.signOut();
	assert.equal(out.pending, 1, 'the page can warn');
	assert.equal(out.offline, true, 'the server was not told');
	assert.equal(c.user(), null);
	assert.deepEqual(await c.cached('clients'), []);
	d.server.down = false;
	await c.signIn('ann', PASSWORD);
	assert.deepEqual((await c.cached('clients', { branch: 'north' })).map(x => x.name).filter(n => n === 'Cached'), [], 'the cached row is gone');
	await until(() => c.status().pending === 0, 3000, 'the pending write to go');
	assert.equal(d.server.sent.filter(x => x.body.name === 'Pending').length, 1);
	c.close();
});

test('the stream asks for the user\'s one branch, and `revoked` ends it and asks for a sign-in', { skip }, async () => {
	const d = await device();
	const c = await d.tab();
	await c.signIn('ann', PASSWORD);
	await until(() => FakeEventSource.instances.length > 0, 2000, 'the stream');
	const es = FakeEventSource.last();
	assert.match(es.url, /[?&]branch=north(&|$)/);
	es.open();
	es.send('revoked', { reason: 'logout' });
	assert.equal(es.closed, true);
	assert.equal(c.status().auth, 'expired');
	assert.equal(c.status().authReason, 'logout', 'with the server\'s reason');
	await c.syncNow();
	assert.equal(FakeEventSource.instances.length, 1, 'not reopened while signed out');
	await c.signIn('ben', PASSWORD);
	await until(() => FakeEventSource.instances.length > 1, 2000, 'a stream for Ben');
	assert.doesNotMatch(FakeEventSource.last().url, /branch=/, 'Ben holds two branches: the server limits it');
	c.close();
});

test('writes queued before sign-in existed (the database of the name itself) are taken over by the first user, sent once', { skip }, async () => {
	const { Store } = await import('../../www/fieldsync/store.js');
	const d = await device();
	// A page of the previous version queued a write in the database named 'session-<n>' itself.
	const name = `session-${dbCount}`;
	const legacy = await Store.open({ indexedDB: d.idb, dbName: name });
	await legacy.write(['outbox', 'rows'], s => {
		s.outbox.add({ key: 'clients/old-1', table: 'clients', id: 'old-1', branch: 'north', method: 'POST', body: { id: 'old-1', branch: 'north', name: 'From before' }, idempotencyKey: 'k-old-1', at: '2026-01-01T00:00:00Z', state: 'pending' });
		s.rows.put({ key: 'clients/old-1', table: 'clients', id: 'old-1', row: { id: 'old-1', branch: 'north', name: 'From before', version: 1 }, version: 1, local: true, cachedAt: 1 });
	}, 'strict');
	legacy.close();
	const c = await d.tab();
	await c.signIn('ann', PASSWORD);
	await until(() => c.status().pending === 0 && d.server.sent.length > 0, 3000, 'the old write to go');
	assert.deepEqual(d.server.sent.map(x => [x.user, x.body.name, x.key]), [['ann', 'From before', 'k-old-1']], 'once, under its own key');
});
