import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {type ApiServer, startApiServer} from '../../../source/builtin-cluster/apiserver/index.js';
import {generateNftTable} from '../../../source/builtin-cluster/generate/nft.js';
import {clusterCIDR, endpointSlices, services} from '../../fixtures/nat/cluster.js';
import {labDump, labNodes, labObjects} from './three-nodes.js';
import {svctop} from './run-svctop.js';

/*
 * The kernel lab: each node is a network namespace holding the kube-proxy rules written for it
 * (node-c's from an older API state), and a debug pod on a node execs there for real
 * (`ip netns exec`), so svctop reads the rules with iptables-nft-save as on a node.
 */

const prefix = `svtdbg${process.pid}`;
const netnsOf = (node: string) => `${prefix}${node.slice(-1)}`;
const hasTool = (tool: string, flag = '--version') => spawnSync(tool, [flag], {stdio: 'ignore'}).status === 0;
let skipReason: string | undefined;
if (process.getuid?.() !== 0) {
	skipReason = 'needs root to create network namespaces';
} else if (!hasTool('ip', '-V') || !hasTool('iptables-restore') || !hasTool('iptables-nft-save')) {
	skipReason = 'needs ip, iptables-restore and iptables-nft-save';
}

describe('debug pods in the kernel lab (three namespaced nodes)', () => {
	let server: ApiServer | undefined;
	let directory: string;
	let kubeconfig: string;

	before(async () => {
		if (skipReason) {
			return;
		}

		for (const node of labNodes) {
			const created = spawnSync('ip', ['netns', 'add', netnsOf(node.name)], {encoding: 'utf8'});
			if (created.status !== 0) {
				skipReason = `cannot create a network namespace: ${created.stderr.trim()}`;
				return;
			}

			execFileSync('ip', ['netns', 'exec', netnsOf(node.name), 'iptables-restore'], {input: labDump(node.name)});
		}

		directory = await mkdtemp(path.join(tmpdir(), 'svtdbgk-'));
		server = await startApiServer({exec: 'real', podStartMs: 10, objects: labObjects(), nodeNetns: Object.fromEntries(labNodes.map(node => [node.name, netnsOf(node.name)]))});
		kubeconfig = await server.writeKubeconfig(directory);
	});

	after(async () => {
		await server?.close();
		for (const node of labNodes) {
			spawnSync('ip', ['netns', 'del', netnsOf(node.name)], {stdio: 'ignore'});
		}

		if (directory) {
			await rm(directory, {recursive: true, force: true});
		}
	});

	test('nat --all-nodes --debug-pod reads each namespace\'s rules and finds the stale node', async t => {
		if (skipReason) {
			t.skip(skipReason);
			return;
		}

		const run = await svctop(kubeconfig, 'nat', '--all-nodes', '--debug-pod', '--json');
		assert.equal(run.code, 0, run.stderr);
		const report = JSON.parse(run.stdout);
		assert.deepEqual(report.staleNodes, ['node-c']);
		const changed = report.ports.find((port: any) => port.service === 'default/svc-nodeport');
		assert.deepEqual(changed.stale, [{node: 'node-c', missing: ['10.10.3.4:8080'], extra: ['10.10.9.9:8080']}]);
		// The kernel wrote the probabilities back as iptables-save prints them; the shares still agree on a and b.
		assert.deepEqual(changed.variants[0].nodes, ['node-a', 'node-b']);
		assert.equal(server!.count('pods'), 0);
		assert.equal(server!.openExecs(), 0);
	});

	test('nat --node reads that node only (kube-proxy\'s mode port does not answer there)', async t => {
		if (skipReason) {
			t.skip(skipReason);
			return;
		}

		const run = await svctop(kubeconfig, 'nat', '--node', 'node-c', '--debug-pod', '--service', 'default/svc-nodeport');
		assert.equal(run.code, 0, run.stderr);
		assert.match(run.stdout, /DNAT 10\.10\.9\.9:8080/);
		assert.doesNotMatch(run.stdout, /DNAT 10\.10\.3\.4/);
		assert.match(run.stdout, /endpoint 10\.10\.3\.4:8080 .* is in the EndpointSlices but not in the rules/);
		assert.match(run.stderr, /iptables-nft-save in pod kube-system\/svctop-debug-node-c-\w+ on node node-c \(kube-proxy's mode port did not answer\)/);
		assert.equal(server!.count('pods'), 0);
	});
});

describe('the backend that holds kube-proxy\'s rules', () => {
	const legacy = `${prefix}l`;
	const nft = `${prefix}t`;
	let server: ApiServer | undefined;
	let directory: string | undefined;
	let kubeconfig: string;
	let reason = skipReason ?? (hasTool('iptables-legacy-restore') && hasTool('nft', '--version') ? undefined : 'needs iptables-legacy-restore and nft');

	before(async () => {
		if (reason) {
			return;
		}

		try {
			for (const name of [legacy, nft]) {
				execFileSync('ip', ['netns', 'add', name]);
			}

			// node-l: rules in the legacy backend only (the nft backend is empty); node-t: kube-proxy's nftables table.
			execFileSync('ip', ['netns', 'exec', legacy, 'iptables-legacy-restore'], {input: labDump('node-a')});
			execFileSync('ip', ['netns', 'exec', nft, 'nft', '-f', '-'], {input: generateNftTable({services, endpointSlices, nodeName: 'node-t', nodeIPs: ['10.0.0.9']}, {clusterCIDR})});
			directory = await mkdtemp(path.join(tmpdir(), 'svtdbgb-'));
			const node = (name: string) => ({kind: 'Node', apiVersion: 'v1', metadata: {name}, status: {addresses: [{type: 'InternalIP', address: '10.0.0.9'}]}});
			server = await startApiServer({exec: 'real', podStartMs: 10, objects: [node('node-l'), node('node-t')], nodeNetns: {'node-l': legacy, 'node-t': nft}});
			kubeconfig = await server.writeKubeconfig(directory);
		} catch (error) {
			reason = `the namespaces could not be prepared: ${(error as Error).message}`;
		}
	});

	after(async () => {
		await server?.close();
		for (const name of [legacy, nft]) {
			spawnSync('ip', ['netns', 'del', name], {stdio: 'ignore'});
		}

		if (directory) {
			await rm(directory, {recursive: true, force: true});
		}
	});

	test('iptables-legacy-save when the legacy backend holds KUBE-SERVICES', async t => {
		if (reason) {
			t.skip(reason);
			return;
		}

		const run = await svctop(kubeconfig, 'nat', '--node', 'node-l', '--debug-pod', '--json');
		assert.equal(run.code, 0, run.stderr);
		assert.match(run.stderr, /rules of node node-l: iptables-legacy-save in pod/);
		assert.equal(JSON.parse(run.stdout).mode, 'iptables');
		assert.equal(server!.count('pods'), 0);
	});

	test('nft list table ip kube-proxy when neither iptables backend has kube-proxy\'s chains', async t => {
		if (reason) {
			t.skip(reason);
			return;
		}

		const run = await svctop(kubeconfig, 'nat', '--node', 'node-t', '--debug-pod', '--json');
		assert.equal(run.code, 0, run.stderr);
		assert.match(run.stderr, /rules of node node-t: nft list table ip kube-proxy in pod/);
		const table = JSON.parse(run.stdout);
		assert.equal(table.mode, 'nftables');
		assert.ok(table.services.some((service: any) => service.service === 'default/svc-nodeport' && service.endpoints.length === 3));
		assert.equal(server!.count('pods'), 0);
	});
});
