/**
 * batches.js: which outbox writes go out together as one bulk POST (the API takes an array of new
 * rows in one transaction, all or nothing, `error.index` naming the row at fault).
 *
 * Only consecutive creates of one table are batched: moving a write past another could change what
 * either means (a create that needs a row created just before it in another table, a unique value
 * freed by the write in between), so the outbox order stays exactly as it was made.
 *
 * A batch is sent under an Idempotency-Key of its own, and that key must always come with the same
 * request: once formed, a batch is stored with its writes ({key, size} on each) and sent again as it
 * was, however the outbox grew meanwhile, until the server gives a final answer.
 */
import { uuid } from './names.js';

export const BATCH_ROWS = 100;	// rows per bulk POST (the server's default max_batch is 1000)
export const BATCH_BYTES = 256 * 1024;	// body bytes per bulk POST (its default max_body is 1 MiB)

const bytesOf = w => JSON.stringify(w.body).length;

/**
 * The batch that starts at writes[i], or null when writes[i] goes out alone.
 * @param {object[]} writes  the outbox, oldest first
 * @param {number} i
 * @param {object} limits
 * @param {Set<number>} limits.alone  seqs that must go out alone (a failed batch's row at fault)
 * @param {Set<string>} [limits.blocked]  row keys whose writes wait (a conflict)
 * @param {Map<number, number>} [limits.caps]  seq → at most this many rows in a batch starting there
 * @param {number} [limits.rows]  at most this many rows in a new batch
 * @param {number} [limits.bytes]  at most this many body bytes in a new batch
 * @returns {{writes: object[], key: string, stored: boolean}|null}  stored: formed on an earlier try
 */
export function batchAt(writes, i, { alone, blocked = new Set(), caps = new Map(), rows = BATCH_ROWS, bytes = BATCH_BYTES }) {
	const first = writes[i];
	const free = w => w.method === 'POST' && w.state === 'pending' && !alone.has(w.seq) && !blocked.has(w.key);
	if (!first || !free(first)) return null;
	if (first.batch) return storedBatch(writes, i);
	const most = caps.has(first.seq) ? caps.get(first.seq) : rows;
	const run = [];
	let size = 0;
	for (let j = i; j < writes.length && run.length < most; j++) {
		const w = writes[j];
		if (!free(w) || w.table !== first.table || w.batch) break;
		size += bytesOf(w);
		if (run.length && size > bytes) break;
		run.push(w);
	}
	return run.length > 1 ? { writes: run, key: uuid(), stored: false } : null;
}

// A batch formed before: its writes as they were (they follow each other: later writes come after),
// or null when they are not all there any more (then each goes alone, under its own key).
function storedBatch(writes, i) {
	const { key, size } = writes[i].batch;
	const members = writes.slice(i, i + size);
	if (members.length !== size || members.some(w => !w.batch || w.batch.key !== key || w.state !== 'pending')) return null;
	return { writes: members, key, stored: true };
}

/** A batch's writes marked with their batch (stored so that a retry sends the very same request). */
export function marked(batch) {
	return batch.writes.map(w => ({ ...w, batch: { key: batch.key, size: batch.writes.length } }));
}

/** Writes without a batch (it was answered with a final error: nothing of it was written). */
export function unmarked(writes) {
	return writes.map(w => {
		const { batch, ...rest } = w;
		return rest;
	});
}
