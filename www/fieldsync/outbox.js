/**
 * outbox.js: writes. Backend first; when the server cannot be reached the write waits in the durable
 * outbox and goes out later, in order, under the Idempotency-Key it got when it was made, so a resend
 * after a lost answer is applied once. A 4xx is final and never queued; a 409 stops that row's queue
 * until the user chooses (keep mine / take theirs). A 401 (the session is gone) is nobody's final
 * word: the outbox keeps the write and pauses until the user signs in again. A write refused on replay
 * (403, 422, …) moves to the refused list with the server's reason, and the rest of the queue goes on.
 * Consecutive creates of one table are drained as one bulk POST (batches.js).
 */
import { batchAt, marked, unmarked } from './batches.js';
import { errorOf, isConflict, succeeded, unauthorized, unreachable } from './http.js';
import { cacheEntry, isQuotaError, tombstone } from './store.js';
import { pathOf, rowKey, tableOf, uuid } from './names.js';

/** The warning a page shows while writes wait in the outbox. */
export const SAVED_LOCALLY_WARNING = 'Saved locally only - not visible to other users';

/** The warning of a write kept because the session is gone. */
export const SIGN_IN_AGAIN_MESSAGE = 'Saved on this device: sign in again to send it';

export const NOT_SAVED_MESSAGE =
	'Not saved: this device has no storage space left for it. Free some space or reconnect, then try again.';

const notSaved = () => ({ ok: false, notSaved: true, message: NOT_SAVED_MESSAGE });

// What this device shows for a row while its write waits: the write applied to what it knew.
function optimistic(w, entry) {
	const now = new Date().toISOString();
	if (w.method === 'DELETE') return null;
	if (w.method === 'POST') return { created_at: now, ...w.body, updated_at: now, version: 1 };
	return { ...((entry && entry.row) || {}), ...w.body, updated_at: now, version: w.body.version + 1 };
}

function newWrite(table, id, method, body, branch) {
	return {
		key: rowKey(table, id), table, id, branch, method, body,
		idempotencyKey: uuid(), at: new Date().toISOString(), state: 'pending',
	};
}

// What a step of the drain answers when the drain must stop (no answer, or a 401).
const STOP = -1;

function writePath(w) {
	const path = `/api/${pathOf(w.table)}`;
	return w.method === 'DELETE' ? `${path}?id=${encodeURIComponent(w.id)}` : path;
}

/** The writes of one client, and what it knows of its outbox. */
export class Outbox {
	/**
	 * @param {object} deps
	 * @param {import('./store.js').Store} deps.store
	 * @param {import('./http.js').Http} deps.http
	 * @param {(type: string, payload: object) => void} deps.emit  'change', 'conflict', 'error'
	 * @param {() => void} [deps.reached]  the server answered
	 * @param {(res: object) => void} [deps.lost]  the server could not be reached (schedules a retry)
	 * @param {() => boolean} [deps.online]  is the server thought reachable (send the outbox at once)?
	 * @param {() => boolean} [deps.closed]  has the client been closed?
	 * @param {() => boolean} [deps.paused]  is sending on hold (the session is gone: sign in again)?
	 * @param {() => void} [deps.counted]  the counts changed
	 * @param {() => void} [deps.announce]  this tab changed the outbox (tell the other tabs)
	 * @param {() => void} [deps.drained]  a drain went through the whole outbox
	 * @param {object} [deps.locks]  Web Locks (navigator.locks): one drain per database across tabs
	 * @param {string} [deps.lockName]
	 */
	constructor(deps) {
		const nothing = () => {};
		this.store = deps.store;
		this.http = deps.http;
		this.emit = deps.emit || nothing;
		this.reached = deps.reached || nothing;
		this.lost = deps.lost || nothing;
		this.online = deps.online || (() => true);
		this.closed = deps.closed || (() => false);
		this.paused = deps.paused || (() => false);
		this.counted = deps.counted || nothing;
		this.announce = deps.announce || nothing;
		this.drained = deps.drained || nothing;
		this.locks = deps.locks;
		this.lockName = deps.lockName || 'fieldsync-outbox';
		this.entries = new Map();	// seq → {key, state}: what the outbox holds, kept in step with it
		this.inflight = new Set();	// rows with a write on the wire: their events are this write's echo
		this.outcomes = new Map();	// idempotency key → what happened when the drain sent it
		this.chain = Promise.resolve();	// writes and drains, one at a time
		this.pending = 0;
		this.conflicts = 0;
		this.sendable = 0;
		this.pendingKeys = new Set();
		this.conflictKeys = new Set();
		this.refusedCount = 0;
	}

	// -------------------------------------------------------------- counts

	/** Is a write for this row (by key) waiting? */
	has(key) {
		return this.pendingKeys.has(key);
	}

	// The pending count, the rows with writes waiting and the conflicts, from this.entries.
	recount() {
		const entries = [...this.entries.values()];
		this.pending = entries.length;
		this.pendingKeys = new Set(entries.map(w => w.key));
		this.conflictKeys = new Set(entries.filter(w => w.state === 'conflict').map(w => w.key));
		this.conflicts = this.conflictKeys.size;
		this.sendable = entries.filter(w => !this.conflictKeys.has(w.key)).length;
		this.counted();
	}

	/** Note outbox writes stored (or changed) by this tab. */
	track(...writes) {
		for (const w of writes) this.entries.set(w.seq, { key: w.key, state: w.state });
		this.recount();
		this.announce();
	}

	/** Note outbox writes removed by this tab. */
	untrack(...writes) {
		for (const w of writes) this.entries.delete(w.seq);
		this.recount();
		this.announce();
	}

	/** Read the outbox again (at start, and when another tab changed it). */
	async refresh() {
		const all = await this.store.readOutbox();
		this.refusedCount = (await this.store.readRefused()).length;
		this.entries = new Map(all.map(w => [w.seq, { key: w.key, state: w.state }]));
		this.recount();
		return all;
	}

	// -------------------------------------------------------------- ordering

	/** Writes run one at a time, in the order they were asked for. */
	serial(fn) {
		const run = this.chain.then(fn);
		this.chain = run.catch(() => {});
		return run;
	}

	/** Across tabs too: one drain at a time per database, where the browser offers Web Locks. */
	exclusive(fn) {
		return this.locks ? this.locks.request(this.lockName, fn) : fn();
	}

	// -------------------------------------------------------------- writing

	/**
	 * Create or update a row. A row without `id` (or with an id this device has never seen and no
	 * `version`) is created, with an id made here; otherwise it is updated, conditional on its `version`.
	 * Resolves:
	 *   {ok: true, row, savedLocally: false}                     saved on the server
	 *   {ok: true, row, savedLocally: true, message, pending}    kept in the outbox, sent when possible
	 *   {ok: false, conflict: true, server, message}             someone changed it first (see 'conflict')
	 *   {ok: false, status, code, message, field}                refused by the server (4xx): not queued
	 *   {ok: false, notSaved: true, message}                     no storage left on this device
	 */
	save(resource, row) {
		const table = tableOf(resource);
		return this.serial(async () => {
			const entry = row.id ? await this.store.get(table, row.id) : null;
			const isNew = !row.id || (row.version == null && !(entry && entry.row));
			const body = { ...row, id: row.id || uuid() };
			delete body.created_at;
			delete body.updated_at;
			if (isNew) {
				delete body.version;
			} else {
				body.version = row.version ?? entry.row.version;
			}
			return this.submit(newWrite(table, body.id, isNew ? 'POST' : 'PUT', body, body.branch), entry);
		});
	}

	/** Delete a row. Results as for save(); deleting a row that is already gone counts as done. */
	remove(resource, id) {
		const table = tableOf(resource);
		return this.serial(async () => {
			const entry = await this.store.get(table, id);
			const version = entry && entry.row ? entry.row.version : undefined;
			const w = newWrite(table, id, 'DELETE', undefined, entry && entry.row && entry.row.branch);
			w.version = version;
			return this.submit(w, entry);
		});
	}

	// A write must wait its turn when earlier writes are still queued: for its own row (order), or for
	// any row (a new appointment may need a client that is still in the outbox).
	mustQueue(w) {
		if (this.pendingKeys.has(w.key) || this.sendable > 0 || this.paused()) return true;
		return !!(globalThis.navigator && navigator.onLine === false);
	}

	async submit(w, entry) {
		if (this.mustQueue(w)) {
			const local = await this.enqueue(w, entry);
			if (!local) return notSaved();
			if (this.online() && !this.paused()) await this.exclusive(() => this.drainNow());
			return this.outcomeOf(w, local);
		}
		const res = await this.sendTracked(w);
		if (succeeded(w.method, res)) {
			this.reached();
			return { ok: true, row: res.data, savedLocally: false };
		}
		if (unreachable(res)) {
			const local = await this.enqueue(w, entry);
			if (!local) return notSaved();
			this.lost(res);
			return this.savedLocally(w, local);
		}
		if (unauthorized(res)) {
			// Not the write's fault: it waits for the user to sign in again (the client pauses).
			const local = await this.enqueue(w, entry);
			if (!local) return notSaved();
			return { ...this.savedLocally(w, local), signInNeeded: true, message: SIGN_IN_AGAIN_MESSAGE };
		}
		this.reached();
		if (isConflict(res)) {
			w.state = 'conflict';
			w.server = res.data.error.current;
			if (!(await this.enqueue(w, entry))) return notSaved();
			this.emit('conflict', this.conflictOf(w));
			return { ok: false, conflict: true, server: w.server, message: res.data.error.message };
		}
		return { ok: false, ...errorOf(res) };
	}

	// Send, and store the confirmed row before the row is released: until then, an event for the row is
	// the echo of this very write (or a change the answer will supersede), and is not applied.
	async sendTracked(w) {
		this.inflight.add(w.key);
		try {
			const res = await this.http.request(w.method, writePath(w), { body: w.body, idempotencyKey: w.idempotencyKey });
			if (succeeded(w.method, res)) await this.confirm(w, res.data);
			return res;
		} finally {
			this.inflight.delete(w.key);
		}
	}

	/**
	 * Put a write in the outbox (with its optimistic row in the cache), making room if storage is full.
	 * Returns the optimistic row ({} for a delete), or null when even the outbox entry could not be stored.
	 */
	async enqueue(w, entry) {
		const local = optimistic(w, entry);
		try {
			w.seq = await this.store.write(['outbox', 'rows'], s => {
				const req = s.outbox.add(w);
				s.rows.put(local
					? { ...cacheEntry(w.table, local, true) }
					: { ...tombstone(w.table, w.id, entry && entry.row && entry.row.version), local: true });
				return req;
			}, 'strict');	// on disk before the caller hears "saved locally"
		} catch (err) {
			if (!isQuotaError(err)) console.error('fieldsync: outbox write failed', err);
			return null;
		}
		this.track(w);
		this.emit('change', { resource: pathOf(w.table), table: w.table, id: w.id, row: local, source: 'local' });
		return local || {};
	}

	// The row the server confirmed goes into the cache, unless later writes for it still wait.
	// Relaxed durability is enough for removing the write from the outbox: should that be lost, the
	// write is sent again under its Idempotency-Key and the server answers it as a replay.
	async confirm(w, row) {
		const gone = w.method === 'DELETE';
		await this.store.write(['outbox', 'rows'], s => {
			if (w.seq != null) s.outbox.delete(w.seq);
			s.outbox.index('key').count(w.key).onsuccess = e => {
				if (e.target.result > 0) return;
				s.rows.put(gone ? tombstone(w.table, w.id, w.version) : cacheEntry(w.table, row));
			};
		}).catch(err => console.warn('fieldsync: could not store a confirmed row', err));
		if (w.seq != null) this.untrack(w);
		this.emit('change', { resource: pathOf(w.table), table: w.table, id: w.id, row: gone ? null : row, source: 'server' });
	}

	// confirm() for the writes of a batch and the rows the server answered with, in one transaction.
	async confirmAll(writes, rows) {
		await this.store.write(['outbox', 'rows'], s => {
			for (const w of writes) s.outbox.delete(w.seq);
			for (const [n, w] of writes.entries()) {
				s.outbox.index('key').count(w.key).onsuccess = e => {
					if (e.target.result === 0) s.rows.put(cacheEntry(w.table, rows[n] || w.body));
				};
			}
		}).catch(err => console.warn('fieldsync: could not store confirmed rows', err));
		this.untrack(...writes);
		for (const [n, w] of writes.entries()) {
			this.emit('change', { resource: pathOf(w.table), table: w.table, id: w.id, row: rows[n] || w.body, source: 'server' });
		}
	}

	savedLocally(w, local) {
		return {
			ok: true, savedLocally: true, row: w.method === 'DELETE' ? null : local, id: w.id,
			pending: this.pending, message: SAVED_LOCALLY_WARNING,
		};
	}

	// After a drain: what became of a write that went through the outbox.
	outcomeOf(w, local) {
		const o = this.outcomes.get(w.idempotencyKey);
		this.outcomes.delete(w.idempotencyKey);
		if (!o) {
			const kept = this.savedLocally(w, local);
			return this.paused() ? { ...kept, signInNeeded: true, message: SIGN_IN_AGAIN_MESSAGE } : kept;
		}
		if (o.ok) return { ok: true, row: o.row, savedLocally: false };
		if (o.conflict) return { ok: false, conflict: true, server: o.server, message: o.message };
		return { ok: false, refused: o.refused, ...o.error };
	}

	// -------------------------------------------------------------- draining

	/** Send the outbox now, one drain at a time (in this tab and across tabs). */
	drain() {
		return this.serial(() => this.exclusive(() => this.drainNow()));
	}

	/**
	 * Send the outbox, oldest write first; consecutive creates of one table go as one bulk POST. A row
	 * whose write hit a conflict waits (its later writes too); a refused write (4xx) moves to the
	 * refused list and is reported as 'refused'; no answer stops the drain until later, and so does a
	 * 401 (until the user signs in again: the write is kept). Runs inside serial() and exclusive().
	 */
	async drainNow() {
		if (this.paused()) return;
		const writes = await this.store.readOutbox();
		const blocked = new Set();
		const limits = { alone: new Set(), blocked, caps: new Map() };
		for (let i = 0; i < writes.length;) {
			if (this.closed() || this.paused()) return;
			const w = writes[i];
			if (w.state === 'conflict' || blocked.has(w.key)) {
				blocked.add(w.key);
				i++;
				continue;
			}
			const batch = batchAt(writes, i, limits);
			const step = batch ? await this.drainBatch(batch, writes, i, limits) : await this.drainOne(w, blocked);
			if (step === STOP) return;
			i += step;
		}
		this.drained();
	}

	// One write of the drain. Resolves how many writes it took (1), or STOP.
	async drainOne(w, blocked) {
		const res = await this.sendTracked(w);
		if (unreachable(res)) {
			this.lost(res);	// which schedules the next try
			return STOP;
		}
		if (unauthorized(res)) return STOP;	// kept; the client pauses and asks for a sign-in
		this.reached();
		if (succeeded(w.method, res)) {
			this.outcomes.set(w.idempotencyKey, { ok: true, row: res.data });
		} else if (isConflict(res)) {
			blocked.add(w.key);
			await this.toConflict(w, res.data.error.current, res.data.error.message);
		} else {
			await this.rejectWrite(w, res);
		}
		return 1;
	}

	/**
	 * A bulk POST of the drain (writes[i …]). Taken: each write is confirmed, and the drain goes on
	 * after them. Refused (nothing of it was written): the batch is undone, the rows before the one at
	 * fault go again as a smaller batch, and that row alone under its own key (its own answer decides:
	 * the refused list, or its first try's stored answer should it have been sent alone before).
	 * Resolves how many writes it took, 0 (try again from i, split), or STOP.
	 */
	async drainBatch(batch, writes, i, limits) {
		if (!batch.stored) {
			const stored = marked(batch);
			await this.store.write(['outbox'], s => { for (const w of stored) s.outbox.put(w); }, 'strict');
			writes.splice(i, stored.length, ...stored);
			batch = { ...batch, writes: stored };
		}
		const res = await this.sendBatch(batch);
		if (unreachable(res)) {
			this.lost(res);
			return STOP;
		}
		if (unauthorized(res)) return STOP;
		this.reached();
		if (succeeded('POST', res)) {
			for (const [n, w] of batch.writes.entries()) this.outcomes.set(w.idempotencyKey, { ok: true, row: res.data[n] });
			return batch.writes.length;
		}
		const fault = errorOf(res).index;
		const loose = unmarked(batch.writes);
		await this.store.write(['outbox'], s => { for (const w of loose) s.outbox.put(w); }, 'strict');
		writes.splice(i, loose.length, ...loose);
		if (Number.isInteger(fault) && fault >= 0 && fault < loose.length) {
			limits.caps.set(loose[0].seq, fault);	// the next batch from i holds the rows before it
			limits.alone.add(loose[fault].seq);
		} else {
			for (const w of loose) limits.alone.add(w.seq);	// no row named: each goes alone
		}
		return 0;
	}

	// Send a batch; the rows it created are stored before they are released (as sendTracked does).
	async sendBatch(batch) {
		const keys = batch.writes.map(w => w.key);
		for (const k of keys) this.inflight.add(k);
		try {
			const first = batch.writes[0];
			const res = await this.http.request('POST', writePath(first), {
				body: batch.writes.map(w => w.body), idempotencyKey: batch.key,
			});
			if (succeeded('POST', res)) {
				if (!Array.isArray(res.data)) res.data = [];
				await this.confirmAll(batch.writes, res.data);
			}
			return res;
		} finally {
			for (const k of keys) this.inflight.delete(k);
		}
	}

	async toConflict(w, server, message) {
		w.state = 'conflict';
		w.server = server;
		await this.store.write(['outbox'], s => { s.outbox.put(w); }, 'strict');
		this.track(w);
		this.outcomes.set(w.idempotencyKey, { conflict: true, server, message });
		this.emit('conflict', this.conflictOf(w));
	}

	// A refused write is final, but never dropped silently: it moves to the refused list with the
	// server's reason (in one transaction), the server's row goes back in the cache, and listeners hear.
	async rejectWrite(w, res) {
		const error = errorOf(res);
		const refused = { ...w, state: 'refused', refusedAt: new Date().toISOString(), error };
		delete refused.server;
		await this.store.write(['outbox', 'refused'], s => {
			s.outbox.delete(w.seq);
			s.refused.put(refused);
		}, 'strict');
		this.refusedCount++;
		this.untrack(w);
		this.outcomes.set(w.idempotencyKey, { error, refused: true });
		await this.refreshRow(w.table, w.id);
		const entry = this.refusedOf(refused);
		this.emit('refused', entry);
		this.emit('error', { ...entry, refused: true });
	}

	// -------------------------------------------------------------- the refused list

	/** A refused write as the page shows it: what, the server's reason, when. */
	refusedOf(r) {
		return {
			seq: r.seq, resource: pathOf(r.table), table: r.table, id: r.id, method: r.method, body: r.body,
			branch: r.branch, at: r.at, refusedAt: r.refusedAt, ...r.error,
		};
	}

	/** The writes the server refused on replay, oldest first, until the user dismisses them. */
	async refused() {
		return (await this.store.readRefused()).map(r => this.refusedOf(r));
	}

	/** The user has seen a refused write: forget it (seq as listed; none: all of them). */
	async dismissRefused(seq) {
		await this.store.transact(['refused'], 'readwrite', s => {
			if (seq == null) s.refused.clear();
			else s.refused.delete(seq);
		});
		this.refusedCount = (await this.store.readRefused()).length;
		this.counted();
		this.announce();
	}

	/**
	 * Fetch one row again and cache it (or forget it when the server has none). Resolves the row, null
	 * when it is gone, undefined when the server could not say.
	 */
	async refreshRow(table, id) {
		const row = await this.http.fetchRow(table, id);
		if (row === undefined) return undefined;
		await this.store.cacheWrite(['rows', 'outbox'], s => {
			s.outbox.index('key').count(rowKey(table, id)).onsuccess = e => {
				if (e.target.result > 0) return;
				if (row) s.rows.put(cacheEntry(table, row));
				else s.rows.delete(rowKey(table, id));
			};
		});
		this.emit('change', { resource: pathOf(table), table, id, row, source: 'server' });
		return row;
	}

	// -------------------------------------------------------------- conflicts

	/** A conflict as passed to 'conflict' listeners. */
	conflictOf(w) {
		return {
			resource: pathOf(w.table), table: w.table, id: w.id, local: { ...w.body }, server: w.server,
			resolve: choice => this.resolveConflict(w.table, w.id, choice),
		};
	}

	/** The conflicts waiting for a choice. */
	async list() {
		return (await this.store.readOutbox()).filter(w => w.state === 'conflict').map(w => this.conflictOf(w));
	}

	/**
	 * Settle a conflict. 'mine': send this device's write again over the server's version (its later
	 * queued writes follow). 'theirs': drop this device's queued writes for the row and take the server's.
	 */
	async resolveConflict(resource, id, choice) {
		if (choice !== 'mine' && choice !== 'theirs') throw new TypeError("choice must be 'mine' or 'theirs'");
		const key = rowKey(tableOf(resource), id);
		return this.serial(async () => {
			const writes = (await this.store.readOutbox()).filter(w => w.key === key);
			const first = writes[0];
			if (!first || first.state !== 'conflict') return { ok: true, resolved: false };
			if (choice === 'theirs') return this.takeTheirs(first, writes);
			await this.keepMine(first, writes);
			await this.exclusive(() => this.drainNow());
			return this.outcomeOf(first, first.body);
		});
	}

	async takeTheirs(first, writes) {
		const server = first.server;
		await this.store.write(['outbox', 'rows'], s => {
			for (const w of writes) s.outbox.delete(w.seq);
			s.rows.put(server ? cacheEntry(first.table, server) : tombstone(first.table, first.id));
		});
		this.untrack(...writes);
		this.emit('change', { resource: pathOf(first.table), table: first.table, id: first.id, row: server, source: 'server' });
		// Changes others made while the choice was open were held back (the row was pending): fetch
		// the row as it is now.
		const now = await this.refreshRow(first.table, first.id);
		return { ok: true, row: now === undefined ? server : now, savedLocally: false };
	}

	// Rebase this device's writes for the row on the server's version. The conflicting write gets a new
	// Idempotency-Key: its body changes, and its old key already holds the 409 answer. The later writes
	// were never sent, so their keys stay.
	async keepMine(first, writes) {
		const shift = first.server.version - first.body.version;
		first.idempotencyKey = uuid();
		first.state = 'pending';
		delete first.server;
		for (const w of writes) if (w.method === 'PUT') w.body = { ...w.body, version: w.body.version + shift };
		await this.store.write(['outbox', 'rows'], s => {
			for (const w of writes) s.outbox.put(w);
			s.rows.get(first.key).onsuccess = e => {
				const entry = e.target.result;
				if (entry && entry.row) s.rows.put({ ...entry, row: { ...entry.row, version: entry.row.version + shift } });
			};
		}, 'strict');
		this.track(...writes);
	}
}
