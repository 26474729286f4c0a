import {test} from 'node:test';
import assert from 'node:assert/strict';
import {formatSampleLine, formatSummary, summaryJson} from '../../source/commands/probe.js';
import {planServiceProbe} from '../../source/core/probe/plan.js';
import {ProbeRunStats} from '../../source/core/probe/run-stats.js';
import type {ProbeSample} from '../../source/core/probe/types.js';
import {echoPods, echoSlice, nodePortService, nodes} from '../core/probe/fixtures.js';

const [pod0, pod1, pod2] = echoPods;

function sample(seq: number, pod: (typeof echoPods)[number] | null, overrides: Partial<ProbeSample> = {}): ProbeSample {
	return {
		seq, t: seq * 10, target: '10.200.1.60:9000', ok: true, latencyMs: 2,
		pod: pod?.[0] ?? null, node: pod?.[2] ?? null, endpoint: pod ? `${pod[1]}:8080` : null, via: pod ? 'conntrack' : 'unknown', error: null,
		...overrides,
	};
}

const timeout = {ok: false, error: 'timeout', latencyMs: 500} as const;

/** Pods 0 and 2 answer; pod 1 is blackholed: conntrack names it for 9 timeouts, 3 more went unnamed. */
function blackholedRun() {
	const plan = planServiceProbe({services: [nodePortService('Cluster')], endpointSlices: [echoSlice()], nodes}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, 'clusterip');
	assert.ok(!('error' in plan));
	const stats = new ProbeRunStats(plan.series);
	const samples: ProbeSample[] = [];
	for (let i = 0; i < 36; i++) {
		const entry = i % 3 === 1 ? sample(i, i < 27 ? pod1 : null, {...timeout, via: i < 27 ? 'conntrack' : 'unknown'}) : sample(i, i % 3 === 0 ? pod0 : pod2);
		samples.push(stats.add(entry));
	}

	return {samples, snapshot: stats.snapshot()};
}

test('the text summary says where kube-proxy sent the timeouts, and counts them as nobody\'s answers', () => {
	const {snapshot} = blackholedRun();
	const lines = formatSummary(snapshot, 'default/svc-nodeport:9000').split('\n');
	assert.ok(lines.includes(`failures: timeout 12 (kube-proxy sent 9 to ${pod1[0]} on ${pod1[2]}, 3 unknown)`), lines.join('\n'));
	// The blackholed pod answered nothing: its row says 0.
	const row = lines.find(line => line.startsWith(pod1[0]))!;
	assert.match(row, new RegExp(`^${pod1[0]}\\s+${pod1[2]}\\s+0\\s+0\\.0%`));
});

test('each timed-out sample line names where it was sent, never as if that pod answered', () => {
	const {samples} = blackholedRun();
	assert.equal(formatSampleLine(samples[1]!, false), `    2  +0.010s  FAIL     500 ms  timeout (kube-proxy sent it to ${pod1[0]} on ${pod1[2]})`);
	// Unnamed: as before.
	assert.equal(formatSampleLine(samples[28]!, false), '   29  +0.280s  FAIL     500 ms  timeout');
	// An answer: as before, the pod that answered and how it was named.
	assert.equal(formatSampleLine(samples[0]!, false), `    1  +0.000s  ok      2.00 ms  ${pod0[0]}  ${pod0[2]}  (conntrack)`);
});

test('--json: failedTo by pod, beside byPod (answers only), pooled and per series', () => {
	const {snapshot} = blackholedRun();
	const {summary} = summaryJson(snapshot, []) as {summary: {byPod: Record<string, number>; failedTo: Record<string, number>; series: Array<{failedTo: Record<string, number>; errors: Record<string, number>}>}};
	assert.deepEqual(summary.byPod, {[pod0[0]]: 12, [pod2[0]]: 12});
	assert.deepEqual(summary.failedTo, {[pod1[0]]: 9});
	assert.deepEqual([summary.series[0]!.failedTo, summary.series[0]!.errors], [{[pod1[0]]: 9}, {timeout: 12}]);
});
