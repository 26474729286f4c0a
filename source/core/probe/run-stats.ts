import {chiSquareGoodnessOfFit, type GoodnessOfFit} from './chi-square.js';
import {LatencyHistogram, type LatencySummary} from './latency.js';
import type {AffinityPromise, Expectation} from './service-targets.js';
import type {AttributionMethod, ProbeSample, ProbeTarget} from './types.js';

/** A series as the statistics need it: where it points and what kube-proxy promises there. */
export type SeriesSpec = {
	readonly target: ProbeTarget;
	/** Undefined when nothing is known (a plain host:port). */
	readonly expectation?: Expectation;
	readonly affinity: AffinityPromise;
};

export type AffinitySummary = {
	readonly sessionAffinity: 'ClientIP' | 'None';
	readonly timeoutSeconds: number | null;
	/** Consecutive pairs of attributed answers (within the affinity timeout for ClientIP). */
	readonly pairs: number;
	/** Of those, how many landed on the same pod as the one before. */
	readonly same: number;
	readonly sameRate: number | null;
	/** What the promise implies: 1 under ClientIP, the sum of squared shares without affinity. */
	readonly expectedSameRate: number | null;
	/** `holds` / `violated`; null with fewer than 5 pairs or nothing expected. */
	readonly verdict: 'holds' | 'violated' | null;
};

export type Reachability = {
	readonly node: string | null;
	readonly expected: 'reachable' | 'unreachable';
	readonly observed: 'reachable' | 'unreachable' | 'partial' | 'none';
	/** ok: answers as it should; expected: fails as the policy says; broken: fails but should answer. */
	readonly verdict: 'ok' | 'expected' | 'broken' | 'unexpected' | 'partial' | 'pending';
	readonly reason: string;
};

export type SeriesSnapshot = {
	readonly label: string;
	readonly kind: ProbeTarget['kind'];
	readonly node: string | null;
	readonly count: number;
	readonly ok: number;
	readonly successRate: number | null;
	readonly latency: LatencySummary | undefined;
	/** Requests each pod answered (including HTTP errors it returned); `unknown` when unattributed. */
	readonly byPod: Readonly<Record<string, number>>;
	readonly expected: Readonly<Record<string, number>>;
	readonly fit: GoodnessOfFit | undefined;
	readonly affinity: AffinitySummary;
	readonly errors: Readonly<Record<string, number>>;
	readonly via: Readonly<Record<AttributionMethod, number>>;
	readonly reachability: Reachability | undefined;
};

export type ProbeRunSnapshot = {
	readonly count: number;
	readonly ok: number;
	readonly series: readonly SeriesSnapshot[];
	/** All series pooled: counts, pooled expectation, fit and affinity. */
	readonly byPod: Readonly<Record<string, number>>;
	readonly expected: Readonly<Record<string, number>>;
	readonly fit: GoodnessOfFit | undefined;
	readonly affinity: AffinitySummary;
	readonly latency: LatencySummary | undefined;
	/** The most recent samples, oldest first (the ring buffer's content). */
	readonly recent: readonly ProbeSample[];
	/** Node of each pod seen, for lane labels. */
	readonly podNodes: Readonly<Record<string, string | null>>;
	/** The sampling methods in use, most frequent first. */
	readonly methods: readonly AttributionMethod[];
};

export const unknownPod = 'unknown';

class SeriesState {
	count = 0;
	ok = 0;
	readonly latency = new LatencyHistogram();
	readonly byPod = new Map<string, number>();
	readonly errors = new Map<string, number>();
	readonly via: Record<AttributionMethod, number> = {conntrack: 0, response: 0, peer: 0, unknown: 0};
	lastPod: string | undefined;
	lastT = 0;
	pairs = 0;
	same = 0;

	constructor(readonly spec: SeriesSpec) {}
}

function increment(map: Map<string, number>, key: string): void {
	map.set(key, (map.get(key) ?? 0) + 1);
}

function podKeyOf(sample: ProbeSample): string | undefined {
	return sample.pod ?? sample.endpoint ?? undefined;
}

function sumOfSquares(shares: Readonly<Record<string, number>>): number {
	return Object.values(shares).reduce((sum, share) => sum + share * share, 0);
}

type AffinityPart = {readonly pairs: number; readonly same: number; readonly expected: Readonly<Record<string, number>>};

/** Affinity over one or more series; each series' pairs are judged against its own expectation. */
function affinitySummary(promise: AffinityPromise, parts: readonly AffinityPart[]): AffinitySummary {
	let pairs = 0;
	let same = 0;
	let expectedSame = 0;
	let variance = 0;
	let judged = 0;
	for (const part of parts) {
		pairs += part.pairs;
		same += part.same;
		const rate = promise.sessionAffinity === 'ClientIP' ? 1 : (Object.keys(part.expected).length > 0 ? sumOfSquares(part.expected) : undefined);
		if (rate !== undefined) {
			judged += part.pairs;
			expectedSame += part.pairs * rate;
			variance += part.pairs * rate * (1 - rate);
		}
	}

	const known = parts.some(part => promise.sessionAffinity === 'ClientIP' || Object.keys(part.expected).length > 0);
	const expectedSameRate = known ? (judged === 0 ? (promise.sessionAffinity === 'ClientIP' ? 1 : sumOfSquares(parts[0]!.expected)) : expectedSame / judged) : null;
	let verdict: AffinitySummary['verdict'] = null;
	if (pairs >= 5 && expectedSameRate !== null) {
		if (promise.sessionAffinity === 'ClientIP') {
			// One switch is allowed: the pod may have been replaced during the run.
			verdict = same >= pairs - 1 ? 'holds' : 'violated';
		} else {
			// Too many repeats for independent picks (a binomial z above 4) means something pins the client.
			const sd = Math.sqrt(variance);
			const z = sd === 0 ? 0 : (same - expectedSame) / sd;
			verdict = z > 4 ? 'violated' : 'holds';
		}
	}

	return {
		sessionAffinity: promise.sessionAffinity,
		timeoutSeconds: promise.timeoutSeconds,
		pairs,
		same,
		sameRate: pairs === 0 ? null : same / pairs,
		expectedSameRate,
		verdict,
	};
}

/** Under ClientIP affinity one client is pinned to one pod, so its shares say nothing about balance. */
function fitOf(byPod: ReadonlyMap<string, number>, expected: Readonly<Record<string, number>>, promise: AffinityPromise): GoodnessOfFit | undefined {
	if (Object.keys(expected).length === 0 || promise.sessionAffinity === 'ClientIP') {
		return undefined;
	}

	const observed: Record<string, number> = {};
	for (const [pod, count] of byPod) {
		if (pod !== unknownPod) {
			observed[pod] = count;
		}
	}

	return chiSquareGoodnessOfFit(observed, expected);
}

function reachabilityOf(state: SeriesState): Reachability | undefined {
	const {target, expectation} = state.spec;
	if (target.kind !== 'nodePort' || !expectation) {
		return undefined;
	}

	const expected = expectation.reachable ? 'reachable' : 'unreachable';
	const observed = state.count === 0 ? 'none' : (state.ok === state.count ? 'reachable' : (state.ok === 0 ? 'unreachable' : 'partial'));
	const verdicts: Record<typeof observed, Record<typeof expected, Reachability['verdict']>> = {
		none: {reachable: 'pending', unreachable: 'pending'},
		reachable: {reachable: 'ok', unreachable: 'unexpected'},
		unreachable: {reachable: 'broken', unreachable: 'expected'},
		partial: {reachable: 'partial', unreachable: 'unexpected'},
	};
	return {node: target.node ?? null, expected, observed, verdict: verdicts[observed][expected], reason: expectation.reason};
}

/**
 * Running statistics of a probe run in bounded memory: per-series aggregates plus a ring
 * buffer of the last `capacity` samples for lane and latency charts. Pure: time comes in samples.
 */
export class ProbeRunStats {
	private readonly series: SeriesState[];
	private readonly ring: (ProbeSample | undefined)[];
	private ringNext = 0;
	private ringSize = 0;
	private readonly podNodes = new Map<string, string | null>();
	private readonly total = new LatencyHistogram();

	constructor(specs: readonly SeriesSpec[], readonly capacity = 1024) {
		this.series = specs.map(spec => new SeriesState(spec));
		this.ring = Array.from({length: capacity});
	}

	/** Adds a sample to the series whose label is `sample.target` (the first series if none matches). */
	add(sample: ProbeSample): void {
		const state = this.series.find(candidate => candidate.spec.target.label === sample.target) ?? this.series[0];
		this.ring[this.ringNext] = sample;
		this.ringNext = (this.ringNext + 1) % this.capacity;
		this.ringSize = Math.min(this.capacity, this.ringSize + 1);
		if (!state) {
			return;
		}

		state.count++;
		state.via[sample.via]++;
		if (sample.ok) {
			state.ok++;
			state.latency.add(sample.latencyMs);
			this.total.add(sample.latencyMs);
		} else {
			increment(state.errors, sample.error ?? 'error');
		}

		const pod = podKeyOf(sample);
		if (pod === undefined) {
			if (sample.ok) {
				increment(state.byPod, unknownPod);
			}

			return;
		}

		increment(state.byPod, pod);
		if (sample.pod !== null && !this.podNodes.has(sample.pod)) {
			this.podNodes.set(sample.pod, sample.node);
		}

		const timeoutMs = (state.spec.affinity.timeoutSeconds ?? Number.POSITIVE_INFINITY) * 1000;
		if (state.lastPod !== undefined && sample.t - state.lastT <= timeoutMs) {
			state.pairs++;
			if (state.lastPod === pod) {
				state.same++;
			}
		}

		state.lastPod = pod;
		state.lastT = sample.t;
	}

	/** The ring buffer's samples, oldest first. */
	recent(): ProbeSample[] {
		const out: ProbeSample[] = [];
		const start = (this.ringNext - this.ringSize + this.capacity) % this.capacity;
		for (let i = 0; i < this.ringSize; i++) {
			out.push(this.ring[(start + i) % this.capacity]!);
		}

		return out;
	}

	/** An immutable copy for views and the summary. */
	snapshot(): ProbeRunSnapshot {
		const series = this.series.map(state => this.seriesSnapshot(state));
		const byPod = new Map<string, number>();
		const pooled: Record<string, number> = {};
		let weight = 0;
		const vias: Record<AttributionMethod, number> = {conntrack: 0, response: 0, peer: 0, unknown: 0};
		for (const [i, state] of this.series.entries()) {
			for (const [pod, count] of state.byPod) {
				byPod.set(pod, (byPod.get(pod) ?? 0) + count);
			}

			for (const method of Object.keys(vias) as AttributionMethod[]) {
				vias[method] += state.via[method];
			}

			// Pool each series' expectation weighted by its attributed answers (equal weights before any).
			const attributed = [...state.byPod].reduce((sum, [pod, count]) => sum + (pod === unknownPod ? 0 : count), 0);
			const seriesWeight = this.count() === 0 ? 1 : attributed;
			for (const [pod, share] of Object.entries(series[i]!.expected)) {
				pooled[pod] = (pooled[pod] ?? 0) + share * seriesWeight;
			}

			weight += Object.keys(series[i]!.expected).length > 0 ? seriesWeight : 0;
		}

		const expected: Record<string, number> = {};
		for (const [pod, value] of Object.entries(pooled)) {
			if (weight > 0 && value > 0) {
				expected[pod] = value / weight;
			}
		}

		const promise = this.series[0]?.spec.affinity ?? {sessionAffinity: 'None', timeoutSeconds: null};
		return {
			count: this.count(),
			ok: this.series.reduce((sum, state) => sum + state.ok, 0),
			series,
			byPod: Object.fromEntries(byPod),
			expected,
			fit: fitOf(byPod, expected, promise),
			affinity: affinitySummary(promise, this.series.map((state, i) => ({pairs: state.pairs, same: state.same, expected: series[i]!.expected}))),
			latency: this.total.summary(),
			recent: this.recent(),
			podNodes: Object.fromEntries(this.podNodes),
			methods: (Object.keys(vias) as AttributionMethod[]).filter(method => vias[method] > 0).sort((a, b) => vias[b] - vias[a]),
		};
	}

	private count(): number {
		return this.series.reduce((sum, state) => sum + state.count, 0);
	}

	private seriesSnapshot(state: SeriesState): SeriesSnapshot {
		const expected = state.spec.expectation?.shares ?? {};
		return {
			label: state.spec.target.label,
			kind: state.spec.target.kind,
			node: state.spec.target.node ?? null,
			count: state.count,
			ok: state.ok,
			successRate: state.count === 0 ? null : state.ok / state.count,
			latency: state.latency.summary(),
			byPod: Object.fromEntries(state.byPod),
			expected,
			fit: fitOf(state.byPod, expected, state.spec.affinity),
			affinity: affinitySummary(state.spec.affinity, [{pairs: state.pairs, same: state.same, expected}]),
			errors: Object.fromEntries(state.errors),
			via: {...state.via},
			reachability: reachabilityOf(state),
		};
	}
}

export type Lane = {
	/** Pod name (or endpoint), `unknown`, or `failed`. */
	readonly key: string;
	readonly node: string | null;
	/** One entry per column, oldest left: whether this lane answered a request in that column. */
	readonly marks: readonly boolean[];
};

/**
 * Lanes for the probe view: one row per pod with a mark in the column of each request it
 * answered, failures in their own row. The last `columns` samples fill the columns.
 */
export function lanesOf(samples: readonly ProbeSample[], columns: number): Lane[] {
	const shown = samples.slice(-columns);
	const rows = new Map<string, {node: string | null; marks: boolean[]}>();
	const row = (key: string, node: string | null) => {
		let lane = rows.get(key);
		if (!lane) {
			lane = {node, marks: Array.from({length: shown.length}, () => false)};
			rows.set(key, lane);
		}

		return lane;
	};

	for (const [column, sample] of shown.entries()) {
		const key = sample.ok ? (podKeyOf(sample) ?? unknownPod) : 'failed';
		row(key, sample.ok ? sample.node : null).marks[column] = true;
	}

	const order = (key: string) => (key === 'failed' ? 2 : (key === unknownPod ? 1 : 0));
	return [...rows]
		.sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
		.map(([key, lane]) => ({key, node: lane.node, marks: lane.marks}));
}
