/**
 * stream.js: the live connection: an EventSource on /events that resumes after the client's position,
 * reopens with backoff when it ends, and polls the change feed while it is down. What arrives is handed
 * on; what it means for the cache is changes.js's business. A signed-in stream carries the session
 * cookie (withCredentials to another origin) and asks only for the user's branch when they hold one;
 * the server ends it with `event: revoked` when the session ends.
 */

export const ACTIONS = ['create', 'update', 'delete'];

const CLOSED = 2;	// EventSource.CLOSED: the browser gave up reconnecting by itself

/** One client's event stream. */
export class Stream {
	/**
	 * @param {object} deps
	 * @param {Function|null} deps.EventSource  the constructor; null: no live stream
	 * @param {string} [deps.base='']  prefix of the stream's URL
	 * @param {string} [deps.types='']  event types to follow ('' = all)
	 * @param {() => string|null} [deps.branch]  the one branch to follow (null: all the server allows)
	 * @param {boolean} [deps.withCredentials]  send the cookie to another origin
	 * @param {(p: object) => void} [deps.revoked]  the server ended the stream's session ({reason})
	 * @param {string[]} deps.tables  the resource tables (one listener per `<table>:<action>`)
	 * @param {() => number|null} deps.cursor  the position to resume after
	 * @param {(p: object) => void} deps.deliver  a change, or {reload: head}
	 * @param {(p: object) => void} [deps.ready]  the server's `ready` event (its head)
	 * @param {(seq: number) => void} [deps.resumeAt]  the server dropped us: where it says we were
	 * @param {(error: object) => Promise} deps.refused  the server cannot serve our position: restart
	 * @param {() => Promise} deps.catchUp  read the change feed (before reopening, and when polling)
	 * @param {() => boolean} [deps.canPoll]  is the server thought reachable?
	 * @param {() => void} [deps.changed]  live went on or off
	 * @param {() => void} [deps.reconnected]  opened again after a break
	 * @param {(e: object) => void} [deps.error]  report the server's `event: error`
	 * @param {() => boolean} [deps.closed]
	 * @param {number} [deps.pollInterval=5000]  ms between feed polls while down (0: no polling)
	 */
	constructor(deps) {
		const nothing = () => {};
		this.EventSource = deps.EventSource;
		this.base = deps.base || '';
		this.types = deps.types || '';
		this.branch = deps.branch || (() => null);
		this.withCredentials = !!deps.withCredentials;
		this.revoked = deps.revoked || nothing;
		this.tables = deps.tables;
		this.cursor = deps.cursor;
		this.deliver = deps.deliver;
		this.onReady = deps.ready || nothing;
		this.resumeAt = deps.resumeAt || nothing;
		this.refused = deps.refused;
		this.catchUp = deps.catchUp;
		this.canPoll = deps.canPoll || (() => true);
		this.changed = deps.changed || nothing;
		this.reconnected = deps.reconnected || nothing;
		this.error = deps.error || nothing;
		this.closed = deps.closed || (() => false);
		this.pollInterval = deps.pollInterval ?? 5000;
		this.es = null;
		this.live = false;
		this.attempt = 0;		// reopenings since the stream last opened (the backoff)
		this.hadError = false;		// broken since it last opened: send the outbox when it is back
		this.reopenTimer = null;
		this.pollTimer = null;
	}

	/** /events?types=…&branch=…&since=<cursor>. */
	url() {
		const q = new URLSearchParams();
		if (this.types) q.set('types', this.types);
		const branch = this.branch();
		if (branch) q.set('branch', branch);
		const seq = this.cursor();
		if (seq != null) q.set('since', String(seq));
		const s = q.toString();
		return `${this.base}/events${s ? '?' + s : ''}`;
	}

	/** Is a stream open (or opening)? */
	get open() {
		return !!this.es;
	}

	setLive(v) {
		if (this.live === v) return;
		this.live = v;
		this.changed();
	}

	/** Open the event stream (resuming after the cursor); the browser reconnects it with Last-Event-ID. */
	start() {
		if (!this.EventSource || this.es || this.closed()) return;
		clearTimeout(this.reopenTimer);
		this.reopenTimer = null;
		const source = this.withCredentials ? new this.EventSource(this.url(), { withCredentials: true }) : new this.EventSource(this.url());
		this.es = source;
		source.onopen = () => {
			this.attempt = 0;
			this.stopPolling();
			this.live = true;
			this.changed();
			// Reconnected after a break: what waited in the outbox can go now.
			if (this.hadError) {
				this.hadError = false;
				this.reconnected();
			}
		};
		source.onerror = e => this.onError(source, e);
		const data = fn => e => {
			let p;
			try { p = JSON.parse(e.data); } catch { return; }
			fn(p, e);
		};
		for (const t of this.tables) for (const a of ACTIONS) source.addEventListener(`${t}:${a}`, data(p => this.deliver(p)));
		source.addEventListener('ready', data(p => this.onReady(p)));
		// The session ended (logout, disabled, expired, rights changed): no reopening until a sign-in.
		source.addEventListener('revoked', data(p => {
			this.stop();
			this.stopPolling();
			this.revoked(p);
		}));
		source.addEventListener('reload', data(p => this.deliver({ reload: typeof p.head === 'number' ? p.head : null })));
		source.addEventListener('resume', data(p => {
			// The server dropped us for falling behind: reconnect from where we are.
			this.stop();
			if (typeof p.last_event_id === 'number') this.resumeAt(p.last_event_id);
			this.start();
		}));
	}

	/** Close the stream (it is not reopened by itself). */
	stop() {
		if (this.es) this.es.close();
		this.es = null;
		this.setLive(false);
	}

	// Two kinds of 'error' arrive here: the server's own `event: error` (a cursor it cannot serve; the
	// stream ends) and the browser's connection error (it retries by itself unless it gave up: CLOSED).
	onError(source, e) {
		if (source !== this.es) return;
		if (typeof e.data === 'string') {
			this.stop();
			let error = {};
			try { error = JSON.parse(e.data).error || {}; } catch { /* not JSON: keep the text */ }
			this.error({ source: 'stream', code: error.code || 'stream_error', message: error.message || e.data });
			this.refused(error).then(() => this.reopenLater());
			return;
		}
		this.hadError = true;
		this.setLive(false);
		this.startPolling();
		if (source.readyState === CLOSED) {
			this.es = null;
			this.reopenLater();
		}
	}

	/** The network is gone: nothing is live, even if the browser has not noticed the stream is dead. */
	offline() {
		if (!this.es) return;
		this.stop();
		this.hadError = true;
		this.startPolling();
	}

	// Exponential backoff (1 s, 2 s, … up to a minute), each somewhere in its upper half.
	reopenLater() {
		if (this.reopenTimer || this.closed() || !this.EventSource) return;
		const delay = Math.min(60000, 1000 * 2 ** this.attempt++);
		this.reopenTimer = setTimeout(() => {
			this.reopenTimer = null;
			this.catchUp().then(() => this.start());
		}, delay / 2 + Math.random() * delay / 2);
	}

	/** Without the stream, other users' changes still arrive, by polling the change feed. */
	startPolling() {
		if (this.pollTimer || this.closed() || !this.pollInterval) return;
		this.pollTimer = setInterval(() => {
			if (!this.live && this.canPoll()) this.catchUp();
		}, this.pollInterval);
	}

	stopPolling() {
		clearInterval(this.pollTimer);
		this.pollTimer = null;
	}

	/** Stop everything: the stream, the reopening and the polling. */
	shutdown() {
		this.stop();
		this.stopPolling();
		clearTimeout(this.reopenTimer);
		this.reopenTimer = null;
	}
}
