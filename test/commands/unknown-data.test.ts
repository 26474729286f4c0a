import assert from 'node:assert/strict';
import path from 'node:path';
import {describe, test} from 'node:test';
import {type Fault, startApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import {runDescribe} from '../../source/commands/describe.js';
import {runList} from '../../source/commands/list.js';
import {type ConnectedCluster, connectCluster} from '../../source/kube/connect.js';
import {capture} from '../fixtures/services/cluster-source-stub.js';
import {endpointSlice, node, pod} from '../builtin-cluster/apiserver/fixtures.js';
import {apiLab} from '../helpers/api-lab.js';
import {localNodePortWeb} from '../fixtures/services/local-web.js';

/*
 * Issue 11, "unknown is not zero": the real client over HTTP against the in-process API server with
 * a fault on one resource. Whatever could not be read must show as unknown with its reason, and no
 * finding may be drawn from it: no "0/0", no "no-endpoints", no "dropped on every node".
 */

const lab = apiLab('svtunknown-');

/** The Service (localNodePortWeb) with externalTrafficPolicy Local: its two endpoints run on worker1 only. */
const web = localNodePortWeb;
const objects = [
	web,
	node('worker1', '192.168.56.11'),
	node('worker2', '192.168.56.12'),
	endpointSlice('default', 'web', 'a1b2c', ['10.244.1.2', '10.244.1.3']),
	pod('default', 'web-1', {app: 'web'}, '10.244.1.2'),
	pod('default', 'web-2', {app: 'web'}, '10.244.1.3'),
];
// Both endpoints on worker1 (the fixture numbers nodes per endpoint).
(objects[3] as {endpoints: Array<{nodeName: string}>}).endpoints.forEach(endpoint => {
	endpoint.nodeName = 'worker1';
});

async function connectWith(resource: string, fault: Fault | 'forbidden'): Promise<ConnectedCluster> {
	lab.api = await startApiServer({objects, user: 'dev'});
	if (fault === 'forbidden') {
		lab.api.setForbidden(resource, true);
	} else {
		lab.api.setFault(resource, fault);
	}

	const kubeconfig = await lab.api.writeKubeconfig(path.join(lab.directory, String(Math.random()).slice(2)));
	lab.cluster = await connectCluster({kubeconfig, env: {}, backoff: {initialMs: 5, maxMs: 20}, settleAfterFailures: 2, requestTimeoutMs: 300, readyTimeoutMs: 3000});
	return lab.cluster;
}

async function describeWeb(source: ConnectedCluster, json: boolean): Promise<{out: string; err: string; code: number}> {
	const out = capture();
	const err = capture();
	const code = await runDescribe(source, {target: 'default/web', json, clusterDomain: 'cluster.local', resolve: async name => ({name, chain: [], addresses: []})}, out, Date.parse('2026-12-07T00:00:00Z'), err);
	return {out: out.text(), err: err.text(), code};
}

const sliceFaults: Array<[string, Fault | 'forbidden', RegExp]> = [
	['403 forbidden', 'forbidden', /^endpointslices\.discovery\.k8s\.io is forbidden: User "dev" cannot list resource "endpointslices"/],
	['500', {kind: 'status', code: 500}, /answered 500 to list endpointslices\.discovery\.k8s\.io: Internal error occurred/],
	['a garbled answer', {kind: 'garbled'}, /answered with something that is not JSON/],
	['a cut answer', {kind: 'cut'}, /was cut off|not JSON/],
	['no answer (timeout)', {kind: 'hang'}, /did not answer in time/],
];

describe('EndpointSlices that cannot be read are unknown, not zero', () => {
	for (const [name, fault, reason] of sliceFaults) {
		test(`${name}: describe shows unknown with the reason and draws no endpoint finding`, async () => {
			const source = await connectWith('endpointslices', fault);
			const text = await describeWeb(source, false);
			assert.equal(text.code, 0);
			assert.doesNotMatch(text.out, /0\/0/);
			assert.doesNotMatch(text.out, /no-endpoints|no endpoints|dropped|Nodes without endpoints/);
			assert.match(text.out, /^Endpoints: unknown \(.+\)$/m);
			assert.doesNotMatch(text.out, /^Endpoints:\s+<none>$/m, 'the kubectl-style field says unknown too');
			assert.match(text.out, /^Not checked \(could not be read\):\n {2}endpointslices: /m);
			assert.match(text.err, /^warning: endpoints unknown: /);
			assert.match(text.err.replace('warning: endpoints unknown: ', ''), reason);
			// The pods were read, but which of them are endpoints is not known without the slices.
			assert.match(text.out, /^Pods matching the selector that are not ready endpoints: unknown \(endpointslices: .+\)$/m);
			assert.doesNotMatch(text.out, /not ready endpoints: <none>|Topology: <none>/);

			const json = JSON.parse((await describeWeb(source, true)).out) as {endpoints: unknown; unknown: Array<{resource: string; reason: string}>; findings: Array<{code: string; restsOn: string[]}>; nodesWithoutEndpoints: unknown; unreadyPods: unknown; topology: unknown; podsFetched: boolean};
			assert.equal(json.endpoints, null);
			assert.deepEqual(json.unknown.map(entry => entry.resource), ['endpointslices']);
			assert.match(json.unknown[0]!.reason, reason);
			assert.equal(json.podsFetched, true);
			assert.equal(json.nodesWithoutEndpoints, null);
			assert.equal(json.unreadyPods, null);
			assert.equal(json.topology, null);
			assert.ok(json.findings.every(finding => !finding.restsOn.includes('endpointslices')), JSON.stringify(json.findings));
		});
	}

	test('list prints ?/? and says why on stderr', async () => {
		const source = await connectWith('endpointslices', 'forbidden');
		await source.ready();
		const out = capture();
		const err = capture();
		assert.equal(await runList(source, {wide: false, json: false, allNamespaces: false}, out, Date.now(), err), 0);
		assert.match(out.text(), /^web +NodePort +10\.96\.0\.20 +<none> +80:30080\/TCP +\?\/\? /m);
		assert.doesNotMatch(out.text(), /0\/0/);
		assert.match(err.text(), /^warning: endpoints unknown: endpointslices\.discovery\.k8s\.io is forbidden: User "dev" cannot list/);
	});

	test('control: with every resource readable the same Service gets its findings', async () => {
		const source = await connectWith('endpointslices', {kind: 'status', code: 500, retryAfterSeconds: 0});
		lab.api!.setFault('endpointslices', undefined);
		const text = await describeWeb(source, false);
		assert.match(text.out, /^Endpoints: 2\/2 ready/m);
		assert.match(text.out, /\[local-policy-nodes-without-endpoints\] .*worker2 is dropped/);
		assert.equal(text.err, '');
	});
});

describe('nodes and pods that cannot be read', () => {
	test('nodes forbidden: no claim about which nodes drop NodePort traffic', async () => {
		const source = await connectWith('nodes', 'forbidden');
		const text = await describeWeb(source, false);
		assert.match(text.out, /^Endpoints: 2\/2 ready/m);
		assert.doesNotMatch(text.out, /dropped|^Nodes without endpoints:$/m);
		assert.match(text.out, /^Nodes without endpoints: unknown \(nodes: nodes is forbidden: User "dev" cannot list resource "nodes".*\)$/m);
		assert.match(text.err, /^warning: nodes unknown: nodes is forbidden: User "dev" cannot list resource "nodes"/m);
		const json = JSON.parse((await describeWeb(source, true)).out) as {nodesWithoutEndpoints: unknown; topology: {nodes: unknown}};
		assert.equal(json.nodesWithoutEndpoints, null);
		assert.equal(json.topology.nodes, null);
	});

	test('pods failing: no selector or targetPort finding, pods named unknown', async () => {
		const source = await connectWith('pods', {kind: 'status', code: 503});
		const {out, err} = await describeWeb(source, true);
		const json = JSON.parse(out) as {unknown: Array<{resource: string; reason: string}>; findings: Array<{code: string; restsOn: string[]}>};
		assert.deepEqual(json.unknown.map(entry => entry.resource), ['pods']);
		assert.match(json.unknown[0]!.reason, /answered 503 to list pods/);
		assert.ok(json.findings.every(finding => !finding.restsOn.includes('pods')), JSON.stringify(json.findings));
		assert.match(err, /^warning: pods unknown: /m);
		assert.ok(lab.api!.counters().list.pods >= 2, 'a transient failure is retried before giving up');
	});
});

describe('nat does not cross-check against a cluster it could not read', () => {
	test('services answering 500: no "rules for ..., which the API does not have"', {timeout: 60_000}, async () => {
		const {spawn} = await import('node:child_process');
		const {writeFile} = await import('node:fs/promises');
		const {fileURLToPath} = await import('node:url');
		const {generateIptablesSave} = await import('../../source/builtin-cluster/generate/iptables.js');
		const {endpointSlicesFor, initialDemoState} = await import('../../source/builtin-cluster/demo/cluster.js');
		const state = initialDemoState(Date.now());
		const dumpFile = path.join(lab.directory, 'nat-dump.txt');
		await writeFile(dumpFile, generateIptablesSave({services: state.services, endpointSlices: endpointSlicesFor(state), nodeName: 'myk8s-worker', nodeIPs: ['172.18.0.5']}));
		lab.api = await startApiServer({objects: state.services});
		lab.api.setFault('services', {kind: 'status', code: 500});
		const kubeconfig = await lab.api.writeKubeconfig(path.join(lab.directory, 'nat'));
		const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
		const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'source/cli.tsx'), 'nat', '--file', dumpFile, '--kubeconfig', kubeconfig], {cwd: root});
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => {
			output += chunk.toString();
		});
		child.stderr.on('data', (chunk: Buffer) => {
			output += chunk.toString();
		});
		const code = await new Promise<number | null>(resolve => child.on('close', resolve));
		assert.equal(code, 0, output);
		assert.match(output, /svc-nodeport/);
		assert.doesNotMatch(output, /which the API does not have/);
		assert.ok(lab.api.counters().list.services >= 1, 'the API was asked');
	});
});
