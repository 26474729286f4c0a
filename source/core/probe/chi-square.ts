const lanczos = [
	676.520_368_121_885_1, -1259.139_216_722_402_8, 771.323_428_777_653_13, -176.615_029_162_140_59,
	12.507_343_278_686_905, -0.138_571_095_265_720_12, 9.984_369_578_019_571_6e-6, 1.505_632_735_149_311_6e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; about 15 significant digits). */
export function logGamma(x: number): number {
	if (x < 0.5) {
		// Reflection keeps the approximation in its accurate range.
		return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
	}

	const z = x - 1;
	let sum = 0.999_999_999_999_809_93;
	for (const [i, c] of lanczos.entries()) {
		sum += c / (z + i + 1);
	}

	const t = z + 7.5;
	return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const epsilon = 1e-15;
const maxIterations = 10_000;

/** P(a, x) by its power series; converges fast for x < a + 1. */
function lowerSeries(a: number, x: number): number {
	let term = 1 / a;
	let sum = term;
	for (let n = 1; n < maxIterations; n++) {
		term *= x / (a + n);
		sum += term;
		if (Math.abs(term) < Math.abs(sum) * epsilon) {
			break;
		}
	}

	return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** Q(a, x) by its continued fraction (modified Lentz); converges fast for x >= a + 1. */
function upperFraction(a: number, x: number): number {
	const tiny = 1e-300;
	let b = x + 1 - a;
	let c = 1 / tiny;
	let d = 1 / b;
	let h = d;
	for (let i = 1; i < maxIterations; i++) {
		const an = -i * (i - a);
		b += 2;
		d = an * d + b;
		if (Math.abs(d) < tiny) {
			d = tiny;
		}

		c = b + an / c;
		if (Math.abs(c) < tiny) {
			c = tiny;
		}

		d = 1 / d;
		const delta = d * c;
		h *= delta;
		if (Math.abs(delta - 1) < epsilon) {
			break;
		}
	}

	return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** The regularized lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a). */
export function regularizedGammaP(a: number, x: number): number {
	if (!(a > 0) || !(x >= 0)) {
		return Number.NaN;
	}

	if (x === 0) {
		return 0;
	}

	return x < a + 1 ? lowerSeries(a, x) : 1 - upperFraction(a, x);
}

/** The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x), accurate in the far tail. */
export function regularizedGammaQ(a: number, x: number): number {
	if (!(a > 0) || !(x >= 0)) {
		return Number.NaN;
	}

	if (x === 0) {
		return 1;
	}

	return x < a + 1 ? 1 - lowerSeries(a, x) : upperFraction(a, x);
}

/** P(X >= statistic) for X ~ chi-square with `degrees` degrees of freedom. */
export function chiSquareSurvival(statistic: number, degrees: number): number {
	if (statistic <= 0) {
		return 1;
	}

	return regularizedGammaQ(degrees / 2, statistic / 2);
}

export type GoodnessOfFit = {
	readonly statistic: number;
	readonly degrees: number;
	readonly pValue: number;
	/** The smallest expected count of a pod that may answer; below 5 the chi-square p-value means little. */
	readonly minExpected: number;
	/** About how many observations in all bring every expected count to 5. */
	readonly needed: number;
};

/** The smallest expected count a chi-square verdict is drawn from (the textbook rule). */
export const minExpectedForVerdict = 5;

/**
 * What a fit says, shared by the CLI and the view: nothing while an expected count is below 5 (the
 * test is not valid there), except a pod answering that was expected never to, which needs no test.
 */
export type FitVerdict =
	| {readonly kind: 'too-few'; readonly needed: number}
	| {readonly kind: 'fits' | 'doubtful' | 'misfit'};

export function fitVerdict(fit: GoodnessOfFit): FitVerdict {
	if (fit.statistic !== Number.POSITIVE_INFINITY && fit.minExpected < minExpectedForVerdict - 1e-9) {
		return {kind: 'too-few', needed: fit.needed};
	}

	return {kind: fit.pValue < 0.001 ? 'misfit' : (fit.pValue < 0.05 ? 'doubtful' : 'fits')};
}

/** The CLI's words for a verdict. */
export const fitWords = {fits: 'consistent with expected shares', doubtful: 'doubtful', misfit: 'NOT as expected'} as const;

/**
 * The view's words. Doubtful (0.001 <= p < 0.05) is its own word: the test is redone after every
 * answer, so a balanced Service passes through such p-values by chance on the way (seen at 24
 * answers, p = 0.04, then p = 0.61 at 60); only p < 0.001 says not balanced.
 */
export const fitViewWords = {fits: 'balanced', doubtful: 'doubtful, not yet a verdict', misfit: 'not balanced'} as const;

/** The verdict as the CLI and the view say it when there is none yet. */
export function tooFewText(needed: number): string {
	return `too few samples for a verdict (need about ${needed})`;
}

/**
 * Pearson's chi-square goodness of fit of observed counts against expected shares (same keys).
 * A category observed but expected with share 0 makes the fit impossible: p = 0.
 * Returns undefined when there is nothing to test (fewer than two categories or no observations).
 */
export function chiSquareGoodnessOfFit(
	observed: Readonly<Record<string, number>>,
	expectedShares: Readonly<Record<string, number>>,
): GoodnessOfFit | undefined {
	const keys = new Set([...Object.keys(observed), ...Object.keys(expectedShares)]);
	let total = 0;
	for (const key of keys) {
		total += observed[key] ?? 0;
	}

	const categories = [...keys].filter(key => (expectedShares[key] ?? 0) > 0);
	if (total === 0 || categories.length < 2) {
		return undefined;
	}

	let shareSum = 0;
	let minShare = Number.POSITIVE_INFINITY;
	for (const key of categories) {
		shareSum += expectedShares[key]!;
		minShare = Math.min(minShare, expectedShares[key]!);
	}

	const minExpected = (minShare / shareSum) * total;
	const needed = Math.ceil((minExpectedForVerdict * shareSum / minShare) - 1e-9);

	let statistic = 0;
	for (const key of keys) {
		const expected = ((expectedShares[key] ?? 0) / shareSum) * total;
		const count = observed[key] ?? 0;
		if (expected === 0) {
			if (count > 0) {
				return {statistic: Number.POSITIVE_INFINITY, degrees: categories.length - 1, pValue: 0, minExpected, needed};
			}

			continue;
		}

		statistic += ((count - expected) ** 2) / expected;
	}

	const degrees = categories.length - 1;
	return {statistic, degrees, pValue: chiSquareSurvival(statistic, degrees), minExpected, needed};
}
