import assert from 'node:assert/strict';
import {test} from 'node:test';
import {fromNodesMatrix} from '../../source/commands/probe-from.js';
import {ProbeRunStats, type SeriesSpec} from '../../source/core/probe/run-stats.js';
import type {Expectation} from '../../source/core/probe/service-targets.js';
import type {ProbeSample} from '../../source/core/probe/types.js';

/** Two nodes' NodePorts under externalTrafficPolicy Local, probed from node-a (its own one left unjudged by the plan). */
const target = (node: string, ip: string) => ({label: `${ip}:31001`, kind: 'nodePort' as const, host: ip, port: 31_001, protocol: 'TCP' as const, node});
const none = {sessionAffinity: 'None', timeoutSeconds: null} as const;
const dropped: Expectation = {shares: {}, reachable: false, reason: 'externalTrafficPolicy Local: no endpoint on this node, traffic is dropped', basis: 'ready', drop: 'Local, no endpoints on node-b'};
const ready: Expectation = {shares: {'web-3': 1}, reachable: true, reason: 'externalTrafficPolicy Local: 1 endpoint on this node', basis: 'ready'};
const specs: SeriesSpec[] = [{target: target('node-a', '10.0.0.1'), affinity: none}, {target: target('node-b', '10.0.0.2'), expectation: dropped, affinity: none}];

function sample(seq: number, t: number, label: string, ok: boolean): ProbeSample {
	return {seq, t, target: label, ok, latencyMs: 1, pod: null, node: null, endpoint: null, via: 'unknown', error: ok ? null : 'timeout'};
}

test('the matrix: a cell whose readiness changed says "mixed: readiness changed"; a node\'s own unjudged NodePort says "not judged (own node)", explained once below', () => {
	const stats = new ProbeRunStats(specs);
	// node-b had no ready endpoint for the first three probes (dropped), then one (answered), 5 s apart.
	for (const [index, reachable] of [false, false, false, true, true].entries()) {
		stats.add(sample(index * 2, index * 5000, specs[0]!.target.label, true));
		stats.add(sample(index * 2 + 1, index * 5000, specs[1]!.target.label, reachable), reachable ? ready : dropped);
	}

	const lines = fromNodesMatrix([{node: 'node-a', snapshot: stats.snapshot()}, {node: 'node-c', error: 'forbidden'}]).split('\n');
	assert.match(lines[0]!, /^FROM \\ TO\s+node-a\s+node-b$/);
	assert.match(lines[1]!, /^node-a\s+5\/5 not judged \(own node\)\s+2\/5 mixed: readiness changed$/);
	assert.match(lines[2]!, /^node-c\s+unknown: forbidden$/);
	assert.match(lines[3]!, /^not judged \(own node\): a node's traffic to its own NodePort is node traffic, which kube-proxy's .* rules send to the cluster-wide endpoints/);
	assert.equal(lines.length, 5, 'the note once, then the final newline');
});

test('the matrix: with every cell judged there is no own-node note, and a plain "ok" shows the count only', () => {
	const stats = new ProbeRunStats([specs[1]!]);
	stats.add(sample(0, 0, specs[1]!.target.label, true), ready);
	const text = fromNodesMatrix([{node: 'node-a', snapshot: stats.snapshot()}]);
	assert.equal(text.split('\n')[1], 'node-a     1/1');
	assert.doesNotMatch(text, /own node/);
});
