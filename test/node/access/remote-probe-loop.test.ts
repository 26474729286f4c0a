import assert from 'node:assert/strict';
import {test} from 'node:test';
import {buildEndpointIndex} from '../../../source/core/probe/endpoint-index.js';
import type {Expectation} from '../../../source/core/probe/service-targets.js';
import type {ProbeMode, ProbeSample, ProbeTarget} from '../../../source/core/probe/types.js';
import {type RemoteProbeLoopOptions, startRemoteProbeLoop} from '../../../source/node/access/remote-probe-loop.js';
import type {RemoteProbeResult} from '../../../source/node/access/remote-probe.js';

const target: ProbeTarget = {label: '10.96.0.10:80', kind: 'clusterIP', host: '10.96.0.10', port: 80, protocol: 'TCP'};

function loop(mode: ProbeMode, answer: () => RemoteProbeResult, count?: number) {
	const calls: ProbeTarget[] = [];
	const samples: ProbeSample[] = [];
	const failures: string[] = [];
	const options: RemoteProbeLoopOptions = {
		prober: {
			where: 'node/a via debug pod',
			async probe(probed) {
				calls.push(probed);
				return answer();
			},
		},
		series: [{target, affinity: {sessionAffinity: 'None', timeoutSeconds: null}}],
		mode,
		path: '/',
		intervalMs: 1,
		timeoutMs: 100,
		count,
		attributionContext: () => ({index: buildEndpointIndex([]), expectations: new Map()}),
		onSample: sample => samples.push(sample),
		onFailure: reason => failures.push(reason),
	};
	return {run: startRemoteProbeLoop(options), calls, samples, failures};
}

test('remote loop: count probes, each attributed and numbered', async () => {
	const {run, samples, failures} = loop('http', () => ({ok: true, latencyMs: 2, error: null, conntrackReply: {ip: '10.244.1.5', port: 8080}}), 3);
	await run.done;
	assert.deepEqual(failures, []);
	assert.deepEqual(samples.map(sample => [sample.seq, sample.ok, sample.endpoint, sample.via]), [[0, true, '10.244.1.5:8080', 'conntrack'], [1, true, '10.244.1.5:8080', 'conntrack'], [2, true, '10.244.1.5:8080', 'conntrack']]);
});

test('remote loop: a failed exec stops the loop and counts nothing', async () => {
	const {run, samples, failures, calls} = loop('http', () => ({ok: false, latencyMs: 0, error: 'exec failed', execFailure: 'pods/exec is forbidden'}), 5);
	await run.done;
	assert.deepEqual(samples, []);
	assert.equal(calls.length, 1);
	assert.deepEqual(failures, ['pods/exec is forbidden']);
});

test('remote loop: DNS probes are refused, not sent as HTTP', async () => {
	for (const mode of ['dns', 'resolve'] as const) {
		const {run, calls, failures} = loop(mode, () => ({ok: true, latencyMs: 1, error: null}), 2);
		// eslint-disable-next-line no-await-in-loop
		await run.done;
		assert.equal(calls.length, 0, mode);
		assert.match(failures[0] ?? '', /DNS probes run from this machine only/);
	}
});

test('remote loop: stop ends an endless run', async () => {
	const {run, samples} = loop('tcp', () => ({ok: true, latencyMs: 1, error: null}));
	await new Promise(resolve => setTimeout(resolve, 30));
	await run.stop();
	const count = samples.length;
	await new Promise(resolve => setTimeout(resolve, 30));
	assert.ok(count > 0);
	assert.equal(samples.length, count);
});

test('remote loop: each probe carries the expectation in force when it was sent, not the one after its answer came', async () => {
	const before: Expectation = {shares: {}, reachable: false, reason: 'no endpoint on this node', basis: 'ready', drop: 'Local'};
	const after: Expectation = {shares: {'web-1': 1}, reachable: true, reason: '1 endpoint on this node', basis: 'ready'};
	let current = before;
	const expectations: unknown[] = [];
	const run = startRemoteProbeLoop({
		prober: {
			where: 'node/a via debug pod',
			async probe() {
				// Readiness changes while the probe is out.
				const sent = current;
				current = sent === before ? after : before;
				return {ok: true, latencyMs: 1, error: null};
			},
		},
		series: [{target, affinity: {sessionAffinity: 'None', timeoutSeconds: null}}],
		mode: 'http',
		path: '/',
		intervalMs: 1,
		timeoutMs: 100,
		count: 2,
		attributionContext: () => ({index: buildEndpointIndex([]), expectations: new Map([[target.label, current]])}),
		onSample: (_sample, expectation) => expectations.push(expectation),
		onFailure() {},
	});
	await run.done;
	assert.deepEqual(expectations, [before, after]);
});
