/**
 * store.js: the IndexedDB database of one client: the row cache, the outbox and the change-log
 * position, and the rule that a full disk costs cached rows (oldest first), never pending writes.
 *
 * Three object stores:
 *   rows    {key: 'clients/<id>', table, id, row, version, local, cachedAt}: the cache. row is null for a
 *           row known to be deleted (a tombstone, so a late event cannot bring it back); local marks an
 *           optimistic row whose write is still in the outbox.
 *   outbox  {seq (auto), key, table, id, method, body, idempotencyKey, at, state, server}: writes not yet
 *           confirmed, in the order they were made; state 'pending' or 'conflict'.
 *   refused {seq, key, table, id, method, body, at, refusedAt, error}: writes the server refused when
 *           the outbox sent them (403, 422, …), with its reason, kept until the user dismisses them.
 *   meta    {name, value}: lastSeq, the position in the change log the cache is up to date with.
 *
 * Each signed-in user has a database of their own (fieldsync.js names it), so one user's outbox and
 * cache are never another's.
 */
import { rowKey } from './names.js';

export const EVICT_BATCH = 50;	// cached rows dropped per round when storage is full

export function isQuotaError(err) {
	return !!err && (err.name === 'QuotaExceededError' || err.name === 'NS_ERROR_DOM_QUOTA_REACHED');
}

/** A cache entry for a row the server (or, local = true, this device) holds. */
export function cacheEntry(table, row, local = false) {
	return { key: rowKey(table, row.id), table, id: row.id, row, version: row.version, local, cachedAt: Date.now() };
}

/** A cache entry for a deleted row. */
export function tombstone(table, id, version) {
	return { key: rowKey(table, id), table, id, row: null, version: version ?? null, local: false, cachedAt: Date.now() };
}

/** Is `row` (from the server) newer than what the cache holds? Equal counts for lists (a refresh). */
export function isNewer(row, entry, orEqual) {
	if (!entry) return true;
	const have = entry.row ? entry.row.version : entry.version;
	if (have == null || row.version == null) return true;
	return orEqual ? row.version >= have : row.version > have;
}

/**
 * Inside a transaction on rows and outbox: store a server row unless a write for it is pending or the
 * cache already holds something newer. Checked in the transaction, so a save cannot slip in between.
 * done(stored) is called when decided.
 */
export function putUnlessPending(s, table, row, orEqual, done) {
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

function openDatabase(idb, name) {
	return new Promise((resolve, reject) => {
		const req = idb.open(name, 2);
		req.onupgradeneeded = e => {
			const db = req.result;
			if (e.oldVersion < 1) {
				const rows = db.createObjectStore('rows', { keyPath: 'key' });
				rows.createIndex('table', 'table');
				rows.createIndex('cachedAt', 'cachedAt');
				const outbox = db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
				outbox.createIndex('key', 'key');
				db.createObjectStore('meta', { keyPath: 'name' });
			}
			if (e.oldVersion < 2) db.createObjectStore('refused', { keyPath: 'seq' });
		};
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(req.error);
		req.onblocked = () => reject(new Error('the local database is held open by an older version of this page'));
	});
}

// An IDBRequest, told apart without the global (an injected IndexedDB brings its own classes).
function isRequest(x) {
	return !!x && typeof x === 'object' && 'readyState' in x && 'result' in x && 'onsuccess' in x;
}

/** One client's IndexedDB database. */
export class Store {
	/**
	 * Open (and create) the database.
	 * @param {object} deps
	 * @param {IDBFactory} deps.indexedDB
	 * @param {string} [deps.dbName='fieldsync']
	 * @param {(key: string) => boolean} [deps.pinned]  rows eviction must spare (a write for them waits)
	 */
	static async open({ indexedDB, dbName = 'fieldsync', pinned }) {
		return new Store(await openDatabase(indexedDB, dbName), { pinned });
	}

	constructor(db, { pinned } = {}) {
		this.db = db;
		this.pinned = pinned || (() => false);
	}

	/**
	 * Run work(stores) in one transaction; resolves when it has committed, with what work returned (an
	 * IDBRequest is replaced by its result). Callbacks inside work may keep filling a returned object.
	 * Durability is 'relaxed' (the cache can always be fetched again) unless asked for 'strict'.
	 */
	transact(names, mode, work, durability = 'relaxed') {
		return new Promise((resolve, reject) => {
			let tx, out;
			try {
				tx = mode === 'readwrite' ? this.db.transaction(names, mode, { durability }) : this.db.transaction(names, mode);
				const stores = {};
				for (const n of names) stores[n] = tx.objectStore(n);
				out = work(stores);
			} catch (err) {
				try { tx && tx.abort(); } catch { /* already finished */ }
				reject(err);
				return;
			}
			tx.oncomplete = () => resolve(isRequest(out) ? out.result : out);
			tx.onabort = () => reject(tx.error || new DOMException('transaction aborted', 'AbortError'));
		});
	}

	/**
	 * Run a storage transaction; when storage is full, drop cached rows (never pending ones) oldest first
	 * and try again, until it fits or nothing is left to drop (then the quota error is thrown).
	 */
	async withRoom(work) {
		for (;;) {
			try {
				return await work();
			} catch (err) {
				if (!isQuotaError(err)) throw err;
				if (!(await this.evict(EVICT_BATCH))) throw err;
			}
		}
	}

	/** Drop up to n cached rows that no pending write needs, least recently stored first. */
	evict(n) {
		return this.transact(['rows'], 'readwrite', s => {
			const out = { count: 0 };
			s.rows.index('cachedAt').openCursor().onsuccess = e => {
				const c = e.target.result;
				if (!c || out.count >= n) return;
				if (!c.value.local && !this.pinned(c.value.key)) {
					c.delete();
					out.count++;
				}
				c.continue();
			};
			return out;
		}).then(out => out.count);
	}

	/** A read-write transaction that makes room when needed (durability as for transact). */
	write(names, work, durability) {
		return this.withRoom(() => this.transact(names, 'readwrite', work, durability));
	}

	/** A cache write; one that still fails after eviction is given up (the cache is only a copy). */
	async cacheWrite(names, work) {
		try {
			return await this.write(names, work);
		} catch (err) {
			console.warn('fieldsync: could not update the local cache', err);
			return null;
		}
	}

	/** The cache entry of a row, or undefined. */
	get(table, id) {
		return this.transact(['rows'], 'readonly', s => s.rows.get(rowKey(table, id)));
	}

	/** Every cache entry of a table (tombstones included). */
	entriesOf(table) {
		return this.transact(['rows'], 'readonly', s => s.rows.index('table').getAll(table));
	}

	/** Every write in the outbox, oldest first. */
	readOutbox() {
		return this.transact(['outbox'], 'readonly', s => s.outbox.getAll());
	}

	/** Every refused write, oldest first. */
	readRefused() {
		return this.transact(['refused'], 'readonly', s => s.refused.getAll());
	}

	/**
	 * Forget the cached rows and the change-log position (signing out), but not what is still this
	 * user's to send or to read: pending writes with their optimistic rows, refused writes.
	 */
	clearCache() {
		return this.transact(['rows', 'outbox', 'meta'], 'readwrite', s => {
			s.meta.delete('lastSeq');
			s.outbox.getAll().onsuccess = e => {
				const keep = new Set(e.target.result.map(w => w.key));
				s.rows.openCursor().onsuccess = e2 => {
					const c = e2.target.result;
					if (!c) return;
					if (!keep.has(c.value.key)) c.delete();
					c.continue();
				};
			};
		}, 'strict');
	}

	/**
	 * Take over the writes waiting in another database of this device (the one a page used before
	 * sign-in existed): its outbox, in order and under the same Idempotency-Keys (a write sent before
	 * is still applied once), their optimistic rows and its refused list. The other database is
	 * deleted afterwards. Resolves the number of writes taken over.
	 */
	async adopt(indexedDB, name) {
		// Where the browser can say, a database that is not there is not made just to look into it.
		if (typeof indexedDB.databases === 'function' && !(await indexedDB.databases()).some(d => d.name === name)) return 0;
		const old = await Store.open({ indexedDB, dbName: name });
		let moved = 0;
		try {
			const writes = await old.readOutbox();
			const refused = await old.readRefused();
			const keys = new Set(writes.map(w => w.key));
			const rows = keys.size ? (await old.transact(['rows'], 'readonly', s => s.rows.getAll())).filter(e => keys.has(e.key)) : [];
			if (writes.length || refused.length) {
				await this.write(['outbox', 'rows', 'refused'], s => {
					for (const { seq, ...w } of writes) s.outbox.add(w);
					for (const e of rows) s.rows.put(e);
					for (const { seq, ...r } of refused) s.refused.add({ ...r, seq: Date.now() * 1000 + seq });
				}, 'strict');
				await old.transact(['outbox', 'refused'], 'readwrite', s => { s.outbox.clear(); s.refused.clear(); }, 'strict');
			}
			moved = writes.length;
		} finally {
			old.close();
		}
		try { indexedDB.deleteDatabase(name); } catch { /* kept, empty */ }
		return moved;
	}

	/** The stored change-log position, or null. */
	async loadSeq() {
		const meta = await this.transact(['meta'], 'readonly', s => s.meta.get('lastSeq'));
		return meta ? meta.value : null;
	}

	/** Store the change-log position (a cache write: may be given up). */
	saveSeq(seq) {
		return this.cacheWrite(['meta'], s => { s.meta.put({ name: 'lastSeq', value: seq }); });
	}

	close() {
		this.db.close();
	}
}
