import {test} from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import {planAddressProbe} from '../../../source/core/probe/plan.js';
import type {ProbeSample} from '../../../source/core/probe/types.js';
import type {ConntrackLookup} from '../../../source/node/probe/conntrack.js';
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

/**
 * A Service whose even connections hang (a blackholed pod) and odd ones answer, behind a fake
 * conntrack that names, for each of our source ports, the endpoint the server's counter chose.
 */
async function halfBlackholed(hungReply: {ip: string; port: number} | undefined, conntrack: 'fake' | 'off') {
	const {buildEndpointIndex} = await import('../../../source/core/probe/endpoint-index.js');
	const {echoSlice, nodes} = await import('../../core/probe/fixtures.js');
	const answering = {ip: '10.10.1.3', port: 8080};
	const hungPorts = new Set<number>();
	const answeredPorts = new Set<number>();
	const sockets = new Set<net.Socket>();
	let accepted = 0;
	const server = net.createServer(socket => {
		sockets.add(socket);
		socket.on('error', () => undefined);
		if (accepted++ % 2 === 0) {
			hungPorts.add(socket.remotePort!);
			return;
		}

		answeredPorts.add(socket.remotePort!);
		// No pod name in the answer: only conntrack can name who answered.
		socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'));
	});
	const port = await new Promise<number>(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
	const asked: string[] = [];
	const replyOf = (source: {port: number}) => (hungPorts.has(source.port) ? hungReply : (answeredPorts.has(source.port) ? answering : undefined));
	const fake: ConntrackLookup = {
		active: true,
		known(_protocol, source) {
			asked.push(`known ${hungPorts.has(source.port) ? 'hung' : 'answered'}`);
			return replyOf(source);
		},
		wait(_protocol, source, _destination, _since, onReply) {
			asked.push('wait');
			onReply(replyOf(source));
		},
		readNow: () => undefined,
		beforeProbe: () => undefined,
		close: () => undefined,
	};
	try {
		const plan = planAddressProbe({kind: 'address', host: '10.200.1.60', port: 9000, label: '10.200.1.60:9000'});
		const samples: ProbeSample[] = [];
		const engine = startProbeEngine({
			series: plan.series, mode: 'http', path: '/', intervalMs: 0, count: 6, timeoutMs: 150, concurrency: 1,
			conntrack: conntrack === 'fake' ? fake : 'off',
			index: buildEndpointIndex([echoSlice(3)], nodes),
			service: 'default/svc-nodeport',
			resolveAddress: () => ({host: '127.0.0.1', port}),
			onSample: sample => samples.push(sample),
		});
		await engine.done;
		return {samples, snapshot: engine.snapshot(), asked};
	} finally {
		for (const socket of sockets) {
			socket.destroy();
		}

		await new Promise(resolve => server.close(resolve));
	}
}

const who = (sample: ProbeSample) => [sample.ok, sample.error, sample.pod, sample.node, sample.endpoint, sample.via];

test('a timeout is named by conntrack\'s reply (where kube-proxy sent it), an answer as before; neither counts the other', async () => {
	const {samples, snapshot, asked} = await halfBlackholed({ip: '10.10.2.3', port: 8080}, 'fake');
	assert.deepEqual(samples.map(sample => who(sample)), Array.from({length: 6}, (_, i) => (i % 2 === 0
		? [false, 'timeout', 'deploy-echo-5c689d5454-cjpfp', 'myk8s-worker2', '10.10.2.3:8080', 'conntrack']
		: [true, null, 'deploy-echo-5c689d5454-m4hd9', 'myk8s-worker', '10.10.1.3:8080', 'conntrack'])));
	// Looked up like an answer: `known` first.
	assert.deepEqual(asked, ['known hung', 'known answered', 'known hung', 'known answered', 'known hung', 'known answered']);
	assert.deepEqual(snapshot.byPod, {'deploy-echo-5c689d5454-m4hd9': 3});
	assert.deepEqual(snapshot.failedTo, {'deploy-echo-5c689d5454-cjpfp': 3});
	assert.deepEqual(snapshot.series[0]!.via, {conntrack: 3, response: 0, peer: 0, unknown: 3}, 'a timeout is no answer named by conntrack');
});

test('a timeout stays unattributed without conntrack, and when the reply is no endpoint of the Service (not DNATed, or unknown)', async () => {
	const cases = [
		['conntrack off', {ip: '10.10.2.3', port: 8080}, 'off'],
		['not DNATed: the reply is the address dialled', {ip: '10.200.1.60', port: 9000}, 'fake'],
		['an address no EndpointSlice lists', {ip: '10.10.9.9', port: 8080}, 'fake'],
		['a pod of the Service on another port', {ip: '10.10.2.3', port: 9999}, 'fake'],
	] as const;
	for (const [name, reply, conntrack] of cases) {
		// eslint-disable-next-line no-await-in-loop -- one server at a time.
		const {samples, snapshot} = await halfBlackholed(reply, conntrack);
		const timeouts = samples.filter(sample => sample.error === 'timeout');
		assert.equal(timeouts.length, 3, name);
		assert.deepEqual(timeouts.map(sample => [sample.pod, sample.node, sample.endpoint, sample.via]), Array.from({length: 3}, () => [null, null, null, 'unknown']), name);
		assert.deepEqual(snapshot.failedTo, {}, name);
	}
});

test('a timeout whose flow conntrack has no event for is left unattributed at once: no wait, no listing process, no miss', async () => {
	const {samples, asked} = await halfBlackholed(undefined, 'fake');
	assert.equal(samples.filter(sample => sample.error === 'timeout' && sample.via === 'unknown').length, 3);
	assert.ok(!asked.includes('wait'), asked.join(', '));
	assert.equal(samples.filter(sample => sample.ok && sample.via === 'conntrack').length, 3, 'answers still named by conntrack');
});
