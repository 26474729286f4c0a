import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {planServiceProbe, replan} from '../../../source/core/probe/plan.js';
import {unjudgedFromOwnNode} from '../../../source/core/probe/own-node.js';
import {failureCauses, lanesOf, ProbeRunStats} from '../../../source/core/probe/run-stats.js';
import type {ProbeSample} from '../../../source/core/probe/types.js';
import {echoPods, echoSlice, nodePortService, nodes} from './fixtures.js';

function series(policy: 'Local' | 'Cluster', via: 'clusterip' | 'nodeport' | 'endpoints', affinity: 'None' | 'ClientIP' = 'None') {
	const plan = planServiceProbe({services: [nodePortService(policy, affinity)], endpointSlices: [echoSlice()], nodes}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, via);
	assert.ok(!('error' in plan));
	return plan.series;
}

function sample(seq: number, target: string, pod: number | null, overrides: Partial<ProbeSample> = {}): ProbeSample {
	const entry = pod === null ? undefined : echoPods[pod];
	return {
		seq, t: seq * 100, target, ok: true, latencyMs: 1 + seq % 3,
		pod: entry?.[0] ?? null, node: entry?.[2] ?? null, endpoint: entry ? `${entry[1]}:8080` : null, via: entry ? 'response' : 'unknown', error: null,
		...overrides,
	};
}

describe('ProbeRunStats', () => {
	test('counts, shares, fit and affinity for a balanced round robin', () => {
		const stats = new ProbeRunStats(series('Cluster', 'clusterip'));
		for (let i = 0; i < 30; i++) {
			stats.add(sample(i, '10.200.1.60:9000', i % 3));
		}

		const snapshot = stats.snapshot();
		assert.equal(snapshot.count, 30);
		assert.equal(snapshot.ok, 30);
		assert.deepEqual(Object.values(snapshot.byPod), [10, 10, 10]);
		assert.equal(snapshot.fit?.pValue, 1);
		// Round robin never repeats; without sessionAffinity that is a number, not a verdict.
		assert.deepEqual([snapshot.affinity.pairs, snapshot.affinity.same, snapshot.affinity.verdict, snapshot.affinity.expectedSameRate], [29, 0, null, null]);
		assert.deepEqual(snapshot.methods, ['response']);
	});

	test('endpoints probed directly: no chi-square fit and no affinity judged (svctop, not kube-proxy, spread them)', () => {
		for (const affinity of ['None', 'ClientIP'] as const) {
			const specs = series('Cluster', 'endpoints', affinity);
			const stats = new ProbeRunStats(specs);
			// Lopsided on purpose: kube-proxy would fail a chi-square on this, svctop's own spreading must not.
			for (let i = 0; i < 60; i++) {
				const pod = i % 6 === 0 ? 1 : 0;
				stats.add(sample(i, specs[pod]!.target.label, pod));
			}

			const snapshot = stats.snapshot();
			assert.equal(snapshot.expectedFrom, 'direct');
			assert.equal(snapshot.fit, undefined);
			assert.deepEqual([snapshot.affinity.pairs, snapshot.affinity.verdict], [0, null]);
			assert.deepEqual(snapshot.series.map(entry => [entry.expectedFrom, entry.fit, entry.affinity.pairs]), specs.map(() => ['direct', undefined, 0]));
		}
	});

	test('podNodes: a pod expected but not answering yet is placed on its EndpointSlice node; an answer\'s node wins', () => {
		const stats = new ProbeRunStats(series('Cluster', 'clusterip'));
		assert.deepEqual(stats.snapshot().podNodes, Object.fromEntries(echoPods.map(([pod, , node]) => [pod, node])));
		stats.add(sample(0, '10.200.1.60:9000', 0, {node: 'moved-node'}));
		const {podNodes} = stats.snapshot();
		assert.equal(podNodes[echoPods[0][0]], 'moved-node');
		assert.equal(podNodes[echoPods[1][0]], echoPods[1][2]);
	});

	test('a client pinned to one pod without sessionAffinity: the chi-square flags it, no affinity verdict is made', () => {
		const stats = new ProbeRunStats(series('Cluster', 'clusterip'));
		for (let i = 0; i < 30; i++) {
			stats.add(sample(i, '10.200.1.60:9000', 1));
		}

		const snapshot = stats.snapshot();
		assert.deepEqual([snapshot.affinity.verdict, snapshot.affinity.same, snapshot.affinity.pairs], [null, 29, 29]);
		assert.ok(snapshot.fit!.pValue < 1e-6);
	});

	test('ClientIP: expected is all on the pinned pod (not the NAT split); sticking holds and names the pod, switching violates', () => {
		const sticky = new ProbeRunStats(series('Cluster', 'clusterip', 'ClientIP'));
		const switching = new ProbeRunStats(series('Cluster', 'clusterip', 'ClientIP'));
		assert.deepEqual(sticky.snapshot().expected, {}, 'before an answer: one pod, not known yet');
		for (let i = 0; i < 10; i++) {
			sticky.add(sample(i, '10.200.1.60:9000', 2));
			switching.add(sample(i, '10.200.1.60:9000', i % 2));
		}

		const held = sticky.snapshot();
		assert.deepEqual([held.affinity.verdict, held.affinity.pods, held.affinity.switches], ['holds', [echoPods[2][0]], 0]);
		assert.deepEqual(held.expected, {[echoPods[0][0]]: 0, [echoPods[1][0]]: 0, [echoPods[2][0]]: 1});
		assert.equal(held.expectedFrom, 'affinity');
		assert.equal(held.fit, undefined);
		assert.deepEqual([switching.snapshot().affinity.verdict, switching.snapshot().affinity.switches], ['violated', 9]);
		const few = new ProbeRunStats(series('Cluster', 'clusterip', 'ClientIP'));
		for (let i = 0; i < 3; i++) {
			few.add(sample(i, '10.200.1.60:9000', 0));
		}

		assert.equal(few.snapshot().affinity.verdict, null, 'fewer than 5 follow-ups: no verdict yet');
	});

	test('pairs further apart than the affinity timeout are not judged', () => {
		const stats = new ProbeRunStats(series('Cluster', 'clusterip', 'ClientIP'));
		stats.add(sample(0, '10.200.1.60:9000', 0, {t: 0}));
		stats.add(sample(1, '10.200.1.60:9000', 1, {t: 61_000}));
		stats.add(sample(2, '10.200.1.60:9000', 1, {t: 62_000}));
		assert.deepEqual([stats.snapshot().affinity.pairs, stats.snapshot().affinity.same], [1, 1]);
	});

	test('ClusterIP without ready endpoints: an answer came from something else (flagged); only refusals and timeouts are put down to the missing endpoints', () => {
		const plan = planServiceProbe({services: [nodePortService('Cluster')], endpointSlices: [echoSlice(0)], nodes}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, 'clusterip');
		assert.ok(!('error' in plan));
		const label = plan.series[0]!.target.label;
		const answered = new ProbeRunStats(plan.series);
		answered.add(sample(0, label, null, {via: 'unknown'}));
		answered.add(sample(1, label, null, {ok: false, error: 'http 404'}));
		const snapshot = answered.snapshot();
		assert.deepEqual([snapshot.ok, snapshot.answeredShouldDrop], [1, 2]);
		// Something answered: no pod of this Service did, and the missing endpoints explain none of it.
		assert.deepEqual(failureCauses(snapshot), []);

		const looked = new ProbeRunStats(plan.series);
		looked.add(sample(0, label, null, {ok: false, error: 'dns failure'}));
		assert.deepEqual(failureCauses(looked.snapshot()), [], 'a name that did not resolve is not the endpoints\' doing');

		const refused = new ProbeRunStats(plan.series);
		refused.add(sample(0, label, null, {ok: false, error: 'refused'}));
		assert.equal(refused.snapshot().answeredShouldDrop, 0);
		assert.match(failureCauses(refused.snapshot())[0] ?? '', /no pod can answer this Service$/);

		// Control: with ready endpoints an answer is what should happen.
		const ready = new ProbeRunStats(series('Cluster', 'clusterip'));
		ready.add(sample(0, label, 0));
		assert.equal(ready.snapshot().answeredShouldDrop, 0);
	});

	test('NodePort Local: the node without endpoints failing is "expected", a worker failing is "broken"', () => {
		const stats = new ProbeRunStats(series('Local', 'nodeport'));
		for (let i = 0; i < 5; i++) {
			stats.add(sample(i, '172.18.0.3:31254', null, {ok: false, error: 'timeout', latencyMs: 1000}));
			stats.add(sample(i, '172.18.0.5:31254', 0));
			stats.add(sample(i, '172.18.0.2:31254', null, {ok: false, error: 'refused'}));
			stats.add(sample(i, '172.18.0.4:31254', 2));
		}

		const verdicts = stats.snapshot().series.map(entry => [entry.node, entry.reachability?.verdict]);
		assert.deepEqual(verdicts, [['myk8s-control-plane', 'expected'], ['myk8s-worker', 'ok'], ['myk8s-worker2', 'broken'], ['myk8s-worker3', 'ok']]);
		const pooled = stats.snapshot();
		assert.equal(pooled.affinity.verdict, null, 'sessionAffinity None: no affinity verdict');
		// The control plane's timeouts are drops kube-proxy was told to make: counted apart, not as failures.
		assert.deepEqual(pooled.series[0]!.errors, {});
		assert.deepEqual([pooled.series[0]!.dropped, pooled.series[0]!.dropReasons, pooled.series[0]!.successRate], [5, {'Local, no endpoints on myk8s-control-plane': 5}, null]);
		// worker2 refusing is the one unexpected failure: 10 ok of the 15 that should be answered.
		assert.deepEqual([pooled.count, pooled.ok, pooled.dropped, pooled.failed, pooled.successRate], [20, 10, 5, 5, 10 / 15]);
		assert.deepEqual(pooled.dropReasons, {'Local, no endpoints on myk8s-control-plane': 5});
		assert.equal(pooled.recent.filter(entry => entry.dropExpected !== undefined).length, 5);
	});

	test('NodePort Local: a node that should drop but answers is flagged; one that refuses instead of dropping is a failure', () => {
		const stats = new ProbeRunStats(series('Local', 'nodeport'));
		for (let i = 0; i < 4; i++) {
			stats.add(sample(i, '172.18.0.3:31254', 0));
		}

		stats.add(sample(4, '172.18.0.3:31254', null, {ok: false, error: 'refused'}));
		const [control] = stats.snapshot().series;
		assert.deepEqual([control!.answeredShouldDrop, control!.dropped, control!.failed, control!.errors], [4, 0, 1, {refused: 1}]);
		assert.equal(control!.reachability!.verdict, 'unexpected');
	});

	test('NodePort Local: a node that should drop but replies with an HTTP error answered (qa4 F20); one that refuses is failing, never dropped as expected', () => {
		const stats = new ProbeRunStats(series('Local', 'nodeport'));
		for (let i = 0; i < 2; i++) {
			stats.add(sample(i, '172.18.0.3:31254', null, {ok: false, error: 'http 404'}));
		}

		const [control] = stats.snapshot().series;
		assert.deepEqual([control!.answeredShouldDrop, control!.dropped, control!.failed, control!.errors], [2, 0, 2, {'http 404': 2}]);
		assert.deepEqual([control!.reachability!.observed, control!.reachability!.verdict], ['reachable', 'unexpected']);

		const refusing = new ProbeRunStats(series('Local', 'nodeport'));
		refusing.add(sample(0, '172.18.0.3:31254', null, {ok: false, error: 'refused'}));
		const [refused] = refusing.snapshot().series;
		assert.deepEqual([refused!.answeredShouldDrop, refused!.dropped, refused!.failed], [0, 0, 1]);
		assert.deepEqual([refused!.reachability!.observed, refused!.reachability!.verdict], ['unreachable', 'broken']);

		// Control: silence there is the drop kube-proxy was told to make.
		const silent = new ProbeRunStats(series('Local', 'nodeport'));
		silent.add(sample(0, '172.18.0.3:31254', null, {ok: false, error: 'timeout'}));
		assert.equal(silent.snapshot().series[0]!.reachability!.verdict, 'expected');
	});

	test('NodePort Local while its pod flips readiness: each probe is judged against what was expected when it was sent', () => {
		const plan = planServiceProbe({services: [nodePortService('Local')], endpointSlices: [echoSlice()], nodes}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, 'nodeport');
		assert.ok(!('error' in plan));
		const worker2 = '172.18.0.2:31254';
		const ready = replan({services: [nodePortService('Local')], endpointSlices: [echoSlice()], nodes}, plan).expectations.get(worker2);
		// echoSlice(1): only m4hd9 is ready, worker2's cjpfp is not: kube-proxy drops there.
		const notReady = replan({services: [nodePortService('Local')], endpointSlices: [echoSlice(1)], nodes}, plan).expectations.get(worker2);
		assert.deepEqual([ready?.reachable, notReady?.reachable, notReady?.drop], [true, false, 'Local, no endpoints on myk8s-worker2']);
		const stats = new ProbeRunStats(plan.series);
		for (let i = 0; i < 30; i++) {
			stats.add(sample(i, worker2, 1), ready);
		}

		// The first probe after the change still gets an answer: kube-proxy had not caught up. Not judged.
		stats.add(sample(30, worker2, 1), notReady);
		for (let i = 31; i < 60; i++) {
			stats.add(sample(i, worker2, null, {ok: false, error: 'timeout', latencyMs: 1000}), notReady);
		}

		const reach = () => stats.snapshot().series.find(entry => entry.label === worker2)!.reachability!;
		// Against the readiness now, 31 answers would read 'answers, should not'.
		assert.deepEqual([reach().expected, reach().verdict, reach().aroundChange], ['mixed', 'mixed', 1]);
		assert.match(reach().reason, /^endpoint readiness changed: 30 sent while reachable, 29 while not; now /);
		// An answer long after the change is judged: the node answers where it should drop.
		stats.add(sample(60, worker2, 1), notReady);
		assert.equal(reach().verdict, 'unexpected');
	});

	test('a miss just before readiness changes is put down to the race, not judged', () => {
		const plan = planServiceProbe({services: [nodePortService('Local')], endpointSlices: [echoSlice()], nodes}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, 'nodeport');
		assert.ok(!('error' in plan));
		const worker2 = '172.18.0.2:31254';
		const ready = replan({services: [nodePortService('Local')], endpointSlices: [echoSlice()], nodes}, plan).expectations.get(worker2);
		const notReady = replan({services: [nodePortService('Local')], endpointSlices: [echoSlice(1)], nodes}, plan).expectations.get(worker2);
		const stats = new ProbeRunStats(plan.series);
		for (let i = 0; i < 10; i++) {
			stats.add(sample(i, worker2, 1), ready);
		}

		// kube-proxy dropped before the cache said the pod went: a timeout while still expected reachable.
		stats.add(sample(10, worker2, null, {ok: false, error: 'timeout'}), ready);
		stats.add(sample(11, worker2, null, {ok: false, error: 'timeout'}), notReady);
		const reach = stats.snapshot().series.find(entry => entry.label === worker2)!.reachability!;
		assert.deepEqual([reach.verdict, reach.aroundChange], ['mixed', 1]);
	});

	test('a Local NodePort with no ready endpoint anywhere is rejected, not dropped: its failures count', () => {
		const plan = planServiceProbe({services: [nodePortService('Local')], endpointSlices: [echoSlice(0)], nodes}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, 'nodeport');
		assert.ok(!('error' in plan));
		const stats = new ProbeRunStats(plan.series);
		stats.add(sample(0, '172.18.0.3:31254', null, {ok: false, error: 'timeout'}));
		assert.deepEqual([stats.snapshot().dropped, stats.snapshot().failed], [0, 1]);
	});

	test('timeouts conntrack named: counted where they were sent, never as that pod\'s answers (shares, fit, affinity, lanes)', () => {
		const stats = new ProbeRunStats(series('Cluster', 'clusterip'));
		const sent = {ok: false, error: 'timeout', via: 'conntrack', latencyMs: 1000} as const;
		// Pods 0 and 2 answer in turn; every third probe goes to pod 1, which never answers.
		for (let i = 0; i < 30; i++) {
			stats.add(i % 3 === 1 ? sample(i, '10.200.1.60:9000', 1, sent) : sample(i, '10.200.1.60:9000', i % 3));
		}

		// One more timeout nobody was named for, and a broken reply that still came from pod 2.
		stats.add(sample(30, '10.200.1.60:9000', null, {ok: false, error: 'timeout', latencyMs: 1000}));
		stats.add(sample(31, '10.200.1.60:9000', 2, {ok: false, error: 'truncated body'}));
		const snapshot = stats.snapshot();
		const [pod0, pod1, pod2] = echoPods.map(([pod]) => pod);
		assert.deepEqual(snapshot.byPod, {[pod0]: 10, [pod2]: 11});
		assert.deepEqual(snapshot.failedTo, {[pod1]: 10});
		assert.deepEqual(snapshot.series[0]!.failedTo, {[pod1]: 10});
		assert.deepEqual([snapshot.count, snapshot.ok, snapshot.failed, snapshot.series[0]!.errors], [32, 20, 12, {timeout: 11, 'truncated body': 1}]);
		// The chi-square sees 0 answers from pod 1 against its third: not balanced, from answers only.
		// 21 answers against thirds (7 each): (3² + 7² + 4²) / 7.
		assert.ok(Math.abs(snapshot.fit!.statistic - (74 / 7)) < 1e-9, `statistic ${snapshot.fit!.statistic}`);
		assert.ok(snapshot.fit!.pValue < 0.01, `p ${snapshot.fit!.pValue}`);
		// Affinity pairs are answers only: 21 answers, 20 pairs.
		assert.equal(snapshot.affinity.pairs, 20);
		assert.deepEqual(snapshot.series[0]!.via, {conntrack: 0, response: 21, peer: 0, unknown: 11});
		assert.ok(!lanesOf(snapshot.recent, 40).some(lane => lane.key === pod1), 'no lane marks pod 1 as answering');
		assert.equal(snapshot.podNodes[pod1], echoPods[1][2]);
	});

	test('an expected drop is as expected, never a pod\'s failure, even with a pod on it', () => {
		const specs = series('Local', 'nodeport');
		const stats = new ProbeRunStats(specs);
		const control = specs.find(spec => spec.target.node === 'myk8s-control-plane')!;
		stats.add(sample(0, control.target.label, 1, {ok: false, error: 'timeout', via: 'conntrack'}));
		const snapshot = stats.snapshot();
		assert.deepEqual([snapshot.dropped, snapshot.failed, snapshot.failedTo, snapshot.byPod], [1, 0, {}, {}]);
	});

	test('a node\'s own Local NodePort, left unjudged, is counted but kept out of the pooled fit (its answers come from any pod, cluster-wide)', () => {
		const plan = planServiceProbe({services: [nodePortService('Local')], endpointSlices: [echoSlice()], nodes}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, 'nodeport');
		assert.ok(!('error' in plan));
		const specs = unjudgedFromOwnNode(plan, 'myk8s-worker', [nodePortService('Local')]).series;
		const stats = new ProbeRunStats(specs);
		// From myk8s-worker: its own NodePort answered by all three pods, worker2's and worker3's by their one local pod each.
		for (let round = 0; round < 9; round++) {
			stats.add(sample(round * 3, '172.18.0.5:31254', round % 3));
			stats.add(sample(round * 3 + 1, '172.18.0.2:31254', 1));
			stats.add(sample(round * 3 + 2, '172.18.0.4:31254', 2));
		}

		const snapshot = stats.snapshot();
		assert.equal(snapshot.series.find(entry => entry.node === 'myk8s-worker')?.reachability, undefined);
		assert.equal(snapshot.byPod['deploy-echo-5c689d5454-m4hd9'], 3, 'counted');
		assert.ok(snapshot.fit !== undefined && snapshot.fit.pValue > 0.05, `fit ${JSON.stringify(snapshot.fit)}`);
	});

	test('settle: a miss in the last probes before a readiness change the cache saw only after them is not judged; without a change it stays a miss', () => {
		for (const changed of [true, false]) {
			const specs = series('Local', 'nodeport');
			const label = specs.find(spec => spec.target.node === 'myk8s-worker2')!.target.label;
			const stats = new ProbeRunStats(specs);
			for (let i = 0; i < 3; i++) {
				stats.add({...sample(i, label, 1), t: i * 1000});
			}

			// kube-proxy dropped the last probe: the pod had just stopped being ready, which the cache did not know yet.
			stats.add({...sample(3, label, null, {ok: false, error: 'timeout'}), t: 3000});
			const gone = {shares: {}, reachable: false, reason: 'externalTrafficPolicy Local: no endpoint on this node, traffic is dropped', basis: 'ready' as const, drop: 'Local, no endpoints on myk8s-worker2'};
			stats.settle(label, changed ? gone : specs.find(spec => spec.target.label === label)!.expectation, 3500);
			const reach = stats.snapshot().series.find(entry => entry.label === label)!.reachability!;
			assert.deepEqual([reach.verdict, reach.aroundChange], changed ? ['ok', 1] : ['partial', 0], String(changed));
		}
	});

	test('the ring buffer keeps the last `capacity` samples, oldest first', () => {
		const stats = new ProbeRunStats(series('Cluster', 'clusterip'), 4);
		for (let i = 0; i < 10; i++) {
			stats.add(sample(i, '10.200.1.60:9000', i % 3));
		}

		assert.deepEqual(stats.recent().map(entry => entry.seq), [6, 7, 8, 9]);
		assert.equal(stats.snapshot().count, 10);
	});
});

test('lanesOf: one row per pod, failures last', () => {
	const samples = [sample(0, 't', 0), sample(1, 't', null, {ok: false, error: 'timeout'}), sample(2, 't', 1), sample(3, 't', 0)];
	assert.deepEqual(lanesOf(samples, 3), [
		{key: 'deploy-echo-5c689d5454-cjpfp', node: 'myk8s-worker2', marks: [false, true, false]},
		{key: 'deploy-echo-5c689d5454-m4hd9', node: 'myk8s-worker', marks: [false, false, true]},
		{key: 'failed', node: null, marks: [true, false, false]},
	]);
});
