// fieldsync.js: the parts wired together (with an injected schema, fetch, IndexedDB and EventSource).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { answer, FakeEventSource, fakeFetch, freshIndexedDB, schema, until } from './helpers.js';
import { fakeServer } from './fake-server.js';

// fieldsync.js imports www/schema.js, which the build makes.
const built = fs.existsSync(new URL('../../www/schema.js', import.meta.url));
const skip = built ? false : 'www/schema.js is missing: run make first';

async function client(extra = {}) {
	const { createClient } = await import('../../www/fieldsync.js');
	const server = fakeServer();
	const fetch = fakeFetch(call => {
		if (call.path.startsWith('/api/changes')) return server.down ? Promise.reject(new TypeError('down')) : answer(200, { changes: [], next: 1, more: false });
		if (call.method === 'GET' && !call.query.get('id')) return server.down ? Promise.reject(new TypeError('down')) : answer(200, [...server.rows.values()]);
		return server.handle(call);
	});
	FakeEventSource.instances = [];
	const c = createClient({ fetch, indexedDB: freshIndexedDB(), eventSource: FakeEventSource, schema, retryMin: 20, retryMax: 40, ...extra });
	await c.ready;
	return { c, server, fetch };
}

test('the public exports', { skip }, async () => {
	const m = await import('../../www/fieldsync.js');
	for (const name of ['createClient', 'SAVED_LOCALLY_WARNING', 'TABLES', 'tableOf', 'pathOf', 'uuid', 'SCHEMA']) assert.ok(name in m, name);
	assert.equal(m.tableOf('stock-requests'), 'stock_requests');
	assert.equal(m.pathOf('stock_requests'), 'stock-requests');
	assert.match(m.uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
	assert.ok(m.TABLES.includes('leave_requests'));
});

test('a save offline is kept locally and sent by itself when the server is back; status follows', { skip }, async () => {
	const { c, server } = await client();
	const statuses = [];
	c.on('status', s => statuses.push(s));
	server.down = true;
	const r = await c.save('clients', { branch: 'n', name: 'Later' });
	assert.equal(r.savedLocally, true);
	assert.equal(c.status().online, false);
	assert.equal(c.status().pending, 1);
	assert.ok(c.isPending('clients', r.id));
	assert.deepEqual((await c.cached('clients', { branch: 'n' })).map(x => x.name), ['Later']);
	server.down = false;
	await until(() => c.status().pending === 0, 3000, 'the retry timer to send it');
	assert.equal(c.status().online, true);
	assert.equal(server.applied.length, 1);
	assert.ok(statuses.some(s => s.pending === 0 && s.online));
	c.close();
});

test('eventsBase: the stream goes to its own address, the API to base', { skip }, async () => {
	const { c, fetch } = await client({ types: 'clients:*', eventsBase: 'http://relay.example:8091' });
	await until(() => FakeEventSource.instances.length === 1, 2000, 'the stream');
	assert.match(FakeEventSource.last().url, /^http:\/\/relay\.example:8091\/events\?types=clients%3A\*/);
	assert.ok(fetch.calls.length > 0 && fetch.calls.every(call => call.url.startsWith('/api/')), 'the API stays on base');
	c.close();
});

test('load: from the server when it answers, from the cache when it does not', { skip }, async () => {
	const { c, server } = await client();
	await c.save('clients', { branch: 'n', name: 'B' });
	await c.save('clients', { branch: 'n', name: 'A' });
	const online = await c.load('clients', { branch: 'n' });
	assert.deepEqual([online.fromCache, ...online.rows.map(x => x.name)], [false, 'A', 'B'], 'in the schema order (name)');
	server.down = true;
	const offline = await c.load('clients', { branch: 'n' });
	assert.equal(offline.fromCache, true);
	assert.deepEqual(offline.rows.map(x => x.name), ['A', 'B']);
	c.close();
});

test('the event stream is opened with the types asked for, and its events reach listeners', { skip }, async () => {
	const { c } = await client({ types: 'clients:*' });
	await until(() => FakeEventSource.instances.length === 1, 2000, 'the stream');
	const es = FakeEventSource.last();
	assert.match(es.url, /^\/events\?types=clients%3A\*/);
	es.open();
	assert.equal(c.status().live, true);
	const got = new Promise(resolve => c.on('clients:create', resolve));
	es.send('clients:create', { seq: 2, type: 'clients:create', id: 'z', branch: 'n', data: { id: 'z', branch: 'n', name: 'Z', version: 1 } });
	assert.equal((await got).id, 'z');
	c.close();
	assert.equal(es.closed, true);
});
