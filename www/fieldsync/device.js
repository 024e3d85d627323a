/**
 * device.js: who is signed in on this device, shared by every tab of the origin. The session cookie is
 * one per browser, so when user B signs in, every request made for user A from then on would carry B's
 * session. The device slot (localStorage) names the user the cookie belongs to; every request of a
 * user's client checks it, and sign-in changes it under a lock that no request holds while the cookie
 * changes, so none of A's writes is ever sent under B's session, in this tab or another.
 *
 * The slot holds the user object the server answered (id, login, name, memberships): nothing secret.
 * The token stays in the HttpOnly cookie.
 */

const memory = new Map();	// where there is no localStorage (tests, workers)

function storage() {
	try {
		return globalThis.localStorage || null;
	} catch {
		return null;	// storage disabled by the browser
	}
}

/** The signed-in user of one database name on this device. */
export class DeviceSlot {
	/**
	 * @param {string} dbName  the client's database name (one slot per name)
	 * @param {object} [locks]  Web Locks (navigator.locks); without them, one tab is assumed
	 */
	constructor(dbName, locks) {
		this.key = `fieldsync:${dbName}:user`;
		this.locks = locks;
		this.lockName = `fieldsync-session:${dbName}`;
	}

	/** The user the session cookie belongs to, as last known here, or null. */
	get() {
		const s = storage();
		const text = s ? s.getItem(this.key) : memory.get(this.key);
		if (!text) return null;
		try {
			const u = JSON.parse(text);
			return u && u.id ? u : null;
		} catch {
			return null;
		}
	}

	/** Name the user the cookie belongs to now (null: nobody). */
	set(user) {
		const s = storage();
		const text = user ? JSON.stringify(user) : null;
		try {
			if (s) {
				if (text) s.setItem(this.key, text);
				else s.removeItem(this.key);
				return;
			}
		} catch { /* storage full or disabled: keep it in memory at least */ }
		if (text) memory.set(this.key, text);
		else memory.delete(this.key);
	}

	/** Is `userId` the user the cookie belongs to? */
	holds(userId) {
		const u = this.get();
		return !!u && u.id === userId;
	}

	/** Run a request (shared: many at once) while no sign-in or sign-out changes the cookie. */
	shared(fn) {
		return this.locks ? this.locks.request(this.lockName, { mode: 'shared' }, fn) : fn();
	}

	/** Change the cookie (sign in, sign out) while no request of this device is on the wire. */
	exclusive(fn) {
		return this.locks ? this.locks.request(this.lockName, { mode: 'exclusive' }, fn) : fn();
	}

	/** Call fn(user) when another tab changes the slot; returns the function that stops it. */
	watch(fn) {
		if (typeof addEventListener !== 'function' || !storage()) return () => {};
		const on = e => { if (e.key === this.key) fn(this.get()); };
		addEventListener('storage', on);
		return () => removeEventListener('storage', on);
	}
}
