/**
 * Effective shares of a chain of random-match rules: rule i takes p_i of what the earlier ones left, p_i * Π_{j<i} (1 - p_j);
 * a rule without a probability (null) takes the rest, and any after it 0. Probabilities are used as written (kube-proxy's
 * `0.3333333333`, the kernel's read-back `0.33333333349`), unrounded, so a chain ending unconditionally sums to 1 up to float error.
 */
export function chainShares(probabilities: ReadonlyArray<number | null>): number[] {
	let remaining = 1;
	return probabilities.map(probability => {
		const share = probability === null ? remaining : remaining * probability;
		remaining -= share;
		return share;
	});
}

/** Shares proportional to weights (IPVS weighted schedulers); zero weights get nothing. */
export function weightShares(weights: readonly number[]): number[] {
	const total = weights.reduce((sum, weight) => sum + Math.max(0, weight), 0);
	return weights.map(weight => (total > 0 ? Math.max(0, weight) / total : 0));
}

/** Equal shares among the entries with a positive weight (IPVS rr and other unweighted schedulers). */
export function equalShares(weights: readonly number[]): number[] {
	const active = weights.filter(weight => weight > 0).length;
	return weights.map(weight => (weight > 0 && active > 0 ? 1 / active : 0));
}

/** Sum of a share of each item, compensated (Kahan) so long chains of small shares do not drift. */
export function sumSharesOf<T>(items: readonly T[], share: (item: T) => number): number {
	let sum = 0;
	let carry = 0;
	for (const item of items) {
		const y = share(item) - carry;
		const t = sum + y;
		carry = (t - sum) - y;
		sum = t;
	}

	return sum;
}

/** Percent text with one decimal, e.g. `33.3%`; `<0.1%` for tiny but non-zero shares. */
export function formatShare(share: number): string {
	return share > 0 && share < 0.0005 ? '<0.1%' : `${(share * 100).toFixed(1)}%`;
}
