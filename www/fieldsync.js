/**
 * fieldsync.js: the browser client of the fieldsync API. One plain ES module, no build step.
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
 */

/** The warning a page shows while writes wait in the outbox. */
export const SAVED_LOCALLY_WARNING = 'Saved locally only - not visible to other users';

const NOT_SAVED_MESSAGE =
	'Not saved: this device has no storage space left for it. Free some space or reconnect, then try again.';

/** The eight resource tables (event types are `<table>:<action>`). */
export const TABLES = ['distributors', 'clients', 'appointments', 'stock_requests', 'visits', 'campaigns',
	'finance_cash_requests', 'leave_requests'];

const ACTIONS = ['create', 'update', 'delete'];

// Sort keys of the API's lists ('-' = newest first), so cached lists come out in the server's order.
const SORT = {
	distributors: 'name', clients: 'name', appointments: 'scheduled_at', stock_requests: '-created_at',
	visits: '-visited_at', campaigns: '-starts_on', finance_cash_requests: '-created_at',
	leave_requests: '-start_date',
};

// The fields the server's `search` filter looks in, so offline searches find the same rows.
const SEARCH = {
	distributors: ['name', 'code', 'contact_name', 'region'], clients: ['name', 'email', 'phone'],
	visits: ['agent', 'notes'], campaigns: ['name', 'channel'],
};

// The timestamp whose day the `date` filter matches (the ranged tables are handled in matchesDate).
const DATE_FIELD = {
	appointments: 'scheduled_at', stock_requests: 'created_at', visits: 'visited_at',
	finance_cash_requests: 'created_at',
};

const PAGE_LIMIT = 1000;	// rows per page when loading a list
const MAX_PAGES = 100;		// a safety stop for a Link header that never ends
const FEED_LIMIT = 500;		// change-feed entries per request
const EVICT_BATCH = 50;		// cached rows dropped per round when storage is full

/** `stock-requests` or `stock_requests` → `stock_requests` (the table and event name). */
export function tableOf(resource) {
	return String(resource).replace(/-/g, '_');
}

/** `stock_requests` or `stock-requests` → `stock-requests` (the path under /api/). */
export function pathOf(resource) {
	return String(resource).replace(/_/g, '-');
}

function rowKey(table, id) {
	return `${table}/${id}`;
}

/** A random UUID; crypto.randomUUID only exists on secure origins, getRandomValues everywhere. */
export function uuid() {
	if (globalThis.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
	const b = crypto.getRandomValues(new Uint8Array(16));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	const h = Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ------------------------------------------------------------------ IndexedDB

/*
 * Three stores:
 *   rows    {key: 'clients/<id>', table, id, row, version, local, cachedAt}: the cache. row is null for a
 *           row known to be deleted (a tombstone, so a late event cannot bring it back); local marks an
 *           optimistic row whose write is still in the outbox.
 *   outbox  {seq (auto), key, table, id, method, body, idempotencyKey, at, state, server}: writes not yet
 *           confirmed, in the order they were made; state 'pending' or 'conflict'.
 *   meta    {name, value}: lastSeq, the position in the change log the cache is up to date with.
 */
function openDatabase(idb, name) {
	return new Promise((resolve, reject) => {
		const req = idb.open(name, 1);
		req.onupgradeneeded = () => {
			const db = req.result;
			const rows = db.createObjectStore('rows', { keyPath: 'key' });
			rows.createIndex('table', 'table');
			rows.createIndex('cachedAt', 'cachedAt');
			const outbox = db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
			outbox.createIndex('key', 'key');
			db.createObjectStore('meta', { keyPath: 'name' });
		};
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(req.error);
		req.onblocked = () => reject(new Error('the local database is held open by an older version of this page'));
	});
}

/**
 * Run work(stores) in one transaction; resolves when it has committed, with what work returned (an
 * IDBRequest is replaced by its result). Callbacks inside work may keep filling a returned object.
 * Durability is 'relaxed' (the cache can always be fetched again) unless asked for 'strict'.
 */
function transact(db, names, mode, work, durability = 'relaxed') {
	return new Promise((resolve, reject) => {
		let tx, out;
		try {
			tx = mode === 'readwrite' ? db.transaction(names, mode, { durability }) : db.transaction(names, mode);
			const stores = {};
			for (const n of names) stores[n] = tx.objectStore(n);
			out = work(stores);
		} catch (err) {
			try { tx && tx.abort(); } catch { /* already finished */ }
			reject(err);
			return;
		}
		tx.oncomplete = () => resolve(typeof IDBRequest !== 'undefined' && out instanceof IDBRequest ? out.result : out);
		tx.onabort = () => reject(tx.error || new DOMException('transaction aborted', 'AbortError'));
	});
}

function isQuotaError(err) {
	return !!err && (err.name === 'QuotaExceededError' || err.name === 'NS_ERROR_DOM_QUOTA_REACHED');
}

// ------------------------------------------------------------------ local filtering

function dayOf(value) {
	const t = Date.parse(value);
	return Number.isNaN(t) ? String(value).slice(0, 10) : new Date(t).toISOString().slice(0, 10);
}

// The `date` filter, as the server reads it (days in UTC, the server's default time zone).
function matchesDate(table, row, day) {
	if (table === 'campaigns') return row.starts_on <= day && (!row.ends_on || row.ends_on >= day);
	if (table === 'leave_requests') return row.start_date <= day && row.end_date >= day;
	const field = DATE_FIELD[table];
	return !!field && row[field] != null && dayOf(row[field]) === day;
}

/** Does a cached row pass the API's filters? (limit and after only page, they filter nothing.) */
function matches(table, row, filters) {
	for (const [name, want] of Object.entries(filters || {})) {
		if (want === undefined || want === null || name === 'limit' || name === 'after') continue;
		if (name === 'search') {
			const needle = String(want).toLowerCase();
			if (!(SEARCH[table] || []).some(f => row[f] != null && String(row[f]).toLowerCase().includes(needle))) return false;
		} else if (name === 'date') {
			if (!matchesDate(table, row, String(want))) return false;
		} else if (row[name] == null || String(row[name]) !== String(want)) {
			return false;
		}
	}
	return true;
}

function compareRows(table) {
	const spec = SORT[table] || 'id';
	const desc = spec.startsWith('-');
	const field = desc ? spec.slice(1) : spec;
	return (a, b) => {
		const x = a[field] ?? '', y = b[field] ?? '';
		const c = x < y ? -1 : x > y ? 1 : (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
		return desc && x !== y ? -c : c;
	};
}

// Is `row` (from the server) newer than what the cache holds? Equal counts for lists (a refresh).
function isNewer(row, entry, orEqual) {
	if (!entry) return true;
	const have = entry.row ? entry.row.version : entry.version;
	if (have == null || row.version == null) return true;
	return orEqual ? row.version >= have : row.version > have;
}

function cacheEntry(table, row, local = false) {
	return { key: rowKey(table, row.id), table, id: row.id, row, version: row.version, local, cachedAt: Date.now() };
}

function tombstone(table, id, version) {
	return { key: rowKey(table, id), table, id, row: null, version: version ?? null, local: false, cachedAt: Date.now() };
}

// ------------------------------------------------------------------ the client

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
	const opts = {
		base: '', fetch: globalThis.fetch && globalThis.fetch.bind(globalThis),
		eventSource: globalThis.EventSource, indexedDB: globalThis.indexedDB, dbName: 'fieldsync',
		timeout: 8000, types: '', retryMin: 1000, retryMax: 30000, pollInterval: 5000,
		...options,
	};
	const listeners = new Map();
	const state = {
		online: !(globalThis.navigator && navigator.onLine === false),
		live: false, stale: true, pending: 0, conflicts: 0, sendable: 0, lastSeq: null, persisted: false,
		pendingKeys: new Set(), conflictKeys: new Set(), views: new Map(), attempt: 0,
		outbox: new Map(),	// seq → {key, state}: what the outbox holds, kept in step with it
		inflight: new Set(),	// rows with a write on the wire: their events are this write's echo
		closed: false, reason: '',
	};
	const outcomes = new Map();	// idempotency key → what happened when the drain sent it
	let db = null;
	let writeChain = Promise.resolve();	// writes and drains, one at a time
	let applyChain = Promise.resolve();	// events, catch-ups and reloads, one at a time
	let es = null, streamTimer = null, streamAttempt = 0, streamHadError = false;
	let retryTimer = null, pollTimer = null, lastStatus = '';
	let channel = null;

	// -------------------------------------------------------------- listeners

	/**
	 * Listen to an event: 'status', 'conflict', 'error', 'change', 'reload', a data event type such as
	 * 'clients:create', or '*' for every data event. Returns a function that removes the listener.
	 */
	function on(type, fn) {
		if (!listeners.has(type)) listeners.set(type, new Set());
		listeners.get(type).add(fn);
		return () => off(type, fn);
	}

	/** Remove a listener added with on(). */
	function off(type, fn) {
		const set = listeners.get(type);
		if (set) set.delete(fn);
	}

	// A listener that throws must not stop the client.
	function emit(type, payload) {
		for (const fn of [...(listeners.get(type) || [])]) {
			try { fn(payload); } catch (err) { console.error('fieldsync listener', type, err); }
		}
	}

	/** The current state: {online, live, pending, conflicts, stale, lastSeq, persisted, reason}. */
	function status() {
		return {
			online: state.online, live: state.live, pending: state.pending, conflicts: state.conflicts,
			stale: state.stale, lastSeq: state.lastSeq, persisted: state.persisted, reason: state.reason,
		};
	}

	// Only tell listeners when something they show changed (not on every new seq).
	function emitStatus() {
		const s = status();
		const sig = JSON.stringify([s.online, s.live, s.pending, s.conflicts, s.stale, s.reason]);
		if (sig === lastStatus) return;
		lastStatus = sig;
		emit('status', s);
	}

	function markOnline() {
		state.attempt = 0;
		if (state.online && !state.reason) return;
		state.online = true;
		state.reason = '';
		emitStatus();
	}

	// Lost the server: the cache may fall behind from now on, and a retry is scheduled (it also
	// notices when the server is back, even with nothing to send).
	function markOffline(res) {
		state.online = false;
		state.stale = true;
		state.reason = res && res.status ? `server answered ${res.status}` : (res && res.timedOut ? 'timeout' : 'no connection');
		emitStatus();
		scheduleRetry();
	}

	// -------------------------------------------------------------- HTTP

	/**
	 * One request; never throws. Resolves {status, data, headers}; status 0 when the server could not be
	 * reached (network error, or no answer within the timeout).
	 */
	async function request(method, path, { body, idempotencyKey } = {}) {
		const ctrl = new AbortController();
		const timer = setTimeout(() => ctrl.abort(), opts.timeout);
		const headers = { Accept: 'application/json' };
		if (body !== undefined) headers['Content-Type'] = 'application/json';
		if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
		try {
			const res = await opts.fetch(opts.base + path, {
				method, headers, signal: ctrl.signal, cache: 'no-store',
				body: body === undefined ? undefined : JSON.stringify(body),
			});
			const text = await res.text();
			let data = null;
			try { data = text ? JSON.parse(text) : null; } catch { data = null; }
			return { status: res.status, data, headers: res.headers };
		} catch (err) {
			return { status: 0, data: null, error: err, timedOut: ctrl.signal.aborted };
		} finally {
			clearTimeout(timer);
		}
	}

	// Worth trying again later: no answer, the server's own trouble (5xx), or "slow down" (408, 429).
	function unreachable(res) {
		return res.status === 0 || res.status >= 500 || res.status === 408 || res.status === 429;
	}

	function errorOf(res) {
		const e = (res.data && res.data.error) || {};
		return {
			status: res.status, code: e.code || 'http_' + res.status,
			message: e.message || `the server answered ${res.status}`, field: e.field, index: e.index,
		};
	}

	function query(filters) {
		const q = new URLSearchParams();
		for (const [k, v] of Object.entries(filters || {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
		const s = q.toString();
		return s ? '?' + s : '';
	}

	// The next page from a Link header: </api/clients?…&after=…>; rel="next".
	function nextLink(headers) {
		const link = headers && headers.get('Link');
		const m = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
		return m ? m[1] : null;
	}

	/** Every row of a list, following the Link header. {ok, rows} or {ok: false, res}. */
	async function fetchAll(resource, filters) {
		const f = { limit: PAGE_LIMIT, ...filters };
		let path = `/api/${pathOf(resource)}${query(f)}`;
		const rows = [];
		for (let page = 0; path && page < MAX_PAGES; page++) {
			const res = await request('GET', path);
			if (res.status !== 200 || !Array.isArray(res.data)) return { ok: false, res };
			rows.push(...res.data);
			const next = nextLink(res.headers);
			path = next && next.startsWith('/') ? next : null;
		}
		return { ok: true, rows };
	}

	// -------------------------------------------------------------- storage

	/**
	 * Run a storage transaction; when storage is full, drop cached rows (never pending ones) oldest first
	 * and try again, until it fits or nothing is left to drop (then the quota error is thrown).
	 */
	async function withRoom(work) {
		for (;;) {
			try {
				return await work();
			} catch (err) {
				if (!isQuotaError(err)) throw err;
				if (!(await evict(EVICT_BATCH))) throw err;
			}
		}
	}

	/** Drop up to n cached rows that no pending write needs, least recently stored first. */
	function evict(n) {
		return transact(db, ['rows'], 'readwrite', s => {
			const out = { count: 0 };
			s.rows.index('cachedAt').openCursor().onsuccess = e => {
				const c = e.target.result;
				if (!c || out.count >= n) return;
				if (!c.value.local && !state.pendingKeys.has(c.value.key)) {
					c.delete();
					out.count++;
				}
				c.continue();
			};
			return out;
		}).then(out => out.count);
	}

	// A cache write that still fails after eviction is given up: the cache is only a copy.
	async function cacheWrite(names, work) {
		try {
			return await withRoom(() => transact(db, names, 'readwrite', work));
		} catch (err) {
			console.warn('fieldsync: could not update the local cache', err);
			return null;
		}
	}

	function cacheGet(table, id) {
		return transact(db, ['rows'], 'readonly', s => s.rows.get(rowKey(table, id)));
	}

	async function readOutbox() {
		return transact(db, ['outbox'], 'readonly', s => s.outbox.getAll());
	}

	// The pending count, the rows with writes waiting and the conflicts, from state.outbox.
	function recount() {
		const entries = [...state.outbox.values()];
		state.pending = entries.length;
		state.pendingKeys = new Set(entries.map(w => w.key));
		state.conflictKeys = new Set(entries.filter(w => w.state === 'conflict').map(w => w.key));
		state.conflicts = state.conflictKeys.size;
		state.sendable = entries.filter(w => !state.conflictKeys.has(w.key)).length;
		emitStatus();
	}

	/** Note outbox writes stored (or changed) by this tab. */
	function track(...writes) {
		for (const w of writes) state.outbox.set(w.seq, { key: w.key, state: w.state });
		recount();
		announce();
	}

	/** Note outbox writes removed by this tab. */
	function untrack(...writes) {
		for (const w of writes) state.outbox.delete(w.seq);
		recount();
		announce();
	}

	/** Read the outbox again (at start, and when another tab changed it). */
	async function refreshCounts() {
		const all = await readOutbox();
		state.outbox = new Map(all.map(w => [w.seq, { key: w.key, state: w.state }]));
		recount();
		return all;
	}

	async function saveSeq(seq) {
		state.lastSeq = seq;
		await cacheWrite(['meta'], s => { s.meta.put({ name: 'lastSeq', value: seq }); });
	}

	// Other tabs of this origin share the outbox: tell them it changed.
	function announce() {
		if (channel) channel.postMessage('outbox');
	}

	// -------------------------------------------------------------- reading

	function rememberView(table, filters) {
		const f = { ...(filters || {}) };
		delete f.after;
		state.views.set(table + query(f), { table, filters: f });
	}

	/**
	 * Store a list the server returned. Rows of that list the server no longer has are dropped (unless a
	 * write for them waits in the outbox), and a row with a pending write keeps its local value.
	 */
	function storeList(table, rows, filters) {
		const seen = new Set(rows.map(r => rowKey(table, r.id)));
		return cacheWrite(['rows', 'outbox'], s => {
			s.rows.index('table').openCursor(IDBKeyRange.only(table)).onsuccess = e => {
				const c = e.target.result;
				if (!c) return;
				const v = c.value;
				if (!v.local && v.row && !seen.has(v.key) && !state.pendingKeys.has(v.key) && matches(table, v.row, filters)) c.delete();
				c.continue();
			};
			for (const row of rows) putUnlessPending(s, table, row, true);
		});
	}

	// Inside a transaction on rows and outbox: store a server row unless a write for it is pending or the
	// cache already holds something newer. Checked in the transaction, so a save cannot slip in between.
	function putUnlessPending(s, table, row, orEqual, done) {
		const key = rowKey(table, row.id);
		s.outbox.index('key').count(key).onsuccess = e => {
			if (e.target.result > 0) return done && done(false);
			s.rows.get(key).onsuccess = e2 => {
				const fresh = isNewer(row, e2.target.result, orEqual);
				if (fresh) s.rows.put(cacheEntry(table, row));
				if (done) done(fresh);
			};
		};
	}

	/**
	 * Rows from the local cache only (with this device's pending writes applied), filtered and ordered as
	 * the server would. Never touches the network.
	 * @returns {Promise<object[]>}
	 */
	async function cached(resource, filters = {}) {
		await ready;
		const table = tableOf(resource);
		const entries = await transact(db, ['rows'], 'readonly', s => s.rows.index('table').getAll(table));
		return entries.filter(e => e.row && matches(table, e.row, filters)).map(e => ({ ...e.row })).sort(compareRows(table));
	}

	/**
	 * Load a list: from the server when it answers (and the cache is updated), else from the cache.
	 * The list is remembered, so a reload after a gap in the change log fetches it again.
	 * @param {string} resource  'clients', 'stock-requests', …
	 * @param {object} [filters]  the API's filters, e.g. {branch: 'north', status: 'active'}
	 * @returns {Promise<{ok: boolean, rows?: object[], fromCache?: boolean, message?: string}>}
	 */
	async function load(resource, filters = {}) {
		await ready;
		const table = tableOf(resource);
		rememberView(table, filters);
		const got = await fetchAll(resource, filters);
		if (got.ok) {
			markOnline();
			await storeList(table, got.rows, filters);
			return { ok: true, rows: await cached(resource, filters), fromCache: false };
		}
		if (!unreachable(got.res)) return { ok: false, ...errorOf(got.res) };
		markOffline(got.res);
		return { ok: true, rows: await cached(resource, filters), fromCache: true };
	}

	/** Is a write for this row waiting in the outbox? */
	function isPending(resource, id) {
		return state.pendingKeys.has(rowKey(tableOf(resource), id));
	}

	// -------------------------------------------------------------- writing

	// Writes run one at a time, in the order they were asked for.
	function serial(fn) {
		const run = writeChain.then(fn);
		writeChain = run.catch(() => {});
		return run;
	}

	// Across tabs too: one drain at a time per database, where the browser offers Web Locks.
	function exclusive(fn) {
		const locks = globalThis.navigator && navigator.locks;
		return locks ? locks.request('fieldsync-outbox:' + opts.dbName, fn) : fn();
	}

	function newWrite(table, id, method, body, branch) {
		return {
			key: rowKey(table, id), table, id, branch, method, body,
			idempotencyKey: uuid(), at: new Date().toISOString(), state: 'pending',
		};
	}

	function writePath(w) {
		const path = `/api/${pathOf(w.table)}`;
		return w.method === 'DELETE' ? `${path}?id=${encodeURIComponent(w.id)}` : path;
	}

	function send(w) {
		return request(w.method, writePath(w), { body: w.body, idempotencyKey: w.idempotencyKey });
	}

	// Send, then settle(answer) before the row is released: until then, an event for the row is the
	// echo of this very write (or a change the answer will supersede), and is not applied.
	async function sendTracked(w, settle) {
		state.inflight.add(w.key);
		try {
			const res = await send(w);
			await settle(res);
			return res;
		} finally {
			state.inflight.delete(w.key);
		}
	}

	// What this device shows for a row while its write waits: the write applied to what it knew.
	function optimistic(w, entry) {
		const now = new Date().toISOString();
		if (w.method === 'DELETE') return null;
		if (w.method === 'POST') return { created_at: now, ...w.body, updated_at: now, version: 1 };
		return { ...((entry && entry.row) || {}), ...w.body, updated_at: now, version: w.body.version + 1 };
	}

	/**
	 * Put a write in the outbox (with its optimistic row in the cache), making room if storage is full.
	 * Returns the optimistic row ({} for a delete), or null when even the outbox entry could not be stored.
	 */
	async function enqueue(w, entry) {
		const local = optimistic(w, entry);
		try {
			w.seq = await withRoom(() => transact(db, ['outbox', 'rows'], 'readwrite', s => {
				const req = s.outbox.add(w);
				s.rows.put(local
					? { ...cacheEntry(w.table, local, true) }
					: { ...tombstone(w.table, w.id, entry && entry.row && entry.row.version), local: true });
				return req;
			}, 'strict'));	// on disk before the caller hears "saved locally"
		} catch (err) {
			if (!isQuotaError(err)) console.error('fieldsync: outbox write failed', err);
			return null;
		}
		track(w);
		emit('change', { resource: pathOf(w.table), table: w.table, id: w.id, row: local, source: 'local' });
		return local || {};
	}

	// The row the server confirmed goes into the cache, unless later writes for it still wait.
	// Relaxed durability is enough for removing the write from the outbox: should that be lost, the
	// write is sent again under its Idempotency-Key and the server answers it as a replay.
	async function confirm(w, row) {
		const gone = w.method === 'DELETE';
		await withRoom(() => transact(db, ['outbox', 'rows'], 'readwrite', s => {
			if (w.seq != null) s.outbox.delete(w.seq);
			s.outbox.index('key').count(w.key).onsuccess = e => {
				if (e.target.result > 0) return;
				s.rows.put(gone ? tombstone(w.table, w.id, w.version) : cacheEntry(w.table, row));
			};
		})).catch(err => console.warn('fieldsync: could not store a confirmed row', err));
		if (w.seq != null) untrack(w);
		emit('change', { resource: pathOf(w.table), table: w.table, id: w.id, row: gone ? null : row, source: 'server' });
	}

	const notSaved = () => ({ ok: false, notSaved: true, message: NOT_SAVED_MESSAGE });

	function savedLocally(w, local) {
		return {
			ok: true, savedLocally: true, row: w.method === 'DELETE' ? null : local, id: w.id,
			pending: state.pending, message: SAVED_LOCALLY_WARNING,
		};
	}

	/**
	 * Create or update a row. A row without `id` (or with an id this device has never seen and no
	 * `version`) is created, with an id made here; otherwise it is updated, conditional on its `version`.
	 * Resolves:
	 *   {ok: true, row, savedLocally: false}                     saved on the server
	 *   {ok: true, row, savedLocally: true, message, pending}    kept in the outbox, sent when possible
	 *   {ok: false, conflict: true, server, message}             someone changed it first (see 'conflict')
	 *   {ok: false, status, code, message, field}                refused by the server (4xx): not queued
	 *   {ok: false, notSaved: true, message}                     no storage left on this device
	 * @param {string} resource  'clients', 'appointments', 'stock-requests', …
	 * @param {object} row
	 */
	async function save(resource, row) {
		await ready;
		const table = tableOf(resource);
		return serial(async () => {
			const entry = row.id ? await cacheGet(table, row.id) : null;
			const isNew = !row.id || (row.version == null && !(entry && entry.row));
			const body = { ...row, id: row.id || uuid() };
			delete body.created_at;
			delete body.updated_at;
			if (isNew) {
				delete body.version;
			} else {
				body.version = row.version ?? entry.row.version;
			}
			return submit(newWrite(table, body.id, isNew ? 'POST' : 'PUT', body, body.branch), entry);
		});
	}

	/**
	 * Delete a row. Results as for save(); deleting a row that is already gone counts as done.
	 * @param {string} resource
	 * @param {string} id
	 */
	async function remove(resource, id) {
		await ready;
		const table = tableOf(resource);
		return serial(async () => {
			const entry = await cacheGet(table, id);
			const version = entry && entry.row ? entry.row.version : undefined;
			const w = newWrite(table, id, 'DELETE', undefined, entry && entry.row && entry.row.branch);
			w.version = version;
			return submit(w, entry);
		});
	}

	// A write must wait its turn when earlier writes are still queued: for its own row (order), or for
	// any row (a new appointment may need a client that is still in the outbox).
	function mustQueue(w) {
		if (state.pendingKeys.has(w.key) || state.sendable > 0) return true;
		return !!(globalThis.navigator && navigator.onLine === false);
	}

	async function submit(w, entry) {
		if (mustQueue(w)) {
			const local = await enqueue(w, entry);
			if (!local) return notSaved();
			if (state.online) await exclusive(drainNow);
			return outcomeOf(w, local);
		}
		const res = await sendTracked(w, async r => {
			if (r.status >= 200 && r.status < 300 || (w.method === 'DELETE' && r.status === 404)) await confirm(w, r.data);
		});
		if (res.status >= 200 && res.status < 300 || (w.method === 'DELETE' && res.status === 404)) {
			markOnline();
			return { ok: true, row: res.data, savedLocally: false };
		}
		if (unreachable(res)) {
			const local = await enqueue(w, entry);
			if (!local) return notSaved();
			markOffline(res);
			return savedLocally(w, local);
		}
		markOnline();
		if (isConflict(res)) {
			w.state = 'conflict';
			w.server = res.data.error.current;
			if (!(await enqueue(w, entry))) return notSaved();
			emitConflict(w);
			return { ok: false, conflict: true, server: w.server, message: res.data.error.message };
		}
		return { ok: false, ...errorOf(res) };
	}

	function isConflict(res) {
		return res.status === 409 && res.data && res.data.error && res.data.error.code === 'version_conflict';
	}

	// After a drain: what became of a write that went through the outbox.
	function outcomeOf(w, local) {
		const o = outcomes.get(w.idempotencyKey);
		outcomes.delete(w.idempotencyKey);
		if (!o) return savedLocally(w, local);
		if (o.ok) return { ok: true, row: o.row, savedLocally: false };
		if (o.conflict) return { ok: false, conflict: true, server: o.server, message: o.message };
		return { ok: false, ...o.error };
	}

	// -------------------------------------------------------------- the outbox

	/**
	 * Send the outbox, oldest write first. A row whose write hit a conflict waits (its later writes too);
	 * a refused write (4xx) is dropped and reported as 'error'; no answer stops the drain until later.
	 * Runs inside serial() and exclusive().
	 */
	async function drainNow() {
		const writes = await readOutbox();
		const blocked = new Set();
		for (const w of writes) {
			if (state.closed) return;
			if (w.state === 'conflict' || blocked.has(w.key)) {
				blocked.add(w.key);
				continue;
			}
			const res = await sendTracked(w, async r => {
				if (r.status >= 200 && r.status < 300 || (w.method === 'DELETE' && r.status === 404)) await confirm(w, r.data);
			});
			if (unreachable(res)) {
				markOffline(res);	// which schedules the next try
				return;
			}
			markOnline();
			if (res.status >= 200 && res.status < 300 || (w.method === 'DELETE' && res.status === 404)) {
				outcomes.set(w.idempotencyKey, { ok: true, row: res.data });
			} else if (isConflict(res)) {
				blocked.add(w.key);
				await toConflict(w, res.data.error.current, res.data.error.message);
			} else {
				await rejectWrite(w, res);
			}
		}
		state.attempt = 0;
	}

	async function toConflict(w, server, message) {
		w.state = 'conflict';
		w.server = server;
		await withRoom(() => transact(db, ['outbox'], 'readwrite', s => { s.outbox.put(w); }, 'strict'));
		track(w);
		outcomes.set(w.idempotencyKey, { conflict: true, server, message });
		emitConflict(w);
	}

	// A refused write is final: drop it, put the server's row back in the cache, and say so.
	async function rejectWrite(w, res) {
		await transact(db, ['outbox'], 'readwrite', s => { s.outbox.delete(w.seq); });
		untrack(w);
		const error = errorOf(res);
		outcomes.set(w.idempotencyKey, { error });
		await refreshRow(w.table, w.id);
		emit('error', { resource: pathOf(w.table), table: w.table, id: w.id, method: w.method, body: w.body, ...error });
	}

	/**
	 * Fetch one row again and cache it (or forget it when the server has none). Resolves the row, null
	 * when it is gone, undefined when the server could not say.
	 */
	async function refreshRow(table, id) {
		const res = await request('GET', `/api/${pathOf(table)}?id=${encodeURIComponent(id)}`);
		if (res.status !== 200 && res.status !== 404) return undefined;
		const row = res.status === 200 ? res.data : null;
		await cacheWrite(['rows', 'outbox'], s => {
			s.outbox.index('key').count(rowKey(table, id)).onsuccess = e => {
				if (e.target.result > 0) return;
				if (row) s.rows.put(cacheEntry(table, row));
				else s.rows.delete(rowKey(table, id));
			};
		});
		emit('change', { resource: pathOf(table), table, id, row, source: 'server' });
		return row;
	}

	/**
	 * Send the outbox now and catch up with the server's changes. Resolves the status afterwards.
	 * @returns {Promise<object>}
	 */
	async function syncNow() {
		await ready;
		clearTimeout(retryTimer);
		retryTimer = null;
		await serial(() => exclusive(drainNow));
		await catchUp();
		if (state.online && !es) openStream();
		return status();
	}

	// Exponential backoff with jitter: 1 s, 2 s, 4 s … up to retryMax, each somewhere in its upper half.
	function scheduleRetry() {
		if (retryTimer || state.closed) return;
		const delay = Math.min(opts.retryMax, opts.retryMin * 2 ** state.attempt);
		state.attempt = Math.min(state.attempt + 1, 20);
		retryTimer = setTimeout(() => {
			retryTimer = null;
			if (!state.online || state.sendable > 0) syncNow().catch(err => emit('error', { message: String(err) }));
		}, delay / 2 + Math.random() * delay / 2);
	}

	// -------------------------------------------------------------- conflicts

	function conflictOf(w) {
		return {
			resource: pathOf(w.table), table: w.table, id: w.id, local: { ...w.body }, server: w.server,
			resolve: choice => resolveConflict(w.table, w.id, choice),
		};
	}

	function emitConflict(w) {
		emit('conflict', conflictOf(w));
	}

	/** The conflicts waiting for a choice, as passed to 'conflict' listeners. */
	async function conflicts() {
		await ready;
		return (await readOutbox()).filter(w => w.state === 'conflict').map(conflictOf);
	}

	/**
	 * Settle a conflict. 'mine': send this device's write again over the server's version (its later
	 * queued writes follow). 'theirs': drop this device's queued writes for the row and take the server's.
	 * @param {string} resource
	 * @param {string} id
	 * @param {'mine'|'theirs'} choice
	 */
	async function resolveConflict(resource, id, choice) {
		if (choice !== 'mine' && choice !== 'theirs') throw new TypeError("choice must be 'mine' or 'theirs'");
		await ready;
		const table = tableOf(resource);
		const key = rowKey(table, id);
		return serial(async () => {
			const writes = (await readOutbox()).filter(w => w.key === key);
			const first = writes[0];
			if (!first || first.state !== 'conflict') return { ok: true, resolved: false };
			if (choice === 'theirs') return takeTheirs(first, writes);
			await keepMine(first, writes);
			await exclusive(drainNow);
			return outcomeOf(first, first.body);
		});
	}

	async function takeTheirs(first, writes) {
		const server = first.server;
		await withRoom(() => transact(db, ['outbox', 'rows'], 'readwrite', s => {
			for (const w of writes) s.outbox.delete(w.seq);
			s.rows.put(server ? cacheEntry(first.table, server) : tombstone(first.table, first.id));
		}));
		untrack(...writes);
		emit('change', { resource: pathOf(first.table), table: first.table, id: first.id, row: server, source: 'server' });
		// Changes others made while the choice was open were held back (the row was pending): fetch
		// the row as it is now.
		const now = await refreshRow(first.table, first.id);
		return { ok: true, row: now === undefined ? server : now, savedLocally: false };
	}

	// Rebase this device's writes for the row on the server's version. The conflicting write gets a new
	// Idempotency-Key: its body changes, and its old key already holds the 409 answer. The later writes
	// were never sent, so their keys stay.
	async function keepMine(first, writes) {
		const shift = first.server.version - first.body.version;
		first.idempotencyKey = uuid();
		first.state = 'pending';
		delete first.server;
		for (const w of writes) if (w.method === 'PUT') w.body = { ...w.body, version: w.body.version + shift };
		await withRoom(() => transact(db, ['outbox', 'rows'], 'readwrite', s => {
			for (const w of writes) s.outbox.put(w);
			s.rows.get(first.key).onsuccess = e => {
				const entry = e.target.result;
				if (entry && entry.row) s.rows.put({ ...entry, row: { ...entry.row, version: entry.row.version + shift } });
			};
		}, 'strict'));
		track(...writes);
	}

	// -------------------------------------------------------------- events and the change feed

	// Events, catch-ups and reloads are applied one at a time, in order.
	function applying(fn) {
		const run = applyChain.then(fn);
		applyChain = run.catch(err => console.error('fieldsync', err));
		return run;
	}

	// The branches this device looks at: those of the lists it loaded (and options.branch).
	function interest() {
		const branches = new Set(opts.branch ? [opts.branch] : []);
		for (const v of state.views.values()) if (v.filters.branch) branches.add(String(v.filters.branch));
		return branches;
	}

	// What the stream delivers waits here, in order, and changes are applied in batches: one
	// transaction for all that arrived while the previous batch was written, so a busy server never
	// leaves this device behind. A reload ({reload: head}) takes its turn between them.
	const inbox = [];

	function receive(item) {
		inbox.push(item);
		if (inbox.length === 1) applying(flushInbox);
	}

	async function flushInbox() {
		while (inbox.length) {
			if ('reload' in inbox[0]) {
				await reloadAll(inbox.shift().reload);
				continue;
			}
			let n = 0;
			while (n < inbox.length && n < FEED_LIMIT && !('reload' in inbox[n])) n++;
			await applyChanges(inbox.splice(0, n));
		}
	}

	/**
	 * Apply changes (from the stream or the feed, in seq order) to the cache, in one transaction.
	 * Skips what was seen already (seq), rows with a write in the outbox or on the wire, and echoes
	 * of this device's own writes (version). Rows of branches nobody here looks at are not stored
	 * (unless already cached), but listeners hear of every change.
	 */
	async function applyChanges(list) {
		let last = state.lastSeq;
		const fresh = [];
		const byKey = new Map();	// row key → its changes in this batch
		for (const p of list) {
			if (!p || typeof p.seq !== 'number' || (last != null && p.seq <= last)) continue;
			last = p.seq;
			const [table, action] = String(p.type).split(':');
			const key = rowKey(table, p.id);
			if (state.inflight.has(key)) continue;
			if (!byKey.has(key)) byKey.set(key, []);
			byKey.get(key).push({ p, table, action });
		}
		if (last === state.lastSeq) return;
		const wanted = interest();
		await cacheWrite(['rows', 'outbox', 'meta'], s => {
			s.meta.put({ name: 'lastSeq', value: last });
			for (const [key, changes] of byKey) {
				s.outbox.index('key').count(key).onsuccess = e => {
					if (e.target.result > 0) return;
					s.rows.get(key).onsuccess = e2 => applyRow(s, key, e2.target.result, changes, wanted, fresh);
				};
			}
		});
		state.lastSeq = last;
		fresh.sort((a, b) => a.seq - b.seq);
		for (const p of fresh) {
			const table = p.type.split(':')[0];
			emit('change', { resource: pathOf(table), table, id: p.id, row: p.data, source: 'event', event: p });
			emit(p.type, p);
			emit('*', p);
		}
	}

	// One row's changes of a batch against its cache entry: each new one is news; the last decides
	// what the cache keeps.
	function applyRow(s, key, entry, changes, wanted, fresh) {
		let have = entry;
		for (const { p, table, action } of changes) {
			if (action === 'delete') {
				if (!have || have.row) fresh.push(p);	// a tombstone: our own delete coming back
				have = null;
			} else if (p.data && isNewer(p.data, have, false)) {
				fresh.push(p);
				have = cacheEntry(table, p.data);
			}
		}
		const keep = entry || wanted.size === 0 || (have && have.row && wanted.has(String(have.row.branch)));
		if (!have) {
			if (entry) s.rows.delete(key);
		} else if (have !== entry && keep) {
			s.rows.put(have);
		}
	}

	/**
	 * Catch up with the change log from lastSeq, page by page. On 410 (history gone) reload every list
	 * loaded so far. Resolves true when the cache is up to date again.
	 */
	function catchUp() {
		return applying(async () => {
			for (let round = 0; round < 1000 && !state.closed; round++) {
				const since = state.lastSeq;
				const q = since == null ? '' : `?since=${since}&limit=${FEED_LIMIT}${opts.types ? '&types=' + encodeURIComponent(opts.types) : ''}`;
				const res = await request('GET', '/api/changes' + q);
				if (unreachable(res)) {
					markOffline(res);
					return false;
				}
				markOnline();
				if (res.status === 410) return reloadAll(res.data && res.data.error && res.data.error.head);
				if (res.status !== 200 || !res.data) return reloadAll(null);	// no feed on this server: lists only
				await applyChanges(res.data.changes || []);
				if (typeof res.data.next === 'number' && (state.lastSeq == null || res.data.next > state.lastSeq)) await saveSeq(res.data.next);
				if (!res.data.more) break;
			}
			setStale(false);
			return true;
		});
	}

	function setStale(v) {
		state.stale = v;
		emitStatus();
	}

	/**
	 * The change log no longer reaches back far enough (or there is none): fetch every remembered list
	 * again, forget cached rows outside them, and continue from head. Runs inside applying().
	 */
	async function reloadAll(head) {
		const lists = [];
		for (const view of state.views.values()) {
			const got = await fetchAll(view.table, view.filters);
			if (!got.ok) {
				if (unreachable(got.res)) markOffline(got.res);
				return false;
			}
			lists.push({ table: view.table, rows: got.rows });
		}
		const keep = new Set(lists.flatMap(l => l.rows.map(r => rowKey(l.table, r.id))));
		await cacheWrite(['rows', 'outbox', 'meta'], s => {
			// Without remembered lists there is nothing to tell stale rows by: keep them until a load.
			if (lists.length) s.rows.openCursor().onsuccess = e => {
				const c = e.target.result;
				if (!c) return;
				if (!c.value.local && !keep.has(c.value.key) && !state.pendingKeys.has(c.value.key)) c.delete();
				c.continue();
			};
			for (const l of lists) for (const row of l.rows) putUnlessPending(s, l.table, row, true);
			if (typeof head === 'number') s.meta.put({ name: 'lastSeq', value: head });
		});
		if (typeof head === 'number') state.lastSeq = head;
		setStale(false);
		emit('reload', { head });
		emit('change', { source: 'reload' });
		return true;
	}

	function streamUrl() {
		const q = new URLSearchParams();
		if (opts.types) q.set('types', opts.types);
		if (state.lastSeq != null) q.set('since', String(state.lastSeq));
		const s = q.toString();
		return `${opts.base}/events${s ? '?' + s : ''}`;
	}

	/** Open the event stream (resuming after lastSeq); the browser reconnects it with Last-Event-ID. */
	function openStream() {
		if (!opts.eventSource || es || state.closed) return;
		clearTimeout(streamTimer);
		streamTimer = null;
		const source = new opts.eventSource(streamUrl());
		es = source;
		source.onopen = () => {
			state.live = true;
			streamAttempt = 0;
			stopPolling();
			emitStatus();
			// Reconnected after a break: what waited in the outbox can go now.
			if (streamHadError) {
				streamHadError = false;
				syncNow().catch(() => {});
			}
		};
		source.onerror = e => onStreamError(source, e);
		const data = fn => e => {
			let p;
			try { p = JSON.parse(e.data); } catch { return; }
			fn(p, e);
		};
		for (const t of TABLES) for (const a of ACTIONS) source.addEventListener(`${t}:${a}`, data(receive));
		source.addEventListener('ready', data(p => applying(async () => {
			if (state.lastSeq == null && typeof p.seq === 'number') await saveSeq(p.seq);
		})));
		source.addEventListener('reload', data(p => receive({ reload: typeof p.head === 'number' ? p.head : null })));
		source.addEventListener('resume', data(p => {
			// The server dropped us for falling behind: reconnect from where we are.
			closeStream();
			if (state.lastSeq == null && typeof p.last_event_id === 'number') state.lastSeq = p.last_event_id;
			openStream();
		}));
	}

	function closeStream() {
		if (es) es.close();
		es = null;
		if (state.live) {
			state.live = false;
			emitStatus();
		}
	}

	// Two kinds of 'error' arrive here: the server's own `event: error` (a cursor it cannot serve; the
	// stream ends) and the browser's connection error (it retries by itself unless it gave up: CLOSED).
	function onStreamError(source, e) {
		if (source !== es) return;
		if (typeof e.data === 'string') {
			closeStream();
			let error = {};
			try { error = JSON.parse(e.data).error || {}; } catch { /* not JSON: keep the text */ }
			emit('error', { source: 'stream', code: error.code || 'stream_error', message: error.message || e.data });
			restartFromHead().then(() => reopenLater());
			return;
		}
		streamHadError = true;
		if (state.live) {
			state.live = false;
			emitStatus();
		}
		startPolling();
		if (source.readyState === 2) {
			es = null;
			reopenLater();
		}
	}

	// The stream refused our position: take the log's head first, then reload the lists (changes made
	// in between come again as events and are skipped by version), then follow from head.
	function restartFromHead() {
		return applying(async () => {
			const res = await request('GET', '/api/changes');
			const head = res.status === 200 && res.data && typeof res.data.next === 'number' ? res.data.next : null;
			state.lastSeq = null;
			if (await reloadAll(head) && head == null) await saveSeq(null);
		});
	}

	function reopenLater() {
		if (streamTimer || state.closed || !opts.eventSource) return;
		const delay = Math.min(60000, 1000 * 2 ** streamAttempt++);
		streamTimer = setTimeout(() => {
			streamTimer = null;
			catchUp().then(() => openStream());
		}, delay / 2 + Math.random() * delay / 2);
	}

	// Without the stream, other users' changes still arrive, by polling the change feed.
	function startPolling() {
		if (pollTimer || state.closed || !opts.pollInterval) return;
		pollTimer = setInterval(() => {
			if (!state.live && state.online) catchUp();
		}, opts.pollInterval);
	}

	function stopPolling() {
		clearInterval(pollTimer);
		pollTimer = null;
	}

	// -------------------------------------------------------------- start and stop

	function onOnline() {
		state.online = true;
		state.reason = '';
		emitStatus();
		syncNow().catch(() => {});
	}

	// Without a network nothing is live, even if the browser has not noticed the stream is dead yet.
	function onOffline() {
		markOffline(null);
		if (es) {
			closeStream();
			streamHadError = true;
			startPolling();
		}
	}

	async function start() {
		db = await openDatabase(opts.indexedDB, opts.dbName);
		const meta = await transact(db, ['meta'], 'readonly', s => s.meta.get('lastSeq'));
		state.lastSeq = meta ? meta.value : null;
		await refreshCounts();
		if (globalThis.navigator && navigator.storage && navigator.storage.persist) {
			navigator.storage.persist().then(p => { state.persisted = p; }, () => {});
		}
		if (typeof BroadcastChannel === 'function') {
			channel = new BroadcastChannel('fieldsync:' + opts.dbName);
			channel.onmessage = () => refreshCounts().then(() => emit('change', { source: 'other-tab' }));
		}
		if (typeof addEventListener === 'function') {
			addEventListener('online', onOnline);
			addEventListener('offline', onOffline);
		}
		// After the caller had a chance to listen: conflicts left from before a reload, then sync.
		setTimeout(async () => {
			for (const c of await conflicts()) emit('conflict', c);
			if (!(globalThis.navigator && navigator.onLine === false)) {
				await catchUp();
				openStream();
				if (state.sendable > 0) syncNow().catch(() => {});
			} else {
				startPolling();
			}
		}, 0);
	}

	/** Stop the stream and timers and close the database. */
	function close() {
		state.closed = true;
		closeStream();
		stopPolling();
		clearTimeout(retryTimer);
		clearTimeout(streamTimer);
		if (typeof removeEventListener === 'function') {
			removeEventListener('online', onOnline);
			removeEventListener('offline', onOffline);
		}
		if (channel) channel.close();
		if (db) db.close();
	}

	const ready = start();

	return {
		ready, load, cached, save, remove, syncNow, on, off, status, conflicts, resolveConflict,
		isPending, close,
	};
}
