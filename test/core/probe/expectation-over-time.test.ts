import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {V1EndpointSlice} from '@kubernetes/client-node';
import {planServiceProbe, replan, type ProbePlan} from '../../../source/core/probe/plan.js';
import {ProbeRunStats} from '../../../source/core/probe/run-stats.js';
import type {ProbeSample} from '../../../source/core/probe/types.js';
import {echoPods, echoSlice, nodePortService, nodes} from './fixtures.js';

const service = nodePortService('Cluster');
const target = '10.200.1.60:9000';

function plan(slice: V1EndpointSlice): ProbePlan {
	const planned = planServiceProbe({services: [service], endpointSlices: [slice], nodes}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, 'clusterip');
	assert.ok(!('error' in planned));
	return planned;
}

/** The slice with only the pods at `ready` (indexes into echoPods) ready. */
function sliceWithReady(ready: readonly number[]): V1EndpointSlice {
	const slice = echoSlice(3);
	return {...slice, endpoints: (slice.endpoints ?? []).map((endpoint, i) => ({...endpoint, conditions: {ready: ready.includes(i)}}))};
}

function answer(seq: number, pod: number): ProbeSample {
	const [name, ip, node] = echoPods[pod]!;
	return {seq, t: seq * 100, target, ok: true, latencyMs: 1, pod: name, node, endpoint: `${ip}:8080`, via: 'response', error: null};
}

type Phase = {
	/** Pods ready during the phase (what the live plan sees). */
	readonly ready: readonly number[];
	/** Who answers each probe of the phase, cycled. */
	readonly answers: readonly number[];
	readonly probes: number;
};

/** Runs the phases through the statistics the way the CLI and the view do: replan from the live snapshot, expectation per sample. */
function run(phases: readonly Phase[], live: boolean) {
	const initial = plan(sliceWithReady(phases[0]!.ready));
	const stats = new ProbeRunStats(initial.series);
	let seq = 0;
	for (const phase of phases) {
		const expectation = replan({services: [service], endpointSlices: [sliceWithReady(phase.ready)], nodes}, initial).expectations.get(target);
		for (let i = 0; i < phase.probes; i++) {
			stats.add(answer(seq++, phase.answers[i % phase.answers.length]!), live ? expectation : undefined);
		}
	}

	return stats.snapshot();
}

const cases: Array<{name: string; phases: Phase[]; balanced: boolean; fixedBalanced: boolean; degrees: number}> = [
	{
		name: 'a pod not ready for half the run, its answers going to the others, is balanced',
		phases: [{ready: [0, 1, 2], answers: [0, 1, 2], probes: 300}, {ready: [0, 2], answers: [0, 2], probes: 300}],
		balanced: true,
		fixedBalanced: false,
		degrees: 2,
	},
	{
		name: 'a pod that becomes ready halfway (rollout) is expected from then on',
		phases: [{ready: [0, 1], answers: [0, 1], probes: 300}, {ready: [0, 1, 2], answers: [0, 1, 2], probes: 300}],
		balanced: true,
		fixedBalanced: false,
		degrees: 2,
	},
	{
		name: 'a real skew while one pod is out is still caught',
		phases: [{ready: [0, 1, 2], answers: [0, 1, 2], probes: 300}, {ready: [0, 2], answers: [0, 0, 2], probes: 300}],
		balanced: false,
		fixedBalanced: false,
		degrees: 2,
	},
	{
		name: 'a skew with every pod ready all along is caught',
		phases: [{ready: [0, 1, 2], answers: [0, 0, 1, 2], probes: 600}],
		balanced: false,
		fixedBalanced: false,
		degrees: 2,
	},
	{
		name: 'a steady set behaves as before',
		phases: [{ready: [0, 1, 2], answers: [0, 1, 2], probes: 600}],
		balanced: true,
		fixedBalanced: true,
		degrees: 2,
	},
	{
		name: 'one pod out for the whole run: df counts only pods ever expected',
		phases: [{ready: [0, 2], answers: [0, 2], probes: 600}],
		balanced: true,
		fixedBalanced: true,
		degrees: 1,
	},
];

describe('expected shares follow the live endpoint set', () => {
	for (const entry of cases) {
		test(entry.name, () => {
			const snapshot = run(entry.phases, true);
			assert.ok(snapshot.fit, 'a fit');
			assert.equal(snapshot.fit.pValue >= 0.05, entry.balanced, `p = ${snapshot.fit.pValue}`);
			assert.equal(snapshot.fit.degrees, entry.degrees);
			// The same answers judged against the expectation fixed at the start.
			const fixed = run(entry.phases, false);
			assert.equal((fixed.fit?.pValue ?? 0) >= 0.05, entry.fixedBalanced, `fixed p = ${fixed.fit?.pValue}`);
		});
	}

	test('the expected share is the time average of the expectation at each answer', () => {
		const snapshot = run([{ready: [0, 1, 2], answers: [0, 1, 2], probes: 300}, {ready: [0, 2], answers: [0, 2], probes: 300}], true);
		// Pod 1: 1/3 for the first 300 answers, 0 for the next 300 = 1/6 of 600.
		assert.ok(Math.abs(snapshot.expected[echoPods[1]![0]]! - 1 / 6) < 1e-12);
		assert.ok(Math.abs(snapshot.expected[echoPods[0]![0]]! - (100 + 150) / 600) < 1e-12);
		assert.equal(snapshot.expectedFrom, 'ready');
		assert.equal(snapshot.fit!.statistic < 1e-9, true);
	});

	test('without sessionAffinity nothing is promised: the repeats are a number, never a verdict', () => {
		// Three pods in turn for 100 answers (the last from pod 0), then pod 0 alone answers 300: all repeats.
		const phases = [{ready: [0, 1, 2], answers: [0, 1, 2], probes: 100}, {ready: [0], answers: [0], probes: 300}];
		for (const live of [true, false]) {
			const {affinity} = run(phases, live);
			assert.deepEqual([affinity.verdict, affinity.pairs, affinity.same, affinity.expectedSameRate], [null, 399, 300, null]);
		}
	});

	test('ClientIP: leaving the pinned pod when it stops being ready is no violation; leaving it while ready is', () => {
		const sticky = nodePortService('Cluster', 'ClientIP');
		const planned = planServiceProbe({services: [sticky], endpointSlices: [sliceWithReady([0, 1, 2])], nodes}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, 'clusterip');
		assert.ok(!('error' in planned));
		const expect = (ready: number[]) => replan({services: [sticky], endpointSlices: [sliceWithReady(ready)], nodes}, planned).expectations.get(target);
		const runWith = (phases: ReadonlyArray<{ready: number[]; pod: number; probes: number}>, lagging = false) => {
			const stats = new ProbeRunStats(planned.series);
			let seq = 0;
			for (const [i, phase] of phases.entries()) {
				for (let n = 0; n < phase.probes; n++) {
					// Lagging: kube-proxy moved the client one answer before the cache saw the pod go.
					const ready = lagging && i > 0 && n === 0 ? phases[i - 1]!.ready : phase.ready;
					stats.add(answer(seq++, phase.pod), expect(ready));
				}
			}

			return stats.snapshot();
		};

		const replaced = runWith([{ready: [0, 1, 2], pod: 1, probes: 10}, {ready: [0, 2], pod: 2, probes: 10}]);
		assert.deepEqual([replaced.affinity.verdict, replaced.affinity.switches, replaced.affinity.pods], ['holds', 0, [echoPods[1]![0], echoPods[2]![0]]]);
		const lagging = runWith([{ready: [0, 1, 2], pod: 1, probes: 10}, {ready: [0, 2], pod: 2, probes: 10}], true);
		assert.deepEqual([lagging.affinity.verdict, lagging.affinity.switches], ['holds', 0]);
		const moved = runWith([{ready: [0, 1, 2], pod: 1, probes: 10}, {ready: [0, 1, 2], pod: 2, probes: 10}]);
		assert.deepEqual([moved.affinity.verdict, moved.affinity.switches], ['violated', 1]);
		// The EXPECTED column under ClientIP is the pinned pod, not the NAT split.
		assert.deepEqual(Object.values(moved.expected).map(share => share.toFixed(2)).sort(), ['0.00', '0.50', '0.50']);
		assert.equal(moved.expectedFrom, 'affinity');
	});

	test('memory: expected counts hold one number per pod, however long the run', () => {
		const initial = plan(sliceWithReady([0, 1, 2]));
		const stats = new ProbeRunStats(initial.series, 16);
		const expectations = [[0, 1, 2], [0, 2], [1, 2]].map(ready => replan({services: [service], endpointSlices: [sliceWithReady(ready)], nodes}, initial).expectations.get(target));
		for (let i = 0; i < 30_000; i++) {
			stats.add(answer(i, i % 3), expectations[Math.floor(i / 1000) % 3]);
		}

		const snapshot = stats.snapshot();
		assert.equal(Object.keys(snapshot.expected).length, 3);
		assert.equal(snapshot.recent.length, 16);
	});
});
