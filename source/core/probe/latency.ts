/** Buckets per doubling: relative error of a reported quantile is under 2^(1/64) - 1, about 1.1%. */
const bucketsPerOctave = 32;
/** The smallest value told apart: 1 µs. Bucket 0 holds everything below. */
const floorMs = 0.001;
/** 2^40 µs is about 12 days; anything above lands in the last bucket. */
const bucketCount = bucketsPerOctave * 40;

/**
 * Latency distribution in constant memory: exact count, min, max and mean, quantiles from
 * logarithmic buckets. Mutable on purpose (one per series, updated per sample).
 */
export class LatencyHistogram {
	count = 0;
	min = Number.POSITIVE_INFINITY;
	max = Number.NEGATIVE_INFINITY;
	sum = 0;
	private readonly buckets = new Uint32Array(bucketCount);

	add(ms: number): void {
		const value = Math.max(0, ms);
		this.count++;
		this.sum += value;
		this.min = Math.min(this.min, value);
		this.max = Math.max(this.max, value);
		this.buckets[bucketOf(value)]!++;
	}

	/** The q-quantile (0..1) by nearest rank, clamped to [min, max]; undefined when empty. */
	quantile(q: number): number | undefined {
		if (this.count === 0) {
			return undefined;
		}

		const rank = Math.max(1, Math.ceil(q * this.count));
		if (rank >= this.count) {
			return this.max;
		}

		let seen = 0;
		for (let i = 0; i < bucketCount; i++) {
			seen += this.buckets[i]!;
			if (seen >= rank) {
				// The overflow bucket has no upper edge: its middle would be invented.
				if (i === bucketCount - 1) {
					return this.max;
				}

				return Math.min(this.max, Math.max(this.min, bucketMiddle(i)));
			}
		}

		return this.max;
	}

	summary(): LatencySummary | undefined {
		if (this.count === 0) {
			return undefined;
		}

		return {
			min: this.min,
			median: this.quantile(0.5)!,
			p95: this.quantile(0.95)!,
			max: this.max,
			mean: this.sum / this.count,
		};
	}
}

export type LatencySummary = {
	readonly min: number;
	readonly median: number;
	readonly p95: number;
	readonly max: number;
	readonly mean: number;
};

function bucketOf(ms: number): number {
	if (ms <= floorMs) {
		return 0;
	}

	const index = Math.floor(Math.log2(ms / floorMs) * bucketsPerOctave) + 1;
	return Math.min(bucketCount - 1, index);
}

/** The geometric middle of a bucket's range. */
function bucketMiddle(index: number): number {
	if (index === 0) {
		return floorMs;
	}

	return floorMs * 2 ** ((index - 0.5) / bucketsPerOctave);
}
