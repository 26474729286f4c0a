import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {chiSquareGoodnessOfFit, chiSquareSurvival, fitVerdict, logGamma, regularizedGammaP, regularizedGammaQ} from '../../../source/core/probe/chi-square.js';

function close(actual: number, expected: number, relative = 1e-9) {
	assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected) + 1e-300, `${actual} != ${expected}`);
}

describe('chiSquareSurvival (reference values from published tables / SciPy chi2.sf)', () => {
	const cases: Array<[statistic: number, degrees: number, p: number]> = [
		[1, 1, 0.317_310_507_862_911_15],
		[3.841_458_820_694_124, 1, 0.05],
		[5.991_464_547_107_979, 2, 0.05],
		[10, 5, 0.075_235_246_146_512_17],
		[20, 10, 0.029_252_688_076_961_124],
		[0.5, 3, 0.918_891_411_654_675_8],
		[100, 50, 3.454_931_382_984_871e-5],
		[0.001, 4, 0.999_999_875_041_658_9],
		[300, 200, 5.924_540_335_483_916e-6],
	];
	for (const [statistic, degrees, p] of cases) {
		test(`chi2(${statistic}, df ${degrees}) = ${p}`, () => close(chiSquareSurvival(statistic, degrees), p, 1e-8));
	}

	test('zero statistic is p = 1', () => assert.equal(chiSquareSurvival(0, 3), 1));
});

describe('regularized incomplete gamma', () => {
	const cases: Array<[a: number, x: number, p: number]> = [
		[0.5, 0.1, 0.345_279_153_981_423_17],
		[2, 3, 0.800_851_726_528_544_2],
		[10, 2, 4.649_807_501_726_386e-5],
		[3.5, 20, 0.999_998_741_209_612_6],
	];
	for (const [a, x, p] of cases) {
		test(`P(${a}, ${x})`, () => {
			close(regularizedGammaP(a, x), p, 1e-9);
			close(regularizedGammaQ(a, x), 1 - p, 1e-6);
		});
	}

	test('ln Γ at integers is ln((n-1)!)', () => {
		assert.ok(Math.abs(logGamma(1)) < 1e-14);
		assert.ok(Math.abs(logGamma(2)) < 1e-14);
		close(logGamma(5), Math.log(24), 1e-12);
		close(logGamma(20), Math.log(121_645_100_408_832_000), 1e-12);
		close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12);
	});

	test('invalid arguments are NaN', () => {
		assert.ok(Number.isNaN(regularizedGammaP(0, 1)));
		assert.ok(Number.isNaN(regularizedGammaQ(1, -1)));
	});
});

describe('chiSquareGoodnessOfFit', () => {
	test('perfectly balanced counts give statistic 0 and p = 1', () => {
		const fit = chiSquareGoodnessOfFit({a: 10, b: 10, c: 10}, {a: 1 / 3, b: 1 / 3, c: 1 / 3});
		assert.equal(fit?.statistic, 0);
		assert.equal(fit?.degrees, 2);
		assert.equal(fit?.pValue, 1);
	});

	test('skewed counts: statistic by hand, p from the survival function', () => {
		// Expected 50/30/20 of 100; observed 60/25/15: (100/50)+(25/30)+(25/20) = 2 + 0.8333 + 1.25.
		const fit = chiSquareGoodnessOfFit({a: 60, b: 25, c: 15}, {a: 0.5, b: 0.3, c: 0.2})!;
		close(fit.statistic, 2 + 25 / 30 + 1.25, 1e-12);
		close(fit.pValue, chiSquareSurvival(fit.statistic, 2), 1e-12);
	});

	test('a pod with no observations still counts as a category', () => {
		const fit = chiSquareGoodnessOfFit({a: 30}, {a: 0.5, b: 0.5})!;
		close(fit.statistic, 30, 1e-12);
		assert.ok(fit.pValue < 1e-6);
	});

	test('an answer from a pod not expected at all makes p = 0', () => {
		assert.equal(chiSquareGoodnessOfFit({a: 5, b: 5, x: 1}, {a: 0.5, b: 0.5})?.pValue, 0);
	});

	test('nothing to test: one category or no observations', () => {
		assert.equal(chiSquareGoodnessOfFit({a: 5}, {a: 1}), undefined);
		assert.equal(chiSquareGoodnessOfFit({}, {a: 0.5, b: 0.5}), undefined);
	});
});

describe('fitVerdict (the CLI\'s and the view\'s balance verdict)', () => {
	test('an expected count below 5: no verdict, and about how many samples would give one', () => {
		// 2 probes, 3 pods: chi-square 4.00 (df 2), p = 0.135 would read as balanced.
		const two = chiSquareGoodnessOfFit({a: 2}, {a: 1 / 3, b: 1 / 3, c: 1 / 3})!;
		assert.ok(two.pValue > 0.05);
		assert.deepEqual(fitVerdict(two), {kind: 'too-few', needed: 15});
		assert.deepEqual(fitVerdict(chiSquareGoodnessOfFit({a: 3, b: 3}, {a: 0.5, b: 0.5})!), {kind: 'too-few', needed: 10});
		// Uneven shares: the smallest one decides (5 / 0.1 = 50).
		assert.deepEqual(fitVerdict(chiSquareGoodnessOfFit({a: 30, b: 2}, {a: 0.9, b: 0.1})!), {kind: 'too-few', needed: 50});
	});

	test('every expected count at 5 or more: the p-value decides', () => {
		// 15 over thirds is 5 each, although 15 * (1/3) is a hair under 5 in floating point.
		assert.deepEqual(fitVerdict(chiSquareGoodnessOfFit({a: 5, b: 5, c: 5}, {a: 1 / 3, b: 1 / 3, c: 1 / 3})!), {kind: 'fits'});
		assert.deepEqual(fitVerdict(chiSquareGoodnessOfFit({a: 15, b: 5}, {a: 0.5, b: 0.5})!), {kind: 'doubtful'});
		assert.deepEqual(fitVerdict(chiSquareGoodnessOfFit({a: 30, b: 0}, {a: 0.5, b: 0.5})!), {kind: 'misfit'});
	});

	test('a pod answering that was expected never to is a finding even with few samples', () => {
		assert.deepEqual(fitVerdict(chiSquareGoodnessOfFit({a: 1, x: 1}, {a: 0.5, b: 0.5})!), {kind: 'misfit'});
	});
});
