// The fieldsync demo page: one branch's clients, appointments and stock requests, editable, live.
// Everything goes through fieldsync.js; this file only draws the page and reads the forms.
import { createClient, SAVED_LOCALLY_WARNING, SCHEMA } from './fieldsync.js';
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
	return [res, { ...view, noun: decl.noun || res, fields: formFields(decl, Object.keys(VIEWS)) }];
}));

// Only the tables this page shows: the stream then carries nothing else.
const client = createClient({ types: 'clients:*,appointments:*,stock_requests:*' });
const page = { branch: '', tab: 'clients', clients: [], conflicts: [], editing: {}, ready: false };
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

function fieldOptions(f) {
	if (f.references) return referenceOptions(f.references);
	return f.values.map(v => ({ value: v, label: v.replace(/_/g, ' ') }));
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
			const options = fieldOptions(f);
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
}

// Editing starts from the row as it is now; its version goes with the save, so a change someone
// else made in the meantime comes back as a conflict instead of being overwritten.
function editRow(res, row) {
	clearError();
	resetForm(res);
	page.editing[res] = row;
	$(`#${res}-id`).value = row.id;
	$(`#${res}-version`).value = String(row.version ?? '');
	for (const f of RESOURCES[res].fields) $(`#${res}-${f.name}`).value = inputValue(f, row);
	$(`#${res}-form-title`).textContent = `Edit ${RESOURCES[res].noun}`;
	$(`#${res}-delete`).hidden = false;
	$(`#${res}-cancel`).hidden = false;
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
		notice(result.savedLocally ? `${done} on this device; it goes to the server as soon as it can be reached.` : `${done}.`);
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
	const li = el('li', { className: 'row' + (pending ? ' is-pending' : '') },
		el('div', { className: 'text' },
			el('strong', { className: 'title', textContent: spec.title(row) }),
			el('span', { className: 'detail', textContent: spec.detail(row) })),
		pending ? el('span', { className: 'tag', textContent: 'pending' }) : null,
		el('button', { type: 'button', className: 'secondary edit', textContent: 'Edit' }));
	li.dataset.id = row.id;
	li.dataset.version = String(row.version ?? '');
	li.dataset.testid = `${res}-row`;
	if (res === 'clients') li.dataset.name = row.name;
	li.querySelector('button.edit').addEventListener('click', () => editRow(res, row));
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
	if (!page.branch) return;
	page.clients = await client.cached('clients', { branch: page.branch });
	for (const res of Object.keys(RESOURCES)) {
		const rows = res === 'clients' ? page.clients : await client.cached(res, { branch: page.branch });
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
	for (const res of Object.keys(RESOURCES)) resetForm(res);
	$('#activity').replaceChildren();
	render();
	const results = await Promise.all(Object.keys(RESOURCES).map(res => client.load(res, { branch })));
	const failed = results.find(r => !r.ok);
	if (failed) showError(failed);
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
client.on('status', showStatus);
// A write the server refused when the outbox sent it; other trouble (the stream) only goes to the console.
client.on('error', e => {
	if (e.method) showError({ ...e, message: `${e.message} (${RESOURCES[e.resource]?.noun || e.resource} ${e.id})` });
	else console.warn('fieldsync:', e.message);
});

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
		notice(s.pending ? `${s.pending} change${s.pending === 1 ? '' : 's'} still waiting: the server cannot be reached.` : 'Everything is saved on the server.');
		if (page.branch) openBranch(page.branch);
	});
	$('#error-close').addEventListener('click', clearError);
	$('#keep-mine').addEventListener('click', () => settle('mine'));
	$('#take-theirs').addEventListener('click', () => settle('theirs'));
	showStatus(client.status());
	client.ready.then(() => showStatus(client.status()));

	const branch = new URLSearchParams(location.search).get('branch') || localStorage.getItem('fieldsync-demo-branch') || 'north';
	openBranch(branch).finally(() => {
		page.ready = true;
		document.body.dataset.ready = 'true';
	});

	// The page itself keeps working offline: a service worker keeps a copy of these files.
	if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js').catch(() => {});
}

start();
