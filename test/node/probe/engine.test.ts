import {test} from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import {planAddressProbe} from '../../../source/core/probe/plan.js';
import type {ProbeSample} from '../../../source/core/probe/types.js';
import {startProbeEngine} from '../../../source/node/probe/engine.js';

test('with --concurrency 10 the rate holds while every probe hangs until its timeout; failures are samples', async () => {
	const sockets = new Set<net.Socket>();
	const server = net.createServer(socket => sockets.add(socket));
	const port = await new Promise<number>(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
	try {
		const plan = planAddressProbe({kind: 'address', host: '127.0.0.1', port, label: `127.0.0.1:${port}`});
		const samples: ProbeSample[] = [];
		const started = performance.now();
		const engine = startProbeEngine({series: plan.series, mode: 'http', path: '/', intervalMs: 20, count: 10, timeoutMs: 300, concurrency: 10, conntrack: 'off', onSample: sample => samples.push(sample)});
		await engine.done;
		const elapsed = performance.now() - started;
		assert.equal(samples.length, 10);
		assert.ok(samples.every(sample => !sample.ok && sample.error === 'timeout' && sample.via === 'unknown'));
		// Sequential probing would take 10 x 300 ms; scheduled on time it is about 9 x 20 + 300.
		assert.ok(elapsed < 1500, `took ${elapsed} ms`);
		const starts = samples.map(sample => sample.t).sort((a, b) => a - b);
		assert.ok(starts.at(-1)! - starts[0]! < 600, `starts spread ${starts.at(-1)! - starts[0]!} ms`);
		const snapshot = engine.snapshot();
		assert.deepEqual([snapshot.count, snapshot.ok, snapshot.series[0]!.errors], [10, 0, {timeout: 10}]);
		assert.equal(snapshot.recent.length, 10);
	} finally {
		for (const socket of sockets) {
			socket.destroy();
		}

		await new Promise(resolve => server.close(resolve));
	}
});

test('--concurrency 1: never two probes in flight, however short the interval; --count is still reached', async () => {
	const sockets = new Set<net.Socket>();
	// Every probe hangs until its 60 ms timeout, against a 5 ms interval.
	const server = net.createServer(socket => sockets.add(socket));
	const port = await new Promise<number>(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
	try {
		const plan = planAddressProbe({kind: 'address', host: '127.0.0.1', port, label: `127.0.0.1:${port}`});
		const samples: ProbeSample[] = [];
		const engine = startProbeEngine({series: plan.series, mode: 'http', path: '/', intervalMs: 5, count: 6, timeoutMs: 60, concurrency: 1, conntrack: 'off', onSample: sample => samples.push(sample)});
		const result = await engine.done;
		assert.equal(samples.length, 6);
		assert.equal(result.launched, 6);
		const spans = samples.map(sample => [sample.t, sample.t + sample.latencyMs] as const).sort((a, b) => a[0] - b[0]);
		for (let i = 1; i < spans.length; i++) {
			assert.ok(spans[i]![0] >= spans[i - 1]![1] - 0.01, `probe ${i} started at ${spans[i]![0]} ms, before probe ${i - 1} ended at ${spans[i - 1]![1]} ms`);
		}
	} finally {
		for (const socket of sockets) {
			socket.destroy();
		}

		await new Promise(resolve => server.close(resolve));
	}
});

test('stop() cancels a run without a count; probes in flight are not recorded', async () => {
	const server = net.createServer(() => undefined);
	const port = await new Promise<number>(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
	try {
		const plan = planAddressProbe({kind: 'address', host: '127.0.0.1', port, label: 'x'});
		const engine = startProbeEngine({series: plan.series, mode: 'tcp', path: '/', intervalMs: 5, timeoutMs: 1000, concurrency: 1, conntrack: 'off'});
		await new Promise(resolve => setTimeout(resolve, 60));
		const result = await engine.stop();
		assert.ok(result.launched >= 3, `launched ${result.launched}`);
		assert.ok(engine.snapshot().count <= result.launched);
	} finally {
		await new Promise(resolve => server.close(resolve));
	}
});

test('a probe is judged against what was expected when it was sent, not when its answer came', async () => {
	const {planServiceProbe, replan} = await import('../../../source/core/probe/plan.js');
	const {echoSlice, nodePortService, nodes} = await import('../../core/probe/fixtures.js');
	// The answer takes 150 ms; the pod goes not ready 50 ms into it.
	const server = http.createServer((_request, response) => setTimeout(() => response.end('{"pod":{"name":"deploy-echo-5c689d5454-cjpfp"}}'), 150));
	const port = await new Promise<number>(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
	try {
		const objects = (ready: number) => ({services: [nodePortService('Local')], endpointSlices: [echoSlice(ready)], nodes});
		const plan = planServiceProbe(objects(3), {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, 'nodeport');
		assert.ok(!('error' in plan));
		const worker2 = plan.series.filter(spec => spec.target.label === '172.18.0.2:31254');
		let context = replan(objects(3), plan);
		setTimeout(() => {
			context = replan(objects(1), plan);
		}, 50);
		const samples: ProbeSample[] = [];
		const engine = startProbeEngine({
			series: worker2, mode: 'http', path: '/', intervalMs: 10, count: 1, timeoutMs: 1000, concurrency: 1, conntrack: 'off',
			attributionContext: () => context,
			resolveAddress: () => ({host: '127.0.0.1', port}),
			onSample: sample => samples.push(sample),
		});
		await engine.done;
		assert.deepEqual(samples.map(sample => [sample.ok, sample.dropExpected]), [[true, undefined]]);
		assert.equal(engine.snapshot().answeredShouldDrop, 0);
		assert.equal(engine.snapshot().series[0]!.reachability!.verdict, 'ok');
	} finally {
		await new Promise(resolve => server.close(resolve));
	}
});
