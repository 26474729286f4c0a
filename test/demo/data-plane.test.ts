import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {startDemoDataPlane, type DemoDataPlane} from '../../source/demo/data-plane.js';
import {echoSlice, nodePortService, nodes} from '../core/probe/fixtures.js';

function get(address: {host: string; port: number}, timeoutMs = 500): Promise<string> {
	return new Promise((resolve, reject) => {
		const request = http.get({host: address.host, port: address.port, path: '/', agent: false, timeout: timeoutMs}, response => {
			let body = '';
			response.on('data', chunk => {
				body += String(chunk);
			});
			response.on('end', () => resolve(body));
		});
		request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), {code: 'TIMEOUT'})));
		request.on('error', reject);
	});
}

const sticky: V1Service = {
	metadata: {namespace: 'default', name: 'svc-sticky'},
	spec: {type: 'ClusterIP', clusterIP: '10.200.1.77', ports: [{name: 'svc-webport', port: 80, protocol: 'TCP'}], sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: 100}}},
};
const orphan: V1Service = {metadata: {namespace: 'default', name: 'orphan'}, spec: {type: 'ClusterIP', clusterIP: '10.200.1.99', ports: [{port: 80, protocol: 'TCP'}]}};
const stickySlice: V1EndpointSlice = {...echoSlice(), metadata: {namespace: 'default', name: 'svc-sticky-x', labels: {'kubernetes.io/service-name': 'svc-sticky'}}};

describe('demo data plane', () => {
	let plane: DemoDataPlane;
	let readyPods = 3;
	let clock = 0;
	let extra: V1EndpointSlice | undefined;
	before(async () => {
		plane = await startDemoDataPlane(() => ({services: [nodePortService('Local'), sticky, orphan], slices: [echoSlice(readyPods), stickySlice, ...(extra ? [extra] : [])], nodes}), {dropHoldMs: 2000, now: () => clock});
	});
	after(async () => plane.close());

	test('every Service address and pod endpoint has a loopback listener; unknown addresses none', () => {
		for (const [ip, port] of [['10.200.1.60', 9000], ['172.18.0.3', 31_254], ['172.18.0.5', 31_254], ['10.10.2.3', 8080], ['10.200.1.99', 80]] as const) {
			const address = plane.resolveAddress(ip, port);
			assert.equal(address?.host, '127.0.0.1', `${ip}:${port}`);
		}

		assert.equal(plane.resolveAddress('10.200.1.60', 9001), undefined);
		assert.ok(plane.resolveAddress('svc-nodeport.default.svc.cluster.local', 9000));
	});

	test('a pod endpoint answers with its own name and node', async () => {
		const body = JSON.parse(await get(plane.resolveAddress('10.10.3.4', 8080)!)) as {os: {hostname: string}; pod: {node: string}};
		assert.deepEqual([body.os.hostname, body.pod.node], ['deploy-echo-5c689d5454-b7gng', 'myk8s-worker3']);
	});

	test('the ClusterIP spreads new connections over all ready pods', async () => {
		const seen = new Map<string, number>();
		for (let i = 0; i < 60; i++) {
			// eslint-disable-next-line no-await-in-loop -- one connection after the other, like the probe.
			const body = JSON.parse(await get(plane.resolveAddress('10.200.1.60', 9000)!)) as {os: {hostname: string}};
			seen.set(body.os.hostname, (seen.get(body.os.hostname) ?? 0) + 1);
		}

		assert.equal(seen.size, 3, JSON.stringify([...seen]));
	});

	test('NodePort Local: a worker answers with its own pod only; the control plane drops (hangs)', async () => {
		for (let i = 0; i < 5; i++) {
			// eslint-disable-next-line no-await-in-loop -- sequential on purpose.
			const body = JSON.parse(await get(plane.resolveAddress('172.18.0.2', 31_254)!)) as {pod: {node: string}};
			assert.equal(body.pod.node, 'myk8s-worker2');
		}

		await assert.rejects(get(plane.resolveAddress('172.18.0.3', 31_254)!, 200), {code: 'TIMEOUT'});
	});

	test('ClientIP affinity sticks within the timeout and re-picks after it', async () => {
		const address = plane.resolveAddress('10.200.1.77', 80)!;
		const first = (JSON.parse(await get(address)) as {os: {hostname: string}}).os.hostname;
		for (let i = 0; i < 10; i++) {
			clock += 50_000;
			// eslint-disable-next-line no-await-in-loop -- sequential on purpose.
			assert.equal((JSON.parse(await get(address)) as {os: {hostname: string}}).os.hostname, first);
		}

		const after = new Set<string>();
		for (let i = 0; i < 20; i++) {
			clock += 101_000;
			// eslint-disable-next-line no-await-in-loop -- sequential on purpose.
			after.add((JSON.parse(await get(address)) as {os: {hostname: string}}).os.hostname);
		}

		assert.ok(after.size > 1, 'expired affinity picks again');
	});

	test('no endpoints: the connection is rejected at once', async () => {
		await assert.rejects(get(plane.resolveAddress('10.200.1.99', 80)!), (error: NodeJS.ErrnoException) => error.code === 'ECONNRESET');
	});

	test('objects are re-read per connection: a pod turning not-ready stops getting traffic', async () => {
		readyPods = 1;
		try {
			for (let i = 0; i < 10; i++) {
				// eslint-disable-next-line no-await-in-loop -- sequential on purpose.
				const body = JSON.parse(await get(plane.resolveAddress('10.200.1.60', 9000)!)) as {os: {hostname: string}};
				assert.equal(body.os.hostname, 'deploy-echo-5c689d5454-m4hd9');
			}

			// Worker3's pod is not ready: under Local its NodePort now drops.
			await assert.rejects(get(plane.resolveAddress('172.18.0.4', 31_254)!, 200), {code: 'TIMEOUT'});
		} finally {
			readyPods = 3;
		}
	});

	test('endpoints that appear later get a listener after reconcile, removed ones lose it', async () => {
		assert.equal(plane.resolveAddress('10.200.1.99', 80) === undefined, false);
		assert.equal(plane.resolveAddress('10.10.9.9', 80), undefined);
		extra = {
			metadata: {namespace: 'default', name: 'orphan-x', labels: {'kubernetes.io/service-name': 'orphan'}},
			addressType: 'IPv4',
			ports: [{port: 80, protocol: 'TCP'}],
			endpoints: [{addresses: ['10.10.9.9'], conditions: {ready: true}, nodeName: 'myk8s-worker', targetRef: {kind: 'Pod', name: 'late-pod'}}],
		};
		await plane.reconcile();
		const body = JSON.parse(await get(plane.resolveAddress('10.200.1.99', 80)!)) as {os: {hostname: string}};
		assert.equal(body.os.hostname, 'late-pod');
		extra = undefined;
		await plane.reconcile();
		assert.equal(plane.resolveAddress('10.10.9.9', 80), undefined);
	});
});
