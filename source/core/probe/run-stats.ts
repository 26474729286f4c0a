import {chiSquareGoodnessOfFit, type GoodnessOfFit} from './chi-square.js';
import {LatencyHistogram, type LatencySummary} from './latency.js';
import type {AffinityPromise, Expectation, ExpectationBasis} from './service-targets.js';
import type {AttributionMethod, ProbeSample, ProbeTarget} from './types.js';

/** A series as the statistics need it: where it points and what kube-proxy promises there. */
export type SeriesSpec = {
	readonly target: ProbeTarget;
	/** What is expected when the run starts; undefined when nothing is known (a plain host:port). */
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
	/** What the promise implies: 1 under ClientIP, the sum of squared shares (at each pair's time) without affinity. */
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

/** Where the expected shares came from over the run: NAT rules, 1/n of ready endpoints, both at times, or nowhere. */
export type ExpectedFrom = ExpectationBasis | 'mixed' | null;

/** Where the expected shares came from, for the CLI summary (`long`) or the view's verdict line (`short`). */
export function expectedFromText(from: ExpectedFrom, form: 'long' | 'short'): string {
	const texts = {
		nat: ['expected from NAT rules', '  vs NAT rules'],
		ready: ['expected 1/n of ready endpoints', '  vs 1/n ready'],
		mixed: ['expected from NAT rules, 1/n of ready endpoints while the rules lagged', '  vs NAT rules/1/n'],
	} as const;
	return from === null ? '' : texts[from][form === 'long' ? 0 : 1];
}

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
	/**
	 * Expected share per pod, integrated over the run: the mean of the expectation in force at each
	 * attributed answer (the current expectation before any).
	 */
	readonly expected: Readonly<Record<string, number>>;
	readonly expectedFrom: ExpectedFrom;
	/** Observed counts against the accumulated expected counts; df = pods with a non-zero expected count - 1. */
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
	readonly expectedFrom: ExpectedFrom;
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

/** An expectation prepared once for the per-sample work: its entries and its same-pod rate. */
type PreparedExpectation = {
	readonly source: Expectation | undefined;
	readonly entries: ReadonlyArray<readonly [string, number]>;
	/** Sum of squared shares; undefined when nothing is expected. */
	readonly sameRate: number | undefined;
};

function prepare(expectation: Expectation | undefined): PreparedExpectation {
	const entries = expectation ? Object.entries(expectation.shares).filter(([, share]) => share > 0) : [];
	return {
		source: expectation,
		entries,
		sameRate: entries.length === 0 ? undefined : entries.reduce((sum, [, share]) => sum + share * share, 0),
	};
}

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
	/** The expectation in force now. */
	current: PreparedExpectation;
	/** Sum over attributed answers of the share each pod was expected to get at that moment. */
	readonly expectedCounts = new Map<string, number>();
	/** Attributed answers that had an expectation, by where it came from. */
	readonly basis: Record<ExpectationBasis, number> = {nat: 0, ready: 0};
	/** Pairs judged against an expectation, their repeats, and the repeats and variance expected. */
	judged = 0;
	judgedSame = 0;
	expectedSame = 0;
	variance = 0;

	constructor(readonly spec: SeriesSpec) {
		this.current = prepare(spec.expectation);
	}
}

function increment(map: Map<string, number>, key: string): void {
	map.set(key, (map.get(key) ?? 0) + 1);
}

function podKeyOf(sample: ProbeSample): string | undefined {
	return sample.pod ?? sample.endpoint ?? undefined;
}

function normalized(weights: ReadonlyMap<string, number>): Record<string, number> {
	let total = 0;
	for (const weight of weights.values()) {
		total += weight;
	}

	const out: Record<string, number> = {};
	for (const [key, weight] of weights) {
		if (weight > 0) {
			out[key] = weight / total;
		}
	}

	return out;
}

function expectedFromOf(basis: Readonly<Record<ExpectationBasis, number>>, fallback: ExpectationBasis | undefined): ExpectedFrom {
	if (basis.nat > 0 && basis.ready > 0) {
		return 'mixed';
	}

	return basis.nat > 0 ? 'nat' : (basis.ready > 0 ? 'ready' : fallback ?? null);
}

type AffinityPart = {
	readonly pairs: number;
	readonly same: number;
	readonly judged: number;
	readonly judgedSame: number;
	readonly expectedSame: number;
	readonly variance: number;
	/** The same-pod rate of the expectation in force now, for a verdict before any pair was judged. */
	readonly currentRate: number | undefined;
};

/** Affinity over one or more series; each pair is judged against the expectation in force when it happened. */
function affinitySummary(promise: AffinityPromise, parts: readonly AffinityPart[]): AffinitySummary {
	let pairs = 0;
	let same = 0;
	let judged = 0;
	let judgedSame = 0;
	let expectedSame = 0;
	let variance = 0;
	for (const part of parts) {
		pairs += part.pairs;
		same += part.same;
		judged += part.judged;
		judgedSame += part.judgedSame;
		expectedSame += part.expectedSame;
		variance += part.variance;
	}

	const clientIp = promise.sessionAffinity === 'ClientIP';
	const fallback = clientIp ? 1 : parts.find(part => part.currentRate !== undefined)?.currentRate;
	const expectedSameRate = judged > 0 ? expectedSame / judged : (fallback ?? null);
	let verdict: AffinitySummary['verdict'] = null;
	if (pairs >= 5 && expectedSameRate !== null) {
		if (clientIp) {
			// One switch is allowed: the pod may have been replaced during the run.
			verdict = same >= pairs - 1 ? 'holds' : 'violated';
		} else {
			// Too many repeats for independent picks (a binomial z above 4) means something pins the client.
			const sd = Math.sqrt(variance);
			const z = sd === 0 ? 0 : (judgedSame - expectedSame) / sd;
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
function fitOf(byPod: ReadonlyMap<string, number>, expectedWeights: Readonly<Record<string, number>>, promise: AffinityPromise): GoodnessOfFit | undefined {
	if (Object.keys(expectedWeights).length === 0 || promise.sessionAffinity === 'ClientIP') {
		return undefined;
	}

	const observed: Record<string, number> = {};
	for (const [pod, count] of byPod) {
		if (pod !== unknownPod) {
			observed[pod] = count;
		}
	}

	// The goodness of fit scales the weights to the observed total: accumulated counts work as they are.
	return chiSquareGoodnessOfFit(observed, expectedWeights);
}

function reachabilityOf(state: SeriesState): Reachability | undefined {
	const {target} = state.spec;
	const expectation = state.current.source;
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
 * The expectation follows the live endpoint set: each attributed answer adds the shares expected
 * at its moment to running expected counts (O(pods) per sample, one number per pod ever expected).
 */
export class ProbeRunStats {
	private readonly series: SeriesState[];
	private readonly byLabel = new Map<string, SeriesState>();
	private readonly ring: (ProbeSample | undefined)[];
	private ringNext = 0;
	private ringSize = 0;
	private readonly podNodes = new Map<string, string | null>();
	private readonly total = new LatencyHistogram();

	constructor(specs: readonly SeriesSpec[], readonly capacity = 1024) {
		this.series = specs.map(spec => new SeriesState(spec));
		for (const state of this.series) {
			if (!this.byLabel.has(state.spec.target.label)) {
				this.byLabel.set(state.spec.target.label, state);
			}
		}

		this.ring = Array.from({length: capacity});
	}

	/**
	 * Adds a sample to the series whose label is `sample.target` (the first series if none matches).
	 * `expectation` is what that series should see at the sample's moment (from the endpoints ready
	 * then); without it the last one given (or the plan's) still holds.
	 */
	add(sample: ProbeSample, expectation?: Expectation): void {
		const state = this.byLabel.get(sample.target) ?? this.series[0];
		this.ring[this.ringNext] = sample;
		this.ringNext = (this.ringNext + 1) % this.capacity;
		this.ringSize = Math.min(this.capacity, this.ringSize + 1);
		if (!state) {
			return;
		}

		if (expectation !== undefined && expectation !== state.current.source) {
			state.current = prepare(expectation);
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

		const {current} = state;
		if (current.entries.length > 0) {
			for (const [key, share] of current.entries) {
				state.expectedCounts.set(key, (state.expectedCounts.get(key) ?? 0) + share);
			}

			state.basis[current.source!.basis]++;
		}

		const timeoutMs = (state.spec.affinity.timeoutSeconds ?? Number.POSITIVE_INFINITY) * 1000;
		if (state.lastPod !== undefined && sample.t - state.lastT <= timeoutMs) {
			state.pairs++;
			const repeat = state.lastPod === pod;
			if (repeat) {
				state.same++;
			}

			const rate = state.spec.affinity.sessionAffinity === 'ClientIP' ? 1 : current.sameRate;
			if (rate !== undefined) {
				state.judged++;
				state.judgedSame += repeat ? 1 : 0;
				state.expectedSame += rate;
				state.variance += rate * (1 - rate);
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
		const expectedCounts = new Map<string, number>();
		const basis: Record<ExpectationBasis, number> = {nat: 0, ready: 0};
		const vias: Record<AttributionMethod, number> = {conntrack: 0, response: 0, peer: 0, unknown: 0};
		for (const state of this.series) {
			for (const [pod, count] of state.byPod) {
				byPod.set(pod, (byPod.get(pod) ?? 0) + count);
			}

			for (const [pod, weight] of state.expectedCounts) {
				expectedCounts.set(pod, (expectedCounts.get(pod) ?? 0) + weight);
			}

			for (const method of Object.keys(vias) as AttributionMethod[]) {
				vias[method] += state.via[method];
			}

			basis.nat += state.basis.nat;
			basis.ready += state.basis.ready;
		}

		if (expectedCounts.size === 0) {
			// Nothing answered yet: the series' current expectations, equally weighted.
			for (const state of this.series) {
				for (const [pod, share] of state.current.entries) {
					expectedCounts.set(pod, (expectedCounts.get(pod) ?? 0) + share);
				}
			}
		}

		const promise = this.series[0]?.spec.affinity ?? {sessionAffinity: 'None', timeoutSeconds: null};
		const expectedWeights = Object.fromEntries(expectedCounts);
		return {
			count: this.count(),
			ok: this.series.reduce((sum, state) => sum + state.ok, 0),
			series,
			byPod: Object.fromEntries(byPod),
			expected: normalized(expectedCounts),
			expectedFrom: expectedFromOf(basis, this.series.find(state => state.current.entries.length > 0)?.current.source?.basis),
			fit: fitOf(byPod, expectedWeights, promise),
			affinity: affinitySummary(promise, this.series.map(state => affinityPartOf(state))),
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
		const weights = state.expectedCounts.size > 0 ? state.expectedCounts : new Map(state.current.entries);
		return {
			label: state.spec.target.label,
			kind: state.spec.target.kind,
			node: state.spec.target.node ?? null,
			count: state.count,
			ok: state.ok,
			successRate: state.count === 0 ? null : state.ok / state.count,
			latency: state.latency.summary(),
			byPod: Object.fromEntries(state.byPod),
			expected: normalized(weights),
			expectedFrom: expectedFromOf(state.basis, state.current.entries.length > 0 ? state.current.source?.basis : undefined),
			fit: fitOf(state.byPod, Object.fromEntries(weights), state.spec.affinity),
			affinity: affinitySummary(state.spec.affinity, [affinityPartOf(state)]),
			errors: Object.fromEntries(state.errors),
			via: {...state.via},
			reachability: reachabilityOf(state),
		};
	}
}

function affinityPartOf(state: SeriesState): AffinityPart {
	return {
		pairs: state.pairs,
		same: state.same,
		judged: state.judged,
		judgedSame: state.judgedSame,
		expectedSame: state.expectedSame,
		variance: state.variance,
		currentRate: state.current.sameRate,
	};
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
