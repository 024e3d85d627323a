// A tiny in-memory fieldsync API for the unit tests: POST/PUT/DELETE/GET by id under /api/<path>,
// bulk POST of an array (all or nothing, error.index naming the row at fault), versions and 409
// version_conflict, Idempotency-Key replay, and switches to be down or to lose answers.
import { answer } from './helpers.js';

export function fakeServer() {
	const rows = new Map();	// 'clients/<id>' → row
	const keys = new Map();	// Idempotency-Key → stored answer
	const server = {
		rows, keys, down: false, loseNext: 0, refuse: null, applied: [], batches: 0,
		handle(call) {
			if (server.down) throw new TypeError('fetch failed');
			const [, , path] = call.path.split(/[/?]/);
			const table = path.replace(/-/g, '_');
			const key = call.headers['Idempotency-Key'];
			let res;
			if (key && keys.has(key)) res = keys.get(key);
			else {
				res = server.apply(call, table);
				if (key && call.method !== 'GET') keys.set(key, res);
			}
			if (server.loseNext > 0 && call.method !== 'GET') {
				server.loseNext--;
				throw new TypeError('fetch failed: the answer was lost');
			}
			return answer(res.status, res.data);
		},
		apply(call, table) {
			const id = call.query.get('id');
			if (call.method === 'GET') {
				const row = rows.get(`${table}/${id}`);
				return row ? { status: 200, data: row } : { status: 404, data: { error: { code: 'not_found' } } };
			}
			if (call.method === 'POST' && Array.isArray(call.body)) return server.bulk(call, table);
			if (server.refuse && server.refuse(call)) return { status: 422, data: { error: { status: 422, code: 'invalid_field', message: 'refused', field: 'name' } } };
			server.applied.push({ method: call.method, body: call.body, key: call.headers['Idempotency-Key'] });
			if (call.method === 'DELETE') {
				return rows.delete(`${table}/${id}`) ? { status: 204, data: undefined } : { status: 404, data: { error: { code: 'not_found' } } };
			}
			const k = `${table}/${call.body.id}`;
			const have = rows.get(k);
			if (call.method === 'POST') {
				// The same id with the same content is a replay (nothing written); other content is 409.
				if (have) {
					const same = Object.entries(call.body).every(([f, v]) => JSON.stringify(have[f]) === JSON.stringify(v));
					return same ? { status: 201, data: have } : { status: 409, data: { error: { code: 'duplicate_id' } } };
				}
				const row = { ...call.body, version: 1 };
				rows.set(k, row);
				return { status: 201, data: row };
			}
			if (!have) return { status: 404, data: { error: { code: 'not_found' } } };
			if (call.body.version !== have.version) {
				return { status: 409, data: { error: { code: 'version_conflict', message: 'changed by someone else', current: have } } };
			}
			const row = { ...have, ...call.body, version: have.version + 1 };
			rows.set(k, row);
			return { status: 200, data: row };
		},
		// All rows or none: the first row refused (or taken already with other content) names the batch's error.
		bulk(call, table) {
			server.batches++;
			for (const [index, row] of call.body.entries()) {
				if (server.refuse && server.refuse({ ...call, body: row })) {
					return { status: 422, data: { error: { status: 422, code: 'invalid_field', message: 'refused', field: 'name', index } } };
				}
				const have = rows.get(`${table}/${row.id}`);
				if (have && Object.entries(row).some(([f, v]) => JSON.stringify(have[f]) !== JSON.stringify(v))) {
					return { status: 409, data: { error: { status: 409, code: 'duplicate_id', message: 'taken', index } } };
				}
			}
			const out = call.body.map(row => {
				const k = `${table}/${row.id}`;
				if (!rows.has(k)) {
					rows.set(k, { ...row, version: 1 });
					server.applied.push({ method: 'POST', body: row, key: call.headers['Idempotency-Key'], batch: true });
				}
				return rows.get(k);
			});
			return { status: 201, data: out };
		},
	};
	return server;
}
