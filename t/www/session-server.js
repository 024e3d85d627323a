// The in-memory API of fake-server.js behind sign-in: POST/GET/DELETE /api/session, one cookie jar
// (the browser's: one session for every client of the device), 401 without a valid session, 403 for
// writes a rule refuses, and a record of who sent each write (each row of a bulk POST).
import { answer } from './helpers.js';
import { fakeServer } from './fake-server.js';

export const PASSWORD = 'correct horse battery';

export function sessionServer(users) {
	const api = fakeServer();
	const server = {
		api, users, cookie: null, sessions: new Map(), seq: 0, down: false,
		forbid: null,	// (call, user) => true: 403 forbidden
		sent: [],	// every write that reached the API: {user, method, body, key, batch}
		revokeAll() { server.sessions.clear(); },
		handle(call) {
			if (server.down) throw new TypeError('fetch failed');
			if (call.path.startsWith('/api/session')) return server.session(call);
			const user = server.sessions.get(server.cookie);
			if (!user) return answer(401, { error: { status: 401, code: 'unauthenticated', message: 'sign in first' } });
			if (call.path.startsWith('/api/changes')) return answer(200, { changes: [], next: 1, more: false });
			if (call.method === 'GET' && !call.query.get('id')) {
				return answer(200, [...api.rows.values()].filter(r => !r.branch || user.memberships.some(m => m.branch === r.branch)));
			}
			if (call.method !== 'GET') {
				const rows = Array.isArray(call.body) ? call.body : [call.body];
				for (const body of rows) {
					server.sent.push({ user: user.login, method: call.method, body, key: call.headers['Idempotency-Key'], csrf: call.headers['X-Requested-With'], batch: Array.isArray(call.body) });
				}
				const index = server.forbid ? rows.findIndex(body => server.forbid({ ...call, body }, user)) : -1;
				if (index >= 0) {
					const error = { status: 403, code: 'forbidden', message: `${user.login} may not do that` };
					return answer(403, { error: Array.isArray(call.body) ? { ...error, index } : error });
				}
			}
			return api.handle(call);
		},
		session(call) {
			if (call.method === 'POST') {
				const u = users.find(x => x.login === call.body.login);
				if (!u || call.body.password !== PASSWORD) return answer(401, { error: { status: 401, code: 'invalid_credentials', message: 'wrong login or password' } });
				const token = `t${++server.seq}`;
				server.sessions.set(token, u);
				server.cookie = token;
				return answer(201, { token, user: u, expires_at: '2030-01-01T00:00:00Z' });
			}
			const user = server.sessions.get(server.cookie);
			if (!user) return answer(401, { error: { status: 401, code: 'unauthenticated', message: 'sign in first' } });
			if (call.method === 'DELETE') {
				server.sessions.delete(server.cookie);
				server.cookie = null;
				return answer(204);
			}
			return answer(200, { user, expires_at: '2030-01-01T00:00:00Z' });
		},
	};
	return server;
}
