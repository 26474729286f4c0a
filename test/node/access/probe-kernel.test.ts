import assert from 'node:assert/strict';
import {type ChildProcess, execFileSync, spawn, spawnSync} from 'node:child_process';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {type ApiServer, startApiServer} from '../../../source/builtin-cluster/apiserver/index.js';
import {generateIptablesSave} from '../../../source/builtin-cluster/generate/iptables.js';
import {svctop} from './run-svctop.js';
import {inNs, sh} from '../../helpers/netns.js';

/*
 * A node (network namespace) with three echo pods behind a bridge, kube-proxy's rules for
 * default/echo loaded, and a client pod: `probe --from node/...` runs curl in the node's namespace
 * through a debug pod and attributes each answer by conntrack there; `--from pod/...` runs it in the
 * client pod and attributes by the answer (each pod answers its own name).
 */

const prefix = `svtdpp${process.pid % 100_000}`;
const netns = {node: `${prefix}n`, client: `${prefix}c`, pods: [1, 2, 3].map(i => `${prefix}p${i}`)};
const podIps = ['10.244.1.2', '10.244.1.3', '10.244.1.4'];
const podNames = ['echo-aaaaa', 'echo-bbbbb', 'echo-ccccc'];
const hasTool = (tool: string, flag = '--version') => spawnSync(tool, [flag], {stdio: 'ignore'}).status === 0;
let skipReason: string | undefined;
if (process.getuid?.() !== 0) {
	skipReason = 'needs root to create network namespaces';
} else if (!['ip', 'iptables-restore', 'conntrack', 'curl'].every(tool => hasTool(tool, tool === 'ip' ? '-V' : '--version'))) {
	skipReason = 'needs ip, iptables-restore, conntrack and curl';
}

const service: V1Service = {apiVersion: 'v1', kind: 'Service', metadata: {namespace: 'default', name: 'echo'}, spec: {type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], selector: {app: 'echo'}, ports: [{name: 'http', port: 80, targetPort: 8080 as any, protocol: 'TCP'}]}};
const slice: V1EndpointSlice = {
	apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
	metadata: {namespace: 'default', name: 'echo-x1', labels: {'kubernetes.io/service-name': 'echo'}},
	ports: [{name: 'http', port: 8080, protocol: 'TCP'}],
	endpoints: podIps.map((ip, index) => ({addresses: [ip], conditions: {ready: true, serving: true, terminating: false}, nodeName: 'node-a', targetRef: {kind: 'Pod', namespace: 'default', name: podNames[index]}})),
};


describe('probe --from in the kernel lab', () => {
	const servers: ChildProcess[] = [];
	let server: ApiServer | undefined;
	let directory: string | undefined;
	let kubeconfig: string;

	before(async () => {
		if (skipReason) {
			return;
		}

		try {
			for (const name of [netns.node, netns.client, ...netns.pods]) {
				sh('ip', 'netns', 'add', name);
				inNs(name, 'ip', 'link', 'set', 'lo', 'up');
			}

			inNs(netns.node, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
			inNs(netns.node, 'ip', 'addr', 'add', '10.244.1.1/24', 'dev', 'br0');
			inNs(netns.node, 'ip', 'link', 'set', 'br0', 'up');
			// ClusterIPs need a route before kube-proxy's DNAT picks the pod.
			inNs(netns.node, 'ip', 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1');
			inNs(netns.node, 'ip', 'addr', 'add', '172.30.9.10/24', 'dev', 'up0');
			inNs(netns.node, 'ip', 'link', 'set', 'up0', 'up');
			inNs(netns.node, 'ip', 'link', 'set', 'up1', 'up');
			inNs(netns.node, 'ip', 'route', 'add', 'default', 'dev', 'up0');
			inNs(netns.node, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
			for (const [index, pod] of [...netns.pods, netns.client].entries()) {
				sh('ip', 'link', 'add', `vp${index}`, 'netns', netns.node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod);
				inNs(netns.node, 'ip', 'link', 'set', `vp${index}`, 'master', 'br0', 'up');
				inNs(pod, 'ip', 'addr', 'add', `${podIps[index] ?? '10.244.1.9'}/24`, 'dev', 'eth0');
				inNs(pod, 'ip', 'link', 'set', 'eth0', 'up');
				inNs(pod, 'ip', 'route', 'add', 'default', 'via', '10.244.1.1');
			}

			execFileSync('ip', ['netns', 'exec', netns.node, 'iptables-restore'], {input: generateIptablesSave({services: [service], endpointSlices: [slice], nodeName: 'node-a', nodeIPs: ['172.30.9.10']}, {clusterCIDR: '10.244.0.0/16'})});
			await Promise.all(netns.pods.map(async (pod, index) => new Promise<void>((resolve, reject) => {
				const child = spawn('ip', ['netns', 'exec', pod, process.execPath, '-e', `require("http").createServer((q,s)=>s.end(${JSON.stringify(podNames[index])})).listen(8080,()=>console.log("ready"))`], {stdio: ['ignore', 'pipe', 'inherit']});
				servers.push(child);
				child.stdout!.once('data', () => resolve());
				child.once('exit', code => reject(new Error(`echo server in ${pod} exited ${code}`)));
			})));
			directory = await mkdtemp(path.join(tmpdir(), 'svtdpp-'));
			server = await startApiServer({
				exec: 'real',
				podStartMs: 10,
				nodeNetns: {'node-a': netns.node},
				podNetns: {'default/client': netns.client},
				objects: [
					{kind: 'Node', apiVersion: 'v1', metadata: {name: 'node-a'}, status: {addresses: [{type: 'InternalIP', address: '172.30.9.10'}]}},
					service,
					slice,
					{kind: 'Pod', apiVersion: 'v1', metadata: {namespace: 'default', name: 'client'}, spec: {nodeName: 'node-a', containers: [{name: 'shell', image: 'busybox'}]}, status: {phase: 'Running'}},
				],
			});
			kubeconfig = await server.writeKubeconfig(directory);
		} catch (error) {
			skipReason = `the lab could not be built: ${(error as Error & {stderr?: Buffer}).stderr?.toString() || (error as Error).message}`;
		}
	});

	after(async () => {
		for (const child of servers) {
			child.kill();
		}

		await server?.close();
		for (const name of [netns.node, netns.client, ...netns.pods]) {
			spawnSync('ip', ['netns', 'del', name], {stdio: 'ignore'});
		}

		if (directory) {
			await rm(directory, {recursive: true, force: true});
		}
	});

	test('--from node/node-a --debug-pod: curl in the node\'s namespace, every answer attributed by conntrack, shares as the rules say', async t => {
		if (skipReason) {
			t.skip(skipReason);
			return;
		}

		const run = await svctop(kubeconfig, 'probe', 'default/echo', '--from', 'node/node-a', '--debug-pod', '--count', '60', '--interval', '1ms', '--json');
		assert.equal(run.code, 0, run.stderr);
		const lines = run.stdout.trim().split('\n').map(line => JSON.parse(line));
		const samples = lines.filter(line => line.seq !== undefined);
		assert.equal(samples.length, 60);
		assert.ok(samples.every(sample => sample.ok && sample.via === 'conntrack'), JSON.stringify(samples.find(sample => !sample.ok || sample.via !== 'conntrack')));
		const {summary} = lines.at(-1);
		assert.deepEqual(Object.keys(summary.byPod).sort(), podNames);
		assert.equal(Object.values(summary.byPod as Record<string, number>).reduce((sum, count) => sum + count, 0), 60);
		for (const pod of podNames) {
			assert.ok(Math.abs(summary.expected[pod] - 1 / 3) < 0.001, `expected share of ${pod}: ${summary.expected[pod]}`);
		}

		// A random split fails a fit test as often as its floor: 1e-6 is never in practice.
		assert.ok(summary.pValue > 1e-6, `p = ${summary.pValue}`);
		assert.equal(server!.count('pods'), 1, 'only the client pod is left');
	});

	test('--from pod/default/client: curl in the pod, attributed by the answer, nothing created', async t => {
		if (skipReason) {
			t.skip(skipReason);
			return;
		}

		const before = server!.requestLog().filter(entry => entry.method === 'POST' && entry.url.includes('/pods')).length;
		const run = await svctop(kubeconfig, 'probe', 'default/echo', '--from', 'pod/default/client', '--count', '9', '--interval', '1ms');
		assert.equal(run.code, 0, run.stderr);
		assert.match(run.stdout, /from pod default\/client \(container shell\) with curl/);
		assert.match(run.stdout, /9 probes, 9 ok/);
		assert.match(run.stdout, /echo-\w{5}\s+node-a\s+\d+/);
		assert.doesNotMatch(run.stdout, /unknown/);
		assert.equal(server!.requestLog().filter(entry => entry.method === 'POST' && entry.url.includes('/pods')).length, before);
	});
});
