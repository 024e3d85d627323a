// Fakes for the unit tests: a scripted fetch, an EventSource driven by hand, a fresh IndexedDB per
// test (fake-indexeddb), and storage that can be made "full".
import { webcrypto } from 'node:crypto';
import { IDBFactory } from 'fake-indexeddb';
import FDBObjectStore from 'fake-indexeddb/lib/FDBObjectStore';

// Node 18 has no global crypto (names.js makes ids with it).
if (!globalThis.crypto) globalThis.crypto = webcrypto;

export { default as schema } from './schema.fixture.js';

/** A new, empty IndexedDB. */
export function freshIndexedDB() {
	return new IDBFactory();
}

/** A Response-like answer. */
export function answer(status, data, headers = {}) {
	const h = new Headers(headers);
	return { status, headers: h, text: async () => (data === undefined ? '' : JSON.stringify(data)) };
}

/**
 * fetch that answers from `handler(call)` (a Response-like object, or a thrown error for a network
 * failure) and records every call as {method, url, path, headers, body}.
 */
export function fakeFetch(handler) {
	const calls = [];
	const fetch = async (url, init = {}) => {
		const u = new URL(url, 'http://test.invalid');
		const call = {
			method: init.method || 'GET', url, path: u.pathname + u.search, query: u.searchParams,
			headers: init.headers || {}, credentials: init.credentials, body: init.body === undefined ? undefined : JSON.parse(init.body), signal: init.signal,
		};
		calls.push(call);
		return handler(call, calls);
	};
	fetch.calls = calls;
	return fetch;
}

/** A network error, as fetch rejects with it. */
export function networkError() {
	throw new TypeError('fetch failed');
}

/** An EventSource the test drives: open(), send(type, data), fail(closed). Instances are recorded. */
export class FakeEventSource {
	static instances = [];

	constructor(url) {
		this.url = url;
		this.readyState = 0;
		this.listeners = new Map();
		this.closed = false;
		FakeEventSource.instances.push(this);
	}

	addEventListener(type, fn) {
		if (!this.listeners.has(type)) this.listeners.set(type, []);
		this.listeners.get(type).push(fn);
	}

	close() {
		this.closed = true;
		this.readyState = 2;
	}

	open() {
		this.readyState = 1;
		if (this.onopen) this.onopen({});
	}

	send(type, data) {
		for (const fn of this.listeners.get(type) || []) fn({ type, data: JSON.stringify(data) });
	}

	// The browser's own connection error; closed: it gave up reconnecting.
	fail(closed = false) {
		this.readyState = closed ? 2 : 0;
		if (this.onerror) this.onerror({});
	}

	// The server's `event: error` (a position it cannot serve).
	refuse(error) {
		if (this.onerror) this.onerror({ data: JSON.stringify({ error }) });
	}

	static last() {
		return FakeEventSource.instances[FakeEventSource.instances.length - 1];
	}
}

/**
 * Make a store's put/add throw QuotaExceededError while full(storeName) says so.
 * Returns the function that restores them.
 */
export function injectQuota(full) {
	const proto = FDBObjectStore.prototype;
	const put = proto.put, add = proto.add;
	proto.put = function (...a) {
		if (full(this.name)) throw new DOMException('injected: storage full', 'QuotaExceededError');
		return put.apply(this, a);
	};
	proto.add = function (...a) {
		if (full(this.name)) throw new DOMException('injected: storage full', 'QuotaExceededError');
		return add.apply(this, a);
	};
	return () => { proto.put = put; proto.add = add; };
}

/** Wait until check() is true (polling), or fail after ms. */
export async function until(check, ms = 3000, what = 'condition') {
	const t0 = Date.now();
	for (;;) {
		if (await check()) return;
		if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
		await new Promise(r => setTimeout(r, 10));
	}
}
