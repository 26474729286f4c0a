import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {planServiceProbe} from '../../../source/core/probe/plan.js';
import type {Via} from '../../../source/core/probe/service-targets.js';
import {parseTarget} from '../../../source/core/probe/target.js';
import type {ProbeSample} from '../../../source/core/probe/types.js';
import {demoNodes, endpointSlicesFor, initialDemoState, nodeObject} from '../../../source/builtin-cluster/demo/cluster.js';
import {startDemoDataPlane, type DemoDataPlane} from '../../../source/builtin-cluster/demo/data-plane.js';
import {buildDnsQuery, parseDnsResponse} from '../../../source/node/probe/dns-message.js';
import {startProbeEngine} from '../../../source/node/probe/engine.js';
import {probeDns} from '../../../source/node/probe/probe-once.js';
import {echoSlice, nodePortService, nodes} from '../../core/probe/fixtures.js';

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

/** A seeded generator, so the picks (and the shares tested) are the same on every run. */
function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6D_2B_79_F5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
}

describe('demo data plane: DNS over UDP', () => {
	const started = Date.parse('2026-11-23T00:00:00Z');
	const state = initialDemoState(started);
	// Two UDP Services of our own over the CoreDNS pods: one with ClientIP affinity, one NodePort with Local policy.
	state.services.push(
		{metadata: {namespace: 'kube-system', name: 'dns-sticky'}, spec: {type: 'ClusterIP', clusterIP: '10.200.1.200', clusterIPs: ['10.200.1.200'], selector: {'k8s-app': 'kube-dns'}, ports: [{name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 as never}], sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: 10_800}}}},
		{metadata: {namespace: 'kube-system', name: 'dns-nodeport'}, spec: {type: 'NodePort', clusterIP: '10.200.1.201', clusterIPs: ['10.200.1.201'], selector: {'k8s-app': 'kube-dns'}, externalTrafficPolicy: 'Local', ports: [{name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 as never, nodePort: 30_053}]}},
	);
	const demoNodeObjects = demoNodes.map(node => nodeObject(node, started));
	const objects = () => ({services: state.services, slices: endpointSlicesFor(state), nodes: demoNodeObjects});
	const coredns = ['coredns-76f75df574-8xq2p', 'coredns-76f75df574-kq9vz'];
	let plane: DemoDataPlane;
	before(async () => {
		plane = await startDemoDataPlane(objects, {random: seededRandom(7)});
	});
	after(async () => plane.close());

	/** `svctop probe TARGET --dns` as the command runs it, through the probe engine, against the demo. */
	async function probe(target: string, options: {count: number; name?: string; via?: Via; timeoutMs?: number}) {
		const spec = parseTarget(target);
		assert.ok(!('error' in spec) && spec.kind === 'service');
		const {services, slices, nodes: nodeList} = objects();
		const plan = planServiceProbe({services, endpointSlices: slices, nodes: nodeList}, spec, options.via ?? 'clusterip');
		assert.ok(!('error' in plan), JSON.stringify(plan));
		assert.equal(plan.protocol, 'UDP');
		const samples: ProbeSample[] = [];
		const engine = startProbeEngine({
			series: plan.series,
			mode: 'dns',
			path: options.name ?? 'kubernetes.default.svc.cluster.local',
			intervalMs: 0,
			count: options.count,
			timeoutMs: options.timeoutMs ?? 1000,
			concurrency: 1,
			index: plan.index,
			service: plan.service,
			candidates: plan.candidates,
			resolveAddress: (ip, port) => plane.resolveAddress(ip, port),
			conntrack: 'off',
			onSample: sample => samples.push(sample),
		});
		await engine.done;
		return {samples, snapshot: engine.snapshot()};
	}

	test('the ClusterIP\'s TCP listener and UDP socket share one loopback port; pod IPs and the DNS name are mapped too', async () => {
		const address = plane.resolveAddress('10.200.1.10', 53);
		assert.ok(address);
		const body = JSON.parse(await get(address)) as {os: {hostname: string}};
		assert.ok(coredns.includes(body.os.hostname), 'dns-tcp is served on the same port number');
		const udp = await probeDns({...address, timeoutMs: 1000, name: 'kube-dns.kube-system.svc.cluster.local'});
		assert.equal(udp.ok, true);
		assert.match(udp.responseText!, /^NOERROR kube-dns\.kube-system\.svc\.cluster\.local 10\.200\.1\.10 nsid=coredns-/);
		assert.ok(plane.resolveAddress('kube-dns.kube-system.svc.cluster.local', 53));
		const direct = await probeDns({...plane.resolveAddress('10.10.0.3', 53)!, timeoutMs: 1000, name: 'kubernetes.default'});
		assert.equal(direct.responseText, 'NOERROR kubernetes.default 10.200.1.1 nsid=coredns-76f75df574-kq9vz');
	});

	test('kube-dns:dns spreads queries over both CoreDNS pods, ~1/2 each, attributed by the answer\'s NSID', async () => {
		const {samples, snapshot} = await probe('kube-system/kube-dns:dns', {count: 200});
		assert.equal(samples.length, 200);
		assert.ok(samples.every(sample => sample.ok && sample.error === null && sample.via === 'response' && sample.node === 'myk8s-control-plane'), JSON.stringify(samples.find(sample => !sample.ok || sample.via !== 'response')));
		assert.deepEqual(Object.keys(snapshot.byPod).sort(), coredns);
		for (const pod of coredns) {
			const share = snapshot.byPod[pod]! / 200;
			// 0.15 is over four standard deviations of a 200-probe share: it fails by chance about once in 40,000 runs.
			assert.ok(Math.abs(share - 0.5) < 0.15, `${pod}: ${share}`);
			assert.equal(snapshot.expected[pod], 0.5);
		}

		assert.ok(snapshot.fit && snapshot.fit.pValue > 1e-6, `p = ${snapshot.fit?.pValue}`);
		assert.ok(samples.every(sample => sample.endpoint === `${sample.pod === coredns[0] ? '10.10.0.2' : '10.10.0.3'}:53`));
	});

	test('a not-ready CoreDNS pod gets no queries', async () => {
		const pod = state.pods.find(candidate => candidate.name === coredns[1])!;
		pod.ready = false;
		try {
			const {snapshot} = await probe('kube-system/kube-dns:dns', {count: 40});
			assert.deepEqual(snapshot.byPod, {[coredns[0]!]: 40});
		} finally {
			pod.ready = true;
		}
	});

	test('an unknown name is NXDOMAIN: the server answered, so the probe succeeds and still names the pod', async () => {
		const raw = await probeDns({...plane.resolveAddress('10.200.1.10', 53)!, timeoutMs: 1000, name: 'no-such.default.svc.cluster.local'});
		assert.equal(raw.ok, true);
		assert.equal(raw.error, null);
		assert.match(raw.responseText!, /^NXDOMAIN no-such\.default\.svc\.cluster\.local nsid=coredns-76f75df574-(8xq2p|kq9vz)$/);
		const {samples} = await probe('kube-system/kube-dns:dns', {count: 10, name: 'no-such.default.svc.cluster.local'});
		assert.ok(samples.every(sample => sample.ok && sample.pod !== null && sample.via === 'response'));
	});

	test('a UDP Service without UDP endpoints, or whose pods do not listen on UDP, times out like the real one', async () => {
		// upstream-dns: its manual Endpoints serve TCP only, so kube-proxy has no UDP endpoint and rejects.
		const none = await probe('default/upstream-dns:dns', {count: 3, timeoutMs: 150});
		assert.deepEqual(none.samples.map(sample => [sample.ok, sample.error, sample.pod]), [[false, 'timeout', null], [false, 'timeout', null], [false, 'timeout', null]]);
		// wrong-port's syslog: endpoints exist, but nothing in the pods answers on UDP 514. svctop does not
		// plan a probe of a UDP port that is not DNS; a query sent there by hand goes unanswered.
		const {services, slices, nodes: nodeList} = objects();
		const spec = parseTarget('default/wrong-port:syslog');
		assert.ok(!('error' in spec) && spec.kind === 'service');
		assert.match((planServiceProbe({services, endpointSlices: slices, nodes: nodeList}, spec, 'clusterip') as {error: string}).error, /is UDP port 514, not DNS/);
		const deaf = await probeDns({...plane.resolveAddress('10.200.1.112', 514)!, timeoutMs: 150, name: 'kubernetes.default'});
		assert.equal(deaf.error, 'timeout');
	});

	test('ClientIP affinity holds per client for UDP flows too', async () => {
		const {snapshot} = await probe('kube-system/dns-sticky:dns', {count: 30});
		assert.equal(Object.keys(snapshot.byPod).length, 1, JSON.stringify(snapshot.byPod));
		assert.equal(snapshot.ok, 30);
	});

	test('a UDP NodePort with externalTrafficPolicy Local answers on the CoreDNS pods\' node and drops elsewhere', async () => {
		const {snapshot} = await probe('kube-system/dns-nodeport:dns', {count: 16, via: 'nodeport', timeoutMs: 200});
		const byNode = Object.fromEntries(snapshot.series.map(series => [series.node, `${series.ok}/${series.count}`]));
		assert.deepEqual(byNode, {'myk8s-control-plane': '4/4', 'myk8s-worker': '0/4', 'myk8s-worker2': '0/4', 'myk8s-worker3': '0/4'});
	});

	test('one client socket asking twice gets two answers (the flow is relayed, then closed)', async () => {
		const socket = dgram.createSocket('udp4');
		try {
			const address = plane.resolveAddress('10.200.1.10', 53)!;
			const answers: string[] = [];
			await new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error(`answers: ${answers.join(', ')}`)), 2000);
				socket.on('message', message => {
					const answer = parseDnsResponse(message);
					answers.push(`${answer?.id} ${answer?.addresses.join(',')}`);
					if (answers.length === 1) {
						socket.send(buildDnsQuery(2, 'kube-dns.kube-system.svc', {nsid: true}), address.port, address.host);
					} else {
						clearTimeout(timer);
						resolve();
					}
				});
				socket.send(buildDnsQuery(1, 'kubernetes.default.svc.cluster.local', {nsid: true}), address.port, address.host);
			});
			assert.deepEqual(answers, ['1 10.200.1.1', '2 10.200.1.10']);
		} finally {
			socket.close();
		}
	});
});
