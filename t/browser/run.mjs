// Browser tests of www/fieldsync.js and the demo page, against the running stack, in Debian's chromium
// driven by playwright-core. Prints TAP: one test point per checked behaviour.
//
//   node t/browser/run.mjs            (t4000-browser.sh runs it under make check)
//
// FIELDSYNC_URL and DATABASE_URL come from the environment, else from var/stack.env.
// Every run uses branches and accounts of its own, so reruns and other suites on the same stack never
// collide. Pages are signed in as the suite's admin (its session cookie put into the browser's jar),
// unless a test signs in through the form itself. Screenshots of the page go to t/output/.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOP = path.resolve(HERE, '../..');
const OUTPUT = path.join(TOP, 't/output');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const RUN = `bt${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;

// ------------------------------------------------------------------ settings

function stackEnv() {
	const file = path.join(TOP, 'var/stack.env');
	if (!fs.existsSync(file)) return {};
	const out = execFileSync('bash', ['-c', '. "$1" && printf "%s\\n%s\\n" "$FIELDSYNC_URL" "$DATABASE_URL"', 'env', file], { encoding: 'utf8' });
	const [url, db] = out.split('\n');
	return { FIELDSYNC_URL: url, DATABASE_URL: db };
}

const fromFile = process.env.FIELDSYNC_URL && process.env.DATABASE_URL ? {} : stackEnv();
const BASE = (process.env.FIELDSYNC_URL || fromFile.FIELDSYNC_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const DATABASE_URL = process.env.DATABASE_URL || fromFile.DATABASE_URL;

// ------------------------------------------------------------------ TAP

const tests = [];
let failed = 0;

/** A test point; fn may throw (an assertion) to fail it. */
function test(name, fn, timeout = 60000) {
	tests.push({ name, fn, timeout });
}

function diag(text) {
	for (const line of String(text).split('\n')) console.log(`# ${line}`);
}

function withTimeout(promise, ms, name) {
	let timer;
	const limit = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${name}: no result within ${ms} ms`)), ms);
	});
	return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// BROWSER_TESTS=regex runs only the matching test points (the plan counts the others as skipped).
async function runTests() {
	const only = process.env.BROWSER_TESTS ? new RegExp(process.env.BROWSER_TESTS) : null;
	console.log(`1..${tests.length}`);
	for (const [i, t] of tests.entries()) {
		if (only && !only.test(t.name)) {
			console.log(`ok ${i + 1} - ${t.name} # SKIP not selected by BROWSER_TESTS`);
			continue;
		}
		try {
			await withTimeout(Promise.resolve().then(t.fn), t.timeout, t.name);
			console.log(`ok ${i + 1} - ${t.name}`);
		} catch (err) {
			failed++;
			console.log(`not ok ${i + 1} - ${t.name}`);
			diag(err && err.stack ? err.stack.split('\n').slice(0, 6).join('\n') : String(err));
		}
	}
}

// A step that needs an earlier one fails with the reason, instead of failing obscurely.
function needs(value, what) {
	if (!value) throw new Error(`not run: ${what} did not succeed`);
	return value;
}

// ------------------------------------------------------------------ the database

function sql(query) {
	return execFileSync('psql', [DATABASE_URL, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', query], { encoding: 'utf8' }).trim();
}

const lit = s => `'${String(s).replace(/'/g, "''")}'`;

// ------------------------------------------------------------------ accounts and sessions

// The password of the accounts made here, and its Argon2id hash (so psql can make them): the test
// suite's, from its shell helpers.
function suiteSecret() {
	const lib = ['t/lib/session.sh', 't/auth/lib-auth.sh'].map(f => path.join(TOP, f)).find(f => fs.existsSync(f));
	const text = lib ? fs.readFileSync(lib, 'utf8') : '';
	const pw = /^AUTH_PW='([^']+)'/m.exec(text), hash = /^AUTH_HASH='([^']+)'/m.exec(text);
	if (!pw || !hash) throw new Error('AUTH_PW and AUTH_HASH not found in t/lib/session.sh or t/auth/lib-auth.sh');
	return { password: pw[1], hash: hash[1] };
}
const SECRET = suiteSecret();
const PASSWORD = SECRET.password;

/** An active account made with psql: login (unique to this run), memberships [[role, branch], …]. */
function addUser(name, memberships) {
	const login = `${RUN}-${name}`;
	const id = sql(`insert into users (login, name, password_hash) values (${lit(login)}, ${lit(`Test ${name}`)}, ${lit(SECRET.hash)}) returning id`);
	for (const [role, branch] of memberships) sql(`insert into memberships (user_id, branch, role) values (${lit(id)}, ${lit(branch)}, ${lit(role)})`);
	return { id, login, name: `Test ${name}` };
}

// Sign-ins are limited per client address (nginx): each one made here comes from an address of its
// own in 127.0.0.0/8, as the shell tests do.
const anyAddr = () => `127.${2 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

/** A request to the stack from Node: {status, headers, body (parsed JSON or null)}. */
function request(method, url, { body, token, headers = {}, localAddress } = {}) {
	return new Promise((resolve, reject) => {
		const u = new URL(url, BASE);
		const h = { Accept: 'application/json', ...headers };
		if (token) h.Authorization = `Bearer ${token}`;
		const data = body === undefined ? undefined : JSON.stringify(body);
		if (data !== undefined) h['Content-Type'] = 'application/json';
		const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h, localAddress }, res => {
			let text = '';
			res.setEncoding('utf8');
			res.on('data', c => { text += c; });
			res.on('end', () => {
				let parsed = null;
				try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
				resolve({ status: res.statusCode, headers: res.headers, body: parsed });
			});
		});
		req.on('error', reject);
		if (data !== undefined) req.write(data);
		req.end();
	});
}

/** Sign in from Node; resolves the token. */
async function signInApi(login) {
	const res = await request('POST', '/api/session', { body: { login, password: PASSWORD }, localAddress: anyAddr() });
	assert.equal(res.status, 201, `sign-in of ${login}: ${JSON.stringify(res.body)}`);
	return res.body.token;
}

// The suite's admin token (t/lib/session.sh's suite_token, shared with the shell tests), else an
// admin account of this run's own.
async function adminToken() {
	if (fs.existsSync(path.join(TOP, 't/lib/session.sh'))) {
		const out = execFileSync('bash', ['-c', '. "$1/t/lib/tap.sh" >/dev/null && suite_token', 'bash', TOP], { encoding: 'utf8', env: { ...process.env, FIELDSYNC_URL: BASE, DATABASE_URL } }).trim();
		if (out) return out;
	}
	return signInApi(addUser('admin', [['admin', '*']]).login);
}
let ADMIN_TOKEN = null;

const COOKIE = 'fieldsync_session';

/** Put a session into a browser context's cookie jar, as a sign-in would. */
async function addSession(ctx, token) {
	await ctx.addCookies([{ name: COOKIE, value: token, url: BASE, httpOnly: true, sameSite: 'Strict' }]);
}

/** The session token in a context's jar (the page itself cannot read it: HttpOnly). */
async function sessionOf(ctx) {
	return (await ctx.cookies(BASE)).find(c => c.name === COOKIE)?.value;
}

// Revoke a session (as the server's logout does) and wait until no worker answers from its cached
// copy any more: the documented bound is [auth] auth_cache_ms.
const AUTH_CACHE_MS = (() => {
	try {
		const conf = fs.readFileSync(path.join(TOP, 'var/fieldsync.conf'), 'utf8');
		const m = /^\s*auth_cache_ms\s*=\s*(\d+)/m.exec(conf);
		return m ? Number(m[1]) : 1000;
	} catch {
		return 1000;
	}
})();

async function revokeSessions(userId, token) {
	sql(`delete from sessions where user_id = ${lit(userId)}`);
	const t0 = Date.now();
	for (;;) {
		const res = await request('GET', '/api/session', { token });
		if (res.status === 401 && Date.now() - t0 > AUTH_CACHE_MS) return;
		if (Date.now() - t0 > 10000) throw new Error(`the session still answers ${res.status} 10 s after its revocation`);
		await new Promise(r => setTimeout(r, 50));
	}
}

function clientsOf(branch) {
	const out = sql(`select coalesce(json_agg(c order by name), '[]') from clients c where branch = ${lit(branch)}`);
	return JSON.parse(out);
}

// ------------------------------------------------------------------ a proxy we can really switch off

/**
 * An HTTP proxy in front of the stack, on a port of its own. stop() closes it and cuts every
 * connection (the API is then really unreachable: connection refused); start() opens it again.
 */
async function startProxy(target) {
	const up = new URL(target);
	const sockets = new Set();
	const server = http.createServer((req, res) => {
		const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, r => {
			res.writeHead(r.statusCode, r.headers);
			r.pipe(res);
		});
		fwd.on('error', () => res.destroy());
		res.on('close', () => fwd.destroy());
		req.pipe(fwd);
	});
	server.on('connection', s => {
		sockets.add(s);
		s.on('close', () => sockets.delete(s));
	});
	const listen = port => new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => resolve(server.address().port));
	});
	const port = await listen(0);
	return {
		url: `http://127.0.0.1:${port}`,
		async stop() {
			const closed = new Promise(resolve => server.close(resolve));
			for (const s of sockets) s.destroy();
			await closed;
		},
		start: () => listen(port),
		close: () => new Promise(resolve => { server.close(resolve); for (const s of sockets) s.destroy(); }),
	};
}

// ------------------------------------------------------------------ the page

let browser;

/** A browser context, signed in as the suite's admin unless `signedIn: false` (or another token). */
async function newContext({ signedIn = true, token, ...opts } = {}) {
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...opts });
	if (signedIn) await addSession(ctx, token || ADMIN_TOKEN);
	return ctx;
}

/** Open the demo page on a branch and wait until its first load is done. */
async function openPage(ctx, branch, base = BASE) {
	const page = await ctx.newPage();
	page.on('pageerror', err => diag(`page error: ${err.message}`));
	await page.goto(`${base}/?branch=${encodeURIComponent(branch)}`);
	await page.waitForSelector('body[data-ready="true"]');
	return page;
}

// The service worker controls the page: from now on it opens without a connection.
async function waitOfflineReady(page) {
	await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller, null, { timeout: 10000 });
}

async function reloadPage(page) {
	await page.reload();
	await page.waitForSelector('body[data-ready="true"]');
}

const pendingCount = page => page.textContent('#pending-count').then(Number);

function waitPending(page, n, timeout = 15000) {
	return page.waitForFunction(n => document.querySelector('#pending-count').textContent === String(n), n, { timeout });
}

function waitText(page, selector, text, timeout = 5000) {
	return page.waitForFunction(([s, t]) => (document.querySelector(s)?.textContent || '').includes(t), [selector, text], { timeout });
}

const clientRow = name => `li[data-testid="clients-row"][data-name="${name}"]`;

// Fill the client form and save; resolves when the page has the answer (the form is reset or an
// error or conflict shows).
async function saveClientForm(page, values) {
	for (const [k, v] of Object.entries(values)) {
		const sel = `#clients-${k}`;
		if (k === 'status') await page.selectOption(sel, v);
		else await page.fill(sel, v);
	}
	await page.click('#clients-save');
	await page.waitForFunction(() => !document.querySelector('#clients-save').disabled &&
		(document.querySelector('#clients-name').value === '' || !document.querySelector('#error').hidden ||
		 !document.querySelector('#conflict').hidden));
}

async function addClient(page, name, extra = {}) {
	await saveClientForm(page, { name, ...extra });
	await page.waitForSelector(clientRow(name));
}

async function editClient(page, name, values) {
	await page.click(`${clientRow(name)} button.edit`);
	await page.waitForFunction(() => document.querySelector('#clients-id').value !== '');
	await saveClientForm(page, values);
}

async function deleteClient(page, name) {
	await page.click(`${clientRow(name)} button.edit`);
	await page.waitForFunction(() => document.querySelector('#clients-id').value !== '');
	await page.click('#clients-delete');
	await page.waitForSelector(clientRow(name), { state: 'detached' });
}

async function shownNames(page) {
	return page.$$eval('li[data-testid="clients-row"]', els => els.map(e => e.dataset.name));
}

// In the page: what a stuck page is stuck on (status, visibility, animation frames, IndexedDB).
async function probe(branch) {
	const within = (p, ms) => Promise.race([p, new Promise(r => setTimeout(() => r('no answer in ' + ms + ' ms'), ms))]);
	const c = window.fieldsyncDemo.client;
	return {
		status: c.status(), visibility: document.visibilityState,
		frame: await within(new Promise(r => requestAnimationFrame(() => r('ok'))), 1000),
		cached: await within(c.cached('clients', { branch }).then(rows => rows.map(r => r.name).join(',')), 1000),
	};
}

async function screenshot(page, name) {
	fs.mkdirSync(OUTPUT, { recursive: true });
	const file = path.join(OUTPUT, `browser-${name}.png`);
	await page.screenshot({ path: file, fullPage: true });
	assert.ok(fs.statSync(file).size > 1000, `${file} is written`);
	return file;
}

// ------------------------------------------------------------------ a. live

const live = {};

test('a. the page follows the event stream (badge shows Live)', async () => {
	live.branch = `${RUN}-live`;
	live.ctxA = await newContext();
	live.ctxB = await newContext();
	live.a = await openPage(live.ctxA, live.branch);
	live.b = await openPage(live.ctxB, live.branch);
	try {
		await waitText(live.b, '#live-badge', 'Live', 15000);
	} catch {
		throw new Error(`the page's event stream did not open: ${BASE}/events does not answer as text/event-stream`);
	}
});

test('a. a client created on page A shows on page B within 1 s, without a reload', async () => {
	needs(live.b, 'opening the pages');
	await waitText(live.b, '#live-badge', 'Live', 1000);
	const name = `Live ${RUN}`;
	await addClient(live.a, name);
	const t0 = Date.now();
	await live.b.waitForSelector(clientRow(name), { timeout: 1000 });
	diag(`shown on B ${Date.now() - t0} ms after A's save returned`);
	await waitText(live.b, '#activity', name, 1000);
});

test('a. an update on A reaches B live too, and B shows the new value', async () => {
	needs(live.b, 'opening the pages');
	const name = `Live ${RUN}`;
	await editClient(live.a, name, { phone: '+27 21 555 0199' });
	await live.b.waitForFunction(sel => document.querySelector(sel)?.textContent.includes('+27 21 555 0199'), clientRow(name), { timeout: 1000 });
	await live.ctxA.close();
	await live.ctxB.close();
});

// ------------------------------------------------------------------ b. offline writes

/**
 * The offline story on one page, with `cut`/`restore` switching the connection off and on:
 * 20 writes (14 creates, 5 updates, 1 delete), a reload, reconnect, everything lands once.
 */
function offlineScenario(label, setup) {
	const s = { branch: `${RUN}-${label}` };
	const created = Array.from({ length: 14 }, (_, i) => `Off ${String(i + 1).padStart(2, '0')}`);
	const updated = ['Off 01', 'Off 02', 'Off 03', 'Pre 1', 'Pre 2'];

	test(`b. ${label}: 20 writes without a connection are kept locally, with the warning and pending 20`, async () => {
		Object.assign(s, await setup(s.branch));
		for (const n of ['Pre 1', 'Pre 2', 'Pre 3']) await addClient(s.a, n, { status: 'prospect' });
		assert.equal(await pendingCount(s.a), 0, 'nothing pending while online');
		await waitOfflineReady(s.a);
		await s.cut();
		for (const n of created) await addClient(s.a, n, { status: 'prospect' });
		await waitText(s.a, '#status-badge', 'Offline');
		for (const n of updated) await editClient(s.a, n, { status: 'active', phone: `tel ${n}` });
		await deleteClient(s.a, 'Pre 3');
		assert.equal(await pendingCount(s.a), 20, 'pending count');
		assert.ok(await s.a.isVisible('[data-testid="saved-locally-warning"]'), 'warning shown');
		assert.match(await s.a.textContent('#warning'), /Saved locally only - not visible to other users/);
		assert.equal(clientsOf(s.branch).length, 3, 'nothing reached the database');
		s.queued = true;
		if (s.shoot) {
			await screenshot(s.a, 'offline-pending');
			await s.a.setViewportSize({ width: 360, height: 740 });
			await screenshot(s.a, 'offline-pending-phone');
			await s.a.setViewportSize({ width: 1280, height: 800 });
		}
	}, 90000);

	test(`b. ${label}: the outbox survives a reload of the page (still 20, rows still shown)`, async () => {
		needs(s.queued, 'queueing the writes');
		await reloadPage(s.a);
		await waitPending(s.a, 20, 5000);
		assert.ok(await s.a.isVisible('#warning'), 'warning shown after the reload');
		const names = await shownNames(s.a);
		for (const n of created) assert.ok(names.includes(n), `${n} shown from the local copy`);
		assert.ok(!names.includes('Pre 3'), 'the deleted row stays deleted');
		assert.equal(clientsOf(s.branch).length, 3, 'still nothing reached the database');
		s.reloaded = true;
	}, 30000);

	test(`b. ${label}: back online, all 20 writes land in PostgreSQL exactly once`, async () => {
		needs(s.reloaded, 'the reload');
		await s.restore();
		await waitPending(s.a, 0, 40000);
		const rows = clientsOf(s.branch);
		const names = rows.map(r => r.name).sort();
		const expected = ['Pre 1', 'Pre 2', ...created].sort();
		assert.deepEqual(names, expected, 'each row once, the deleted one gone');
		for (const r of rows) {
			const wasUpdated = updated.includes(r.name);
			assert.equal(r.version, wasUpdated ? 2 : 1, `${r.name}: version`);
			assert.equal(r.status, wasUpdated ? 'active' : 'prospect', `${r.name}: status`);
			if (wasUpdated) assert.equal(r.phone, `tel ${r.name}`, `${r.name}: phone`);
		}
		s.landed = true;
	}, 60000);

	test(`b. ${label}: page B shows the result, page A shows pending 0 and no warning`, async () => {
		needs(s.landed, 'the replay');
		const want = ['Pre 1', 'Pre 2', ...created].sort();
		try {
			await s.b.waitForFunction(want => {
				const names = [...document.querySelectorAll('li[data-testid="clients-row"]')].map(e => e.dataset.name).sort();
				return JSON.stringify(names) === JSON.stringify(want);
			}, want, { timeout: 10000 });
		} catch (err) {
			diag(`B shows: ${(await shownNames(s.b)).sort().join(', ')}`);
			diag(`B: ${JSON.stringify(await s.b.evaluate(probe, s.branch))}`);
			throw err;
		}
		assert.equal(await pendingCount(s.a), 0);
		assert.ok(!(await s.a.isVisible('#warning')), 'warning gone');
		await waitText(s.a, '#status-badge', 'Online');
		await s.done();
	}, 30000);
}

offlineScenario('setOffline', async branch => {
	const ctxA = await newContext();
	const ctxB = await newContext();
	const a = await openPage(ctxA, branch);
	const b = await openPage(ctxB, branch);
	return {
		a, b, shoot: true,
		cut: () => ctxA.setOffline(true),
		restore: () => ctxA.setOffline(false),
		done: async () => { await ctxA.close(); await ctxB.close(); },
	};
});

offlineScenario('server-unreachable', async branch => {
	// Page A reaches the stack only through a proxy that really goes away (connection refused).
	const proxy = await startProxy(BASE);
	const ctxA = await newContext();
	const ctxB = await newContext();
	const a = await openPage(ctxA, branch, proxy.url);
	const b = await openPage(ctxB, branch);
	return {
		a, b,
		cut: () => proxy.stop(),
		restore: () => proxy.start(),
		done: async () => { await ctxA.close(); await ctxB.close(); await proxy.close(); },
	};
});

offlineScenario('api-stopped', async branch => {
	// The API really stopped: the stack's FastCGI workers are shut down, nginx answers 503.
	const stack = cmd => execFileSync(path.join(TOP, 'stack'), [cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
	const ctxA = await newContext();
	const ctxB = await newContext();
	const a = await openPage(ctxA, branch);
	const b = await openPage(ctxB, branch);
	return {
		a, b,
		cut: () => stack('workers-stop'),
		restore: () => stack('workers-start'),
		done: async () => { await ctxA.close(); await ctxB.close(); },
	};
});

// ------------------------------------------------------------------ c. lost answers

const lost = {};

test('c. a create whose answer is lost after the commit is replayed without a duplicate', async () => {
	lost.branch = `${RUN}-lost`;
	lost.ctx = await newContext();
	lost.page = await openPage(lost.ctx, lost.branch);
	const keys = [];
	const replays = [];
	let dropped = 0;
	await lost.page.route('**/api/clients', async route => {
		const req = route.request();
		if (req.method() === 'GET') return route.continue();
		keys.push(req.headers()['idempotency-key']);
		if (dropped === 0) {
			dropped++;
			const res = await route.fetch();	// the server commits…
			assert.equal(res.status(), 201);
			return route.abort('connectionreset');	// …and the answer never arrives
		}
		return route.continue();
	});
	lost.page.on('response', r => { if (r.url().endsWith('/api/clients') && r.request().method() !== 'GET') replays.push(r.headers()['idempotent-replay']); });
	await saveClientForm(lost.page, { name: 'Lost answer' });
	await waitPending(lost.page, 0, 15000);
	await lost.page.unroute('**/api/clients');
	const rows = clientsOf(lost.branch).filter(r => r.name === 'Lost answer');
	assert.equal(rows.length, 1, 'one row in PostgreSQL');
	assert.equal(rows[0].version, 1);
	assert.ok(keys.length >= 2, `the write was sent again (${keys.length} sends)`);
	assert.ok(keys.every(k => k && k === keys[0]), 'with the same Idempotency-Key every time');
	assert.ok(replays.includes('true'), 'and the server answered it as a replay');
	await lost.page.waitForSelector(clientRow('Lost answer'));
	lost.created = true;
});

test('c. an update whose answer is lost is replayed once: no conflict, version 2', async () => {
	needs(lost.created, 'the lost create');
	let dropped = 0;
	await lost.page.route('**/api/clients', async route => {
		if (route.request().method() !== 'PUT' || dropped++) return route.continue();
		await route.fetch();
		return route.abort('connectionreset');
	});
	await editClient(lost.page, 'Lost answer', { phone: '+27 11 000 0001' });
	await waitPending(lost.page, 0, 15000);
	await lost.page.unroute('**/api/clients');
	assert.ok(await lost.page.isHidden('#conflict'), 'no conflict shown');
	const [row] = clientsOf(lost.branch).filter(r => r.name === 'Lost answer');
	assert.equal(row.version, 2, 'applied once');
	assert.equal(row.phone, '+27 11 000 0001');
});

test('c. a 503 answer keeps the write locally (with the warning), and the retry lands it once', async () => {
	needs(lost.page, 'the page');
	let refused = 0;
	await lost.page.route('**/api/clients', async route => {
		if (route.request().method() !== 'POST' || refused++) return route.continue();
		return route.fulfill({
			status: 503, contentType: 'application/json', headers: { 'Retry-After': '1' },
			body: JSON.stringify({ error: { status: 503, code: 'database_unavailable', message: 'the database is not available' } }),
		});
	});
	await saveClientForm(lost.page, { name: 'After 503' });
	await waitText(lost.page, '#notice', 'Saved on this device', 2000);
	await waitPending(lost.page, 0, 15000);
	await lost.page.unroute('**/api/clients');
	assert.equal(clientsOf(lost.branch).filter(r => r.name === 'After 503').length, 1);
	await lost.ctx.close();
});

test('c. a write without an answer within the timeout is kept locally, and sent again later', async () => {
	const branch = `${RUN}-slow`;
	const ctx = await newContext();
	const page = await openPage(ctx, branch);
	let held = 0;
	const hang = route => (route.request().method() === 'POST' && held++ === 0 ? undefined : route.continue());
	await page.route('**/api/clients', hang);	// the first POST never gets an answer
	// A client of its own, with a short timeout (the page's waits the default 8 s).
	const result = await page.evaluate(async b => {
		const { createClient } = await import('/fieldsync.js');
		window.slow = createClient({ dbName: 'timeout-test', timeout: 1000, eventSource: null });
		const t0 = Date.now();
		const r = await window.slow.save('clients', { branch: b, name: 'Slow line' });
		return { ...r, ms: Date.now() - t0 };
	}, branch);
	assert.equal(result.savedLocally, true, JSON.stringify(result));
	assert.ok(result.ms >= 900 && result.ms < 5000, `gave up after the timeout (${result.ms} ms)`);
	assert.equal(await page.evaluate(() => window.slow.status().reason), 'timeout');
	await page.unroute('**/api/clients', hang);
	await page.waitForFunction(() => window.slow.status().pending === 0, null, { timeout: 15000 });
	assert.deepEqual(clientsOf(branch).map(r => r.name), ['Slow line']);
	await ctx.close();
});

// ------------------------------------------------------------------ d. conflicts

const conflict = {};

test('d. two pages edit the same client: the later save gets the choice; "keep mine" wins in SQL', async () => {
	conflict.branch = `${RUN}-conflict`;
	conflict.ctxA = await newContext();
	conflict.ctxB = await newContext({ viewport: { width: 360, height: 740 } });
	conflict.a = await openPage(conflict.ctxA, conflict.branch);
	await addClient(conflict.a, 'Shared', { phone: 'original' });
	conflict.b = await openPage(conflict.ctxB, conflict.branch);
	await conflict.b.waitForSelector(clientRow('Shared'));
	// B starts editing version 1; A saves first.
	await conflict.b.click(`${clientRow('Shared')} button.edit`);
	await editClient(conflict.a, 'Shared', { phone: 'from A' });
	await saveClientForm(conflict.b, { phone: 'from B' });
	await conflict.b.waitForSelector('#conflict', { state: 'visible' });
	assert.match(await conflict.b.textContent('#conflict'), /from A/);
	assert.match(await conflict.b.textContent('#conflict'), /from B/);
	await screenshot(conflict.b, 'conflict-phone');
	await conflict.b.click('#keep-mine');
	await conflict.b.waitForSelector('#conflict', { state: 'hidden' });
	await waitPending(conflict.b, 0, 10000);
	const [row] = clientsOf(conflict.branch);
	assert.equal(row.phone, 'from B', 'mine kept');
	assert.equal(row.version, 3, 'written over the server version');
	conflict.round1 = true;
});

test('d. the other way round: "take theirs" drops the local edit and keeps the server row', async () => {
	needs(conflict.round1, 'the first conflict');
	// Both start editing the current version; B saves first, then A.
	await reloadPage(conflict.a);
	await conflict.a.click(`${clientRow('Shared')} button.edit`);
	await editClient(conflict.b, 'Shared', { phone: 'B again' });
	await saveClientForm(conflict.a, { phone: 'A again', status: 'inactive' });
	await conflict.a.waitForSelector('#conflict', { state: 'visible' });
	await screenshot(conflict.a, 'conflict');
	assert.equal(await pendingCount(conflict.a), 1, 'the undecided edit is kept, not dropped');
	// While A decides, B changes the row once more: the event reaches A but must not overwrite A's
	// pending edit.
	await editClient(conflict.b, 'Shared', { phone: 'B third' });
	const seqB = Number(sql(`select max(seq) from change_log where row_id = ${lit(clientsOf(conflict.branch)[0].id)}`));
	await conflict.a.waitForFunction(seq => window.fieldsyncDemo.client.status().lastSeq >= seq, seqB, { timeout: 2000 });
	assert.match(await conflict.a.textContent(clientRow('Shared')), /A again/, 'A still shows its own pending edit');
	await conflict.a.click('#take-theirs');
	await conflict.a.waitForSelector('#conflict', { state: 'hidden' });
	await waitPending(conflict.a, 0, 5000);
	const [row] = clientsOf(conflict.branch);
	assert.equal(row.phone, 'B third', 'theirs kept');
	assert.equal(row.status, 'prospect', 'nothing of the dropped edit');
	assert.equal(row.version, 5);
	await conflict.a.waitForFunction(sel => document.querySelector(sel)?.textContent.includes('B third'), clientRow('Shared'), { timeout: 2000 });
	await conflict.ctxA.close();
	await conflict.ctxB.close();
});

// ------------------------------------------------------------------ e. refused writes

test('e. a refused write (422, bad status) shows the server\'s message and is not queued', async () => {
	const branch = `${RUN}-refused`;
	const ctx = await newContext();
	const page = await openPage(ctx, branch);
	await page.fill('#clients-name', 'Bogus status');
	await page.waitForSelector('#clients-save:enabled');
	// The bad choice and the click in one turn of the page: the selects are refilled whenever
	// rows arrive (a list loading, a live event), which would put a valid status back in between.
	await page.$eval('#clients-status', s => {
		s.add(new Option('bogus', 'bogus'));
		s.value = 'bogus';
		document.querySelector('#clients-save').click();
	});
	await page.waitForSelector('#error', { state: 'visible' });
	const text = await page.textContent('#error-text');
	assert.match(text, /status must be one of: prospect, active, inactive/);
	assert.match(text, /field: status/);
	assert.equal(await page.getAttribute('#clients-status', 'aria-invalid'), 'true', 'the field is marked');
	assert.equal(await pendingCount(page), 0, 'not queued');
	assert.ok(!(await page.isVisible('#warning')), 'no saved-locally warning');
	assert.equal(clientsOf(branch).length, 0, 'nothing written');
	const outbox = await page.evaluate(() => window.fieldsyncDemo.client.status().pending);
	assert.equal(outbox, 0, 'the outbox is empty');
	await ctx.close();
});

// ------------------------------------------------------------------ f. how the page looks

test('f. screenshots: online on a phone (360 px) and a desktop, without sideways scrolling', async () => {
	const branch = `${RUN}-look`;
	const ctx = await newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
	const page = await openPage(ctx, branch);
	for (const [n, extra] of [['Acme Stores', { status: 'active', phone: '+27 21 555 0100' }], ['Bayside Spar', { status: 'prospect', email: 'buyer@bayside.example' }], ['Corner Café', { status: 'inactive' }]]) {
		await addClient(page, n, extra);
	}
	await waitText(page, '#status-badge', 'Online');
	await screenshot(page, 'online-phone');
	const width = await page.evaluate(() => document.documentElement.scrollWidth);
	assert.ok(width <= 360, `no horizontal scrolling at 360 px (content is ${width} px wide)`);
	await page.setViewportSize({ width: 1280, height: 800 });
	await screenshot(page, 'online-desktop');
	await ctx.close();
});

// ------------------------------------------------------------------ the other two forms

test('the appointment and stock request forms save valid rows, and another page shows them live', async () => {
	const branch = `${RUN}-forms`;
	const ctxA = await newContext({ viewport: { width: 360, height: 740 } });
	const ctxB = await newContext();
	const a = await openPage(ctxA, branch);
	const b = await openPage(ctxB, branch);
	await addClient(a, 'Form Client');
	await a.click('#tab-appointments');
	await a.waitForFunction(() => [...document.querySelectorAll('#appointments-client_id option')].some(o => o.textContent === 'Form Client'));
	await a.selectOption('#appointments-client_id', { label: 'Form Client' });
	await a.fill('#appointments-scheduled_at', '2026-12-01T10:30');
	await a.fill('#appointments-assigned_to', 'Thandi');
	await a.fill('#appointments-purpose', 'quarterly order');
	await a.click('#appointments-save');
	await a.waitForSelector('li[data-testid="appointments-row"]');
	await a.click('#tab-stock-requests');
	await a.fill('#stock-requests-requested_by', 'Thandi');
	await a.fill('#stock-requests-sku', 'SKU-42');
	await a.fill('#stock-requests-item_name', 'Rooibos 80s');
	await a.fill('#stock-requests-quantity', '12');
	await a.click('#stock-requests-save');
	await a.waitForSelector('li[data-testid="stock-requests-row"]');
	assert.ok(await a.isHidden('#error'), 'no error shown');
	const appt = JSON.parse(sql(`select row_to_json(a) from appointments a join clients c on c.id = a.client_id where a.branch = ${lit(branch)} and c.name = 'Form Client'`));
	assert.equal(appt.assigned_to, 'Thandi');
	assert.equal(appt.purpose, 'quarterly order');
	assert.equal(appt.status, 'scheduled');
	const stock = JSON.parse(sql(`select row_to_json(s) from stock_requests s where branch = ${lit(branch)}`));
	assert.deepEqual(stock.items, [{ sku: 'SKU-42', name: 'Rooibos 80s', quantity: 12 }]);
	assert.equal(stock.requested_by, 'Thandi');
	await b.click('#tab-stock-requests');
	await b.waitForSelector('li[data-testid="stock-requests-row"]', { timeout: 2000 });
	assert.match(await b.textContent('#list-stock-requests'), /12 × Rooibos 80s/);
	await b.click('#tab-appointments');
	assert.match(await b.textContent('#list-appointments'), /Form Client/);
	await screenshot(a, 'stock-phone');
	await ctxA.close();
	await ctxB.close();
});

// ------------------------------------------------------------------ the relay's own address

/** A free TCP port on 127.0.0.1. */
const freePort = () => new Promise((resolve, reject) => {
	const server = net.createServer();
	server.once('error', reject);
	server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
});

/**
 * A relay of the stack's build and config on a TCP address of its own, as [relay] listen offers it:
 * CORS for this suite's page origin, the change log polled every 50 ms (it gets no messages).
 * Resolves {url, health(), stop()} once its /events/health answers 200.
 */
async function startRelay() {
	const vars = execFileSync('bash', ['-c', '. "$1" && printf "%s\\n%s\\n" "$FIELDSYNC_STACK_CONF" "$FIELDSYNC_RELAY_BIN"',
		'env', path.join(TOP, 'var/stack.env')], { encoding: 'utf8' }).split('\n');
	const [conf, bin] = vars;
	const port = await freePort();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldsync-browser-relay-'));
	fs.writeFileSync(path.join(dir, 'relay.conf'), `${fs.readFileSync(conf, 'utf8')}
[http]
cors_origins = ${BASE}
[relay]
listen = 127.0.0.1:${port}
sub = ipc://${dir}/events.ipc
poll_interval = 50
`);
	const log = fs.openSync(path.join(dir, 'relay.log'), 'a');
	const child = spawn(bin, ['--config', path.join(dir, 'relay.conf')], { stdio: ['ignore', log, log], env: { ...process.env, DATABASE_URL } });
	const url = `http://127.0.0.1:${port}`;
	const health = () => new Promise(resolve => {
		http.get(`${url}/events/health`, res => {
			let body = '';
			res.on('data', d => { body += d; });
			res.on('end', () => resolve(res.statusCode === 200 ? JSON.parse(body) : null));
		}).on('error', () => resolve(null));
	});
	const stop = () => new Promise(resolve => {
		if (child.exitCode !== null) return resolve();
		child.once('exit', resolve);
		child.kill();
	}).then(() => fs.rmSync(dir, { recursive: true, force: true }));
	for (let i = 0; i < 100 && child.exitCode === null; i++) {
		if (await health()) return { url, health, stop };
		await new Promise(r => setTimeout(r, 100));	// polls for readiness, 10 s at most
	}
	const said = fs.readFileSync(path.join(dir, 'relay.log'), 'utf8').slice(-500);
	await stop();
	throw new Error(`the relay on ${url} did not come up: ${said}`);
}

test('eventsBase: the stream comes straight from the relay\'s own address, with the session cookie, live', async () => {
	const branch = `${RUN}-direct`;
	const relay = await startRelay();
	const ctx = await newContext();
	try {
		// What the admin does (conf/fieldsync-page.conf): the relay's origin added to connect-src.
		await ctx.route(url => new URL(url).pathname === '/', async route => {
			const res = await route.fetch();
			const headers = res.headers();
			headers['content-security-policy'] = headers['content-security-policy'].replace("connect-src 'self'", `connect-src 'self' ${relay.url}`);
			await route.fulfill({ response: res, headers });
		});
		// A document the test fulfils has no address to the browser, so its request to the loopback relay
		// asks for Local Network Access (the page fetched from 127.0.0.1 itself does not): granted here.
		await ctx.grantPermissions(['local-network-access'], { origin: BASE });
		const page = await openPage(ctx, branch);
		const before = (await relay.health()).clients;
		await page.evaluate(async eventsBase => {
			const { createClient } = await import('/fieldsync.js');
			window.direct = createClient({ dbName: 'events-base-test', eventsBase, types: 'clients:*' });
			window.directIds = [];
			window.direct.on('change', e => { if (e.source === 'event') window.directIds.push(e.id); });
		}, relay.url);
		await page.waitForFunction(() => window.direct.status().live, null, { timeout: 15000 });
		assert.equal((await relay.health()).clients, before + 1, 'the page\'s stream is on the relay\'s own address');
		const row = await apiPost('clients', { branch, name: `Direct ${RUN}` });
		const t0 = Date.now();
		await page.waitForFunction(id => window.directIds.includes(id), row.id, { timeout: 5000 });
		diag(`the relay's own address delivered the create ${Date.now() - t0} ms after the POST returned`);
		await page.evaluate(() => window.direct.close());
	} finally {
		await ctx.close();
		await relay.stop();
	}
});

// ------------------------------------------------------------------ g. history gone

async function apiPost(resource, row) {
	const res = await request('POST', `/api/${resource}`, { body: row, token: ADMIN_TOKEN });
	assert.equal(res.status, 201, `POST /api/${resource}`);
	return res.body;
}

test('g. a stored position the server cannot serve (410) reloads the lists and goes on live from the head', async () => {
	const branch = `${RUN}-gone`;
	const ctx = await newContext();
	const page = await openPage(ctx, branch);
	await addClient(page, 'G1');
	// Stop the client and move its stored position far beyond the log (as after a database restore).
	await page.evaluate(async () => {
		const name = window.fieldsyncDemo.client.status().db;	// the signed-in user's database
		window.fieldsyncDemo.client.close();
		const db = await new Promise((resolve, reject) => {
			const r = indexedDB.open(name);
			r.onsuccess = () => resolve(r.result);
			r.onerror = () => reject(r.error);
		});
		await new Promise((resolve, reject) => {
			const tx = db.transaction('meta', 'readwrite');
			tx.objectStore('meta').put({ name: 'lastSeq', value: 1e12 });
			tx.oncomplete = resolve;
			tx.onabort = () => reject(tx.error);
		});
		db.close();
	});
	await apiPost('clients', { branch, name: 'G2' });	// someone else, meanwhile
	const gone = page.waitForResponse(r => r.url().includes('/api/changes?since=1000000000000'));
	const streams = [];
	page.on('request', r => { if (new URL(r.url()).pathname === '/events') streams.push(r.url()); });
	await reloadPage(page);
	assert.equal((await gone).status(), 410, 'the feed says history_gone');
	await page.waitForSelector(clientRow('G2'));
	await page.waitForFunction(() => { const s = window.fieldsyncDemo.client.status(); return s.live && s.lastSeq < 1e12; }, null, { timeout: 10000 });
	const head = Number(sql('select max(seq) from change_log'));
	const seq = await page.evaluate(() => window.fieldsyncDemo.client.status().lastSeq);
	assert.ok(seq <= head, `continues from the head (${seq} <= ${head})`);
	assert.ok(streams.length > 0 && !streams.some(u => u.includes('since=1000000000000')), `the stream opened from the head, not the old position: ${streams.join(' ')}`);
	await apiPost('clients', { branch, name: 'G3' });
	await page.waitForSelector(clientRow('G3'), { timeout: 2000 });
	await ctx.close();
});

// ------------------------------------------------------------------ h. manual sync

test('h. "Sync now" reports what still waits, and sends it once the server answers', async () => {
	const branch = `${RUN}-manual`;
	const ctx = await newContext();
	const page = await openPage(ctx, branch);
	const refuse = route => (route.request().method() === 'POST' ? route.abort('connectionrefused') : route.continue());
	await page.route('**/api/clients', refuse);
	await saveClientForm(page, { name: 'Manual' });
	await waitPending(page, 1, 5000);
	await page.click('#sync-now');
	await waitText(page, '#notice', '1 change still waiting', 5000);
	await page.unroute('**/api/clients', refuse);
	await page.click('#sync-now');
	await waitText(page, '#notice', 'Everything is saved on the server', 5000);
	assert.equal(await pendingCount(page), 0);
	assert.deepEqual(clientsOf(branch).map(r => r.name), ['Manual']);
	await ctx.close();
});

// ------------------------------------------------------------------ storage full

test('storage full: cached rows are evicted to make room; an outbox write that cannot be stored says so', async () => {
	const branch = `${RUN}-quota`;
	const ctx = await newContext();
	// Fault injection: while window.__quotaFull is set, every put into the rows store, and (when it is
	// 'all') into the outbox, throws QuotaExceededError; __evicted counts cached rows deleted meanwhile.
	await ctx.addInitScript(() => {
		const put = IDBObjectStore.prototype.put, add = IDBObjectStore.prototype.add, del = IDBObjectStore.prototype.delete;
		const cursorDelete = IDBCursor.prototype.delete;
		window.__evicted = 0;
		const full = name => window.__quotaFull === 'all' || (window.__quotaFull && name === 'rows' && window.__evicted < window.__quotaFull);
		IDBObjectStore.prototype.put = function (...a) {
			if (full(this.name)) throw new DOMException('injected: storage full', 'QuotaExceededError');
			return put.apply(this, a);
		};
		IDBObjectStore.prototype.add = function (...a) {
			if (full(this.name)) throw new DOMException('injected: storage full', 'QuotaExceededError');
			return add.apply(this, a);
		};
		IDBCursor.prototype.delete = function (...a) {
			if (this.source && this.source.objectStore && this.source.objectStore.name === 'rows') window.__evicted++;
			return cursorDelete.apply(this, a);
		};
		IDBObjectStore.prototype.delete = del;
	});
	const page = await openPage(ctx, branch);
	for (const n of ['Q1', 'Q2', 'Q3']) await addClient(page, n);
	// Rows store "full" until 3 cached rows were evicted: the next offline write must still be kept.
	await ctx.setOffline(true);
	await page.evaluate(() => { window.__quotaFull = 3; });
	const kept = await page.evaluate(b => window.fieldsyncDemo.client.save('clients', { branch: b, name: 'Q4' }), branch);
	assert.equal(kept.ok, true, JSON.stringify(kept));
	assert.equal(kept.savedLocally, true);
	assert.ok(await page.evaluate(() => window.__evicted) >= 3, 'cached rows were evicted');
	// Everything full: the write cannot be kept anywhere, and the result says so plainly.
	await page.evaluate(() => { window.__quotaFull = 'all'; });
	const lostWrite = await page.evaluate(b => window.fieldsyncDemo.client.save('clients', { branch: b, name: 'Q5' }), branch);
	assert.equal(lostWrite.ok, false);
	assert.equal(lostWrite.notSaved, true);
	assert.match(lostWrite.message, /Not saved/);
	await page.evaluate(() => { window.__quotaFull = 0; });
	assert.equal(await pendingCount(page), 1, 'only Q4 waits');
	const kept4 = await page.evaluate(b => window.fieldsyncDemo.client.cached('clients', { branch: b }), branch);
	assert.deepEqual(kept4.map(r => r.name), ['Q4'], 'eviction spared the row whose write is pending');
	await ctx.setOffline(false);
	await waitPending(page, 0, 15000);
	assert.deepEqual(clientsOf(branch).map(r => r.name), ['Q1', 'Q2', 'Q3', 'Q4']);
	await ctx.close();
});

// ------------------------------------------------------------------ drain speed

// The writes of a drain as the page sent them: [method, path, rows] (rows: a bulk POST's length, else 1).
function recordWrites(page) {
	const sent = [];
	page.on('request', r => {
		if (r.method() === 'GET' || !r.url().includes('/api/') || r.url().includes('/api/session')) return;
		const body = r.postData();
		let rows = 1;
		try { const b = body && JSON.parse(body); if (Array.isArray(b)) rows = b.length; } catch { /* not JSON */ }
		sent.push([r.method(), new URL(r.url()).pathname, rows]);
	});
	return sent;
}

// Go online and wait until the outbox is empty; resolves the drain's milliseconds (in the page's clock).
async function drainTimed(ctx, page) {
	await page.evaluate(() => {
		window.__drainedAt = 0;
		window.fieldsyncDemo.client.on('status', s => { if (s.pending === 0 && !window.__drainedAt) window.__drainedAt = Date.now(); });
	});
	const t0 = await page.evaluate(() => Date.now());
	await ctx.setOffline(false);
	await page.waitForFunction(() => window.__drainedAt, null, { timeout: 60000 });
	return (await page.evaluate(() => window.__drainedAt)) - t0;
}

test('a 100-write outbox drains after reconnecting, each write once', async () => {
	const branch = `${RUN}-drain`;
	const ctx = await newContext();
	const page = await openPage(ctx, branch);
	await ctx.setOffline(true);
	await page.evaluate(async b => {
		const c = window.fieldsyncDemo.client;
		for (let i = 0; i < 100; i++) await c.save('clients', { branch: b, name: `Drain ${String(i).padStart(3, '0')}` });
	}, branch);
	assert.equal(await pendingCount(page), 100);
	const sent = recordWrites(page);
	const ms = await drainTimed(ctx, page);
	console.log(`# drain: 100 writes in ${ms} ms, ${sent.length} requests (creates in a row: one bulk POST)`);
	const rows = clientsOf(branch);
	assert.equal(rows.length, 100, 'each write once');
	assert.equal(new Set(rows.map(r => r.name)).size, 100);
	assert.ok(sent.length < 100, `batched: ${sent.length} requests`);
	await ctx.close();
}, 90000);

// 100 writes as a rep makes them in the field, five rounds of: 10 clients, an appointment for five
// of them, three updates (one client twice), two visits.
test('a mixed 100-write outbox (creates of three resources, updates) drains once, in order per row', async () => {
	const branch = `${RUN}-mixed`;
	const ctx = await newContext();
	const page = await openPage(ctx, branch);
	await ctx.setOffline(true);
	const made = await page.evaluate(async b => {
		const c = window.fieldsyncDemo.client;
		const must = r => { if (!r.ok) throw new Error(JSON.stringify(r)); return r; };
		const updated = {};
		let writes = 0;
		for (let g = 0; g < 5; g++) {
			const ids = [];
			for (let i = 0; i < 10; i++, writes++) ids.push(must(await c.save('clients', { branch: b, name: `Mixed ${g}-${i}` })).id);
			for (let i = 0; i < 5; i++, writes++) {
				must(await c.save('appointments', { branch: b, client_id: ids[i], scheduled_at: `2026-12-0${g + 1}T0${i}:30:00Z`, purpose: `Visit ${g}-${i}` }));
			}
			for (const [i, phone] of [[0, `+27 1${g} 000 0001`], [1, `+27 1${g} 000 0002`], [0, `+27 1${g} 000 0003`]]) {
				must(await c.save('clients', { id: ids[i], branch: b, name: `Mixed ${g}-${i}`, phone }));
				updated[ids[i]] = { phone, updates: (updated[ids[i]]?.updates || 0) + 1 };
				writes++;
			}
			for (let i = 0; i < 2; i++, writes++) {
				must(await c.save('visits', { branch: b, client_id: ids[5 + i], visited_at: `2026-11-2${g}T10:00:00Z`, agent: 'agent-ann' }));
			}
		}
		return { updated, writes };
	}, branch);
	assert.equal(made.writes, 100);
	assert.equal(await pendingCount(page), 100);
	const sent = recordWrites(page);
	const ms = await drainTimed(ctx, page);
	const bulk = sent.filter(s => s[2] > 1).length;
	console.log(`# drain: 100 writes in ${ms} ms, ${sent.length} requests (${bulk} bulk POSTs; mixed creates and updates)`);
	const clients = clientsOf(branch);
	assert.equal(clients.length, 50, 'each client once');
	assert.equal(new Set(clients.map(r => r.name)).size, 50);
	assert.equal(Number(sql(`select count(*) from appointments where branch = ${lit(branch)}`)), 25, 'each appointment once');
	assert.equal(Number(sql(`select count(*) from visits where branch = ${lit(branch)}`)), 10, 'each visit once');
	for (const r of clients) {
		const u = made.updated[r.id];
		assert.equal(r.version, 1 + (u ? u.updates : 0), `${r.name}: each write applied once`);
		assert.equal(r.phone ?? null, u ? u.phone : null, `${r.name}: its last value`);
	}
	// Per row, the change log holds its writes in the order they were made.
	const twice = Object.keys(made.updated).filter(id => made.updated[id].updates === 2);
	for (const id of twice) {
		const log = JSON.parse(sql(`select json_agg(json_build_array(resource || ':' || action, data->>'phone') order by seq) from change_log where row_id = ${lit(id)}`));
		assert.deepEqual(log.map(e => e[0]), ['clients:create', 'clients:update', 'clients:update'], `${id}: create, then its updates`);
		assert.equal(log[2][1], made.updated[id].phone);
	}
	assert.ok(sent.length < 100, `batched: ${sent.length} requests`);
	await ctx.close();
}, 90000);

test('a bulk POST whose answer is lost is sent again under the same key, and nothing is created twice', async () => {
	const branch = `${RUN}-bulklost`;
	const ctx = await newContext();
	const page = await openPage(ctx, branch);
	await ctx.setOffline(true);
	await page.evaluate(async b => {
		const c = window.fieldsyncDemo.client;
		for (let i = 0; i < 5; i++) await c.save('clients', { branch: b, name: `Bulk lost ${i}` });
	}, branch);
	const keys = [], replays = [];
	let dropped = 0;
	await page.route('**/api/clients', async route => {
		const req = route.request();
		if (req.method() !== 'POST' || !Array.isArray(req.postDataJSON())) return route.continue();
		keys.push(req.headers()['idempotency-key']);
		if (dropped++) return route.continue();
		const res = await route.fetch();	// the server commits the batch…
		assert.equal(res.status(), 201);
		return route.abort('connectionreset');	// …and its answer never arrives
	});
	page.on('response', r => { if (r.url().endsWith('/api/clients') && r.request().method() === 'POST') replays.push(r.headers()['idempotent-replay']); });
	await ctx.setOffline(false);
	await waitPending(page, 0, 30000);
	await page.unroute('**/api/clients');
	assert.equal(clientsOf(branch).length, 5, 'each row once');
	assert.ok(keys.length >= 2 && keys.every(k => k && k === keys[0]), `sent again under one key: ${keys.join(', ')}`);
	assert.ok(replays.includes('true'), 'and answered as a replay');
	await ctx.close();
});

test('a bulk POST with one refused row: that row goes to the refused list, the others land once, in order', async () => {
	const branch = `${RUN}-bulkrefused`;
	const ctx = await newContext();
	const page = await openPage(ctx, branch);
	await ctx.setOffline(true);
	await page.evaluate(async b => {
		const c = window.fieldsyncDemo.client;
		for (const [name, status] of [['R1', 'active'], ['R2', 'active'], ['R bad', 'bogus'], ['R4', 'active'], ['R5', 'active']]) {
			await c.save('clients', { branch: b, name, status });
		}
	}, branch);
	const sent = recordWrites(page);
	await ctx.setOffline(false);
	await waitPending(page, 0, 15000);
	assert.deepEqual(sent.map(s => s[2]), [5, 2, 1, 2], 'the batch, then the rows before the bad one, the bad one alone, the rest');
	const rows = JSON.parse(sql(`select coalesce(json_agg(name order by created_at, name), '[]') from clients where branch = ${lit(branch)}`));
	assert.deepEqual(rows, ['R1', 'R2', 'R4', 'R5'], 'the others once');
	const refused = 'li[data-testid="refused-item"][data-status="422"]';
	await page.waitForSelector(refused);
	assert.match(await page.textContent(refused), /R bad/);
	assert.match(await page.textContent(refused), /status must be one of/);
	assert.equal(Number(await page.textContent('#refused-count')), 1);
	await ctx.close();
});

// ------------------------------------------------------------------ i. signed in

/** Sign in through the page's form; resolves when the page shows that user. */
async function signInForm(page, login, password = PASSWORD) {
	await page.waitForSelector('#signin', { state: 'visible' });
	await page.fill('#signin-login', login);
	await page.fill('#signin-password', password);
	await page.click('#signin-submit');
	await page.waitForFunction(l => window.fieldsyncDemo.client.user()?.login === l && document.body.dataset.auth === 'signed-in' &&
		document.querySelector('#signin').hidden, login, { timeout: 10000 });
}

const waitAuth = (page, state, timeout = 15000) => page.waitForSelector(`body[data-auth="${state}"]`, { timeout });

test('i. sign in through the form: who is signed in, their branches only, the cookie out of reach of scripts', async () => {
	const branch = `${RUN}-login`, second = `${RUN}-login2`;
	const rep = addUser('rep', [['rep', branch], ['rep', second]]);
	const ctx = await newContext({ signedIn: false });
	const page = await openPage(ctx, branch);
	assert.equal(await page.getAttribute('body', 'data-auth'), 'signed-out');
	assert.ok(await page.isVisible('#signin'), 'the sign-in form is shown');
	assert.ok(await page.isHidden('#panels'), 'no lists before signing in');
	await page.fill('#signin-login', rep.login);
	await page.fill('#signin-password', 'not the password');
	await page.click('#signin-submit');
	await page.waitForSelector('#signin-error', { state: 'visible' });
	assert.match(await page.textContent('#signin-error'), /login or password/i);
	await screenshot(page, 'signin');
	await signInForm(page, rep.login);
	assert.match(await page.textContent('#who'), /Signed in as Test rep/);
	assert.match(await page.textContent('#who'), new RegExp(`rep in ${branch}`));
	assert.equal(await page.$eval('#branch', e => e.tagName), 'SELECT', 'branches to choose from');
	assert.deepEqual(await page.$$eval('#branch option', os => os.map(o => o.value)), [branch, second].sort(), 'only the user\'s branches');
	assert.equal(await page.inputValue('#branch'), branch);
	const cookie = (await ctx.cookies(BASE)).find(c => c.name === COOKIE);
	assert.ok(cookie && cookie.httpOnly, 'an HttpOnly session cookie');
	assert.ok(!(await page.evaluate(() => document.cookie)).includes(COOKIE), 'not readable by scripts');
	const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
	assert.ok(!stored.includes(cookie.value), 'the token is in no storage a script can read');
	await addClient(page, 'Signed in');
	const [row] = clientsOf(branch);
	assert.equal(row.created_by, rep.id, 'written under the signed-in user');
	await ctx.close();
});

test('i. the page offers only what the role allows: read-only finance, a rep\'s own stock requests, one branch streamed', async () => {
	const branch = `${RUN}-roles`;
	await apiPost('clients', { branch, name: 'Existing' });
	const finance = addUser('finance', [['finance', branch]]);
	const ctxF = await newContext({ token: await signInApi(finance.login) });
	const f = await openPage(ctxF, branch);
	await f.waitForSelector(clientRow('Existing'));
	assert.equal(await f.$$eval(`${clientRow('Existing')} button.edit`, b => b.length), 0, 'no Edit for a read-only role');
	assert.ok(await f.isHidden('#clients-new'), 'no New');
	assert.ok(await f.isHidden('#clients-form'), 'no form');
	await f.click('#tab-stock-requests');
	assert.ok(await f.isHidden('#stock-requests-form'), 'no stock request form');
	await screenshot(f, 'read-only');
	await ctxF.close();

	const rep = addUser('rep1', [['rep', branch]]);
	const ctxR = await newContext({ token: await signInApi(rep.login) });
	const streams = [];
	ctxR.on('request', r => { if (new URL(r.url()).pathname === '/events') streams.push(r.url()); });
	const r = await openPage(ctxR, branch);
	await waitText(r, '#live-badge', 'Live', 15000);
	assert.ok(streams.length > 0 && streams.every(u => new URL(u).searchParams.get('branch') === branch), `the stream asks for the user's one branch: ${streams.join(' ')}`);
	await r.waitForSelector(clientRow('Existing'));
	assert.equal(await r.$$eval(`${clientRow('Existing')} button.edit`, b => b.length), 1, 'a rep edits clients');
	await r.click('#tab-stock-requests');
	await r.waitForSelector('#stock-requests-form', { state: 'visible', timeout: 5000 }).catch(() => {});
	assert.ok(await r.isVisible('#stock-requests-form'), 'a rep files stock requests');
	assert.equal(await r.inputValue('#stock-requests-requested_by'), rep.login, 'in their own name');
	assert.equal(await r.$eval('#stock-requests-requested_by', e => e.readOnly), true, 'and no one else\'s');
	assert.deepEqual(await r.$$eval('#stock-requests-status option', os => os.map(o => o.value)), ['pending'], 'only the statuses the role may give');
	await ctxR.close();
});

test('i. a 401 with a pending outbox asks to sign in again, keeps everything, then each write lands once', async () => {
	const branch = `${RUN}-expired`;
	const rep = addUser('expired', [['rep', branch]]);
	const ctx = await newContext({ signedIn: false });
	const page = await openPage(ctx, branch);
	await signInForm(page, rep.login);
	await addClient(page, 'Online first');
	await ctx.setOffline(true);
	await addClient(page, 'Queued 1');
	await addClient(page, 'Queued 2');
	await editClient(page, 'Online first', { phone: 'queued edit' });
	await waitPending(page, 3, 5000);
	await revokeSessions(rep.id, await sessionOf(ctx));
	await ctx.setOffline(false);
	await waitAuth(page, 'expired');
	assert.ok(await page.isVisible('#signin'), 'the sign-in prompt is shown');
	assert.match(await page.textContent('#signin-reason'), /3 changes wait/);
	assert.equal(await pendingCount(page), 3, 'every entry kept');
	assert.deepEqual((await shownNames(page)).sort(), ['Online first', 'Queued 1', 'Queued 2'], 'the page keeps its state');
	assert.deepEqual(clientsOf(branch).map(r => r.name), ['Online first'], 'nothing sent without a session');
	assert.equal(await page.inputValue('#signin-login'), rep.login, 'the login is filled in');
	await screenshot(page, 'signin-again');
	await signInForm(page, rep.login);
	await waitPending(page, 0, 15000);
	const rows = clientsOf(branch);
	assert.deepEqual(rows.map(r => r.name), ['Online first', 'Queued 1', 'Queued 2'], 'each write once');
	assert.equal(rows.find(r => r.name === 'Online first').version, 2, 'the edit applied once');
	assert.equal(rows.find(r => r.name === 'Online first').phone, 'queued edit');
	assert.ok(rows.every(r => r.updated_by === rep.id), 'under the same user');
	await ctx.close();
}, 90000);

test('i. another user on the same device: never sends the previous user\'s writes, never sees their cached rows', async () => {
	const branch = `${RUN}-switch`;
	const a = addUser('switch-a', [['rep', branch]]);
	const b = addUser('switch-b', [['rep', branch]]);
	const ctx = await newContext({ signedIn: false });
	const page = await openPage(ctx, branch);
	await signInForm(page, a.login);
	await addClient(page, 'A online');
	await ctx.setOffline(true);
	await addClient(page, 'A offline 1');
	await addClient(page, 'A offline 2');
	await waitPending(page, 2, 5000);
	await revokeSessions(a.id, await sessionOf(ctx));
	await ctx.setOffline(false);
	await waitAuth(page, 'expired');
	const sent = [];
	page.on('request', r => { if (r.postData()) sent.push(r.postData()); });
	await signInForm(page, b.login);
	assert.match(await page.textContent('#who'), /Test switch-b/);
	await waitPending(page, 0, 5000);
	await page.waitForSelector(clientRow('A online'));	// on the server, and B may read it
	const shown = await shownNames(page);
	assert.ok(!shown.some(n => n.startsWith('A offline')), `A's pending rows are not shown to B: ${shown.join(', ')}`);
	const cached = await page.evaluate(br => window.fieldsyncDemo.client.cached('clients', { branch: br }), branch);
	assert.ok(!cached.some(r => r.name.startsWith('A offline')), 'nor in B\'s cache');
	await addClient(page, 'B online');
	assert.ok(!sent.some(body => body.includes('A offline')), 'none of A\'s writes went out under B\'s session');
	assert.deepEqual(clientsOf(branch).map(r => r.name), ['A online', 'B online']);
	page.on('dialog', d => { sent.push('dialog'); d.dismiss(); });
	await page.click('#sign-out');
	await waitAuth(page, 'signed-out');
	assert.ok(!sent.includes('dialog'), 'nothing pending for B: no warning');
	await signInForm(page, a.login);
	await waitPending(page, 0, 15000);
	const rows = clientsOf(branch);
	assert.deepEqual(rows.map(r => r.name), ['A offline 1', 'A offline 2', 'A online', 'B online'], 'A\'s writes land once A is back');
	for (const r of rows) assert.equal(r.created_by, r.name.startsWith('A') ? a.id : b.id, `${r.name}: made by the right user`);
	await ctx.close();
}, 90000);

test('i. a session revoked while the page is open: the stream\'s `revoked` brings the sign-in prompt, the page keeps its rows', async () => {
	const branch = `${RUN}-revoked`;
	const rep = addUser('revoked', [['rep', branch]]);
	const token = await signInApi(rep.login);
	const ctx = await newContext({ token });
	const page = await openPage(ctx, branch);
	await addClient(page, 'Still shown');
	await waitText(page, '#live-badge', 'Live', 15000);
	const revoked = page.waitForFunction(() => window.fieldsyncDemo.client.status().auth === 'expired', null, { timeout: 5000 });
	const t0 = Date.now();
	const out = await request('DELETE', '/api/session', { token });	// signed out elsewhere
	assert.equal(out.status, 204);
	await revoked;
	diag(`prompt shown ${Date.now() - t0} ms after the logout`);
	assert.ok(await page.isVisible('#signin'), 'the sign-in prompt');
	assert.match(await page.textContent('#signin-reason'), /signed out/i, `saying why: ${JSON.stringify(await page.evaluate(() => window.fieldsyncDemo.client.status()))}`);
	assert.ok(await page.isVisible(clientRow('Still shown')), 'the page keeps its state');
	await waitText(page, '#live-badge', 'Not live', 2000);
	await ctx.close();
});

test('i. a write refused on replay shows in the refused list with the server\'s reason; later writes go through', async () => {
	const branch = `${RUN}-refusedlist`;
	const rep = addUser('refused', [['rep', branch]]);
	const enforced = (await request('GET', '/api/clients?limit=1')).status === 401;
	const ctx = await newContext({ token: await signInApi(rep.login) });
	const page = await openPage(ctx, branch);
	await ctx.setOffline(true);
	await page.evaluate(async b => {
		const c = window.fieldsyncDemo.client;
		await c.save('clients', { branch: b, name: 'Before' });
		await c.save('clients', { branch: b, name: 'Bad status', status: 'bogus' });
		await c.save('campaigns', { branch: b, name: 'A rep\'s campaign', starts_on: '2026-12-01' });
		await c.save('clients', { branch: b, name: 'After' });
	}, branch);
	await waitPending(page, 4, 5000);
	await ctx.setOffline(false);
	await waitPending(page, 0, 15000);
	assert.deepEqual(clientsOf(branch).map(r => r.name), ['After', 'Before'], 'the rest of the queue went on');
	await page.waitForSelector('#refused', { state: 'visible' });
	const invalid = 'li[data-testid="refused-item"][data-status="422"]';
	await page.waitForSelector(invalid);
	assert.match(await page.textContent(invalid), /Bad status/);
	assert.match(await page.textContent(invalid), /status must be one of: prospect, active, inactive/);
	const campaigns = Number(sql(`select count(*) from campaigns where branch = ${lit(branch)}`));
	if (enforced) {
		const forbidden = 'li[data-testid="refused-item"][data-status="403"]';
		await page.waitForSelector(forbidden);
		assert.match(await page.textContent(forbidden), /campaign/);
		assert.match(await page.textContent(forbidden), /forbidden/);
		assert.equal(campaigns, 0, 'the campaign was not written');
	} else {
		diag('the server does not enforce roles yet: the rep\'s campaign was taken');
		assert.equal(campaigns, 1);
	}
	const listed = enforced ? 2 : 1;
	assert.equal(Number(await page.textContent('#refused-count')), listed);
	assert.ok(await page.isHidden('#error'), 'shown in the list, not as a passing error');
	await screenshot(page, 'refused');
	await reloadPage(page);
	await page.waitForSelector(invalid);	// kept until dismissed
	await page.click(`${invalid} [data-testid="refused-dismiss"]`);
	await page.waitForSelector(invalid, { state: 'detached' });
	assert.equal(await page.isVisible('#refused'), listed > 1);
	await ctx.close();
});

test('i. signing out with pending writes warns first; signing out clears the user\'s cached rows', async () => {
	const branch = `${RUN}-logout`;
	const rep = addUser('logout', [['rep', branch]]);
	const ctx = await newContext({ token: await signInApi(rep.login) });
	const page = await openPage(ctx, branch);
	await addClient(page, 'Kept on the server');
	const db = await page.evaluate(() => window.fieldsyncDemo.client.status().db);
	await ctx.setOffline(true);
	await addClient(page, 'Unsent');
	await waitPending(page, 1, 5000);
	const dialogs = [];
	page.once('dialog', d => { dialogs.push(d.message()); d.dismiss(); });
	await page.click('#sign-out');
	await page.waitForFunction(() => true);
	await waitText(page, '#who', 'Signed in as', 2000);
	assert.equal(dialogs.length, 1, 'a warning');
	assert.match(dialogs[0], /1 change has not reached the server/);
	assert.equal(await page.getAttribute('body', 'data-auth'), 'signed-in', 'cancelled: still signed in');
	assert.equal(await pendingCount(page), 1);
	page.once('dialog', d => d.accept());
	await page.click('#sign-out');
	await waitAuth(page, 'signed-out');
	assert.ok(await page.isVisible('#signin'));
	assert.equal(await page.$$eval('li[data-testid="clients-row"]', e => e.length), 0, 'no rows on the page');
	const left = await page.evaluate(name => new Promise((resolve, reject) => {
		const r = indexedDB.open(name);
		r.onerror = () => reject(r.error);
		r.onsuccess = () => {
			const tx = r.result.transaction('rows', 'readonly');
			const q = tx.objectStore('rows').getAll();
			q.onsuccess = () => { resolve(q.result.map(e => e.row && e.row.name)); r.result.close(); };
		};
	}), db);
	assert.deepEqual(left, ['Unsent'], 'the cache is cleared; only the pending write\'s row stays');
	await ctx.setOffline(false);
	await signInForm(page, rep.login);
	await waitPending(page, 0, 15000);
	assert.deepEqual(clientsOf(branch).map(r => r.name), ['Kept on the server', 'Unsent'], 'sent once after the sign-in');
	await ctx.close();
});

// ------------------------------------------------------------------ main

async function main() {
	if (!DATABASE_URL) {
		console.log('Bail out! DATABASE_URL is not set and var/stack.env is missing (run ./stack up)');
		process.exit(1);
	}
	try {
		const res = await request('GET', '/api/session');
		if (res.status !== 401 && res.status !== 200) throw new Error(`answers ${res.status}`);
		ADMIN_TOKEN = await adminToken();
		const me = await request('GET', '/api/session', { token: ADMIN_TOKEN });
		if (me.status !== 200) throw new Error(`the suite's admin session answers ${me.status}`);
	} catch (err) {
		console.log(`Bail out! no stack at ${BASE} (${err.message}; run ./stack up)`);
		process.exit(1);
	}
	browser = await chromium.launch({
		executablePath: CHROMIUM, headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
			'--disable-sync', '--no-first-run', '--disable-quic'],
	});
	diag(`chromium ${browser.version()}, stack ${BASE}, branches ${RUN}-*`);
	try {
		await runTests();
	} finally {
		await browser.close();
	}
	process.exit(failed ? 1 : 0);
}

main().catch(err => {
	console.log(`Bail out! ${err.message}`);
	process.exit(1);
});
