/**
 * schema-info.js: what the library needs to know about each resource, derived from the resource
 * declarations in C (`<name>.fcgi --describe`, collected by the build into www/schema.js), so that
 * offline lists are filtered and ordered exactly as the server does it.
 */
import { tableOf } from './names.js';

function dayOf(value) {
	const t = Date.parse(value);
	return Number.isNaN(t) ? String(value).slice(0, 10) : new Date(t).toISOString().slice(0, 10);
}

/** The describe objects of a schema, read once: tables, sort keys, search and date filters. */
export class SchemaInfo {
	/** @param {object[]} schema  the describe objects (kind "resource"; others are ignored) */
	constructor(schema) {
		this.resources = (schema || []).filter(r => r && r.kind === 'resource');
		this.byTable = new Map(this.resources.map(r => [r.table, r]));
		/** The resource tables, in declaration order (event types are `<table>:<action>`). */
		this.tables = this.resources.map(r => r.table);
	}

	/** The describe object of a table or path ('stock-requests' or 'stock_requests'), or undefined. */
	resource(name) {
		return this.byTable.get(tableOf(name));
	}

	/** The list order: {field, desc}; by id for a table the schema does not know. */
	sortOf(table) {
		const r = this.resource(table);
		return r && r.sort ? { field: r.sort, desc: !!r.sort_desc } : { field: 'id', desc: false };
	}

	/** The columns one of the table's filters (by name and kind) looks at, or null. */
	filterColumns(table, name, kinds) {
		const r = this.resource(table);
		const f = r && (r.filters || []).find(x => x.name === name && kinds.includes(x.kind));
		return f ? { kind: f.kind, columns: f.columns } : null;
	}

	/** The fields the server's `search` filter looks in. */
	searchColumns(table) {
		const f = this.filterColumns(table, 'search', ['search']);
		return f ? f.columns : [];
	}

	/** The `date` filter: {kind: 'day', columns: [ts]} or {kind: 'span', columns: [from, to]}, or null. */
	dateFilter(table) {
		return this.filterColumns(table, 'date', ['day', 'span']);
	}

	// The `date` filter, as the server reads it (days in UTC, the server's default time zone).
	matchesDate(table, row, day) {
		const f = this.dateFilter(table);
		if (!f) return false;
		const [from, to] = f.columns;
		if (f.kind === 'span') return row[from] != null && row[from] <= day && (row[to] == null || row[to] >= day);
		return row[from] != null && dayOf(row[from]) === day;
	}

	/** Does a cached row pass the API's filters? (limit and after only page, they filter nothing.) */
	matches(table, row, filters) {
		for (const [name, want] of Object.entries(filters || {})) {
			if (want === undefined || want === null || name === 'limit' || name === 'after') continue;
			if (name === 'search') {
				const needle = String(want).toLowerCase();
				if (!this.searchColumns(table).some(f => row[f] != null && String(row[f]).toLowerCase().includes(needle))) return false;
			} else if (name === 'date') {
				if (!this.matchesDate(table, row, String(want))) return false;
			} else if (row[name] == null || String(row[name]) !== String(want)) {
				return false;
			}
		}
		return true;
	}

	/** A comparator that puts rows in the server's list order (ties by id). */
	compare(table) {
		const { field, desc } = this.sortOf(table);
		return (a, b) => {
			const x = a[field] ?? '', y = b[field] ?? '';
			const c = x < y ? -1 : x > y ? 1 : (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
			return desc && x !== y ? -c : c;
		};
	}
}
