import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {chainShares, equalShares, formatShare, sumSharesOf, weightShares} from '../../../source/core/nat/shares.js';

const sumShares = (shares: readonly number[]) => sumSharesOf(shares, share => share);

/** The probability kube-proxy writes for rule i of n, and what iptables-save prints back. */
const written = (remaining: number) => Number((1 / remaining).toFixed(10));
const readBack = (remaining: number) => Math.round(written(remaining) * 0x80_00_00_00) / 0x80_00_00_00;

describe('chainShares', () => {
	test('the seed chain 0.33333333349 / 0.5 / rest gives 1/3 each', () => {
		const shares = chainShares([0.333_333_333_49, 0.5, null]);
		for (const share of shares) {
			assert.ok(Math.abs(share - (1 / 3)) < 1e-9, String(share));
		}

		assert.ok(Math.abs(sumShares(shares) - 1) < 1e-9);
	});

	for (const [name, probability] of [['as kube-proxy writes them', written], ['as the kernel prints them back', readBack]] as const) {
		test(`1..60 endpoints ${name}: shares sum to 1 and are each 1/n`, () => {
			for (let count = 1; count <= 60; count++) {
				const probabilities = Array.from({length: count}, (_, index) => (index === count - 1 ? null : probability(count - index)));
				const shares = chainShares(probabilities);
				assert.equal(shares.length, count);
				assert.ok(Math.abs(sumShares(shares) - 1) < 1e-9, `n=${count}`);
				for (const share of shares) {
					assert.ok(Math.abs(share - (1 / count)) < 1e-8, `n=${count} share=${share}`);
				}
			}
		});
	}

	test('a chain without a final unconditional rule leaves a remainder', () => {
		const shares = chainShares([0.5, 0.5]);
		assert.deepEqual(shares, [0.5, 0.25]);
		assert.equal(sumShares(shares), 0.75);
	});

	test('rules after the unconditional one are unreachable', () => {
		assert.deepEqual(chainShares([null, 0.5, null]), [1, 0, 0]);
	});
});

test('weightShares and equalShares', () => {
	assert.deepEqual(weightShares([3, 1]), [0.75, 0.25]);
	assert.deepEqual(weightShares([0, 0]), [0, 0]);
	assert.deepEqual(equalShares([5, 0, 1]), [0.5, 0, 0.5]);
});

test('formatShare', () => {
	assert.equal(formatShare(1 / 3), '33.3%');
	assert.equal(formatShare(1), '100.0%');
	assert.equal(formatShare(0.0001), '<0.1%');
	assert.equal(formatShare(0), '0.0%');
});
