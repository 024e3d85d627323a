/**
 * changes.js: keeps the cache in step with the server: lists as loaded, the changes the event stream
 * delivers, the change feed (/api/changes) after time away, and a full reload of every list when the
 * feed no longer reaches back (410). Rows with a write waiting in the outbox are never overwritten.
 */
import { query, unauthorized, unreachable } from './http.js';
import { cacheEntry, isNewer, putUnlessPending } from './store.js';
import { pathOf, rowKey } from './names.js';

export const FEED_LIMIT = 500;	// change-feed entries per request

/** The cache's side of the server's changes, and the change-log position it is up to date with. */
export class Changes {
	/**
	 * @param {object} deps
	 * @param {import('./store.js').Store} deps.store
	 * @param {import('./http.js').Http} deps.http
	 * @param {import('./outbox.js').Outbox} deps.outbox  which rows have writes waiting or on the wire
	 * @param {import('./schema-info.js').SchemaInfo} deps.info
	 * @param {(type: string, payload: object) => void} deps.emit  'change', 'reload', data events, '*'
	 * @param {string} [deps.types]  event types followed ('' = all)
	 * @param {string} [deps.branch]  a branch whose rows are always kept
	 * @param {() => void} [deps.reached]  the server answered
	 * @param {(res: object) => void} [deps.lost]  the server could not be reached
	 * @param {(stale: boolean) => void} [deps.stale]  the cache is (not) known to be up to date
	 * @param {() => boolean} [deps.closed]
	 */
	constructor(deps) {
		const nothing = () => {};
		this.store = deps.store;
		this.http = deps.http;
		this.outbox = deps.outbox;
		this.info = deps.info;
		this.emit = deps.emit || nothing;
		this.types = deps.types || '';
		this.branch = deps.branch;
		this.reached = deps.reached || nothing;
		this.lost = deps.lost || nothing;
		this.stale = deps.stale || nothing;
		this.closed = deps.closed || (() => false);
		this.lastSeq = null;
		this.views = new Map();	// the lists loaded: a reload fetches them again
		this.chain = Promise.resolve();	// events, catch-ups and reloads, one at a time
		// What the stream delivers waits here, in order, and changes are applied in batches: one
		// transaction for all that arrived while the previous batch was written, so a busy server never
		// leaves this device behind. A reload ({reload: head}) takes its turn between them.
		this.inbox = [];
	}

	/** Events, catch-ups and reloads are applied one at a time, in order. */
	applying(fn) {
		const run = this.chain.then(fn);
		this.chain = run.catch(err => console.error('fieldsync', err));
		return run;
	}

	async saveSeq(seq) {
		this.lastSeq = seq;
		await this.store.saveSeq(seq);
	}

	/** Remember a list (without its page cursor), so a reload fetches it again. */
	remember(table, filters) {
		const f = { ...(filters || {}) };
		delete f.after;
		this.views.set(table + query(f), { table, filters: f });
	}

	// The branches this device looks at: those of the lists it loaded (and options.branch).
	interest() {
		const branches = new Set(this.branch ? [this.branch] : []);
		for (const v of this.views.values()) if (v.filters.branch) branches.add(String(v.filters.branch));
		return branches;
	}

	/**
	 * Store a list the server returned. Rows of that list the server no longer has are dropped (unless a
	 * write for them waits in the outbox), and a row with a pending write keeps its local value.
	 */
	storeList(table, rows, filters) {
		const seen = new Set(rows.map(r => rowKey(table, r.id)));
		return this.store.cacheWrite(['rows', 'outbox'], s => {
			s.rows.index('table').openCursor(table).onsuccess = e => {
				const c = e.target.result;
				if (!c) return;
				const v = c.value;
				if (!v.local && v.row && !seen.has(v.key) && !this.outbox.has(v.key) && this.info.matches(table, v.row, filters)) c.delete();
				c.continue();
			};
			for (const row of rows) putUnlessPending(s, table, row, true);
		});
	}

	// -------------------------------------------------------------- the stream's deliveries

	/** A change (or {reload: head}) from the stream: applied in turn. */
	receive(item) {
		this.inbox.push(item);
		if (this.inbox.length === 1) this.applying(() => this.flushInbox());
	}

	async flushInbox() {
		const inbox = this.inbox;
		while (inbox.length) {
			if ('reload' in inbox[0]) {
				await this.reloadAll(inbox.shift().reload);
				continue;
			}
			let n = 0;
			while (n < inbox.length && n < FEED_LIMIT && !('reload' in inbox[n])) n++;
			await this.applyChanges(inbox.splice(0, n));
		}
	}

	/**
	 * Apply changes (from the stream or the feed, in seq order) to the cache, in one transaction.
	 * Skips what was seen already (seq), rows with a write in the outbox or on the wire, and echoes
	 * of this device's own writes (version). Rows of branches nobody here looks at are not stored
	 * (unless already cached), but listeners hear of every change.
	 */
	async applyChanges(list) {
		let last = this.lastSeq;
		const fresh = [];
		const byKey = new Map();	// row key → its changes in this batch
		for (const p of list) {
			if (!p || typeof p.seq !== 'number' || (last != null && p.seq <= last)) continue;
			last = p.seq;
			const [table, action] = String(p.type).split(':');
			const key = rowKey(table, p.id);
			if (this.outbox.inflight.has(key)) continue;
			if (!byKey.has(key)) byKey.set(key, []);
			byKey.get(key).push({ p, table, action });
		}
		if (last === this.lastSeq) return;
		const wanted = this.interest();
		await this.store.cacheWrite(['rows', 'outbox', 'meta'], s => {
			s.meta.put({ name: 'lastSeq', value: last });
			for (const [key, changes] of byKey) {
				s.outbox.index('key').count(key).onsuccess = e => {
					if (e.target.result > 0) return;
					s.rows.get(key).onsuccess = e2 => applyRow(s, key, e2.target.result, changes, wanted, fresh);
				};
			}
		});
		this.lastSeq = last;
		fresh.sort((a, b) => a.seq - b.seq);
		for (const p of fresh) {
			const table = p.type.split(':')[0];
			this.emit('change', { resource: pathOf(table), table, id: p.id, row: p.data, source: 'event', event: p });
			this.emit(p.type, p);
			this.emit('*', p);
		}
	}

	// -------------------------------------------------------------- the feed and reloads

	/**
	 * Catch up with the change log from lastSeq, page by page. On 410 (history gone) reload every list
	 * loaded so far. Resolves true when the cache is up to date again.
	 */
	catchUp() {
		return this.applying(async () => {
			for (let round = 0; round < 1000 && !this.closed(); round++) {
				const since = this.lastSeq;
				const q = since == null ? '' : `?since=${since}&limit=${FEED_LIMIT}${this.types ? '&types=' + encodeURIComponent(this.types) : ''}`;
				const res = await this.http.request('GET', '/api/changes' + q);
				if (unreachable(res)) {
					this.lost(res);
					return false;
				}
				if (unauthorized(res)) return false;	// the client pauses until a sign-in
				this.reached();
				if (res.status === 410) return this.reloadAll(res.data && res.data.error && res.data.error.head);
				if (res.status !== 200 || !res.data) return this.reloadAll(null);	// no feed on this server: lists only
				await this.applyChanges(res.data.changes || []);
				if (typeof res.data.next === 'number' && (this.lastSeq == null || res.data.next > this.lastSeq)) await this.saveSeq(res.data.next);
				if (!res.data.more) break;
			}
			this.stale(false);
			return true;
		});
	}

	/**
	 * The change log no longer reaches back far enough (or there is none): fetch every remembered list
	 * again, forget cached rows outside them, and continue from head. Runs inside applying().
	 */
	async reloadAll(head) {
		const lists = [];
		for (const view of this.views.values()) {
			const got = await this.http.fetchAll(view.table, view.filters);
			if (!got.ok) {
				if (unreachable(got.res)) this.lost(got.res);
				return false;
			}
			lists.push({ table: view.table, rows: got.rows });
		}
		const keep = new Set(lists.flatMap(l => l.rows.map(r => rowKey(l.table, r.id))));
		await this.store.cacheWrite(['rows', 'outbox', 'meta'], s => {
			// Without remembered lists there is nothing to tell stale rows by: keep them until a load.
			if (lists.length) s.rows.openCursor().onsuccess = e => {
				const c = e.target.result;
				if (!c) return;
				if (!c.value.local && !keep.has(c.value.key) && !this.outbox.has(c.value.key)) c.delete();
				c.continue();
			};
			for (const l of lists) for (const row of l.rows) putUnlessPending(s, l.table, row, true);
			if (typeof head === 'number') s.meta.put({ name: 'lastSeq', value: head });
		});
		if (typeof head === 'number') this.lastSeq = head;
		this.stale(false);
		this.emit('reload', { head });
		this.emit('change', { source: 'reload' });
		return true;
	}

	/**
	 * The stream refused our position: take the log's head first, then reload the lists (changes made
	 * in between come again as events and are skipped by version), then follow from head.
	 */
	restartFromHead() {
		return this.applying(async () => {
			const res = await this.http.request('GET', '/api/changes');
			if (unauthorized(res)) return;
			const head = res.status === 200 && res.data && typeof res.data.next === 'number' ? res.data.next : null;
			this.lastSeq = null;
			if (await this.reloadAll(head) && head == null) await this.saveSeq(null);
		});
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
