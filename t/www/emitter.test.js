// emitter.js: listeners by type; one that throws does not stop the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from '../../www/fieldsync/emitter.js';

test('on, off, and the function on() returns', () => {
	const e = new Emitter();
	const got = [];
	const stop = e.on('status', p => got.push(['a', p]));
	const b = p => got.push(['b', p]);
	e.on('status', b);
	e.emit('status', 1);
	stop();
	e.emit('status', 2);
	e.off('status', b);
	e.emit('status', 3);
	e.emit('other', 4);
	assert.deepEqual(got, [['a', 1], ['b', 1], ['b', 2]]);
});

test('a listener that throws does not stop the others', t => {
	const e = new Emitter();
	const errors = t.mock.method(console, 'error', () => {});
	let reached = false;
	e.on('change', () => { throw new Error('listener bug'); });
	e.on('change', () => { reached = true; });
	e.emit('change', {});
	assert.equal(reached, true);
	assert.equal(errors.mock.calls.length, 1);
});
