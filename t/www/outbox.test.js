// outbox.js: backend first, local fallback, ordered drain, exactly once, conflicts, refused writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeFetch, freshIndexedDB } from './helpers.js';
import { fakeServer } from './fake-server.js';
import { Http } from '../../www/fieldsync/http.js';
import { Outbox, SAVED_LOCALLY_WARNING } from '../../www/fieldsync/outbox.js';
import { Store } from '../../www/fieldsync/store.js';

async function setup() {
	const server = fakeServer();
	const fetch = fakeFetch(call => server.handle(call));
	const events = [];
	const seen = { lost: 0, reached: 0 };
	let outbox = null;
	const store = await Store.open({ indexedDB: freshIndexedDB(), dbName: 'outbox', pinned: k => outbox.has(k) });
	outbox = new Outbox({
		store, http: new Http({ fetch }), emit: (type, p) => events.push({ type, ...p }),
		reached: () => { seen.reached++; }, lost: () => { seen.lost++; }, online: () => !server.down,
	});
	await outbox.refresh();
	const writes = () => fetch.calls.filter(c => c.method !== 'GET');
	return { server, fetch, store, outbox, events, seen, writes };
}

test('backend first: a save the server takes is not queued, and the cache holds the server row', async () => {
	const t = await setup();
	const r = await t.outbox.save('clients', { branch: 'n', name: 'A' });
	assert.equal(r.ok, true);
	assert.equal(r.savedLocally, false);
	assert.equal(r.row.version, 1);
	assert.equal(t.outbox.pending, 0);
	assert.equal((await t.store.get('clients', r.row.id)).row.name, 'A');
	assert.equal(t.writes()[0].method, 'POST');
});

test('unreachable (network error or 503): kept in the outbox with the warning and the optimistic row', async () => {
	const t = await setup();
	t.server.down = true;
	const r = await t.outbox.save('clients', { branch: 'n', name: 'Offline' });
	assert.equal(r.ok, true);
	assert.equal(r.savedLocally, true);
	assert.equal(r.message, SAVED_LOCALLY_WARNING);
	assert.equal(t.outbox.pending, 1);
	assert.equal(t.seen.lost, 1);
	const entry = await t.store.get('clients', r.id);
	assert.equal(entry.local, true);
	assert.equal(entry.row.name, 'Offline');
	assert.equal((await t.store.readOutbox()).length, 1);
});

test('a 4xx is final: returned with the server message, never queued', async () => {
	const t = await setup();
	t.server.refuse = () => true;
	const r = await t.outbox.save('clients', { branch: 'n', name: 'Bad' });
	assert.equal(r.ok, false);
	assert.equal(r.status, 422);
	assert.equal(r.field, 'name');
	assert.equal(t.outbox.pending, 0);
	assert.equal((await t.store.readOutbox()).length, 0);
});

test('queued writes drain in the order they were made: creates in a row as one batch, the rest each under the key it got when made', async () => {
	const t = await setup();
	t.server.down = true;
	const a = await t.outbox.save('clients', { branch: 'n', name: 'one' });
	const b = await t.outbox.save('clients', { branch: 'n', name: 'two' });
	const c = await t.outbox.save('clients', { id: a.id, version: 1, branch: 'n', name: 'one, renamed' });
	assert.equal(t.outbox.pending, 3);
	const keys = (await t.store.readOutbox()).map(w => w.idempotencyKey);
	const firstTry = t.writes()[0].headers['Idempotency-Key'];
	assert.equal(firstTry, keys[0], 'the first write tried at once, under the key it keeps');
	t.server.down = false;
	await t.outbox.drain();
	assert.equal(t.outbox.pending, 0);
	const sent = t.server.applied.map(x => [x.method, x.body.name]);
	assert.deepEqual(sent, [['POST', 'one'], ['POST', 'two'], ['PUT', 'one, renamed']]);
	const used = t.server.applied.map(x => x.key);
	assert.equal(t.server.batches, 1, 'the two creates in a row went as one bulk POST');
	assert.equal(used[0], used[1], 'under the batch\'s key');
	assert.ok(!keys.includes(used[0]), 'a key of its own');
	assert.equal(used[2], keys[2], 'the update under the key it got when made');
	assert.equal(t.server.rows.get(`clients/${a.id}`).name, 'one, renamed');
	assert.equal(t.server.rows.get(`clients/${b.id}`).version, 1);
	assert.equal((await t.store.get('clients', a.id)).local, false, 'the confirmed row replaced the optimistic one');
});

test('exactly once: a write whose answer was lost is sent again under the same key and applied once', async () => {
	const t = await setup();
	t.server.loseNext = 1;	// applied on the server, the answer never arrives
	const r = await t.outbox.save('clients', { branch: 'n', name: 'Lost answer' });
	assert.equal(r.savedLocally, true);
	await t.outbox.drain();
	assert.equal(t.outbox.pending, 0);
	const sent = t.writes();
	assert.equal(sent.length, 2, 'sent twice');
	assert.equal(sent[0].headers['Idempotency-Key'], sent[1].headers['Idempotency-Key'], 'under one key');
	assert.equal(t.server.applied.length, 1, 'applied once');
	assert.equal([...t.server.rows.values()].filter(x => x.name === 'Lost answer').length, 1);
});

test('a 409 stops that row\'s queue (other rows go on) until the user chooses; "mine" resends over the server version', async () => {
	const t = await setup();
	const a = (await t.outbox.save('clients', { branch: 'n', name: 'Shared' })).row;
	t.server.rows.set(`clients/${a.id}`, { ...a, name: 'theirs', version: 2 });	// someone else, meanwhile
	t.server.down = true;
	await t.outbox.save('clients', { ...a, name: 'mine' });
	await t.outbox.save('clients', { ...a, version: 2, name: 'mine again' });
	const other = await t.outbox.save('clients', { branch: 'n', name: 'Other' });
	t.server.down = false;
	await t.outbox.drain();
	assert.equal(t.outbox.conflicts, 1);
	assert.equal(t.outbox.pending, 2, 'both writes of the row wait');
	assert.ok(t.server.rows.has(`clients/${other.id}`), 'the other row went through');
	assert.equal(t.server.applied.filter(x => x.body.id === a.id && x.body.name === 'mine again').length, 0, 'the later write was held back');
	const conflict = t.events.find(e => e.type === 'conflict');
	assert.equal(conflict.server.name, 'theirs');
	assert.equal(conflict.local.name, 'mine');
	const firstKey = t.server.applied.find(x => x.body.name === 'mine').key;
	const r = await t.outbox.resolveConflict('clients', a.id, 'mine');
	assert.equal(r.ok, true);
	assert.equal(t.outbox.pending, 0);
	assert.equal(t.server.rows.get(`clients/${a.id}`).name, 'mine again');
	const resent = t.server.applied.filter(x => x.body.name === 'mine');
	assert.equal(resent.length, 2);
	assert.notEqual(resent[1].key, firstKey, 'a rebased write gets a new key');
	assert.equal(resent[1].body.version, 2, 'sent over the server version');
});

test('"theirs" drops this device\'s writes for the row and caches the server row', async () => {
	const t = await setup();
	const a = (await t.outbox.save('clients', { branch: 'n', name: 'Shared' })).row;
	t.server.rows.set(`clients/${a.id}`, { ...a, name: 'theirs', version: 2 });
	const r1 = await t.outbox.save('clients', { ...a, name: 'mine' });
	assert.equal(r1.conflict, true, 'a direct save reports the conflict');
	assert.equal(t.outbox.conflicts, 1);
	assert.equal((await t.outbox.list()).length, 1);
	const r = await t.outbox.resolveConflict('clients', a.id, 'theirs');
	assert.equal(r.ok, true);
	assert.equal(r.row.name, 'theirs');
	assert.equal(t.outbox.pending, 0);
	assert.equal((await t.store.get('clients', a.id)).row.name, 'theirs');
	assert.equal(t.server.applied.filter(x => x.body.name === 'mine').length, 1, 'never sent again');
});

test('a write the server refuses while draining leaves the queue for the refused list, reported, not retried', async () => {
	const t = await setup();
	t.server.down = true;
	const r = await t.outbox.save('clients', { branch: 'n', name: 'Refused later' });
	t.server.down = false;
	t.server.refuse = call => call.body.name === 'Refused later';
	await t.outbox.drain();
	assert.equal(t.outbox.pending, 0);
	const error = t.events.find(e => e.type === 'error');
	assert.equal(error.status, 422);
	assert.equal(error.id, r.id);
	assert.equal(await t.store.get('clients', r.id), undefined, 'the optimistic row is gone (the server has none)');
	const [refused] = await t.outbox.refused();
	assert.equal(refused.id, r.id, 'kept in the refused list');
	assert.equal(refused.message, 'refused', 'with the server\'s reason');
	assert.equal(t.events.filter(e => e.type === 'refused').length, 1);
	await t.outbox.drain();
	assert.equal(t.writes().filter(c => c.body.name === 'Refused later').length, 2, 'tried at save and once in the drain, then never again');
});

test('a delete while offline is queued; a row already gone counts as deleted', async () => {
	const t = await setup();
	const a = (await t.outbox.save('clients', { branch: 'n', name: 'Gone' })).row;
	t.server.down = true;
	const r = await t.outbox.remove('clients', a.id);
	assert.equal(r.savedLocally, true);
	assert.equal((await t.store.get('clients', a.id)).row, null, 'a local tombstone');
	t.server.rows.delete(`clients/${a.id}`);	// someone else deleted it too
	t.server.down = false;
	await t.outbox.drain();
	assert.equal(t.outbox.pending, 0);
	assert.equal(t.events.filter(e => e.type === 'error').length, 0);
});

// ------------------------------------------------------------------ bulk POSTs of the drain

async function queued(t, names, table = 'clients') {
	t.server.down = true;
	const out = [];
	for (const name of names) out.push(await t.outbox.save(table, { branch: 'n', name }));
	t.server.down = false;
	return out;
}

test('creates in a row drain as one bulk POST; a create of another table or an update ends the batch', async () => {
	const t = await setup();
	const [a] = await queued(t, ['c1', 'c2', 'c3']);
	t.server.down = true;
	await t.outbox.save('campaigns', { branch: 'n', name: 'k1' });
	await t.outbox.save('clients', { id: a.id, version: 1, branch: 'n', name: 'c1, renamed' });
	await t.outbox.save('clients', { branch: 'n', name: 'c4' });
	await t.outbox.save('clients', { branch: 'n', name: 'c5' });
	t.server.down = false;
	const tried = t.writes().length;
	await t.outbox.drain();
	assert.equal(t.outbox.pending, 0);
	const sent = t.writes().slice(tried).map(c => (Array.isArray(c.body) ? c.body.map(r => r.name) : [c.method, c.body.name]));
	assert.deepEqual(sent, [['c1', 'c2', 'c3'], ['POST', 'k1'], ['PUT', 'c1, renamed'], ['c4', 'c5']]);
	assert.equal(t.server.rows.get(`clients/${a.id}`).name, 'c1, renamed');
	assert.equal((await t.store.get('clients', a.id)).row.version, 2, 'the cache holds the confirmed rows');
});

test('exactly once: a batch whose answer was lost goes again as the same request under the same key, whatever came since', async () => {
	const t = await setup();
	await queued(t, ['b1', 'b2', 'b3']);
	t.server.loseNext = 1;	// the batch is applied, its answer never arrives
	const tried = t.writes().length;
	await t.outbox.drain();
	assert.equal(t.outbox.pending, 3, 'kept: the answer was lost');
	await queued(t, ['b4']);	// the outbox grows meanwhile
	await t.outbox.drain();
	assert.equal(t.outbox.pending, 0);
	const sent = t.writes().slice(tried);
	const names = sent.map(c => (Array.isArray(c.body) ? c.body.map(r => r.name) : c.body.name));
	assert.deepEqual(names, [['b1', 'b2', 'b3'], ['b1', 'b2', 'b3'], 'b4'], 'the batch as it was, then the new write');
	assert.equal(sent[0].headers['Idempotency-Key'], sent[1].headers['Idempotency-Key'], 'under one key');
	assert.equal(t.server.applied.filter(x => /^b[123]$/.test(x.body.name)).length, 3, 'each row applied once');
	assert.equal([...t.server.rows.values()].filter(x => /^b/.test(x.name)).length, 4);
});

test('a batch refused at error.index: the rows before it go again, that row alone to the refused list, the rest on', async () => {
	const t = await setup();
	await queued(t, ['r1', 'r2', 'bad', 'r4', 'r5']);
	t.server.refuse = call => call.body.name === 'bad';
	const tried = t.writes().length;
	await t.outbox.drain();
	assert.equal(t.outbox.pending, 0);
	const sent = t.writes().slice(tried).map(c => (Array.isArray(c.body) ? c.body.map(r => r.name) : c.body.name));
	assert.deepEqual(sent, [['r1', 'r2', 'bad', 'r4', 'r5'], ['r1', 'r2'], 'bad', ['r4', 'r5']]);
	const names = [...t.server.rows.values()].map(x => x.name).sort();
	assert.deepEqual(names, ['r1', 'r2', 'r4', 'r5'], 'every other row once');
	const [refused] = await t.outbox.refused();
	assert.equal(refused.body.name, 'bad');
	assert.equal(refused.message, 'refused', 'with the server\'s reason');
	assert.equal(t.events.filter(e => e.type === 'refused').length, 1);
});

test('a create sent alone whose answer was lost, then refused in a batch (taken meanwhile), is settled by its own key', async () => {
	const t = await setup();
	t.server.loseNext = 1;
	const first = await t.outbox.save('clients', { branch: 'n', name: 'alone first' });	// applied, answer lost
	assert.equal(first.savedLocally, true);
	t.server.rows.set(`clients/${first.id}`, { ...t.server.rows.get(`clients/${first.id}`), name: 'edited by someone', version: 2 });
	await queued(t, ['next']);
	await t.outbox.drain();
	assert.equal(t.outbox.pending, 0);
	assert.equal((await t.outbox.refused()).length, 0, 'not refused: its first try was taken');
	assert.equal(t.server.rows.get(`clients/${first.id}`).name, 'edited by someone');
	assert.ok([...t.server.rows.values()].some(x => x.name === 'next'));
});
