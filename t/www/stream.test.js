// stream.js and changes.js: the EventSource resumes from the cursor, events reach the cache,
// reload and 410 reload the lists, the server's refusal restarts from the head, reconnects back off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answer, FakeEventSource, fakeFetch, freshIndexedDB, schema, until } from './helpers.js';
import { Changes } from '../../www/fieldsync/changes.js';
import { Http } from '../../www/fieldsync/http.js';
import { Outbox } from '../../www/fieldsync/outbox.js';
import { SchemaInfo } from '../../www/fieldsync/schema-info.js';
import { Store } from '../../www/fieldsync/store.js';
import { Stream } from '../../www/fieldsync/stream.js';

const info = new SchemaInfo(schema);

// A stream and the cache behind it; routes maps a request path to an answer (or a function of the call).
async function setup(routes = {}, streamOpts = {}) {
	FakeEventSource.instances = [];
	const fetch = fakeFetch(call => {
		const r = routes[call.path] ?? routes[call.path.split('?')[0]];
		if (!r) return answer(404, { error: { code: 'not_found' } });
		return typeof r === 'function' ? r(call) : r;
	});
	const http = new Http({ fetch });
	const events = [];
	const emit = (type, p) => events.push({ type, p });
	let outbox = null;
	const store = await Store.open({ indexedDB: freshIndexedDB(), dbName: 'stream', pinned: k => outbox.has(k) });
	outbox = new Outbox({ store, http, emit });
	const changes = new Changes({ store, http, outbox, info, emit });
	const seen = { refused: 0, reconnected: 0, catchUps: 0 };
	const stream = new Stream({
		EventSource: FakeEventSource, tables: info.tables, types: 'clients:*',
		cursor: () => changes.lastSeq,
		deliver: p => changes.receive(p),
		resumeAt: seq => { if (changes.lastSeq == null) changes.lastSeq = seq; },
		refused: () => { seen.refused++; return changes.restartFromHead(); },
		catchUp: () => { seen.catchUps++; return changes.catchUp(); },
		reconnected: () => { seen.reconnected++; },
		pollInterval: 0,
		...streamOpts,
	});
	return { fetch, store, outbox, changes, stream, events, seen };
}

const ev = (seq, type, data) => ({ seq, type, id: data.id, branch: data.branch, data, at: '2026-12-01T00:00:00Z' });

test('the stream opens after the stored position and applies events to the cache, once each', async t0 => {
	const t = await setup();
	t.changes.lastSeq = 41;
	t.stream.start();
	const es = FakeEventSource.last();
	assert.equal(es.url, '/events?types=clients%3A*&since=41');
	es.open();
	assert.equal(t.stream.live, true);
	es.send('clients:create', ev(42, 'clients:create', { id: 'a', branch: 'n', name: 'A', version: 1 }));
	es.send('clients:create', ev(42, 'clients:create', { id: 'a', branch: 'n', name: 'A', version: 1 }));	// a repeat
	es.send('clients:update', ev(43, 'clients:update', { id: 'a', branch: 'n', name: 'A2', version: 2 }));
	await until(() => t.changes.lastSeq === 43, 2000, 'seq 43');
	await t.changes.chain;
	assert.equal((await t.store.get('clients', 'a')).row.name, 'A2');
	assert.equal(await t.store.loadSeq(), 43, 'the position is stored');
	assert.deepEqual(t.events.filter(e => e.type === '*').map(e => e.p.seq), [42, 43], 'listeners hear each change once');
	t.stream.shutdown();
	assert.equal(es.closed, true);
});

test('a row with a write waiting is not overwritten by an event', async () => {
	const t = await setup();
	await t.store.write(['outbox'], s => { s.outbox.add({ key: 'clients/a', state: 'pending' }); });
	await t.outbox.refresh();
	t.stream.start();
	const es = FakeEventSource.last();
	es.open();
	es.send('clients:update', ev(5, 'clients:update', { id: 'a', branch: 'n', name: 'theirs', version: 3 }));
	await until(() => t.changes.lastSeq === 5, 2000, 'seq 5');
	await t.changes.chain;
	assert.equal(await t.store.get('clients', 'a'), undefined);
});

test('resume: reconnects where the server says, when it has no position of its own', async () => {
	const t = await setup();
	t.stream.start();
	const first = FakeEventSource.last();
	first.open();
	first.send('resume', { last_event_id: 77 });
	assert.equal(first.closed, true);
	const second = FakeEventSource.last();
	assert.notEqual(second, first);
	assert.match(second.url, /since=77$/);
});

test('reload event: every remembered list is fetched again, rows outside it dropped, and on from head', async () => {
	const t = await setup({ '/api/clients?limit=1000&branch=n': answer(200, [{ id: 'b', branch: 'n', name: 'B', version: 1 }]) });
	t.changes.remember('clients', { branch: 'n' });
	await t.store.write(['rows'], s => { s.rows.put({ key: 'clients/old', table: 'clients', id: 'old', row: { id: 'old', branch: 'n' }, version: 1, local: false, cachedAt: 1 }); });
	t.stream.start();
	const es = FakeEventSource.last();
	es.open();
	es.send('reload', { head: 900 });
	await until(() => t.events.some(e => e.type === 'reload'), 2000, 'reload');
	assert.equal(t.changes.lastSeq, 900);
	assert.equal(await t.store.get('clients', 'old'), undefined, 'a row the server no longer lists is dropped');
	assert.equal((await t.store.get('clients', 'b')).row.name, 'B');
});

test('catch-up: a 410 from the feed (history gone) reloads the lists and goes on from the head it names', async () => {
	const t = await setup({
		'/api/changes': call => (call.query.get('since') === '1000000000000'
			? answer(410, { error: { status: 410, code: 'history_gone', head: 55 } })
			: answer(200, { changes: [], next: 55, more: false })),
		'/api/clients?limit=1000&branch=n': answer(200, [{ id: 'g2', branch: 'n', name: 'G2', version: 1 }]),
	});
	t.changes.remember('clients', { branch: 'n' });
	t.changes.lastSeq = 1e12;
	assert.equal(await t.changes.catchUp(), true);
	assert.equal(t.changes.lastSeq, 55);
	assert.equal((await t.store.get('clients', 'g2')).row.name, 'G2');
	assert.ok(t.fetch.calls.some(c => c.path === '/api/clients?limit=1000&branch=n'), 'the list was fetched again');
	t.stream.start();
	assert.match(FakeEventSource.last().url, /since=55$/, 'the stream opens from the head, not the old position');
});

test('catch-up reads the feed page by page from the position', async () => {
	const t = await setup({
		'/api/changes': call => {
			const since = Number(call.query.get('since'));
			if (since === 10) return answer(200, { changes: [ev(11, 'clients:create', { id: 'x', branch: 'n', version: 1 })], next: 11, more: true });
			return answer(200, { changes: [ev(12, 'clients:update', { id: 'x', branch: 'n', version: 2 })], next: 12, more: false });
		},
	});
	t.changes.lastSeq = 10;
	assert.equal(await t.changes.catchUp(), true);
	assert.equal(t.changes.lastSeq, 12);
	assert.equal((await t.store.get('clients', 'x')).row.version, 2);
	assert.deepEqual(t.fetch.calls.map(c => c.query.get('since')), ['10', '11']);
});

test('the server refuses the position (event: error): restart from the feed head and reopen', async () => {
	const t = await setup({ '/api/changes': answer(200, { changes: [], next: 300, more: false }) });
	t.changes.lastSeq = 5;
	t.stream.start();
	const es = FakeEventSource.last();
	es.open();
	es.refuse({ code: 'invalid_cursor', message: 'no such position' });
	assert.equal(es.closed, true);
	assert.equal(t.stream.live, false);
	assert.equal(t.seen.refused, 1);
	await until(() => FakeEventSource.instances.length === 2, 3000, 'the stream reopened');
	assert.match(FakeEventSource.last().url, /since=300$/);
});

test('reconnect: a stream the browser gave up on reopens after a backoff, catching up first; the reopen sends the outbox', async () => {
	const t = await setup({ '/api/changes': answer(200, { changes: [], next: 8, more: false }) });
	t.changes.lastSeq = 7;
	t.stream.start();
	const first = FakeEventSource.last();
	first.open();
	first.fail(true);	// CLOSED
	assert.equal(t.stream.live, false);
	assert.equal(t.stream.open, false);
	await until(() => FakeEventSource.instances.length === 2, 3000, 'the stream reopened');
	assert.equal(t.seen.catchUps, 1, 'caught up before reopening');
	const second = FakeEventSource.last();
	assert.match(second.url, /since=8$/);
	second.open();
	assert.equal(t.stream.live, true);
	assert.equal(t.seen.reconnected, 1, 'reconnected after a break');
	t.stream.shutdown();
});

test('while the stream is down the change feed is polled; polling stops when it is back', async () => {
	const t = await setup({ '/api/changes': answer(200, { changes: [], next: 1, more: false }) }, { pollInterval: 20 });
	t.stream.start();
	const es = FakeEventSource.last();
	es.fail(false);	// the browser retries by itself
	await until(() => t.seen.catchUps >= 2, 2000, 'polls');
	es.open();
	const n = t.seen.catchUps;
	await new Promise(r => setTimeout(r, 80));
	assert.ok(t.seen.catchUps <= n + 1, 'no more polling once live');
	t.stream.shutdown();
});

test('without an EventSource nothing opens', async () => {
	const t = await setup({}, { EventSource: null });
	t.stream.start();
	assert.equal(FakeEventSource.instances.length, 0);
	assert.equal(t.stream.open, false);
});
