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
 * - Signed in: signIn() sets the session cookie (HttpOnly: the token never reaches this code); every
 *   request carries it, and every write the CSRF header. Each user has an outbox and a cache of their
 *   own (a database per user id): another user signing in on the device never sends the previous
 *   user's writes, nor sees their rows. A 401 (session expired or revoked) pauses the client without
 *   losing anything: status().auth is 'expired' until the user signs in again, then it goes on. A write
 *   the server refuses on replay (403, 422) moves to the refused list (refused()), never dropped.
 *
 *     import { createClient } from './fieldsync.js';
 *     const fs = createClient();
 *     fs.on('auth', a => a.state === 'signed-in' ? hideLogin() : showLogin(a.reason));
 *     await fs.signIn('ann', password);
 *     fs.on('status', s => showBadge(s.online, s.pending));
 *     fs.on('conflict', c => askUser(c).then(choice => c.resolve(choice)));
 *     const { rows } = await fs.load('clients', { branch: 'north' });
 *     const r = await fs.save('clients', { branch: 'north', name: 'Acme' });
 *     if (r.savedLocally) showWarning(r.message);
 *
 * The parts: fieldsync/http.js (requests), store.js (IndexedDB), outbox.js (writes), changes.js (the
 * cache kept in step with the server), stream.js (the event stream), schema-info.js (what the
 * resource declarations in C say about each table: schema.js, made by the build), rights.js (what the
 * user's roles allow, from the same declarations), device.js (who is signed in on this device).
 */
import schema from './schema.js';
import { Changes } from './fieldsync/changes.js';
import { Emitter } from './fieldsync/emitter.js';
import { DeviceSlot } from './fieldsync/device.js';
import { crossOrigin, errorOf, Http, unauthorized, unreachable } from './fieldsync/http.js';
import { rowKey, tableOf } from './fieldsync/names.js';
import { Outbox } from './fieldsync/outbox.js';
import { allows, branchesOf, readableTypes } from './fieldsync/rights.js';
import { SchemaInfo } from './fieldsync/schema-info.js';
import { Store } from './fieldsync/store.js';
import { Stream } from './fieldsync/stream.js';

export { SAVED_LOCALLY_WARNING, SIGN_IN_AGAIN_MESSAGE } from './fieldsync/outbox.js';
export { allows, branchesOf, isAdmin, ownOnly, readableTypes, rolesIn, statusChoices } from './fieldsync/rights.js';
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
 * @property {() => object} status  {online, live, pending, conflicts, refused, stale, lastSeq,
 *   persisted, reason, auth, authReason, user, db}
 * @property {() => Promise<object[]>} conflicts  the conflicts waiting for a choice
 * @property {(resource: string, id: string, choice: 'mine'|'theirs') => Promise<object>} resolveConflict
 * @property {(resource: string, id: string) => boolean} isPending  a write for the row waits
 * @property {() => Promise<object[]>} refused  writes the server refused on replay, with its reason
 * @property {(seq?: number) => Promise<void>} dismissRefused  forget one refused write (none: all)
 * @property {(login: string, password: string) => Promise<object>} signIn  {ok, user} or the error
 * @property {() => Promise<object>} signOut  sign out and clear this user's cache (pending writes stay)
 * @property {() => object|null} user  the signed-in user {id, login, name, memberships}
 * @property {(resource: string, op: string, where?: object) => boolean} can  may the user (rights.js)
 * @property {() => string[]|null} branches  the user's branches (null: every branch, an admin)
 * @property {() => void} close  stop the stream and timers, close the database
 */

/**
 * Create a client. It opens its IndexedDB, catches up with the change log and opens the event stream by
 * itself; every method waits until the database is open.
 *
 * @param {object} [options]
 * @param {string} [options.base='']  prefix of the API's URLs ('' = this page's origin)
 * @param {string} [options.eventsBase]  prefix of the event stream's URL (default: base), e.g. the
 *   relay's own address ([relay] listen), which serves /events without nginx's hop; the session cookie
 *   goes with it (withCredentials) when it is another origin
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
	return new Device(options).api();
}

const offlineNow = () => !!(globalThis.navigator && navigator.onLine === false);

function withDefaults(options) {
	return {
		base: '', fetch: globalThis.fetch && globalThis.fetch.bind(globalThis),
		eventSource: globalThis.EventSource, indexedDB: globalThis.indexedDB, dbName: 'fieldsync',
		timeout: 8000, types: '', retryMin: 1000, retryMax: 30000, pollInterval: 5000, schema,
		...options,
	};
}

// What a request made for a user who is no longer the one signed in on this device answers (it is
// never sent: the cookie is someone else's now).
const USER_CHANGED = {
	status: 401, data: { error: { status: 401, code: 'user_changed', message: 'another user signed in on this device' } },
	headers: null,
};

/**
 * The parts of one user's client and the state they share: online, stale, paused, the retry timer.
 * Its database, outbox and cache are that user's alone.
 */
class Client {
	/**
	 * @param {object} opts  createClient's options, with dbName this user's database
	 * @param {object} ctx
	 * @param {Emitter} ctx.events  the listeners (shared by every user's client of a page)
	 * @param {object|null} ctx.user  the user (null: a server without accounts)
	 * @param {DeviceSlot} [ctx.slot]  who is signed in on the device (checked before each request)
	 * @param {(client: Client, reason: string) => void} ctx.authLost  a 401: the session is gone
	 * @param {() => object} ctx.auth  {auth, user} for status()
	 */
	constructor(opts, ctx) {
		this.opts = opts;
		this.user = ctx.user;
		this.auth = ctx.auth;
		this.onAuthLost = ctx.authLost;
		this.paused = false;	// the session is gone: nothing is sent until the user signs in again
		this.events = ctx.events;
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
		const held = () => this.closed || this.paused;
		const slot = ctx.slot, me = this.user && this.user.id;
		this.http = new Http({
			fetch: opts.fetch, base: opts.base, timeout: opts.timeout,
			guard: slot && me ? send => slot.shared(() => (slot.holds(me) ? send() : USER_CHANGED)) : undefined,
			unauthorized: res => this.authLost(res.data && res.data.error && res.data.error.code || 'unauthenticated'),
		});
		this.outbox = new Outbox({
			http: this.http, emit, reached, lost, closed,
			paused: () => this.paused,
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
		const eventsBase = opts.eventsBase ?? opts.base;
		this.stream = new Stream({
			EventSource: opts.eventSource, base: eventsBase, types: opts.types, tables: this.info.tables,
			pollInterval: opts.pollInterval, closed: held, withCredentials: crossOrigin(eventsBase),
			// One branch held: the stream asks for it alone (the server limits it to the user's anyway).
			branch: () => { const b = branchesOf(this.user); return b && b.length === 1 ? b[0] : null; },
			revoked: p => this.authLost((p && p.reason) || 'revoked'),
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
		this.followTypes();
		this.onOnline = () => this.wentOnline();
		this.onOffline = () => this.wentOffline();
		this.ready = this.start();
	}

	// -------------------------------------------------------------- status

	/**
	 * The current state: {online, live, pending, conflicts, refused, stale, lastSeq, persisted, reason (why
	 * offline), auth, authReason (why signed out: logout, expired, …), user (the login), db}.
	 */
	status() {
		return {
			online: this.online, live: this.stream.live, pending: this.outbox.pending, conflicts: this.outbox.conflicts,
			refused: this.outbox.refusedCount, stale: this.stale, lastSeq: this.changes.lastSeq, persisted: this.persisted,
			reason: this.reason, ...this.auth(), db: this.opts.dbName,
		};
	}

	// Only tell listeners when something they show changed (not on every new seq).
	emitStatus() {
		if (this.closed) return;
		const s = this.status();
		const sig = JSON.stringify([s.online, s.live, s.pending, s.conflicts, s.refused, s.stale, s.reason, s.auth, s.authReason, s.user]);
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
		if (this.retryTimer || this.closed || this.paused) return;
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
		// The session is gone: what this device knows, until the user signs in again.
		if (unauthorized(got.res)) return { ok: true, rows: await this.cached(resource, filters), fromCache: true, signInNeeded: true };
		if (!unreachable(got.res)) return { ok: false, ...errorOf(got.res) };
		this.markOffline(got.res);
		return { ok: true, rows: await this.cached(resource, filters), fromCache: true };
	}

	// -------------------------------------------------------------- syncing

	async syncNow() {
		await this.ready;
		if (this.paused || this.closed) return this.status();
		clearTimeout(this.retryTimer);
		this.retryTimer = null;
		await this.outbox.drain();
		await this.changes.catchUp();
		if (this.online && !this.stream.open) this.stream.start();
		return this.status();
	}

	// -------------------------------------------------------------- the session

	// A 401 (or the stream's `revoked`): stop sending and following, keep everything, and let the page
	// ask the user to sign in again.
	authLost(reason) {
		if (this.paused || this.closed) return;
		this.paused = true;
		clearTimeout(this.retryTimer);
		this.retryTimer = null;
		this.stream.shutdown();
		this.onAuthLost(this, reason);
		this.emitStatus();
	}

	// Follow (stream and feed) only the asked-for tables the user may read: the relay refuses a stream
	// asking for one they may never see.
	followTypes() {
		const types = readableTypes(this.opts.types, this.user, t => this.info.resource(t));
		this.stream.types = types;
		this.changes.types = types;
	}

	/** The same user signed in again: send what waits (each write once, under its key) and follow. */
	resume(user) {
		this.user = user;
		this.followTypes();
		this.paused = false;
		this.reason = '';
		this.emitStatus();
		return this.syncNow();
	}

	/** Signing out: forget the cached rows (not the pending or refused writes, which are still theirs). */
	async clearCache() {
		await this.ready;
		this.stream.shutdown();
		await this.changes.applying(async () => {
			await this.store.clearCache();
			this.changes.lastSeq = null;
		});
	}

	wentOnline() {
		if (this.paused) return;
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
		// Writes queued on this device before sign-in existed are this user's to send: never lost.
		if (this.opts.adoptFrom) {
			const adopt = () => this.store.adopt(this.opts.indexedDB, this.opts.adoptFrom);
			const locks = globalThis.navigator && navigator.locks;
			await (locks ? locks.request('fieldsync-adopt:' + this.opts.adoptFrom, adopt) : adopt())
				.catch(err => console.warn('fieldsync: could not take over the writes of', this.opts.adoptFrom, err));
		}
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
			if (this.closed) return;
			for (const c of await outbox.list()) this.events.emit('conflict', c);
			if (this.paused) return;
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
		this.ready.then(() => this.store.close(), () => {});
	}

	// -------------------------------------------------------------- writing (each waits for the database)

	async save(resource, row) { await this.ready; return this.outbox.save(resource, row); }

	async remove(resource, id) { await this.ready; return this.outbox.remove(resource, id); }

	async conflicts() { await this.ready; return this.outbox.list(); }

	async resolveConflict(resource, id, choice) {
		if (choice !== 'mine' && choice !== 'theirs') throw new TypeError("choice must be 'mine' or 'theirs'");
		await this.ready;
		return this.outbox.resolveConflict(resource, id, choice);
	}

	isPending(resource, id) { return this.outbox.has(rowKey(tableOf(resource), id)); }

	async refused() { await this.ready; return this.outbox.refused(); }

	async dismissRefused(seq) {
		await this.ready;
		await this.outbox.dismissRefused(seq);
		this.emitStatus();
	}
}

const NOT_SIGNED_IN = { ok: false, status: 401, code: 'unauthenticated', message: 'Sign in first.', signInNeeded: true };

/**
 * The client a page holds: who is signed in, and that user's Client. Listeners stay when the user
 * changes; the user's client is swapped underneath (another database, another outbox).
 *
 * auth states: 'starting'; 'signed-in'; 'expired' (the session is gone: the user's client is paused
 * with everything kept, the page asks for a sign-in); 'signed-out' (nobody: nothing to show);
 * 'anonymous' (a server without accounts).
 */
class Device {
	constructor(options) {
		this.opts = withDefaults(options);
		this.events = new Emitter();
		this.slot = new DeviceSlot(this.opts.dbName, globalThis.navigator && navigator.locks);
		// Sign-in and the first question (who am I) go without the guard of a user's client.
		this.http = new Http({ fetch: this.opts.fetch, base: this.opts.base, timeout: this.opts.timeout });
		this.info = new SchemaInfo(this.opts.schema);
		this.current = null;	// the user's Client
		this.user = null;
		this.state = 'starting';
		this.reason = '';
		this.closed = false;
		this.unwatch = this.slot.watch(user => this.slotChanged(user));
		this.ready = this.start();
	}

	authOf() {
		return { auth: this.state, authReason: this.reason, user: this.user ? this.user.login : null };
	}

	setState(state, reason = '') {
		this.state = state;
		this.reason = reason;
		this.events.emit('auth', { state, reason, user: this.user });
		this.events.emit('status', this.status());
	}

	// Open a user's client (null: a server without accounts, the database as named).
	open(user) {
		if (this.current) this.current.close();
		this.user = user;
		const dbName = user ? `${this.opts.dbName}:${user.id}` : this.opts.dbName;
		// The database of a page from before sign-in existed (the name itself) hands its writes over.
		this.current = new Client({ ...this.opts, dbName, adoptFrom: user ? this.opts.dbName : null }, {
			events: this.events, user, slot: user ? this.slot : null,
			authLost: (client, reason) => this.authLost(client, reason),
			auth: () => this.authOf(),
		});
		this.events.emit('change', { source: 'user' });
		return this.current.ready;
	}

	// The user last signed in here opens at once (offline too); the server is asked who the cookie is
	// of, and answers for that user only.
	async start() {
		const known = this.slot.get();
		if (known) {
			this.state = 'signed-in';
			await this.open(known);
			this.checkSession(known);
			return;
		}
		await this.checkSession(null);
	}

	async checkSession(known) {
		const res = await this.http.send('GET', '/api/session');
		if (this.closed) return;
		const user = res.status === 200 && res.data && res.data.user;
		if (user && user.id) {
			this.slot.set(user);
			if (known && known.id === user.id && this.current) {
				this.user = user;	// memberships as they are today
				this.current.user = user;
				this.current.followTypes();
				this.setState('signed-in');
			} else {
				await this.open(user);
				this.setState('signed-in');
			}
		} else if (unauthorized(res)) {
			if (this.current) this.current.authLost('unauthenticated');
			else this.setState('signed-out');
		} else if (unreachable(res)) {
			if (!known) this.setState('signed-out', 'no connection');
		} else if (!known) {
			await this.open(null);	// no /api/session here: a server without accounts
			this.setState('anonymous');
		}
	}

	authLost(client, reason) {
		if (client !== this.current || this.closed) return;
		this.setState('expired', reason);
	}

	// Another tab signed someone in or out: the cookie is theirs now.
	slotChanged(user) {
		if (this.closed) return;
		if (!user) {
			if (this.current && this.state !== 'signed-out') this.current.authLost('signed_out');
			return;
		}
		if (this.user && this.user.id === user.id) {
			if (this.state === 'expired') this.current.resume(user).catch(() => {});
			this.setState('signed-in');
			return;
		}
		this.open(user).then(() => this.setState('signed-in'));
	}

	/**
	 * Sign in. The same user again: their paused client goes on (the outbox is sent, each write once).
	 * Another user: the previous user's client is closed with its outbox and cache kept in its own
	 * database, and the new user's opens. Resolves {ok, user} or {ok: false, status, code, message,
	 * retryAfter}. The token in the answer is dropped: the cookie carries the session.
	 */
	async signIn(login, password) {
		await this.ready;
		const res = await this.slot.exclusive(async () => {
			const r = await this.http.send('POST', '/api/session', { body: { login, password } });
			if (r.status === 201 && r.data && r.data.user) this.slot.set(r.data.user);
			return r;
		});
		if (unreachable(res) && res.status !== 429) {
			return { ok: false, status: res.status, code: 'unreachable', message: 'The server cannot be reached: sign in when you are back online.' };
		}
		if (res.status !== 201 || !res.data || !res.data.user) {
			const retry = res.headers && res.headers.get && res.headers.get('Retry-After');
			return { ok: false, ...errorOf(res), retryAfter: retry ? Number(retry) : undefined };
		}
		const user = res.data.user;
		if (this.current && this.user && this.user.id === user.id) {
			this.user = user;
			this.setState('signed-in');
			await this.current.resume(user);
		} else {
			await this.open(user);
			this.setState('signed-in');
		}
		return { ok: true, user, expiresAt: res.data.expires_at };
	}

	/**
	 * Sign out: end the session, forget this user's cached rows and close their client. Pending and
	 * refused writes stay in the user's database (sent, or shown, when they sign in again): ask first,
	 * status().pending says how many. Resolves {ok, pending, offline}.
	 */
	async signOut() {
		await this.ready;
		const pending = this.current ? this.current.status().pending : 0;
		const res = await this.slot.exclusive(async () => {
			const r = await this.http.send('DELETE', '/api/session');
			this.slot.set(null);
			return r;
		});
		if (this.current && this.user) {
			await this.current.clearCache();
			this.current.close();
			this.current = null;
		}
		this.user = null;
		this.setState('signed-out');
		this.events.emit('change', { source: 'user' });
		return { ok: true, pending, offline: unreachable(res) };
	}

	/** The current state; with nobody signed in, nothing pending and nothing live. */
	status() {
		if (this.current) return this.current.status();
		return {
			online: !offlineNow(), live: false, pending: 0, conflicts: 0, refused: 0, stale: true, lastSeq: null,
			persisted: false, reason: '', ...this.authOf(), db: null,
		};
	}

	/** May the signed-in user do `op` on a resource (where: {branch, row}); see rights.js. */
	can(resource, op, where) {
		if (this.state === 'anonymous') return true;
		return allows(this.info.resource(resource), this.user, op, where);
	}

	close() {
		this.closed = true;
		this.unwatch();
		if (this.current) this.current.close();
	}

	/** The public face: the FieldsyncClient methods. */
	api() {
		const ready = this.ready;
		const cur = () => this.current;
		const withClient = (fn, otherwise) => async (...a) => {
			await ready;
			const c = cur();
			return c ? fn(c, ...a) : otherwise;
		};
		return {
			ready,
			load: withClient((c, resource, filters) => c.load(resource, filters), { ...NOT_SIGNED_IN, rows: [] }),
			cached: withClient((c, resource, filters) => c.cached(resource, filters), []),
			save: withClient((c, resource, row) => c.save(resource, row), NOT_SIGNED_IN),
			remove: withClient((c, resource, id) => c.remove(resource, id), NOT_SIGNED_IN),
			syncNow: async () => { await ready; return cur() ? cur().syncNow() : this.status(); },
			on: (type, fn) => this.events.on(type, fn),
			off: (type, fn) => this.events.off(type, fn),
			status: () => this.status(),
			conflicts: withClient(c => c.conflicts(), []),
			resolveConflict: withClient((c, resource, id, choice) => c.resolveConflict(resource, id, choice), NOT_SIGNED_IN),
			isPending: (resource, id) => !!cur() && cur().isPending(resource, id),
			refused: withClient(c => c.refused(), []),
			dismissRefused: withClient((c, seq) => c.dismissRefused(seq), undefined),
			signIn: (login, password) => this.signIn(login, password),
			signOut: () => this.signOut(),
			user: () => this.user,
			can: (resource, op, where) => this.can(resource, op, where),
			branches: () => (this.state === 'anonymous' ? null : branchesOf(this.user)),
			close: () => this.close(),
		};
	}
}
