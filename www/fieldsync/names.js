/**
 * names.js: how the library names things: tables, API paths, cache keys, ids.
 */

/** `stock-requests` or `stock_requests` → `stock_requests` (the table and event name). */
export function tableOf(resource) {
	return String(resource).replace(/-/g, '_');
}

/** `stock_requests` or `stock-requests` → `stock-requests` (the path under /api/). */
export function pathOf(resource) {
	return String(resource).replace(/_/g, '-');
}

/** The cache and outbox key of a row: `clients/<id>`. */
export function rowKey(table, id) {
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
