/**
 * rights.js: what a signed-in user may do, read from each resource's declared permissions (schema.js,
 * the "permissions" of `--describe`) and the user's memberships. The server decides every request; a
 * page uses this only to offer nothing the user would be refused (no write buttons for a read-only
 * role, branch choices limited to the user's branches).
 *
 * A grant: {ops: [...], own: [...], sets: [...]?, while_in: [...]?}: the operations of a role, those of
 * them only on the user's own rows (the resource's owner column holds the user's login), the statuses
 * it may give a row, the statuses in which it may change one.
 */

export const ADMIN = 'admin';
export const ALL_BRANCHES = '*';	// the branch of the admin membership

/** Does the user hold the admin role (every branch)? */
export function isAdmin(user) {
	return !!user && (user.memberships || []).some(m => m.role === ADMIN);
}

/** The branches the user holds a role in, sorted; null for an admin (every branch). */
export function branchesOf(user) {
	if (!user) return [];
	if (isAdmin(user)) return null;
	return [...new Set((user.memberships || []).map(m => m.branch))].sort();
}

/** The roles the user holds in a branch. */
export function rolesIn(user, branch) {
	return (user && user.memberships || []).filter(m => m.branch === branch).map(m => m.role);
}

// The grants the user holds on a resource in a branch ([] when none).
function grantsOf(decl, user, branch) {
	const perms = decl && decl.permissions;
	return rolesIn(user, branch).map(r => perms && perms[r]).filter(Boolean);
}

const changes = op => op === 'update' || op === 'delete';

/**
 * May the user do `op` ('read', 'create', 'update', 'delete') on the resource in `branch`?
 * With `row` (the row as it is; for create, the row to be made): also its owner and status.
 * A resource without declared permissions (a server without access control) allows everything.
 */
export function allows(decl, user, op, { branch, row } = {}) {
	if (!user) return false;
	if (isAdmin(user) || !decl || !decl.permissions) return true;
	const where = branch ?? (row && row.branch);
	return grantsOf(decl, user, where).some(g => {
		if (!(g.ops || []).includes(op)) return false;
		if (!row) return true;
		if ((g.own || []).includes(op) && decl.owner && row[decl.owner] != null && row[decl.owner] !== user.login) return false;
		if (changes(op) && g.while_in && !g.while_in.includes(row.status)) return false;
		return true;
	});
}

/** Must the owner column of a new row be the user's own login (the grant is own-only)? */
export function ownOnly(decl, user, op, branch) {
	if (!user || isAdmin(user) || !decl || !decl.owner) return false;
	const gs = grantsOf(decl, user, branch).filter(g => (g.ops || []).includes(op));
	return gs.length > 0 && gs.every(g => (g.own || []).includes(op));
}

/**
 * The statuses the user may give a row with `op` (create or update), of the declared `values`; all
 * of them when a grant allowing it names none.
 */
export function statusChoices(decl, user, op, branch, values) {
	if (!user || isAdmin(user) || !decl || !decl.permissions) return values;
	const gs = grantsOf(decl, user, branch).filter(g => (g.ops || []).includes(op));
	if (gs.some(g => !g.sets)) return values;
	const sets = new Set(gs.flatMap(g => g.sets));
	return values.filter(v => sets.has(v));
}

/**
 * Of a `types` filter ('clients:*,appointments:create'), the parts naming a table the user may read in
 * one of their branches (the server refuses a stream that asks for one they may not read at all).
 * '' (everything the user may read) when none is left, or when nothing was asked for.
 * @param {string} types
 * @param {object|null} user  (null: a server without accounts, the filter as it is)
 * @param {(table: string) => object|undefined} resourceOf  a table's describe object
 */
export function readableTypes(types, user, resourceOf) {
	if (!types || !user || isAdmin(user)) return types || '';
	const branches = branchesOf(user);
	return types.split(',').map(t => t.trim()).filter(t => {
		const table = t.split(':')[0];
		if (table === '*') return true;
		const decl = resourceOf(table);
		return !!decl && branches.some(branch => allows(decl, user, 'read', { branch }));
	}).join(',');
}
