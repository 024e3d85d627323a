// The fieldsync demo page: one branch's clients, appointments and stock requests, editable, live,
// for the signed-in user: only their branches, only what their role there allows.
// Everything goes through fieldsync.js; this file only draws the page and reads the forms.
import { createClient, isAdmin, ownOnly, SAVED_LOCALLY_WARNING, SCHEMA, statusChoices } from './fieldsync.js';
import { formFields, inputValue, rowOf } from './demo-forms.js';

const $ = sel => document.querySelector(sel);
const el = (tag, props = {}, ...children) => {
	const e = Object.assign(document.createElement(tag), props);
	e.append(...children.filter(c => c != null));
	return e;
};

// How a row of each resource the page shows reads in the list. The forms come from the resource
// declarations (schema.js): fields, types, required, choices and references.
const VIEWS = {
	clients: {
		title: r => r.name,
		detail: r => [r.status, r.phone, r.email].filter(Boolean).join(' · '),
	},
	appointments: {
		title: r => `${clientName(r.client_id)} · ${when(r.scheduled_at)}`,
		detail: r => [r.status, r.assigned_to, r.purpose].filter(Boolean).join(' · '),
	},
	'stock-requests': {
		title: r => (r.items || []).map(i => `${i.quantity} × ${i.name || i.sku}`).join(', ') || '(no items)',
		detail: r => [r.status, r.requested_by, r.needed_by && `by ${r.needed_by}`].filter(Boolean).join(' · '),
	},
};

const RESOURCES = Object.fromEntries(Object.entries(VIEWS).map(([res, view]) => {
	const decl = SCHEMA.find(r => r.path === res);
	if (!decl) throw new Error(`schema.js does not declare ${res}`);
	return [res, { ...view, decl, noun: decl.noun || res, fields: formFields(decl, Object.keys(VIEWS)) }];
}));

// Only the tables this page shows: the stream then carries nothing else.
const client = createClient({ types: 'clients:*,appointments:*,stock_requests:*' });
const page = { branch: '', tab: 'clients', clients: [], conflicts: [], editing: {}, ready: false, userId: null };
window.fieldsyncDemo = { client, page };	// for the browser tests and the curious

// ------------------------------------------------------------------ helpers

function clientName(id) {
	const c = page.clients.find(x => x.id === id);
	return c ? c.name : 'unknown client';
}

// The rows a reference field offers (today: clients, the one shown resource others point to).
function referenceOptions(res) {
	const rows = res === 'clients' ? page.clients : [];
	return rows.map(r => ({ value: r.id, label: r[SCHEMA.find(x => x.path === res)?.label || 'id'] || r.id }));
}

function when(ts) {
	const d = new Date(ts);
	return Number.isNaN(d.getTime()) ? '' : d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

function fieldOptions(res, f) {
	if (f.references) return referenceOptions(f.references);
	const values = statusValues(res, f);
	// A row being edited keeps showing its own status, even one the role may not give.
	const current = page.editing[res] && page.editing[res][f.name];
	const all = current && !values.includes(current) ? [current, ...values] : values;
	return all.map(v => ({ value: v, label: v.replace(/_/g, ' ') }));
}

// ------------------------------------------------------------------ what the user may do here

const can = (res, op, row) => client.can(res, op, row ? { row: { branch: page.branch, ...row } } : { branch: page.branch });
const readable = () => Object.keys(RESOURCES).filter(res => can(res, 'read'));

// Tabs, "New" buttons and the forms follow the user's rights in the branch shown.
function applyRights() {
	const shown = readable();
	for (const res of Object.keys(RESOURCES)) {
		$(`#tab-${res}`).hidden = !shown.includes(res);
		$(`#${res}-new`).hidden = !can(res, 'create');
	}
	$('#no-access').hidden = shown.length > 0;
	if (shown.length && !shown.includes(page.tab)) selectTab(shown[0]);
	else selectTab(page.tab);
	for (const res of Object.keys(RESOURCES)) resetForm(res);
}

// A form is shown for a new row when the user may create one, for a row being edited when they may
// change or delete it; the owner column of a new row is the user's own when their role says so.
function formRights(res) {
	const spec = RESOURCES[res];
	const row = page.editing[res];
	const form = $(`#${res}-form`);
	const mayCreate = can(res, 'create');
	const mayUpdate = row ? can(res, 'update', row) : mayCreate;
	form.hidden = row ? !(mayUpdate || can(res, 'delete', row)) : !mayCreate;
	$(`#${res}-save`).hidden = !mayUpdate;
	$(`#${res}-delete`).hidden = !row || !can(res, 'delete', row);
	const owner = spec.decl.owner;
	const ownerInput = owner && $(`#${res}-${owner}`);
	const user = client.user();
	if (ownerInput && user) {
		const own = ownOnly(spec.decl, user, row ? 'update' : 'create', page.branch);
		if (!row && !ownerInput.value) ownerInput.value = user.login;
		ownerInput.readOnly = own;
	}
}

// The statuses a role may give a row.
function statusValues(res, f) {
	if (f.name !== 'status' || !client.user()) return f.values;
	return statusChoices(RESOURCES[res].decl, client.user(), page.editing[res] ? 'update' : 'create', page.branch, f.values);
}

// ------------------------------------------------------------------ banners

function showError(result) {
	const field = result.field ? ` (field: ${result.field})` : '';
	$('#error-text').textContent = `Not saved: ${result.message}${field}`;
	$('#error').hidden = false;
	$('#notice').hidden = true;
}

function clearError() {
	$('#error').hidden = true;
	document.querySelectorAll('[aria-invalid]').forEach(x => x.removeAttribute('aria-invalid'));
}

let noticeTimer;
function notice(text) {
	$('#notice').textContent = text;
	$('#notice').hidden = false;
	clearTimeout(noticeTimer);
	noticeTimer = setTimeout(() => { $('#notice').hidden = true; }, 4000);
}

function showStatus(s) {
	const badge = $('#status-badge');
	badge.textContent = s.online ? 'Online' : 'Offline';
	badge.className = 'badge ' + (s.online ? 'online' : 'offline');
	badge.title = s.reason || '';
	document.body.dataset.online = String(s.online);
	const live = $('#live-badge');
	live.textContent = s.live ? 'Live' : 'Not live';
	live.className = 'badge ' + (s.live ? 'live' : 'quiet');
	$('#pending-count').textContent = String(s.pending);
	$('#warning').hidden = s.pending === 0;
	const waiting = s.pending - s.conflicts;
	$('#warning-detail').textContent = [
		waiting ? `${waiting} change${waiting === 1 ? '' : 's'} waiting to be sent.` : '',
		s.conflicts ? `${s.conflicts} change${s.conflicts === 1 ? '' : 's'} waiting for your choice.` : '',
	].filter(Boolean).join(' ');
}

// ------------------------------------------------------------------ forms

function fieldInput(res, f) {
	const id = `${res}-${f.name}`;
	let input;
	if (f.input === 'select') {
		input = el('select', { id, name: f.name });
		if (f.required) input.required = true;
	} else if (f.input === 'textarea') {
		input = el('textarea', { id, name: f.name, rows: 2 });
	} else {
		input = el('input', { id, name: f.name, type: f.input });
		if (f.required) input.required = true;
		if (f.min != null) input.min = f.min;
		if (f.max != null) input.max = f.max;
		if (f.step != null) input.step = f.step;
	}
	input.dataset.testid = id;
	return el('div', { className: 'field' }, el('label', { htmlFor: id, textContent: f.label }), input);
}

// Selects get their choices (a reference's rows change, so it is refilled); a new row starts from
// the declared defaults.
function fillOptions(res, fresh = false) {
	for (const f of RESOURCES[res].fields) {
		const input = $(`#${res}-${f.name}`);
		if (f.input === 'select') {
			const keep = input.value;
			const options = fieldOptions(res, f);
			input.replaceChildren(...options.map(o => el('option', { value: o.value, textContent: o.label })));
			if (keep && options.some(o => o.value === keep) && !fresh) input.value = keep;
		}
		if (fresh && f.dflt != null) input.value = String(f.dflt);
	}
}

function buildPanel(res) {
	const spec = RESOURCES[res];
	const form = el('form', { id: `${res}-form`, className: 'card edit', noValidate: false },
		el('h2', { id: `${res}-form-title`, textContent: `New ${spec.noun}` }),
		el('input', { type: 'hidden', name: 'id', id: `${res}-id` }),
		el('input', { type: 'hidden', name: 'version', id: `${res}-version` }),
		...spec.fields.map(f => fieldInput(res, f)),
		el('div', { className: 'actions' },
			el('button', { type: 'submit', id: `${res}-save`, textContent: 'Save' }),
			el('button', { type: 'button', id: `${res}-delete`, className: 'danger', textContent: 'Delete', hidden: true }),
			el('button', { type: 'button', id: `${res}-cancel`, className: 'secondary', textContent: 'Cancel', hidden: true })));
	form.dataset.testid = `${res}-form`;
	const list = el('ul', { id: `list-${res}`, className: 'rows' });
	list.dataset.testid = `list-${res}`;
	const empty = el('p', { id: `empty-${res}`, className: 'empty', textContent: `No ${spec.noun}s in this branch yet.` });
	const add = el('button', { type: 'button', id: `${res}-new`, className: 'secondary', textContent: `New ${spec.noun}` });
	add.addEventListener('click', () => {
		resetForm(res);
		form.scrollIntoView({ block: 'start' });
		$(`#${res}-${spec.fields[0].name}`).focus();
	});
	const panel = el('section', { id: `panel-${res}`, className: 'panel', role: 'tabpanel' }, form,
		el('div', { className: 'card list' }, el('div', { className: 'list-head' }, add), list, empty));
	form.addEventListener('submit', e => { e.preventDefault(); submitForm(res); });
	form.querySelector(`#${res}-cancel`).addEventListener('click', () => resetForm(res));
	form.querySelector(`#${res}-delete`).addEventListener('click', () => deleteRow(res));
	return panel;
}

function resetForm(res) {
	const form = $(`#${res}-form`);
	form.reset();
	$(`#${res}-id`).value = '';
	$(`#${res}-version`).value = '';
	delete page.editing[res];
	$(`#${res}-form-title`).textContent = `New ${RESOURCES[res].noun}`;
	$(`#${res}-delete`).hidden = true;
	$(`#${res}-cancel`).hidden = true;
	fillOptions(res, true);
	formRights(res);
}

// Editing starts from the row as it is now; its version goes with the save, so a change someone
// else made in the meantime comes back as a conflict instead of being overwritten.
function editRow(res, row) {
	clearError();
	resetForm(res);
	page.editing[res] = row;
	$(`#${res}-id`).value = row.id;
	$(`#${res}-version`).value = String(row.version ?? '');
	fillOptions(res);
	for (const f of RESOURCES[res].fields) $(`#${res}-${f.name}`).value = inputValue(f, row);
	$(`#${res}-form-title`).textContent = `Edit ${RESOURCES[res].noun}`;
	$(`#${res}-cancel`).hidden = false;
	formRights(res);
	$(`#${res}-form`).scrollIntoView({ block: 'nearest' });
	$(`#${res}-${RESOURCES[res].fields[0].name}`).focus();
}

// The form as an API row; empty optional fields are sent as null.
function readForm(res) {
	const values = name => $(`#${res}-${name}`).value.trim();
	const row = { branch: page.branch, ...rowOf(RESOURCES[res].fields, values, page.editing[res]) };
	const id = $(`#${res}-id`).value;
	if (id) {
		row.id = id;
		row.version = Number($(`#${res}-version`).value);
	}
	return row;
}

async function submitForm(res) {
	clearError();
	const button = $(`#${res}-save`);
	button.disabled = true;
	try {
		report(res, await client.save(res, readForm(res)), 'Saved');
	} finally {
		button.disabled = false;
	}
}

async function deleteRow(res) {
	const id = $(`#${res}-id`).value;
	if (!id) return;
	clearError();
	report(res, await client.remove(res, id), 'Deleted');
}

function report(res, result, done) {
	if (result.ok) {
		resetForm(res);
		if (result.signInNeeded) notice(`${done} on this device; sign in again to send it.`);
		else notice(result.savedLocally ? `${done} on this device; it goes to the server as soon as it can be reached.` : `${done}.`);
	} else if (result.conflict) {
		resetForm(res);	// the conflict panel takes it from here
	} else {
		showError(result);
		const input = result.field && $(`#${res}-${result.field === 'items' ? 'sku' : result.field}`);
		if (input) {
			input.setAttribute('aria-invalid', 'true');
			input.focus();
		}
	}
	render();
}

// ------------------------------------------------------------------ lists

function rowItem(res, row) {
	const spec = RESOURCES[res];
	const pending = client.isPending(res, row.id);
	const editable = can(res, 'update', row) || can(res, 'delete', row);
	const li = el('li', { className: 'row' + (pending ? ' is-pending' : '') },
		el('div', { className: 'text' },
			el('strong', { className: 'title', textContent: spec.title(row) }),
			el('span', { className: 'detail', textContent: spec.detail(row) })),
		pending ? el('span', { className: 'tag', textContent: 'pending' }) : null,
		editable ? el('button', { type: 'button', className: 'secondary edit', textContent: 'Edit' }) : null);
	li.dataset.id = row.id;
	li.dataset.version = String(row.version ?? '');
	li.dataset.testid = `${res}-row`;
	if (res === 'clients') li.dataset.name = row.name;
	if (editable) li.querySelector('button.edit').addEventListener('click', () => editRow(res, row));
	return li;
}

const RENDER_GAP = 150;	// ms: a burst of changes (an outbox draining) makes a few redraws, not hundreds
let renderTimer = null;
let lastRender = 0;

// Redraw from the local cache, at once when idle, else at most every RENDER_GAP ms.
function render() {
	if (renderTimer) return;
	const wait = Math.max(0, lastRender + RENDER_GAP - performance.now());
	renderTimer = setTimeout(() => requestAnimationFrame(draw), wait);
}

async function draw() {
	renderTimer = null;
	lastRender = performance.now();
	if (!page.branch || !client.user() && client.status().auth !== 'anonymous') {
		for (const res of Object.keys(RESOURCES)) $(`#list-${res}`).replaceChildren();
		return;
	}
	page.clients = can('clients', 'read') ? await client.cached('clients', { branch: page.branch }) : [];
	for (const res of Object.keys(RESOURCES)) {
		const rows = !can(res, 'read') ? [] : res === 'clients' ? page.clients : await client.cached(res, { branch: page.branch });
		$(`#list-${res}`).replaceChildren(...rows.map(r => rowItem(res, r)));
		$(`#empty-${res}`).hidden = rows.length > 0;
		$(`#count-${res}`).textContent = String(rows.length);
		if (!$(`#${res}-id`).value) fillOptions(res);
	}
	document.body.dataset.rendered = String(Date.now());
}

function selectTab(res) {
	page.tab = res;
	for (const b of document.querySelectorAll('[data-tab]')) b.setAttribute('aria-selected', String(b.dataset.tab === res));
	for (const r of Object.keys(RESOURCES)) $(`#panel-${r}`).hidden = r !== res;
}

async function openBranch(branch) {
	page.branch = branch;
	$('#branch').value = branch;
	localStorage.setItem('fieldsync-demo-branch', branch);
	const url = new URL(location.href);
	url.searchParams.set('branch', branch);
	history.replaceState(null, '', url);
	applyRights();
	$('#activity').replaceChildren();
	render();
	const results = await Promise.all(readable().map(res => client.load(res, { branch })));
	const failed = results.find(r => !r.ok);
	if (failed) showError(failed);
	else if (results.some(r => r.signInNeeded)) notice('Showing what this device saved last time: sign in again to see what changed.');
	else if (results.some(r => r.fromCache)) notice('Offline: showing what this device saved last time.');
	render();
}

// ------------------------------------------------------------------ conflicts

function showConflict() {
	const c = page.conflicts[0];
	$('#conflict').hidden = !c;
	if (!c) return;
	const noun = RESOURCES[c.resource]?.noun || c.resource;
	const name = c.server?.name || c.local.name || c.id;
	$('#conflict-text').textContent = `Your change to the ${noun} "${name}" was made on an older version. Choose which to keep.`;
	const fields = Object.keys(c.local).filter(k => !['id', 'version', 'branch'].includes(k) &&
		JSON.stringify(c.local[k]) !== JSON.stringify(c.server?.[k]));
	const show = v => v == null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);
	$('#conflict').scrollIntoView({ block: 'start' });
	$('#conflict-fields').replaceChildren(...fields.map(k => el('tr', {},
		el('th', { textContent: k.replace(/_/g, ' ') }),
		el('td', { className: 'mine', textContent: show(c.local[k]) }),
		el('td', { className: 'theirs', textContent: show(c.server?.[k]) }))));
}

async function settle(choice) {
	const c = page.conflicts.shift();
	showConflict();
	if (!c) return;
	const result = await c.resolve(choice);
	if (result.ok) notice(choice === 'mine' ? (result.savedLocally ? 'Your version is kept on this device until the server can be reached.' : 'Your version was saved.') : 'Took their version.');
	else if (!result.conflict) showError(result);
	render();
}

client.on('conflict', c => {
	page.conflicts = page.conflicts.filter(x => !(x.table === c.table && x.id === c.id));
	page.conflicts.push(c);
	showConflict();
});

// ------------------------------------------------------------------ live

const ACTIVITY_MAX = 20;

client.on('*', event => {
	if (event.branch !== page.branch) return;
	const [table, action] = event.type.split(':');
	const res = table.replace(/_/g, '-');
	const what = event.data ? (RESOURCES[res]?.title(event.data) ?? event.id) : event.id;
	const item = el('li', {},
		el('span', { className: 'what', textContent: `${table.replace(/_/g, ' ')} ${action}d` }), ' ',
		el('span', { className: 'name', textContent: what }), ' ',
		el('span', { className: 'branch', textContent: event.branch }));
	item.dataset.type = event.type;
	item.dataset.id = event.id;
	$('#activity').prepend(item);
	while ($('#activity').children.length > ACTIVITY_MAX) $('#activity').lastChild.remove();
});

// Changes of other branches do not change this page.
client.on('change', e => { if (!e.row || e.row.branch === page.branch) render(); });
client.on('status', s => {
	showStatus(s);
	if (s.refused !== page.refusedShown) renderRefused();
	if (s.auth === 'expired') showAuth();	// the count of what waits for the sign-in
});
// Writes the server refused when the outbox sent them have their own list; other trouble (the
// stream) only goes to the console.
client.on('error', e => { if (!e.method) console.warn('fieldsync:', e.message); });
client.on('refused', () => renderRefused());
client.on('auth', () => {
	showAuth();
	if (!$('#signin').hidden && !$('#signin').contains(document.activeElement)) $(`#signin-${$('#signin-login').value ? 'password' : 'login'}`).focus();
});

// ------------------------------------------------------------------ refused writes

const VERBS = { POST: 'New', PUT: 'Change to', DELETE: 'Deleting' };

function describeWrite(r) {
	const decl = SCHEMA.find(x => x.path === r.resource);
	const noun = decl?.noun || r.resource;
	const label = r.body && (r.body[decl?.label] || r.body.name);
	return `${VERBS[r.method] || r.method} ${noun}${label ? ` "${label}"` : ''}${r.branch ? ` in ${r.branch}` : ''}`;
}

let refusedDrawing = Promise.resolve();
function renderRefused() {
	refusedDrawing = refusedDrawing.then(async () => {
		const list = await client.refused();
		page.refusedShown = list.length;
		$('#refused').hidden = list.length === 0;
		$('#refused-count').textContent = String(list.length);
		$('#refused-list').replaceChildren(...list.map(r => {
			const dismiss = el('button', { type: 'button', className: 'secondary', textContent: 'Dismiss' });
			dismiss.dataset.testid = 'refused-dismiss';
			dismiss.addEventListener('click', () => client.dismissRefused(r.seq).then(renderRefused));
			const li = el('li', {},
				el('div', {},
					el('strong', { textContent: describeWrite(r) }),
					el('span', { className: 'reason', textContent: `${r.message}${r.field ? ` (field: ${r.field})` : ''} [${r.status} ${r.code}]` })),
				dismiss);
			li.dataset.testid = 'refused-item';
			li.dataset.status = String(r.status);
			li.dataset.code = r.code;
			li.dataset.id = r.id;
			return li;
		}));
	}).catch(err => console.warn('fieldsync demo:', err));
	return refusedDrawing;
}

// ------------------------------------------------------------------ who is signed in

const REASONS = {
	logout: 'You were signed out.', disabled: 'Your account was disabled.', password_changed: 'Your password was changed.',
	rights_changed: 'Your access changed.', expired: 'Your session expired.', user_changed: 'Someone else signed in on this device.',
	signed_out: 'You were signed out in another tab.', 'no connection': 'The server cannot be reached: sign in when you are back online.',
};

// The branch choices: the user's own branches (an admin may open any).
function branchChoices() {
	const user = client.user();
	const mine = client.branches();
	const old = $('#branch');
	const free = !user || isAdmin(user) || mine === null;
	const input = free ? el('input', { required: true, autocomplete: 'off', spellcheck: false })
		: el('select', { required: true }, ...mine.map(b => el('option', { value: b, textContent: b })));
	Object.assign(input, { id: 'branch', name: 'branch' });
	input.dataset.testid = 'branch';
	if (free) input.value = old.value;
	if (!free) input.addEventListener('change', () => openBranch(input.value));
	old.replaceWith(input);
	return free ? null : mine;
}

function rolesText(user) {
	if (isAdmin(user)) return '(admin)';
	return `(${user.memberships.map(m => `${m.role} in ${m.branch}`).join(', ')})`;
}

// Draw the sign-in prompt, or who is signed in; a new user gets their own branch and lists.
function showAuth() {
	const s = client.status();
	const user = client.user();
	document.body.dataset.auth = s.auth;
	$('#who').hidden = !user;
	if (user) {
		$('#who-name').textContent = user.name || user.login;
		$('#who-roles').textContent = rolesText(user);
	}
	const prompt = s.auth === 'signed-out' || s.auth === 'expired';
	$('#signin').hidden = !prompt;
	const reason = $('#signin-reason');
	if (s.auth === 'expired') {
		const waiting = s.pending ? ` ${s.pending} change${s.pending === 1 ? '' : 's'} wait${s.pending === 1 ? 's' : ''} on this device and will be sent after you sign in.` : '';
		reason.textContent = `${REASONS[s.authReason] || 'Your session ended.'} Sign in again to go on.${waiting}`;
		reason.hidden = false;
		if (user && !$('#signin-login').value) $('#signin-login').value = user.login;
	} else {
		reason.textContent = REASONS[s.authReason] || '';
		reason.hidden = !reason.textContent;
	}
	if (user && page.userId !== user.id) page.opening = enter(user);
	else if (s.auth === 'anonymous' && page.userId !== 'anonymous') page.opening = enter({ id: 'anonymous' });
	else if (!user && s.auth !== 'anonymous' && page.userId) leave();
}

// A user is signed in (or came back): their branches, their rows.
function enter(user) {
	page.userId = user.id;
	page.conflicts = [];
	showConflict();
	const mine = branchChoices();
	const wanted = new URLSearchParams(location.search).get('branch') || page.branch || localStorage.getItem('fieldsync-demo-branch');
	const branch = mine ? (mine.includes(wanted) ? wanted : mine[0]) : wanted || 'north';
	renderRefused();
	if (branch) return openBranch(branch);
	applyRights();
	return Promise.resolve();
}

// Nobody is signed in: nothing of the previous user stays on the page.
function leave() {
	page.userId = null;
	page.clients = [];
	page.conflicts = [];
	showConflict();
	for (const res of Object.keys(RESOURCES)) {
		$(`#list-${res}`).replaceChildren();
		$(`#count-${res}`).textContent = '0';
	}
	$('#activity').replaceChildren();
	renderRefused();
}

async function signIn(e) {
	e.preventDefault();
	const button = $('#signin-submit');
	const error = $('#signin-error');
	error.hidden = true;
	button.disabled = true;
	try {
		const r = await client.signIn($('#signin-login').value.trim(), $('#signin-password').value);
		if (!r.ok) {
			error.textContent = r.code === 'rate_limited' && r.retryAfter ? `Too many attempts: try again in ${r.retryAfter} s.` : r.message;
			error.hidden = false;
			return;
		}
		$('#signin-password').value = '';
		notice(`Signed in as ${r.user.name || r.user.login}.`);
	} finally {
		button.disabled = false;
	}
}

async function signOut() {
	const s = client.status();
	if (s.pending > 0 && !confirm(`${s.pending} change${s.pending === 1 ? ' has' : 's have'} not reached the server yet. ` +
		'They stay on this device and are sent the next time you sign in. Sign out anyway?')) return;
	const r = await client.signOut();
	$('#signin-login').value = '';
	notice(r.offline ? 'Signed out on this device (the server could not be told).' : 'Signed out.');
}

// ------------------------------------------------------------------ start

function start() {
	$('#warning strong').textContent = SAVED_LOCALLY_WARNING;	// one wording, the library's
	const panels = $('#panels');
	for (const res of Object.keys(RESOURCES)) panels.append(buildPanel(res));
	for (const b of document.querySelectorAll('[data-tab]')) b.addEventListener('click', () => selectTab(b.dataset.tab));
	selectTab('clients');
	$('#branch-form').addEventListener('submit', e => {
		e.preventDefault();
		const b = $('#branch').value.trim();
		if (b) openBranch(b);
	});
	$('#sync-now').addEventListener('click', async () => {
		const button = $('#sync-now');
		button.disabled = true;
		const s = await client.syncNow();
		button.disabled = false;
		const waiting = `${s.pending} change${s.pending === 1 ? '' : 's'} still waiting`;
		if (s.auth === 'expired') notice(`${waiting}: sign in again to send ${s.pending === 1 ? 'it' : 'them'}.`);
		else notice(s.pending ? `${waiting}: the server cannot be reached.` : 'Everything is saved on the server.');
		if (page.branch) openBranch(page.branch);
	});
	$('#error-close').addEventListener('click', clearError);
	$('#signin-form').addEventListener('submit', signIn);
	$('#sign-out').addEventListener('click', signOut);
	$('#keep-mine').addEventListener('click', () => settle('mine'));
	$('#take-theirs').addEventListener('click', () => settle('theirs'));
	showStatus(client.status());
	document.body.dataset.auth = 'starting';
	// Signed in (or the last user of this device, offline): their page; else the sign-in form.
	client.ready.then(() => {
		showStatus(client.status());
		showAuth();
		return page.opening;
	}).finally(() => {
		page.ready = true;
		document.body.dataset.ready = 'true';
	});

	// The page itself keeps working offline: a service worker keeps a copy of these files.
	if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js').catch(() => {});
}

start();
