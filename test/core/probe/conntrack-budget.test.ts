import {test} from 'node:test';
import assert from 'node:assert/strict';
import {holdAtShare, judgeConntrackBudget, minOwnEntries, resumeBelowShare} from '../../../source/core/probe/conntrack-budget.js';

const max = 262_144;
const fill = (share: number) => ({count: Math.ceil(share * max), max});

test('a table nearly full of the probes\' own entries holds the loop, with why in figures', () => {
	const budget = judgeConntrackBudget({count: 204_519, max}, 180_000, 120, false);
	assert.equal(budget.held, true);
	assert.equal(budget.reason, 'this node\'s conntrack table is 78% full (204,519 of 262,144 entries), 180,000 of them left by these probes within 120 s; probing resumes below 60%');
});

test('below the hold share, or with few entries of its own, the loop goes on', () => {
	assert.deepEqual(judgeConntrackBudget(fill(holdAtShare - 0.01), 150_000, 120, false), {held: false});
	// The table is full for other reasons: a slow loop does not change that, and is not stopped for it.
	assert.deepEqual(judgeConntrackBudget(fill(0.95), minOwnEntries - 1, 120, false), {held: false});
	assert.equal(judgeConntrackBudget(fill(holdAtShare), minOwnEntries, 120, false).held, true);
});

test('once held, it stays held until the table is below the resume share (no flapping at the line)', () => {
	assert.equal(judgeConntrackBudget(fill(0.7), 150_000, 120, true).held, true);
	assert.equal(judgeConntrackBudget(fill(resumeBelowShare), 150_000, 120, true).held, true);
	assert.equal(judgeConntrackBudget(fill(resumeBelowShare - 0.01), 150_000, 120, true).held, false);
	// The probes' entries expired: the rest of the table is not theirs to wait for.
	assert.equal(judgeConntrackBudget(fill(0.7), minOwnEntries - 1, 120, true).held, false);
});

test('a table that cannot be read holds nothing and claims nothing', () => {
	assert.deepEqual(judgeConntrackBudget(undefined, 500_000, 120, true), {held: false});
	assert.deepEqual(judgeConntrackBudget({count: 10, max: 0}, 500_000, 120, false), {held: false});
});

test('the probes\' count is never said to exceed the table\'s', () => {
	assert.match(judgeConntrackBudget({count: 200_000, max}, 250_000, 120, false).reason!, /200,000 of them left by these probes/);
});
