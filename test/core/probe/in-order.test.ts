import {test} from 'node:test';
import assert from 'node:assert/strict';
import {inSeqOrder} from '../../../source/core/probe/in-order.js';

test('inSeqOrder: items come out in seq order whatever order they arrive in; flush gives out what waits', () => {
	const out: number[] = [];
	const order = inSeqOrder<{seq: number}>(item => out.push(item.seq));
	for (const seq of [1, 2, 0, 3, 6, 5]) {
		order.push({seq});
	}

	assert.deepEqual(out, [0, 1, 2, 3]);
	order.flush();
	assert.deepEqual(out, [0, 1, 2, 3, 5, 6]);
});
