/**
 * http.js: requests to the fieldsync API, and how to read their answers. A request never throws:
 * status 0 means the server could not be reached (network error, or no answer within the timeout).
 */
import { pathOf } from './names.js';

export const PAGE_LIMIT = 1000;	// rows per page when loading a list
export const MAX_PAGES = 100;		// a safety stop for a Link header that never ends

/** Worth trying again later: no answer, the server's own trouble (5xx), or "slow down" (408, 429). */
export function unreachable(res) {
	return res.status === 0 || res.status >= 500 || res.status === 408 || res.status === 429;
}

/** A write the server took; deleting a row that is already gone counts as done. */
export function succeeded(method, res) {
	return res.status >= 200 && res.status < 300 || (method === 'DELETE' && res.status === 404);
}

/** The session is gone (expired, revoked, another user signed in here): sign in again, nothing is lost. */
export function unauthorized(res) {
	return res.status === 401;
}

/** A 409 that carries the server's current row (someone changed it first). */
export function isConflict(res) {
	return res.status === 409 && res.data && res.data.error && res.data.error.code === 'version_conflict';
}

/** The API's error body as {status, code, message, field, index}. */
export function errorOf(res) {
	const e = (res.data && res.data.error) || {};
	return {
		status: res.status, code: e.code || 'http_' + res.status,
		message: e.message || `the server answered ${res.status}`, field: e.field, index: e.index,
	};
}

/** A request a cross-site form cannot make: the server's CSRF rule for changes made with the cookie. */
export const CSRF_HEADER = ['X-Requested-With', 'fieldsync'];

/** Is `base` (a URL prefix) of another origin than this page? Then credentials must be asked for. */
export function crossOrigin(base) {
	if (!base || !globalThis.location || !location.origin) return false;
	try {
		return new URL(base, location.href).origin !== location.origin;
	} catch {
		return false;
	}
}

/** Filters as a query string ('' when none); empty values are left out. */
export function query(filters) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(filters || {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
	const s = q.toString();
	return s ? '?' + s : '';
}

/** The next page from a Link header: </api/clients?…&after=…>; rel="next". */
export function nextLink(headers) {
	const link = headers && headers.get('Link');
	const m = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
	return m ? m[1] : null;
}

/** The API over one fetch implementation. */
export class Http {
	/**
	 * @param {object} deps
	 * @param {Function} deps.fetch  fetch implementation
	 * @param {string} [deps.base='']  prefix of the API's URLs
	 * @param {number} [deps.timeout=8000]  ms before a request counts as failed
	 * @param {(send: Function) => Promise} [deps.guard]  runs each request: it may refuse to send it
	 *   (another user signed in on this device) by resolving an answer of its own instead of send()'s
	 * @param {(res: object) => void} [deps.unauthorized]  told of every 401 (the session is gone)
	 */
	constructor({ fetch, base = '', timeout = 8000, guard, unauthorized: onUnauthorized }) {
		this.fetch = fetch;
		this.base = base;
		this.timeout = timeout;
		this.guard = guard || (send => send());
		this.onUnauthorized = onUnauthorized || (() => {});
		// The session cookie goes along; to another origin only when asked for ('include').
		this.credentials = crossOrigin(base) ? 'include' : 'same-origin';
	}

	/** One request; never throws. Resolves {status, data, headers} (status 0: unreachable, timedOut). */
	async request(method, path, opts = {}) {
		const res = await this.guard(() => this.send(method, path, opts));
		if (unauthorized(res)) this.onUnauthorized(res);
		return res;
	}

	/** One request as it is, without the guard: used by sign-in itself. */
	async send(method, path, { body, idempotencyKey } = {}) {
		const ctrl = new AbortController();
		const timer = setTimeout(() => ctrl.abort(), this.timeout);
		const headers = { Accept: 'application/json' };
		if (body !== undefined) headers['Content-Type'] = 'application/json';
		if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
		if (method !== 'GET' && method !== 'HEAD') headers[CSRF_HEADER[0]] = CSRF_HEADER[1];
		try {
			const res = await this.fetch(this.base + path, {
				method, headers, signal: ctrl.signal, cache: 'no-store', credentials: this.credentials,
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

	/** Every row of a list, following the Link header. {ok, rows} or {ok: false, res}. */
	async fetchAll(resource, filters) {
		const f = { limit: PAGE_LIMIT, ...filters };
		let path = `/api/${pathOf(resource)}${query(f)}`;
		const rows = [];
		for (let page = 0; path && page < MAX_PAGES; page++) {
			const res = await this.request('GET', path);
			if (res.status !== 200 || !Array.isArray(res.data)) return { ok: false, res };
			rows.push(...res.data);
			const next = nextLink(res.headers);
			path = next && next.startsWith('/') ? next : null;
		}
		return { ok: true, rows };
	}

	/** One row: the row, null when the server has none, undefined when it could not say. */
	async fetchRow(table, id) {
		const res = await this.request('GET', `/api/${pathOf(table)}?id=${encodeURIComponent(id)}`);
		if (res.status !== 200 && res.status !== 404) return undefined;
		return res.status === 200 ? res.data : null;
	}
}
