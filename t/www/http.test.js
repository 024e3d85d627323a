// http.js: status handling, Link-following, unreachable servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answer, fakeFetch, networkError } from './helpers.js';
import { errorOf, Http, isConflict, nextLink, query, succeeded, unreachable } from '../../www/fieldsync/http.js';

test('request: JSON body, headers and Idempotency-Key go out; the answer is parsed', async () => {
	const fetch = fakeFetch(() => answer(201, { id: 'x', version: 1 }));
	const http = new Http({ fetch, base: 'http://api.test' });
	const res = await http.request('POST', '/api/clients', { body: { name: 'A' }, idempotencyKey: 'k-1' });
	assert.equal(res.status, 201);
	assert.deepEqual(res.data, { id: 'x', version: 1 });
	const call = fetch.calls[0];
	assert.equal(call.url, 'http://api.test/api/clients');
	assert.equal(call.method, 'POST');
	assert.deepEqual(call.body, { name: 'A' });
	assert.equal(call.headers['Idempotency-Key'], 'k-1');
	assert.equal(call.headers['Content-Type'], 'application/json');
});

test('request: a network error is status 0, never a throw', async () => {
	const http = new Http({ fetch: fakeFetch(networkError) });
	const res = await http.request('GET', '/api/clients');
	assert.equal(res.status, 0);
	assert.equal(res.timedOut, false);
	assert.ok(unreachable(res));
});

test('request: no answer within the timeout is status 0 with timedOut', async () => {
	const fetch = fakeFetch(call => new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))));
	const http = new Http({ fetch, timeout: 50 });
	const t0 = Date.now();
	const res = await http.request('GET', '/api/clients');
	assert.equal(res.status, 0);
	assert.equal(res.timedOut, true);
	assert.ok(Date.now() - t0 >= 40, 'waited for the timeout');
});

test('request: a body that is not JSON gives data null', async () => {
	const http = new Http({ fetch: fakeFetch(() => ({ status: 502, headers: new Headers(), text: async () => '<html>bad gateway' })) });
	const res = await http.request('GET', '/api/clients');
	assert.equal(res.status, 502);
	assert.equal(res.data, null);
});

test('unreachable: 0, 5xx, 408 and 429 are worth retrying; other 4xx are final', () => {
	for (const s of [0, 500, 502, 503, 504, 408, 429]) assert.equal(unreachable({ status: s }), true, String(s));
	for (const s of [200, 201, 400, 401, 403, 404, 409, 413, 415, 422]) assert.equal(unreachable({ status: s }), false, String(s));
});

test('succeeded: 2xx, and a DELETE of a row already gone', () => {
	assert.ok(succeeded('POST', { status: 201 }));
	assert.ok(succeeded('DELETE', { status: 404 }));
	assert.ok(!succeeded('PUT', { status: 404 }));
	assert.ok(!succeeded('POST', { status: 409 }));
});

test('errorOf and isConflict read the API error body', () => {
	const body = { error: { status: 422, code: 'invalid_field', message: 'bad email', field: 'email', index: 2 } };
	assert.deepEqual(errorOf({ status: 422, data: body }), { status: 422, code: 'invalid_field', message: 'bad email', field: 'email', index: 2 });
	assert.equal(errorOf({ status: 500, data: null }).code, 'http_500');
	assert.ok(isConflict({ status: 409, data: { error: { code: 'version_conflict', current: {} } } }));
	assert.ok(!isConflict({ status: 409, data: { error: { code: 'duplicate' } } }));
});

test('query leaves out empty values; nextLink reads rel="next"', () => {
	assert.equal(query({ branch: 'north', status: '', q: null, limit: 5 }), '?branch=north&limit=5');
	assert.equal(query({}), '');
	assert.equal(nextLink(new Headers({ Link: '</api/clients?after=abc&limit=2>; rel="next"' })), '/api/clients?after=abc&limit=2');
	assert.equal(nextLink(new Headers({ Link: '</x>; rel="prev"' })), null);
	assert.equal(nextLink(new Headers()), null);
});

test('fetchAll follows the Link header page by page', async () => {
	const pages = {
		'/api/stock-requests?limit=1000&branch=n': answer(200, [{ id: 1 }, { id: 2 }], { Link: '</api/stock-requests?branch=n&after=2>; rel="next"' }),
		'/api/stock-requests?branch=n&after=2': answer(200, [{ id: 3 }], { Link: '</api/stock-requests?branch=n&after=3>; rel="next"' }),
		'/api/stock-requests?branch=n&after=3': answer(200, []),
	};
	const fetch = fakeFetch(call => pages[call.path] || answer(404, { error: { code: 'not_found' } }));
	const got = await new Http({ fetch }).fetchAll('stock_requests', { branch: 'n' });
	assert.equal(got.ok, true);
	assert.deepEqual(got.rows.map(r => r.id), [1, 2, 3]);
	assert.equal(fetch.calls.length, 3);
});

test('fetchAll: a failing page fails the list with its answer', async () => {
	let n = 0;
	const fetch = fakeFetch(() => (n++ === 0 ? answer(200, [{ id: 1 }], { Link: '</api/clients?after=1>; rel="next"' }) : answer(503, null)));
	const got = await new Http({ fetch }).fetchAll('clients', {});
	assert.equal(got.ok, false);
	assert.equal(got.res.status, 503);
});

test('fetchRow: the row, null when gone, undefined when the server cannot say', async () => {
	const http = status => new Http({ fetch: fakeFetch(() => answer(status, status === 200 ? { id: 'a' } : null)) });
	assert.deepEqual(await http(200).fetchRow('clients', 'a'), { id: 'a' });
	assert.equal(await http(404).fetchRow('clients', 'a'), null);
	assert.equal(await http(503).fetchRow('clients', 'a'), undefined);
});
