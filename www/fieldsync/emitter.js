/**
 * emitter.js: listeners by event type. A listener that throws must not stop the client.
 */
export class Emitter {
	constructor() {
		this.listeners = new Map();
	}

	/** Listen to `type`; returns a function that removes the listener. */
	on(type, fn) {
		if (!this.listeners.has(type)) this.listeners.set(type, new Set());
		this.listeners.get(type).add(fn);
		return () => this.off(type, fn);
	}

	/** Remove a listener added with on(). */
	off(type, fn) {
		const set = this.listeners.get(type);
		if (set) set.delete(fn);
	}

	emit(type, payload) {
		for (const fn of [...(this.listeners.get(type) || [])]) {
			try { fn(payload); } catch (err) { console.error('fieldsync listener', type, err); }
		}
	}
}
