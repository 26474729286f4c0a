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
	/** Of those, how many landed on the same pod as the one before: observed stickiness, a number only. */
	readonly same: number;
	readonly sameRate: number | null;
	/** 1 under ClientIP (every follow-up on the same pod); null without affinity: nothing is promised. */
	readonly expectedSameRate: number | null;
	/** ClientIP only: the pods answers stuck to (one per series and affinity window), in order seen. */
	readonly pods: readonly string[];
	/** ClientIP only: answers from another pod within the timeout while the pinned pod was still ready. */
	readonly switches: number;
	/**
	 * ClientIP only: `violated` after any switch, `holds` from 5 follow-ups without one; null before
	 * that, and always null under `None` (no promise, so no verdict).
	 */
	readonly verdict: 'holds' | 'violated' | null;
};

export type Reachability = {
	readonly node: string | null;
	/** What was expected when the probes were sent; `mixed`: reachable for some, not for others. */
	readonly expected: 'reachable' | 'unreachable' | 'mixed';
	readonly observed: 'reachable' | 'unreachable' | 'partial' | 'none';
	/**
	 * Each probe judged against what was expected when it was sent. ok: answers as it should;
	 * expected: fails as the policy says; broken: fails but should answer; unexpected: answered when
	 * it should not; mixed: readiness changed during the run and every probe did what was expected then.
	 */
	readonly verdict: 'ok' | 'expected' | 'broken' | 'unexpected' | 'partial' | 'mixed' | 'pending';
	readonly reason: string;
	/** Probes that missed their expectation within a moment of it changing (kube-proxy and the cache race): not judged. */
	readonly aroundChange: number;
};

/** Where the expected shares came from over the run: NAT rules, 1/n of ready endpoints, both at times, or nowhere. */
/** `direct`: svctop dials each endpoint itself (`--via endpoints`), so the split is svctop's, not kube-proxy's. */
export type ExpectedFrom = ExpectationBasis | 'mixed' | 'affinity' | 'direct' | null;

/** Where the expected shares came from, for the CLI summary (`long`) or the view's verdict line (`short`). */
export function expectedFromText(from: ExpectedFrom, form: 'long' | 'short'): string {
	const texts = {
		nat: ['expected from NAT rules', '  vs NAT rules'],
		ready: ['expected 1/n of ready endpoints', '  vs 1/n ready'],
		mixed: ['expected from NAT rules, 1/n of ready endpoints while the rules lagged', '  vs NAT rules, 1/n while they lagged'],
		affinity: ['expected: every answer from one pod (sessionAffinity ClientIP pins this client)', '  vs one pod (ClientIP)'],
		direct: ['each endpoint probed directly: svctop spreads the requests itself, so the shares say nothing about kube-proxy (no balance or affinity verdict)', '  (svctop spreads them: no kube-proxy verdict)'],
	} as const;
	return from === null ? '' : texts[from][form === 'long' ? 0 : 1];
}

export type SeriesSnapshot = {
	readonly label: string;
	readonly kind: ProbeTarget['kind'];
	readonly node: string | null;
	readonly count: number;
	readonly ok: number;
	/** Probes that got no answer where kube-proxy is told to drop them (Local, no endpoints on the node). */
	readonly dropped: number;
	/** Why they were dropped, with counts. */
	readonly dropReasons: Readonly<Record<string, number>>;
	/** Answers where kube-proxy should have dropped: a node that should not answer did. */
	readonly answeredShouldDrop: number;
	/** Failures nobody expected: count - ok - dropped. */
	readonly failed: number;
	/** ok / (count - dropped): the share of probes that should have been answered and were. */
	readonly successRate: number | null;
	readonly latency: LatencySummary | undefined;
	/** Requests each pod answered (including HTTP errors it returned); `unknown` when unattributed. */
	readonly byPod: Readonly<Record<string, number>>;
	/** Probes that got no answer (timeouts), by the pod conntrack says kube-proxy sent them to; never answers. */
	readonly failedTo: Readonly<Record<string, number>>;
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
	/**
	 * Why no endpoint can answer this target, when the API says so and kube-proxy rejects rather than
	 * drops (no ready endpoints): the cause of this series' failures. Null otherwise.
	 */
	readonly unanswerable: string | null;
};

export type ProbeRunSnapshot = {
	readonly count: number;
	readonly ok: number;
	/** As in SeriesSnapshot, over every series. */
	readonly dropped: number;
	readonly dropReasons: Readonly<Record<string, number>>;
	readonly answeredShouldDrop: number;
	readonly failed: number;
	readonly successRate: number | null;
	readonly series: readonly SeriesSnapshot[];
	/** All series pooled: counts, pooled expectation, fit and affinity. */
	readonly byPod: Readonly<Record<string, number>>;
	readonly failedTo: Readonly<Record<string, number>>;
	readonly expected: Readonly<Record<string, number>>;
	readonly expectedFrom: ExpectedFrom;
	readonly fit: GoodnessOfFit | undefined;
	readonly affinity: AffinitySummary;
	readonly latency: LatencySummary | undefined;
	/** The most recent samples, oldest first (the ring buffer's content). */
	readonly recent: readonly ProbeSample[];
	/** Node of each pod seen or expected (the EndpointSlice's until it answers), for lane labels and the NODE column. */
	readonly podNodes: Readonly<Record<string, string | null>>;
	/** The sampling methods in use, most frequent first. */
	readonly methods: readonly AttributionMethod[];
};

export const unknownPod = 'unknown';

/** The lane of probes dropped where kube-proxy is told to drop them. */
export const droppedLane = 'dropped';

/** A probe that got no answer where kube-proxy drops: as expected, not a failure (a refusal or a reset is something else). */
export function isExpectedDrop(sample: ProbeSample): boolean {
	return !sample.ok && sample.dropExpected !== undefined && sample.error === 'timeout';
}

/**
 * Whether something answered the probe, even with an error status (`http 404`, `dns SERVFAIL`):
 * a reply is never a drop. A refusal, reset or timeout is no reply.
 */
export function isReply(sample: ProbeSample): boolean {
	const error = sample.error ?? '';
	return sample.ok || /^http \d{3}$/.test(error) || /^dns [A-Z]/.test(error);
}

/**
 * The pod (or endpoint) a probe that got no answer was sent to, when conntrack named it: where
 * kube-proxy sent the request, never who answered. Undefined for answers (a broken reply came from
 * its pod), for expected drops and for failures nobody was named for.
 */
export function failedToOf(sample: ProbeSample): string | undefined {
	return sample.ok || sample.error !== 'timeout' || isExpectedDrop(sample) ? undefined : podKeyOf(sample);
}

/** An expectation prepared once for the per-sample work: its entries and its same-pod rate. */
type PreparedExpectation = {
	readonly source: Expectation | undefined;
	readonly entries: ReadonlyArray<readonly [string, number]>;
	/** The pods that may answer now. */
	readonly pods: ReadonlySet<string>;
};

function prepare(expectation: Expectation | undefined): PreparedExpectation {
	const entries = expectation ? Object.entries(expectation.shares).filter(([, share]) => share > 0) : [];
	return {source: expectation, entries, pods: new Set(entries.map(([pod]) => pod))};
}

/** How long a switch of pods may wait for the cache to say the pinned pod went away (kube-proxy acts first). */
const readinessLagMs = 2000;

class SeriesState {
	count = 0;
	ok = 0;
	readonly latency = new LatencyHistogram();
	readonly byPod = new Map<string, number>();
	readonly failedTo = new Map<string, number>();
	readonly errors = new Map<string, number>();
	readonly via: Record<AttributionMethod, number> = {conntrack: 0, response: 0, peer: 0, unknown: 0};
	dropped = 0;
	readonly dropReasons = new Map<string, number>();
	answeredShouldDrop = 0;
	lastPod: string | undefined;
	lastT = 0;
	pairs = 0;
	same = 0;
	/** ClientIP: the pod this affinity window is pinned to, every pod pinned so far, and unexplained switches. */
	pinned: string | undefined;
	readonly pinnedPods: string[] = [];
	switches = 0;
	/** The last unexplained switch, forgiven if the cache soon says its pod went away. */
	suspect: {readonly from: string; readonly t: number} | undefined;
	/** The expectation in force now. */
	current: PreparedExpectation;
	/**
	 * NodePort reachability: probes by what was expected when they were sent. `ok`: answered (where
	 * unreachable: replied at all); `failed`: where unreachable, neither dropped as told nor a reply.
	 */
	readonly reach = {reachable: {count: 0, ok: 0, failed: 0}, unreachable: {count: 0, ok: 0, failed: 0}, aroundChange: 0};
	/** When (sample time) the expected reachability last changed, and what it was. */
	lastReachable: boolean | undefined;
	lastChangeT: number | undefined;
	/** Probes that missed their expectation in the last moment: forgiven if it changes right after. */
	recentMisses: Array<{readonly t: number; readonly reachable: boolean; readonly ok: boolean; readonly failed: boolean}> = [];
	/** Sum over attributed answers of the share each pod was expected to get at that moment. */
	readonly expectedCounts = new Map<string, number>();
	/** Attributed answers that had an expectation, by where it came from. */
	readonly basis: Record<ExpectationBasis, number> = {nat: 0, ready: 0};

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

/** Weights as shares; a pod present with weight 0 stays at 0 (ClientIP: the pods this client should not reach). */
function normalized(weights: ReadonlyMap<string, number>): Record<string, number> {
	let total = 0;
	for (const weight of weights.values()) {
		total += weight;
	}

	const out: Record<string, number> = {};
	if (total <= 0) {
		return out;
	}

	for (const [key, weight] of weights) {
		if (weight >= 0) {
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
	readonly pods: readonly string[];
	readonly switches: number;
};

/**
 * Affinity over one or more series. Without affinity nothing is promised: the repeats are reported
 * as a number and judged by nobody (the chi-square speaks to balance). Under ClientIP every answer
 * within the timeout must come from the pod the window started on, unless that pod stopped being ready.
 */
function affinitySummary(promise: AffinityPromise, parts: readonly AffinityPart[]): AffinitySummary {
	let pairs = 0;
	let same = 0;
	let switches = 0;
	const pods = new Set<string>();
	for (const part of parts) {
		pairs += part.pairs;
		same += part.same;
		switches += part.switches;
		for (const pod of part.pods) {
			pods.add(pod);
		}
	}

	const clientIp = promise.sessionAffinity === 'ClientIP';
	const verdict = clientIp ? (switches > 0 ? 'violated' : (pairs >= 5 ? 'holds' : null)) : null;
	return {
		sessionAffinity: promise.sessionAffinity,
		timeoutSeconds: promise.timeoutSeconds,
		pairs,
		same,
		sameRate: pairs === 0 ? null : same / pairs,
		expectedSameRate: clientIp ? 1 : null,
		pods: clientIp ? [...pods] : [],
		switches: clientIp ? switches : 0,
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

	const {reachable, unreachable, aroundChange} = state.reach;
	const count = reachable.count + unreachable.count;
	const ok = reachable.ok + unreachable.ok;
	const node = target.node ?? null;
	const notJudged = aroundChange > 0 ? `; ${aroundChange} around a readiness change not judged` : '';
	if (count === 0) {
		return {node, expected: expectation.reachable ? 'reachable' : 'unreachable', observed: 'none', verdict: 'pending', reason: expectation.reason + notJudged, aroundChange};
	}

	const mixed = reachable.count > 0 && unreachable.count > 0;
	const expected = mixed ? 'mixed' : (reachable.count > 0 ? 'reachable' : 'unreachable');
	const observed = ok === count ? 'reachable' : (ok === 0 ? 'unreachable' : 'partial');
	// Answers where a drop was expected first: that is the finding; then probes that should have been answered.
	const verdict: Reachability['verdict'] = unreachable.ok > 0
		? 'unexpected'
		: (reachable.ok < reachable.count || unreachable.failed > 0
			? (reachable.ok === 0 ? 'broken' : 'partial')
			: (mixed ? 'mixed' : (reachable.count > 0 ? 'ok' : 'expected')));
	const reason = mixed
		? `endpoint readiness changed: ${reachable.count} sent while reachable, ${unreachable.count} while not; now ${expectation.reason}`
		: expectation.reason;
	return {node, expected, observed, verdict, reason: reason + notJudged, aroundChange};
}

/** How long a miss may precede or follow a change of what is expected and still be put down to the race between kube-proxy and the cache. */
const reachabilityLagMs = readinessLagMs;

/**
 * NodePort reachability per probe, against `reachable` as expected when it was sent. A miss within
 * a moment of that expectation changing (before or after) is not judged: kube-proxy and svctop's
 * cache learn of a readiness change at slightly different times.
 */
function judgeReachability(state: SeriesState, sample: ProbeSample, reachable: boolean, drop: string | undefined): void {
	const {reach} = state;
	noteReachable(state, reachable, sample.t);
	// Where no answer is expected, a reply of any kind is an answer; where a drop is, only a timeout is one.
	const ok = reachable ? sample.ok : isReply(sample);
	const failed = !reachable && !ok && drop !== undefined && sample.error !== 'timeout';
	const missed = reachable ? !ok : ok || failed;
	if (missed && state.lastChangeT !== undefined && sample.t - state.lastChangeT <= reachabilityLagMs) {
		reach.aroundChange++;
		return;
	}

	const part = reachable ? reach.reachable : reach.unreachable;
	part.count++;
	part.ok += ok ? 1 : 0;
	part.failed += failed ? 1 : 0;
	state.recentMisses = state.recentMisses.filter(miss => sample.t - miss.t <= reachabilityLagMs);
	if (missed) {
		state.recentMisses.push({t: sample.t, reachable, ok, failed});
	}
}

/** What is expected at `t`: on a change, the misses just before it are not judged. */
function noteReachable(state: SeriesState, reachable: boolean, t: number): void {
	const {reach} = state;
	if (state.lastReachable !== undefined && state.lastReachable !== reachable) {
		state.lastChangeT = t;
		// Misses just before the change: forgiven.
		for (const miss of state.recentMisses) {
			if (t - miss.t <= reachabilityLagMs) {
				const part = miss.reachable ? reach.reachable : reach.unreachable;
				part.count--;
				part.ok -= miss.ok ? 1 : 0;
				part.failed -= miss.failed ? 1 : 0;
				reach.aroundChange++;
			}
		}

		state.recentMisses = [];
	}

	state.lastReachable = reachable;
}

/**
 * `sample` as recorded: with `dropExpected` where kube-proxy is told to drop it. A reply where the
 * API says no pod can answer (kube-proxy rejects: no ready endpoints) came from something else.
 */
function countOutcome(state: SeriesState, sample: ProbeSample, noAnswer: boolean): void {
	state.count++;
	// How an answer was named: a probe that got none counts as unknown, wherever it was sent.
	state.via[noAnswer ? 'unknown' : sample.via]++;
	if ((sample.dropExpected !== undefined || state.current.source?.reachable === false) && isReply(sample)) {
		state.answeredShouldDrop++;
	}

	if (sample.ok) {
		state.ok++;
		state.latency.add(sample.latencyMs);
	} else if (isExpectedDrop(sample)) {
		state.dropped++;
		increment(state.dropReasons, sample.dropExpected!);
	} else {
		increment(state.errors, sample.error ?? 'error');
	}
}

/** ClientIP: a new window when the last answer is older than the timeout or its pod stopped being ready; else a switch. */
function trackAffinity(state: SeriesState, pod: string, t: number): void {
	const {affinity} = state.spec;
	const timeoutMs = (affinity.timeoutSeconds ?? Number.POSITIVE_INFINITY) * 1000;
	const inWindow = state.lastPod !== undefined && t - state.lastT <= timeoutMs;
	if (inWindow) {
		state.pairs++;
		if (state.lastPod === pod) {
			state.same++;
		}
	}

	if (affinity.sessionAffinity !== 'ClientIP') {
		return;
	}

	const pinnedGone = state.pinned !== undefined && state.current.pods.size > 0 && !state.current.pods.has(state.pinned);
	if (state.pinned === undefined || !inWindow || pinnedGone) {
		pin(state, pod);
	} else if (pod !== state.pinned) {
		state.switches++;
		state.suspect = {from: state.pinned, t};
		pin(state, pod);
	}
}

function pin(state: SeriesState, pod: string): void {
	state.pinned = pod;
	if (!state.pinnedPods.includes(pod)) {
		state.pinnedPods.push(pod);
	}
}

/** kube-proxy follows readiness before the cache does: a switch away from a pod the next expectation drops was no violation. */
function forgiveSwitch(state: SeriesState, t: number): void {
	const {suspect} = state;
	if (suspect && t - suspect.t <= readinessLagMs && state.current.pods.size > 0 && !state.current.pods.has(suspect.from)) {
		state.switches--;
		state.suspect = undefined;
	}
}

/**
 * Adds what this attributed answer was expected to be: the shares in force (the NAT split or 1/n),
 * or under ClientIP all of it on the pinned pod, 0 on the others that may answer.
 */
function addExpected(state: SeriesState): void {
	const {current} = state;
	if (current.entries.length === 0) {
		return;
	}

	if (state.spec.affinity.sessionAffinity === 'ClientIP' && state.pinned !== undefined) {
		for (const [key] of current.entries) {
			state.expectedCounts.set(key, state.expectedCounts.get(key) ?? 0);
		}

		state.expectedCounts.set(state.pinned, (state.expectedCounts.get(state.pinned) ?? 0) + 1);
	} else {
		for (const [key, share] of current.entries) {
			state.expectedCounts.set(key, (state.expectedCounts.get(key) ?? 0) + share);
		}
	}

	state.basis[current.source!.basis]++;
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
	/** Node of each pod: from the EndpointSlice for a pod expected to answer, from its first answer once it does. */
	private readonly podNodes = new Map<string, string | null>();
	private readonly answeredPods = new Set<string>();
	private readonly total = new LatencyHistogram();

	constructor(specs: readonly SeriesSpec[], readonly capacity = 1024) {
		this.series = specs.map(spec => new SeriesState(spec));
		for (const state of this.series) {
			this.noteNodes(state.spec.expectation);
			if (!this.byLabel.has(state.spec.target.label)) {
				this.byLabel.set(state.spec.target.label, state);
			}
		}

		this.ring = Array.from({length: capacity});
	}

	/** Pods an expectation names keep the node their EndpointSlice gives until they answer (then the answer's holds). */
	private noteNodes(expectation: Expectation | undefined): void {
		for (const [pod, node] of Object.entries(expectation?.nodes ?? {})) {
			if (!this.answeredPods.has(pod) && (node !== null || !this.podNodes.has(pod))) {
				this.podNodes.set(pod, node);
			}
		}
	}

	/**
	 * Adds a sample to the series whose label is `sample.target` (the first series if none matches).
	 * `expectation` is what that series should see when the probe was sent (from the endpoints ready
	 * then): the probe is judged against it; without it the last one given (or the plan's) holds. Returns the sample as
	 * recorded: marked `dropExpected` where kube-proxy is told to drop it.
	 */
	add(sample: ProbeSample, expectation?: Expectation): ProbeSample {
		const state = this.byLabel.get(sample.target) ?? this.series[0];
		if (state && expectation !== undefined && expectation !== state.current.source) {
			state.current = prepare(expectation);
			this.noteNodes(expectation);
			forgiveSwitch(state, sample.t);
		}

		const drop = state?.current.source?.drop;
		const recorded = drop === undefined ? sample : {...sample, dropExpected: drop};
		this.ring[this.ringNext] = recorded;
		this.ringNext = (this.ringNext + 1) % this.capacity;
		this.ringSize = Math.min(this.capacity, this.ringSize + 1);
		if (!state) {
			return recorded;
		}

		// A timeout conntrack named (or an expected drop with a pod): no answer, so no pod's count, share or affinity.
		const noAnswer = sample.error === 'timeout' && !sample.ok;
		const sentTo = failedToOf(recorded);
		countOutcome(state, recorded, noAnswer);
		if (state.spec.target.kind === 'nodePort' && state.current.source) {
			judgeReachability(state, sample, state.current.source.reachable, state.current.source.drop);
		}

		if (sample.ok) {
			this.total.add(sample.latencyMs);
		}

		if (sentTo !== undefined) {
			increment(state.failedTo, sentTo);
			if (sample.pod !== null && !this.podNodes.has(sample.pod)) {
				this.podNodes.set(sample.pod, sample.node);
			}
		}

		const pod = podKeyOf(sample);
		if (pod === undefined || noAnswer) {
			if (sample.ok) {
				increment(state.byPod, unknownPod);
			}

			return recorded;
		}

		increment(state.byPod, pod);
		// The node an answer names wins over the slice's (once per pod); a slice's null never hides it.
		if (sample.pod !== null && !this.answeredPods.has(sample.pod)) {
			this.answeredPods.add(sample.pod);
			this.podNodes.set(sample.pod, sample.node ?? this.podNodes.get(sample.pod) ?? null);
		}

		trackAffinity(state, pod, sample.t);
		addExpected(state);
		state.lastPod = pod;
		state.lastT = sample.t;
		return recorded;
	}

	/**
	 * At the end of a run, what the series labelled `label` is expected to do now (`t`), with no probe
	 * sent: the cache may only now have seen the readiness change kube-proxy acted on during the last
	 * probes, whose misses are then not judged, as they would be had another probe followed.
	 */
	settle(label: string, expectation: Expectation | undefined, t: number): void {
		const state = this.byLabel.get(label);
		if (state?.spec.target.kind === 'nodePort' && expectation !== undefined) {
			noteReachable(state, expectation.reachable, t);
		}
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
		const failedTo = new Map<string, number>();
		// Answers of a series nothing is expected of (a node's own Local NodePort) are counted, not fitted.
		const judgedByPod = new Map<string, number>();
		const expectedCounts = new Map<string, number>();
		const basis: Record<ExpectationBasis, number> = {nat: 0, ready: 0};
		const vias: Record<AttributionMethod, number> = {conntrack: 0, response: 0, peer: 0, unknown: 0};
		for (const state of this.series) {
			for (const [pod, count] of state.byPod) {
				byPod.set(pod, (byPod.get(pod) ?? 0) + count);
				if (state.current.source !== undefined) {
					judgedByPod.set(pod, (judgedByPod.get(pod) ?? 0) + count);
				}
			}

			for (const [pod, count] of state.failedTo) {
				failedTo.set(pod, (failedTo.get(pod) ?? 0) + count);
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

		const promise = this.series[0]?.spec.affinity ?? {sessionAffinity: 'None', timeoutSeconds: null};
		const clientIp = promise.sessionAffinity === 'ClientIP';
		const direct = this.series.length > 0 && this.series.every(state => isDirect(state));
		// Nothing answered yet: the series' current expectations, equally weighted (under ClientIP: one pod, not known yet).
		if (expectedCounts.size === 0 && !clientIp) {
			for (const state of this.series) {
				for (const [pod, share] of state.current.entries) {
					expectedCounts.set(pod, (expectedCounts.get(pod) ?? 0) + share);
				}
			}
		}

		const expectedWeights = Object.fromEntries(expectedCounts);
		const dropReasons = new Map<string, number>();
		for (const entry of series) {
			for (const [reason, count] of Object.entries(entry.dropReasons)) {
				dropReasons.set(reason, (dropReasons.get(reason) ?? 0) + count);
			}
		}

		return {
			...outcomesOf(this.count(), sum(series, 'ok'), sum(series, 'dropped'), sum(series, 'answeredShouldDrop')),
			dropReasons: Object.fromEntries(dropReasons),
			series,
			byPod: Object.fromEntries(byPod),
			failedTo: Object.fromEntries(failedTo),
			expected: normalized(expectedCounts),
			expectedFrom: direct ? 'direct' : (clientIp ? 'affinity' : expectedFromOf(basis, this.series.find(state => state.current.entries.length > 0)?.current.source?.basis)),
			// svctop picks the endpoint: neither the split nor the repeats are kube-proxy's doing.
			fit: direct ? undefined : fitOf(judgedByPod, expectedWeights, promise),
			affinity: affinitySummary(promise, direct ? [] : this.series.map(state => affinityPartOf(state))),
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
		const clientIp = state.spec.affinity.sessionAffinity === 'ClientIP';
		const weights = state.expectedCounts.size > 0 || clientIp ? state.expectedCounts : new Map(state.current.entries);
		return {
			label: state.spec.target.label,
			kind: state.spec.target.kind,
			node: state.spec.target.node ?? null,
			...outcomesOf(state.count, state.ok, state.dropped, state.answeredShouldDrop),
			dropReasons: Object.fromEntries(state.dropReasons),
			latency: state.latency.summary(),
			byPod: Object.fromEntries(state.byPod),
			failedTo: Object.fromEntries(state.failedTo),
			expected: normalized(weights),
			expectedFrom: isDirect(state) ? 'direct' : (clientIp ? 'affinity' : expectedFromOf(state.basis, state.current.entries.length > 0 ? state.current.source?.basis : undefined)),
			fit: isDirect(state) ? undefined : fitOf(state.byPod, Object.fromEntries(weights), state.spec.affinity),
			affinity: affinitySummary(state.spec.affinity, isDirect(state) ? [] : [affinityPartOf(state)]),
			errors: Object.fromEntries(state.errors),
			via: {...state.via},
			reachability: reachabilityOf(state),
			unanswerable: unanswerableOf(state.current.source),
		};
	}
}

function unanswerableOf(expectation: Expectation | undefined): string | null {
	return expectation && !expectation.reachable && expectation.drop === undefined ? expectation.reason : null;
}

/**
 * The failures of a connection with no backend: kube-proxy's REJECT refuses (or reports the port
 * unreachable), other data planes reset, a SYN that went nowhere times out. A DNS failure or an HTTP
 * error status is no such failure.
 */
const rejectedErrors = ['refused', 'unreachable', 'reset', 'timeout'];

/**
 * The known cause of failures, one line per cause: series that failed where the API says no pod can
 * answer (no ready endpoints, which kube-proxy's rules refuse rather than drop), so those failures
 * are the Service's state, not the network's.
 */
export function failureCauses(snapshot: ProbeRunSnapshot): string[] {
	const causes = new Map<string, string[]>();
	for (const series of snapshot.series) {
		if (series.unanswerable !== null && rejectedErrors.some(error => (series.errors[error] ?? 0) > 0)) {
			causes.set(series.unanswerable, [...(causes.get(series.unanswerable) ?? []), series.label]);
		}
	}

	return [...causes].map(([reason, labels]) => `${reason}: no pod can answer ${labels.length === snapshot.series.length ? 'this Service' : labels.join(', ')}`);
}

/** Where the timed-out probes went: the pods conntrack named (most first) and how many it named nobody for. */
export type TimeoutDestinations = {
	readonly timeouts: number;
	readonly sentTo: ReadonlyArray<{readonly pod: string; readonly node: string | null; readonly count: number}>;
	readonly unknown: number;
};

/** Undefined when no timeout was traced to a pod (then the count alone is all there is to say). */
export function timeoutDestinations(snapshot: ProbeRunSnapshot): TimeoutDestinations | undefined {
	const sentTo = Object.entries(snapshot.failedTo)
		.map(([pod, count]) => ({pod, node: snapshot.podNodes[pod] ?? null, count}))
		.sort((a, b) => b.count - a.count || a.pod.localeCompare(b.pod));
	if (sentTo.length === 0) {
		return undefined;
	}

	const timeouts = snapshot.series.reduce((total, series) => total + (series.errors['timeout'] ?? 0), 0);
	const traced = sentTo.reduce((total, entry) => total + entry.count, 0);
	return {timeouts, sentTo, unknown: Math.max(0, timeouts - traced)};
}

/**
 * `kube-proxy sent 9 to web-2 on node-b, 3 unknown`: where the requests went, which says nothing of
 * whether that pod is at fault (a NetworkPolicy, a dead node, a hung app look the same from here).
 */
export function timeoutDestinationsText(destinations: TimeoutDestinations, withNodes = true): string {
	const sent = destinations.sentTo.map(entry => `${entry.count} to ${entry.pod}${withNodes && entry.node ? ` on ${entry.node}` : ''}`);
	return `kube-proxy sent ${[...sent, ...(destinations.unknown > 0 ? [`${destinations.unknown} unknown`] : [])].join(', ')}`;
}

/**
 * Set when answers came but none could be named to a pod (no conntrack entry, no pod name in the
 * response, as with --tcp or a --match that never matches): the per-pod counts are not observed,
 * not zero. Says so in a line.
 */
export function unattributedNote(snapshot: ProbeRunSnapshot): string | undefined {
	const unattributed = snapshot.byPod[unknownPod] ?? 0;
	const attributed = Object.entries(snapshot.byPod).some(([pod, count]) => pod !== unknownPod && count > 0);
	return unattributed > 0 && !attributed
		? `${unattributed} answer${unattributed === 1 ? '' : 's'} not attributed to any pod (no conntrack entry, no pod name in the response): per-pod shares not observed`
		: undefined;
}

/** A series svctop sends straight to one endpoint, past kube-proxy. */
function isDirect(state: SeriesState): boolean {
	return state.spec.target.kind === 'endpoint';
}

function affinityPartOf(state: SeriesState): AffinityPart {
	return {pairs: state.pairs, same: state.same, pods: state.pinnedPods, switches: state.switches};
}

function sum(series: readonly SeriesSnapshot[], key: 'ok' | 'dropped' | 'answeredShouldDrop'): number {
	return series.reduce((total, entry) => total + entry[key], 0);
}

/** The headline numbers: expected drops are neither successes nor failures. */
function outcomesOf(count: number, ok: number, dropped: number, answeredShouldDrop: number) {
	const shouldAnswer = count - dropped;
	return {count, ok, dropped, answeredShouldDrop, failed: shouldAnswer - ok, successRate: shouldAnswer === 0 ? null : ok / shouldAnswer};
}

export type Lane = {
	/** Pod name (or endpoint), `unknown`, `dropped` (as kube-proxy was told to) or `failed`. */
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
		const key = sample.ok ? (podKeyOf(sample) ?? unknownPod) : (isExpectedDrop(sample) ? droppedLane : 'failed');
		row(key, sample.ok ? sample.node : null).marks[column] = true;
	}

	const order = (key: string) => ({[unknownPod]: 1, [droppedLane]: 2, failed: 3})[key] ?? 0;
	return [...rows]
		.sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
		.map(([key, lane]) => ({key, node: lane.node, marks: lane.marks}));
}
