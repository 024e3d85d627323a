/**
 * fieldsync.js: the browser client of the fieldsync API. Plain ES modules, no build step; this file
 * wires the parts in fieldsync/ together and is the public entry.
 *
 * The promise to a rep in the field: a save works with or without a connection, nothing saved is ever
 * lost or applied twice, and everyone sees changes as they happen.
 *
 * - Backend first: every read and write goes to /api/... first; the answer updates the local cache.
 * - Fallback: when the server cannot be reached (network error, timeout, 5xx), the write goes into a
 *   durable outbox in IndexedDB and the result says `savedLocally: true`. A 4xx is final: it is
 *   returned with the server's message and never queued.
 * - Replay: the outbox is sent in the order the writes were made, each with the Idempotency-Key it got
 *   when it was made, so a resend after a lost answer is never applied twice.
 * - Live: an EventSource on /events applies other users' changes to the cache; /api/changes catches up
 *   after time away.
 *
 *     import { createClient } from './fieldsync.js';
 *     const fs = createClient();
 *     fs.on('status', s => showBadge(s.online, s.pending));
 *     fs.on('conflict', c => askUser(c).then(choice => c.resolve(choice)));
 *     const { rows } = await fs.load('clients', { branch: 'north' });
 *     const r = await fs.save('clients', { branch: 'north', name: 'Acme' });
 *     if (r.savedLocally) showWarning(r.message);
 *
 * The parts: fieldsync/http.js (requests), store.js (IndexedDB), outbox.js (writes), changes.js (the
 * cache kept in step with the server), stream.js (the event stream), schema-info.js (what the
 * resource declarations in C say about each table: schema.js, made by the build).
 */
import schema from './schema.js';
import { Changes } from './fieldsync/changes.js';
import { Emitter } from './fieldsync/emitter.js';
import { errorOf, Http, unreachable } from './fieldsync/http.js';
import { rowKey, tableOf } from './fieldsync/names.js';
import { Outbox } from './fieldsync/outbox.js';
import { SchemaInfo } from './fieldsync/schema-info.js';
import { Store } from './fieldsync/store.js';
import { Stream } from './fieldsync/stream.js';

export { SAVED_LOCALLY_WARNING } from './fieldsync/outbox.js';
export { pathOf, tableOf, uuid } from './fieldsync/names.js';

/** The resource declarations the library was built with (www/schema.js). */
export const SCHEMA = schema;

/** The resource tables (event types are `<table>:<action>`). */
export const TABLES = new SchemaInfo(schema).tables;

/**
 * @typedef {object} FieldsyncClient
 * @property {Promise<void>} ready  resolves when the local database is open
 * @property {(resource: string, filters?: object) => Promise<object>} load  server first, else the cache
 * @property {(resource: string, filters?: object) => Promise<object[]>} cached  the cache only
 * @property {(resource: string, row: object) => Promise<object>} save  create or update
 * @property {(resource: string, id: string) => Promise<object>} remove  delete
 * @property {() => Promise<object>} syncNow  send the outbox and catch up now; resolves the status
 * @property {(type: string, fn: Function) => Function} on  listen; returns the function that stops it
 * @property {(type: string, fn: Function) => void} off  stop listening
 * @property {() => object} status  {online, live, pending, conflicts, stale, lastSeq, persisted, reason}
 * @property {() => Promise<object[]>} conflicts  the conflicts waiting for a choice
 * @property {(resource: string, id: string, choice: 'mine'|'theirs') => Promise<object>} resolveConflict
 * @property {(resource: string, id: string) => boolean} isPending  a write for the row waits
 * @property {() => void} close  stop the stream and timers, close the database
 */

/**
 * Create a client. It opens its IndexedDB, catches up with the change log and opens the event stream by
 * itself; every method waits until the database is open.
 *
 * @param {object} [options]
 * @param {string} [options.base='']  prefix of the API's URLs ('' = this page's origin)
 * @param {Function} [options.fetch]  fetch implementation (default: the page's)
 * @param {Function|null} [options.eventSource]  EventSource constructor; null: no live stream
 * @param {IDBFactory} [options.indexedDB]  IndexedDB factory (default: the page's)
 * @param {object[]} [options.schema]  the resource declarations (default: www/schema.js)
 * @param {string} [options.dbName='fieldsync']  name of the IndexedDB database
 * @param {number} [options.timeout=8000]  ms before a request counts as failed (and a write is queued)
 * @param {string} [options.types]  event types to follow, e.g. 'clients:*,appointments:*' (default all)
 * @param {string} [options.branch]  a branch whose rows are always kept in the cache (besides those of
 *   the lists loaded)
 * @param {number} [options.retryMin=1000]  first retry delay of the outbox, doubled per failure…
 * @param {number} [options.retryMax=30000]  …up to this, with random jitter
 * @param {number} [options.pollInterval=5000]  ms between change-feed polls while the stream is down
 * @returns {FieldsyncClient}
 */
export function createClient(options = {}) {
	return new Client(options).api();
}

const offlineNow = () => !!(globalThis.navigator && navigator.onLine === false);

/** The parts of one client and the state they share: online, stale, the retry timer. */
class Client {
	constructor(options) {
		const opts = this.opts = {
			base: '', fetch: globalThis.fetch && globalThis.fetch.bind(globalThis),
			eventSource: globalThis.EventSource, indexedDB: globalThis.indexedDB, dbName: 'fieldsync',
			timeout: 8000, types: '', retryMin: 1000, retryMax: 30000, pollInterval: 5000, schema,
			...options,
		};
		this.events = new Emitter();
		this.info = new SchemaInfo(opts.schema);
		this.online = !offlineNow();
		this.stale = true;
		this.persisted = false;
		this.reason = '';
		this.closed = false;
		this.attempt = 0;	// failed tries in a row: the retry backoff
		this.retryTimer = null;
		this.lastStatus = '';
		this.channel = null;
		this.store = null;	// opened in start(); handed to the outbox and the changes there

		const emit = (type, payload) => this.events.emit(type, payload);
		const reached = () => this.markOnline();
		const lost = res => this.markOffline(res);
		const closed = () => this.closed;
		this.http = new Http({ fetch: opts.fetch, base: opts.base, timeout: opts.timeout });
		this.outbox = new Outbox({
			http: this.http, emit, reached, lost, closed,
			online: () => this.online,
			counted: () => this.emitStatus(),
			announce: () => this.channel && this.channel.postMessage('outbox'),
			drained: () => { this.attempt = 0; },
			locks: globalThis.navigator && navigator.locks, lockName: 'fieldsync-outbox:' + opts.dbName,
		});
		this.changes = new Changes({
			http: this.http, outbox: this.outbox, info: this.info, emit, reached, lost, closed,
			types: opts.types, branch: opts.branch,
			stale: v => { this.stale = v; this.emitStatus(); },
		});
		this.stream = new Stream({
			EventSource: opts.eventSource, base: opts.base, types: opts.types, tables: this.info.tables,
			pollInterval: opts.pollInterval, closed,
			cursor: () => this.changes.lastSeq,
			deliver: p => this.changes.receive(p),
			ready: p => this.changes.applying(async () => {
				if (this.changes.lastSeq == null && typeof p.seq === 'number') await this.changes.saveSeq(p.seq);
			}),
			resumeAt: seq => { if (this.changes.lastSeq == null) this.changes.lastSeq = seq; },
			refused: () => this.changes.restartFromHead(),
			catchUp: () => this.changes.catchUp(),
			canPoll: () => this.online,
			changed: () => this.emitStatus(),
			reconnected: () => this.syncNow().catch(() => {}),
			error: e => emit('error', e),
		});
		this.onOnline = () => this.wentOnline();
		this.onOffline = () => this.wentOffline();
		this.ready = this.start();
	}

	// -------------------------------------------------------------- status

	/** The current state: {online, live, pending, conflicts, stale, lastSeq, persisted, reason}. */
	status() {
		return {
			online: this.online, live: this.stream.live, pending: this.outbox.pending, conflicts: this.outbox.conflicts,
			stale: this.stale, lastSeq: this.changes.lastSeq, persisted: this.persisted, reason: this.reason,
		};
	}

	// Only tell listeners when something they show changed (not on every new seq).
	emitStatus() {
		const s = this.status();
		const sig = JSON.stringify([s.online, s.live, s.pending, s.conflicts, s.stale, s.reason]);
		if (sig === this.lastStatus) return;
		this.lastStatus = sig;
		this.events.emit('status', s);
	}

	markOnline() {
		this.attempt = 0;
		if (this.online && !this.reason) return;
		this.online = true;
		this.reason = '';
		this.emitStatus();
	}

	// Lost the server: the cache may fall behind from now on, and a retry is scheduled (it also
	// notices when the server is back, even with nothing to send).
	markOffline(res) {
		this.online = false;
		this.stale = true;
		this.reason = res && res.status ? `server answered ${res.status}` : (res && res.timedOut ? 'timeout' : 'no connection');
		this.emitStatus();
		this.scheduleRetry();
	}

	// Exponential backoff with jitter: 1 s, 2 s, 4 s … up to retryMax, each somewhere in its upper half.
	scheduleRetry() {
		if (this.retryTimer || this.closed) return;
		const delay = Math.min(this.opts.retryMax, this.opts.retryMin * 2 ** this.attempt);
		this.attempt = Math.min(this.attempt + 1, 20);
		this.retryTimer = setTimeout(() => {
			this.retryTimer = null;
			if (!this.online || this.outbox.sendable > 0) this.syncNow().catch(err => this.events.emit('error', { message: String(err) }));
		}, delay / 2 + Math.random() * delay / 2);
	}

	// -------------------------------------------------------------- reading

	async cached(resource, filters = {}) {
		await this.ready;
		const table = tableOf(resource);
		const entries = await this.store.entriesOf(table);
		return entries.filter(e => e.row && this.info.matches(table, e.row, filters)).map(e => ({ ...e.row }))
			.sort(this.info.compare(table));
	}

	async load(resource, filters = {}) {
		await this.ready;
		const table = tableOf(resource);
		this.changes.remember(table, filters);
		const got = await this.http.fetchAll(resource, filters);
		if (got.ok) {
			this.markOnline();
			await this.changes.storeList(table, got.rows, filters);
			return { ok: true, rows: await this.cached(resource, filters), fromCache: false };
		}
		if (!unreachable(got.res)) return { ok: false, ...errorOf(got.res) };
		this.markOffline(got.res);
		return { ok: true, rows: await this.cached(resource, filters), fromCache: true };
	}

	// -------------------------------------------------------------- syncing

	async syncNow() {
		await this.ready;
		clearTimeout(this.retryTimer);
		this.retryTimer = null;
		await this.outbox.drain();
		await this.changes.catchUp();
		if (this.online && !this.stream.open) this.stream.start();
		return this.status();
	}

	wentOnline() {
		this.online = true;
		this.reason = '';
		this.emitStatus();
		this.syncNow().catch(() => {});
	}

	// Without a network nothing is live, even if the browser has not noticed the stream is dead yet.
	wentOffline() {
		this.markOffline(null);
		this.stream.offline();
	}

	// -------------------------------------------------------------- start and stop

	async start() {
		const outbox = this.outbox;
		// Eviction spares the rows whose writes wait in the outbox.
		this.store = await Store.open({ indexedDB: this.opts.indexedDB, dbName: this.opts.dbName, pinned: key => outbox.has(key) });
		outbox.store = this.store;
		this.changes.store = this.store;
		this.changes.lastSeq = await this.store.loadSeq();
		await outbox.refresh();
		if (globalThis.navigator && navigator.storage && navigator.storage.persist) {
			navigator.storage.persist().then(p => { this.persisted = p; }, () => {});
		}
		if (typeof BroadcastChannel === 'function') {
			this.channel = new BroadcastChannel('fieldsync:' + this.opts.dbName);
			this.channel.onmessage = () => outbox.refresh().then(() => this.events.emit('change', { source: 'other-tab' }));
		}
		if (typeof addEventListener === 'function') {
			addEventListener('online', this.onOnline);
			addEventListener('offline', this.onOffline);
		}
		// After the caller had a chance to listen: conflicts left from before a reload, then sync.
		setTimeout(async () => {
			for (const c of await outbox.list()) this.events.emit('conflict', c);
			if (!offlineNow()) {
				await this.changes.catchUp();
				this.stream.start();
				if (outbox.sendable > 0) this.syncNow().catch(() => {});
			} else {
				this.stream.startPolling();
			}
		}, 0);
	}

	close() {
		this.closed = true;
		this.stream.shutdown();
		clearTimeout(this.retryTimer);
		if (typeof removeEventListener === 'function') {
			removeEventListener('online', this.onOnline);
			removeEventListener('offline', this.onOffline);
		}
		if (this.channel) this.channel.close();
		if (this.store) this.store.close();
	}

	/** The public face: the FieldsyncClient methods, each waiting for the database. */
	api() {
		const ready = this.ready;
		const outbox = this.outbox;
		return {
			ready,
			load: (resource, filters) => this.load(resource, filters),
			cached: (resource, filters) => this.cached(resource, filters),
			save: async (resource, row) => { await ready; return outbox.save(resource, row); },
			remove: async (resource, id) => { await ready; return outbox.remove(resource, id); },
			syncNow: () => this.syncNow(),
			on: (type, fn) => this.events.on(type, fn),
			off: (type, fn) => this.events.off(type, fn),
			status: () => this.status(),
			conflicts: async () => { await ready; return outbox.list(); },
			resolveConflict: async (resource, id, choice) => {
				if (choice !== 'mine' && choice !== 'theirs') throw new TypeError("choice must be 'mine' or 'theirs'");
				await ready;
				return outbox.resolveConflict(resource, id, choice);
			},
			isPending: (resource, id) => outbox.has(rowKey(tableOf(resource), id)),
			close: () => this.close(),
		};
	}
}
