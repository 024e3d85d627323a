// store.js: put/get, the outbox and the position, eviction of the oldest cached rows when full.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freshIndexedDB, injectQuota } from './helpers.js';
import { cacheEntry, isNewer, isQuotaError, putUnlessPending, Store, tombstone } from '../../www/fieldsync/store.js';

const open = (pinned) => Store.open({ indexedDB: freshIndexedDB(), dbName: 'unit', pinned });
const put = (store, entries) => store.write(['rows'], s => { for (const e of entries) s.rows.put(e); });

test('put and get a row; entriesOf lists a table only', async () => {
	const store = await open();
	await put(store, [cacheEntry('clients', { id: 'a', name: 'A', version: 1 }), cacheEntry('visits', { id: 'v', version: 1 })]);
	const e = await store.get('clients', 'a');
	assert.equal(e.key, 'clients/a');
	assert.deepEqual(e.row, { id: 'a', name: 'A', version: 1 });
	assert.equal(await store.get('clients', 'nope'), undefined);
	assert.deepEqual((await store.entriesOf('clients')).map(x => x.id), ['a']);
	store.close();
});

test('the change-log position survives closing and opening the database', async () => {
	const indexedDB = freshIndexedDB();
	let store = await Store.open({ indexedDB, dbName: 'seq' });
	assert.equal(await store.loadSeq(), null);
	await store.saveSeq(42);
	store.close();
	store = await Store.open({ indexedDB, dbName: 'seq' });
	assert.equal(await store.loadSeq(), 42);
	store.close();
});

test('the outbox keeps writes in the order they were added', async () => {
	const store = await open();
	for (const n of ['first', 'second', 'third']) await store.write(['outbox'], s => { s.outbox.add({ key: 'clients/' + n, body: n }); });
	assert.deepEqual((await store.readOutbox()).map(w => w.body), ['first', 'second', 'third']);
	store.close();
});

test('a transaction that throws is rolled back and rejects', async () => {
	const store = await open();
	await assert.rejects(store.transact(['rows'], 'readwrite', s => {
		s.rows.put(cacheEntry('clients', { id: 'a', version: 1 }));
		throw new Error('boom');
	}), /boom/);
	assert.equal(await store.get('clients', 'a'), undefined);
	store.close();
});

test('storage full: the oldest cached rows are evicted until the write fits; pending and local rows stay', async () => {
	const store = await open(key => key === 'clients/old-pinned');
	const t = Date.now();
	await put(store, [
		{ ...cacheEntry('clients', { id: 'old-pinned', version: 1 }), cachedAt: t - 5000 },
		{ ...cacheEntry('clients', { id: 'old-local', version: 1 }, true), cachedAt: t - 4000 },
		{ ...cacheEntry('clients', { id: 'old-1', version: 1 }), cachedAt: t - 3000 },
		{ ...cacheEntry('clients', { id: 'old-2', version: 1 }), cachedAt: t - 2000 },
		{ ...cacheEntry('clients', { id: 'new', version: 1 }), cachedAt: t - 1000 },
	]);
	// Full until one batch was evicted.
	let evictions = 0;
	const evict = store.evict.bind(store);
	store.evict = async n => { evictions++; return evict(n); };
	const restore = injectQuota(name => name === 'rows' && evictions === 0);
	try {
		await store.write(['rows'], s => { s.rows.put(cacheEntry('clients', { id: 'fits', version: 1 })); });
	} finally {
		restore();
	}
	assert.equal(evictions, 1);
	const left = (await store.entriesOf('clients')).map(e => e.id).sort();
	assert.deepEqual(left, ['fits', 'old-local', 'old-pinned'], 'evicted every unpinned cached row (batch of 50), kept pending/local');
	store.close();
});

test('evict(n) drops the n oldest rows that may go', async () => {
	const store = await open(key => key === 'clients/b');
	const t = Date.now();
	await put(store, ['a', 'b', 'c', 'd'].map((id, i) => ({ ...cacheEntry('clients', { id, version: 1 }), cachedAt: t + i })));
	assert.equal(await store.evict(2), 2);
	assert.deepEqual((await store.entriesOf('clients')).map(e => e.id).sort(), ['b', 'd']);
	store.close();
});

test('storage full with nothing left to evict: the quota error comes out', async () => {
	const store = await open();
	const restore = injectQuota(() => true);
	try {
		await assert.rejects(store.write(['outbox'], s => { s.outbox.add({ key: 'k' }); }), err => isQuotaError(err));
		assert.equal(await store.cacheWrite(['rows'], s => { s.rows.put(cacheEntry('clients', { id: 'x', version: 1 })); }), null, 'a cache write gives up quietly');
	} finally {
		restore();
	}
	store.close();
});

test('putUnlessPending: a row with a waiting write, or an older version, is not stored', async () => {
	const store = await open();
	await put(store, [cacheEntry('clients', { id: 'a', version: 3 })]);
	await store.write(['outbox'], s => { s.outbox.add({ key: 'clients/p' }); });
	const stored = {};
	await store.write(['rows', 'outbox'], s => {
		putUnlessPending(s, 'clients', { id: 'a', version: 2 }, true, v => { stored.older = v; });
		putUnlessPending(s, 'clients', { id: 'p', version: 9 }, true, v => { stored.pending = v; });
		putUnlessPending(s, 'clients', { id: 'n', version: 1 }, true, v => { stored.fresh = v; });
	});
	assert.deepEqual(stored, { older: false, pending: false, fresh: true });
	assert.equal((await store.get('clients', 'a')).row.version, 3);
	assert.equal(await store.get('clients', 'p'), undefined);
	store.close();
});

test('isNewer and tombstones', () => {
	assert.ok(isNewer({ version: 2 }, null));
	assert.ok(isNewer({ version: 2 }, { row: { version: 1 } }));
	assert.ok(!isNewer({ version: 1 }, { row: { version: 1 } }, false));
	assert.ok(isNewer({ version: 1 }, { row: { version: 1 } }, true));
	assert.ok(!isNewer({ version: 2 }, tombstone('clients', 'a', 3)));
	assert.equal(tombstone('clients', 'a').row, null);
});
