import assert from 'node:assert/strict';
import process from 'node:process';
import {PassThrough} from 'node:stream';
import {after, afterEach, before, describe, test} from 'node:test';
import {setTimeout as delay} from 'node:timers/promises';
import type {ProbeTarget} from '../../../source/core/probe/types.js';
import {parseCommandLine} from '../../../source/cli/parse-command-line.js';
import {startDashboardAccess} from '../../../source/commands/node-access.js';
import {type Demo, startDemo} from '../../../source/builtin-cluster/demo/demo.js';
import {noProbeVantages, type ProbeVantages} from '../../../source/node/access/probe-vantages.js';
import type {RemoteProber} from '../../../source/node/access/remote-probe-loop.js';
import type {RemoteProbeResult} from '../../../source/node/access/remote-probe.js';
import Dashboard from '../../../source/ui/Dashboard.js';
import {makeProbeView} from '../../../source/commands/dashboard-screens.js';
import {demoSource, FakeClusterSource} from '../fake-source.js';
import {type Rendered, renderAt, settle} from '../render-at.js';

const now = Date.UTC(2026, 10, 23, 0, 0, 0);
const rendered: Rendered[] = [];

afterEach(() => {
	for (const view of rendered.splice(0)) {
		view.unmount();
	}
});

const {endpointSlices, nodes: demoNodes} = demoSource(now).source.current;
// svc-clusterip's endpoints as the demo serves them (webpod1, webpod2 on port 80).
const endpoints = endpointSlices
	.filter(slice => slice.metadata?.labels?.['kubernetes.io/service-name'] === 'svc-clusterip')
	.flatMap(slice => (slice.endpoints ?? []).flatMap(endpoint => endpoint.addresses.map(ip => ({ip, pod: endpoint.targetRef?.name ?? '', port: slice.ports?.[0]?.port ?? 0}))));

/** A node vantage that records when its "pod" is first used; conntrack there names the endpoints in turn. */
function fakeVantages() {
	const created: string[] = [];
	const probed: ProbeTarget[] = [];
	const probers = new Map<string, RemoteProber>();
	const vantages: ProbeVantages = {
		describe: node => `Create pod svctop-debug-${node}-* in namespace kube-system on node ${node} (image nicolaka/netshoot) and probe from there?`,
		proberFor(node) {
			let prober = probers.get(node);
			if (!prober) {
				prober = {
					where: `node/${node} via debug pod`,
					async probe(target): Promise<RemoteProbeResult> {
						if (!created.includes(node)) {
							created.push(node);
						}

						probed.push(target);
						const endpoint = endpoints[probed.length % endpoints.length]!;
						return {ok: true, latencyMs: 1.5, error: null, conntrackReply: {ip: endpoint.ip, port: endpoint.port}};
					},
				};
				probers.set(node, prober);
			}

			return prober;
		},
		rulesFor: node => async () => {
			if (!created.includes(node)) {
				created.push(node);
			}

			return undefined;
		},
	};
	return {vantages, created, probed};
}

function open(vantages: ProbeVantages) {
	const {source} = demoSource(now);
	// From this machine the probes go nowhere (conntrack off, a short timeout): only the node's samples count.
	const probe = makeProbeView({vantages, initialIntervalMs: 10, timeoutMs: 50, refreshMs: 10, conntrack: 'off', resolveAddress: () => ({host: '127.0.0.1', port: 9})});
	const view = renderAt(<Dashboard source={source} clock={() => now} initialRoute={{screen: 'probe', serviceKey: 'default/svc-clusterip'}} screens={{probe}} />, {columns: 150, rows: 30});
	rendered.push(view);
	return view;
}

async function until(view: Rendered, pattern: RegExp): Promise<string> {
	for (let i = 0; i < 500 && !pattern.test(view.frame()); i++) {
		// eslint-disable-next-line no-await-in-loop
		await delay(10);
	}

	return view.frame();
}

test('probe view: w picks a node; the pod is named and confirmed before anything is created; samples come from the node', async () => {
	assert.ok(endpoints.length >= 2, 'the demo has two endpoints behind svc-clusterip');
	const {vantages, created, probed} = fakeVantages();
	const view = open(vantages);
	await settle();
	assert.doesNotMatch(view.frame(), /via debug pod/);
	await view.press('w');
	assert.match(view.frame(), /Probe default\/svc-clusterip from \(Enter picks, Esc cancels\):/);
	assert.match(view.frame(), /\* this machine \(as svctop was started\)/);
	await view.press('j', 'j');
	await view.press('return');
	assert.match(view.frame(), /Create pod svctop-debug-myk8s-worker-\* in namespace kube-system on node myk8s-worker \(image nicolaka\/netshoot\) and probe from there\?/);
	assert.match(view.frame(), /y: create it and probe from there {3}n: back/);
	await view.press('n');
	await delay(50);
	assert.deepEqual(created, [], 'nothing is created on n');
	assert.equal(probed.length, 0, 'nothing is probed on n');
	await view.press('return');
	await view.press('y');
	const frame = await until(view, /via conntrack [4-9]/);
	assert.deepEqual(created, ['myk8s-worker']);
	assert.match(frame, /PROBE .*from node\/myk8s-worker via debug pod/);
	assert.match(frame, /via conntrack \d+/, 'attributed by conntrack on the node');
	if (process.env.SHOW) console.log(frame);
	assert.ok(probed.every(target => target.host === '10.200.1.155' && target.port === 9000), 'the node dials the ClusterIP itself');
	for (const {pod} of endpoints) {
		assert.match(frame, new RegExp(pod), `${pod} answered from the node`);
	}

	// Back to this machine: no question, the header loses the node, the node is no longer probed.
	await view.press('w', 'k', 'k', 'return');
	await settle();
	const count = probed.length;
	await delay(60);
	assert.doesNotMatch(view.frame(), /via debug pod/);
	assert.ok(probed.length <= count + 1, 'the node loop stopped');
});

test('probe view: without --debug-pod, w says how to enable it and creates nothing', async () => {
	const view = open(noProbeVantages);
	await settle();
	await view.press('w');
	assert.match(view.frame(), /start svctop with --debug-pod to probe from a node/);
	assert.doesNotMatch(view.frame(), /Probe default\/svc-clusterip from/);
	assert.doesNotMatch(view.frame(), /via debug pod/);
});

test('probe view: a failed exec on the node shows why, not samples, and the run reads failed, not finished', async () => {
	const vantages: ProbeVantages = {
		describe: node => `Create pod on ${node}?`,
		proberFor: node => ({where: `node/${node} via debug pod`, probe: async () => ({ok: false, latencyMs: 0, error: 'exec failed', execFailure: 'pods "svctop-debug-x" is forbidden: violates PodSecurity "baseline:latest"'})}),
		rulesFor: () => async () => undefined,
	};
	const view = open(vantages);
	await settle();
	await view.press('w', 'j', 'return', 'y');
	const frame = await until(view, /cannot probe/);
	assert.match(frame, /cannot probe: from node\/myk8s-control-plane via debug pod: pods "svctop-debug-x" is forbidden: violates PodSecurity/);
	// The loop stopped on the error, not on a count: the header says so.
	assert.match(frame, /■ failed/);
	assert.doesNotMatch(frame, /finished/);
});

/** Fake vantages with one pod too: its probes are answered by the endpoints in turn (by name, no conntrack in a pod). */
function fakePodVantages() {
	const {vantages: nodes, created, probed} = fakeVantages();
	const execs: ProbeTarget[] = [];
	const listed: string[] = [];
	const podProber: RemoteProber = {
		get where() {
			return execs.length === 0 ? 'pod/default/netshoot' : 'pod/default/netshoot with curl';
		},
		async probe(target): Promise<RemoteProbeResult> {
			execs.push(target);
			const endpoint = endpoints[execs.length % endpoints.length]!;
			return {ok: true, latencyMs: 2, error: null, responseText: `hostname: ${endpoint.pod}`};
		},
	};
	const vantages: ProbeVantages = {
		describe: vantage => (vantage.startsWith('pod/') ? `Exec into pod ${vantage.slice(4)} (nothing is created) and probe from there?` : nodes.describe(vantage)),
		proberFor: vantage => (vantage.startsWith('pod/') ? podProber : nodes.proberFor(vantage)),
		rulesFor: nodes.rulesFor,
		async pods(namespace) {
			listed.push(namespace);
			return [`pod/${namespace}/netshoot`];
		},
	};
	return {vantages, created, probed, execs, listed};
}

test('probe view: w lists the running pods of the namespace; a pod is confirmed by name, then probed from by exec, nothing created', async () => {
	const {vantages, created, probed, execs, listed} = fakePodVantages();
	const view = open(vantages);
	await settle();
	await view.press('w');
	const list = await until(view, /pod\/default\/netshoot/);
	assert.deepEqual(listed, ['default'], 'the Service\'s namespace is listed');
	assert.match(list, /pod\/default\/netshoot \(exec into it, creates nothing\)/);
	assert.match(list, /node myk8s-worker \(through a debug pod there\)/);
	// This machine, the nodes, then the pod.
	await view.press(...demoNodes.map(() => 'j'), 'j');
	await view.press('return');
	assert.match(view.frame(), /Exec into pod default\/netshoot \(nothing is created\) and probe from there\?/);
	assert.match(view.frame(), /y: exec into it and probe from there {3}n: back/);
	await view.press('n');
	await delay(50);
	assert.equal(execs.length, 0, 'no exec on n');
	await view.press('return', 'y');
	// This machine's probes ran (and were refused) until y: wait for the pod's own probes, not a count.
	await until(view, /PROBE .*from pod\/default\/netshoot with curl/);
	for (let waited = 0; execs.length < 4 && waited < 5000; waited += 20) {
		await delay(20);
	}

	assert.ok(execs.length >= 4, `${execs.length} probes through the pod`);
	const frame = view.frame();
	assert.match(frame, /PROBE .*from pod\/default\/netshoot with curl/);
	assert.ok(execs.every(target => target.host === '10.200.1.155' && target.port === 9000), 'the pod dials the ClusterIP itself');
	for (const {pod} of endpoints) {
		assert.match(frame, new RegExp(pod), `${pod} answered the pod`);
	}

	if (process.env.SHOW) console.log(frame);
	assert.deepEqual(created, [], 'no debug pod for a pod vantage');
	assert.equal(probed.length, 0, 'no node probed');
});

test('probe view: w when the pods cannot be listed says so in the picker (unknown, not none) and still offers the nodes (qa9 F4)', async () => {
	const {vantages: withPods} = fakePodVantages();
	const vantages: ProbeVantages = {
		...withPods,
		async pods() {
			throw new Error('pods is forbidden: User "dev" cannot list resource "pods"\nmore');
		},
	};
	const view = open(vantages);
	await settle();
	await view.press('w');
	const frame = await until(view, /pods of default unknown/);
	assert.match(frame, /pods of default unknown: pods is forbidden: User "dev" cannot list resource "pods"/);
	assert.match(frame, /node myk8s-worker \(through a debug pod there\)/);
	assert.doesNotMatch(frame, /more/);
});

describe('probe view against the demo: a real debug pod on the node', () => {
	let demo: Demo;

	before(async () => {
		demo = await startDemo({withDataPlane: true, stepMs: 0});
	});

	after(async () => demo.stop());

	test('nothing is written before y; then samples from the node, shares from its rules; the pod is deleted on close', async () => {
		const parsed = parseCommandLine(['--demo', '--debug-pod']);
		assert.equal(parsed.kind, 'run');
		const stderr = new PassThrough();
		const access = startDashboardAccess((parsed as Extract<typeof parsed, {kind: 'run'}>).config, demo, {stdin: new PassThrough(), stdout: new PassThrough(), stderr});
		const writes = () => demo.cluster.server.requestLog().filter(entry => entry.method !== 'GET');
		try {
			const {services, slices, nodes} = demo.cluster.objects();
			const source = new FakeClusterSource({services, endpointSlices: slices, nodes, lastUpdate: now});
			const probe = makeProbeView({vantages: access.probeVantages, resolveAddress: demo.resolveAddress, initialIntervalMs: 10, refreshMs: 10, conntrack: 'off'});
			const view = renderAt(<Dashboard source={source} clock={() => now} initialRoute={{screen: 'probe', serviceKey: 'default/svc-clusterip'}} screens={{probe}} />, {columns: 150, rows: 30});
			rendered.push(view);
			await settle();
			await view.press('w', 'j', 'j', 'return');
			assert.match(view.frame(), /Create pod svctop-debug-myk8s-worker-\* in namespace kube-system on node myk8s-worker \(image [^ ]+, host network, NET_ADMIN\+NET_RAW;\s+deleted when svctop exits\) and probe from there\?/);
			await delay(50);
			assert.deepEqual(writes(), [], 'no write request before the confirmation');
			await view.press('y');
			const frame = await until(view, /^\d{2,} probes/m);
			assert.match(frame, /PROBE .*from node\/myk8s-worker via debug pod/);
			assert.match(frame, /^\d{2,} probes, \d+ ok/m);
			assert.match(frame, /webpod1\s+myk8s-worker\s+\d+/);
			assert.match(frame, /vs NAT rules/, 'expected shares from the node\'s own rules');
			if (process.env.SHOW) console.log(frame);
			assert.ok(writes().some(entry => entry.method === 'POST'), 'the pod was created after y');
		} finally {
			for (const view of rendered.splice(0)) {
				view.unmount();
			}

			await access.close();
		}

		const created = demo.cluster.server.requestLog().filter(entry => entry.method === 'POST' && /\/pods(\?|$)/.test(entry.url)).length;
		const deleted = demo.cluster.server.requestLog().filter(entry => entry.method === 'DELETE' && entry.url.includes('svctop-debug-myk8s-worker-')).length;
		assert.equal(created, 1, 'one pod, for the one node picked');
		assert.equal(deleted, 1, 'the pod was deleted on close');
	});
	test('from an existing pod: listed, confirmed by name, probed by exec with the tool named; nothing is created', async () => {
		const parsed = parseCommandLine(['--demo', '--debug-pod']);
		assert.equal(parsed.kind, 'run');
		const access = startDashboardAccess((parsed as Extract<typeof parsed, {kind: 'run'}>).config, demo, {stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough()});
		const before = demo.cluster.server.requestLog().length;
		const writes = () => demo.cluster.server.requestLog().slice(before).filter(entry => entry.method !== 'GET');
		try {
			const {services, slices, nodes} = demo.cluster.objects();
			const source = new FakeClusterSource({services, endpointSlices: slices, nodes, lastUpdate: now});
			const probe = makeProbeView({vantages: access.probeVantages, resolveAddress: demo.resolveAddress, initialIntervalMs: 10, refreshMs: 10, conntrack: 'off'});
			const view = renderAt(<Dashboard source={source} clock={() => now} initialRoute={{screen: 'probe', serviceKey: 'default/svc-clusterip'}} screens={{probe}} />, {columns: 150, rows: 40});
			rendered.push(view);
			await settle();
			await view.press('w');
			const list = await until(view, /pod\/default\/\S+ \(exec into it, creates nothing\)/);
			const first = /pod\/default\/(\S+) \(exec into it/.exec(list)![1]!;
			await view.press(...nodes.map(() => 'j'), 'j', 'return');
			assert.match(view.frame(), new RegExp(`Exec into pod default/${first} \\(nothing is created;`));
			await delay(50);
			assert.deepEqual(writes(), [], 'no write request before the confirmation');
			await view.press('y');
			const frame = await until(view, /with curl[^]*^\d{2,} probes/m);
			if (process.env.SHOW) console.log(frame);
			assert.match(frame, new RegExp(`PROBE .*from pod/default/${first} with curl`));
			assert.match(frame, /^\d{2,} probes, [1-9]\d* ok/m);
			assert.match(frame, /via response/, 'attributed by the answer in a pod');
			// "with curl" is set only once curl was found by exec in that pod; the pod itself was read first.
			assert.ok(demo.cluster.server.requestLog().slice(before).some(entry => entry.method === 'GET' && entry.url.includes(`/namespaces/default/pods/${first}`)), 'the pod was read before its exec');
		} finally {
			for (const view of rendered.splice(0)) {
				view.unmount();
			}

			await access.close();
		}

		assert.deepEqual(writes().filter(entry => !entry.url.includes('/exec') && !entry.url.includes('selfsubjectaccessreviews')), [], 'nothing created or deleted');
	});

	test('without --debug-pod: w lists this machine and the pods (exec, creates nothing), no node, and says on one line that nodes need the flag', async () => {
		const parsed = parseCommandLine(['--demo']);
		assert.equal(parsed.kind, 'run');
		const access = startDashboardAccess((parsed as Extract<typeof parsed, {kind: 'run'}>).config, demo, {stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough()});
		const before = demo.cluster.server.requestLog().length;
		const writes = () => demo.cluster.server.requestLog().slice(before).filter(entry => entry.method !== 'GET');
		try {
			const {services, slices, nodes} = demo.cluster.objects();
			assert.ok(nodes.length > 0);
			const source = new FakeClusterSource({services, endpointSlices: slices, nodes, lastUpdate: now});
			const probe = makeProbeView({vantages: access.probeVantages, resolveAddress: demo.resolveAddress, initialIntervalMs: 10, refreshMs: 10, conntrack: 'off'});
			const view = renderAt(<Dashboard source={source} clock={() => now} initialRoute={{screen: 'probe', serviceKey: 'default/svc-clusterip'}} screens={{probe}} />, {columns: 150, rows: 40});
			rendered.push(view);
			await settle();
			await view.press('w');
			const list = await until(view, /pod\/default\/\S+ \(exec into it, creates nothing\)/);
			assert.match(list, /Probe default\/svc-clusterip from \(Enter picks, Esc cancels\):\n.*nodes need --debug-pod.*\n\* this machine \(as svctop was started\)/);
			assert.doesNotMatch(list, /start svctop with --debug-pod/);
			assert.doesNotMatch(list, /node \S+ \(through a debug pod there\)/);
			const first = /pod\/default\/(\S+) \(exec into it/.exec(list)![1]!;
			await view.press('j', 'return');
			assert.match(view.frame(), new RegExp(`Exec into pod default/${first} \\(nothing is created;`));
			await view.press('y');
			const frame = await until(view, /with curl[^]*^\d{2,} probes/m);
			assert.match(frame, new RegExp(`PROBE .*from pod/default/${first} with curl`));
			assert.match(frame, /^\d{2,} probes, [1-9]\d* ok/m);
		} finally {
			for (const view of rendered.splice(0)) {
				view.unmount();
			}

			await access.close();
		}

		assert.deepEqual(writes().filter(entry => !entry.url.includes('/exec') && !entry.url.includes('selfsubjectaccessreviews')), [], 'nothing created or deleted');
		assert.ok(!demo.cluster.server.requestLog().slice(before).some(entry => entry.method === 'POST' && /\/pods(\?|$)/.test(entry.url)), 'no debug pod');
	});
});
