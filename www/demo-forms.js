// demo-forms.js: the demo page's form fields, derived from the resource declarations (schema.js),
// and the conversion between form inputs and API values. No DOM here: demo.js draws the fields.

const COMMON = new Set(['id', 'branch', 'created_at', 'updated_at', 'version']);

/** A label from a column name: name → "Name", client_id → "Client", needed_by → "Needed by". */
export function labelOf(name) {
	const words = String(name).replace(/_id$/, '').replace(/_/g, ' ');
	return words.charAt(0).toUpperCase() + words.slice(1);
}

// An array column named items is edited as its first item (sku, name, quantity): the page's one
// special case; further items of a row are kept as they are.
const ITEM_FIELDS = [
	{ name: 'sku', label: 'Item SKU', input: 'text', required: true, item: 'sku' },
	{ name: 'item_name', label: 'Item name', input: 'text', required: true, item: 'name' },
	{ name: 'quantity', label: 'Quantity', input: 'number', required: true, min: 1, step: '1', item: 'quantity', number: true },
];

// The input for a text column: by the name where the browser can help, long texts as a text area.
function textInput(col) {
	if (col.name === 'email') return 'email';
	if (col.name === 'phone') return 'tel';
	return col.max_length > 1000 ? 'textarea' : 'text';
}

function numberField(col) {
	const step = col.type === 'integer' ? '1' : col.type === 'numeric' && col.scale ? String(10 ** -col.scale) : 'any';
	// Money (numeric) goes out as the decimal text typed, which the API takes exactly; a JS number
	// could round it.
	return { input: 'number', number: col.type !== 'numeric', min: col.min, max: col.max, step };
}

/**
 * The form fields of a resource (a describe object): one per editable column, in declaration order.
 * Server-set and common columns are left out, and so are columns a form cannot edit: objects, arrays
 * (but items), and references to resources the page does not show (it has no rows to offer).
 * @param {object} resource  describe object
 * @param {string[]} shown  the paths of the resources the page shows
 * @returns {object[]} {name, label, input, required, values?, references?, dflt?, min?, max?, step?, …}
 */
export function formFields(resource, shown) {
	const out = [];
	for (const col of resource.columns || []) {
		if (col.common || col.readonly || COMMON.has(col.name)) continue;
		const base = { name: col.name, label: labelOf(col.name), required: !!col.required, dflt: col.default };
		if (col.type === 'array' && col.name === 'items') out.push(...ITEM_FIELDS.map(f => ({ ...f, column: 'items' })));
		else if (col.type === 'enum') out.push({ ...base, input: 'select', values: col.values || [] });
		else if (col.type === 'uuid' && col.references && shown.includes(col.references)) out.push({ ...base, input: 'select', references: col.references });
		else if (col.type === 'text') out.push({ ...base, input: textInput(col), maxLength: col.max_length });
		else if (col.type === 'date') out.push({ ...base, input: 'date' });
		else if (col.type === 'timestamp') out.push({ ...base, input: 'datetime-local', timestamp: true });
		else if (['integer', 'numeric', 'double'].includes(col.type)) out.push({ ...base, ...numberField(col) });
	}
	return out;
}

// datetime-local wants "YYYY-MM-DDTHH:MM" in local time.
function toLocalInput(ts) {
	const d = new Date(ts);
	if (Number.isNaN(d.getTime())) return '';
	const p = n => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** What an input shows for a row's value (items fields read the first item). */
export function inputValue(field, row) {
	const v = field.item ? row.items?.[0]?.[field.item] : row[field.name];
	if (v == null) return '';
	return field.timestamp ? toLocalInput(v) : String(v);
}

/**
 * A row from the form: values(name) gives an input's trimmed text ('' = empty). Empty optional fields
 * are sent as null; numbers as numbers, timestamps in UTC. `before` is the row being edited (its
 * further items are kept).
 */
export function rowOf(fields, values, before) {
	const raw = name => {
		const x = values(name);
		return x === '' ? null : x;
	};
	const row = {};
	const item = {};
	for (const f of fields) {
		let v = raw(f.name);
		if (v != null && f.number) v = Number(v);
		if (v != null && f.timestamp) v = new Date(v).toISOString();
		if (f.item) item[f.item] = v;
		else row[f.name] = v;
	}
	if (fields.some(f => f.item)) {
		const more = (before?.items || []).slice(1);
		row.items = [{ sku: item.sku, name: item.name ?? '', quantity: Number(item.quantity) }, ...more];
	}
	return row;
}
