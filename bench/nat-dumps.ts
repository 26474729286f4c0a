/*
 * The dumps the nat benchmark decodes: a 5,000 Service x 10 endpoint cluster written as kube-proxy
 * writes it (iptables-save in its large-cluster shape, and nftables' `ip kube-proxy` table),
 * loaded into the kernel in a throw-away network namespace and read back when running as root.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import process from 'node:process';
import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {generateIptablesSave} from '../source/builtin-cluster/generate/iptables.js';
import {generateNftTable} from '../source/builtin-cluster/generate/nft.js';

export const serviceCount = 5000;
export const endpointsPerService = 10;
const nodeName = 'node-0';

type Cluster = {services: V1Service[]; endpointSlices: V1EndpointSlice[]};

/** Every Service a plain NodePort one (the dump of the first benchmark). */
export function plainCluster(): Cluster {
	return buildCluster(() => 'plain');
}

type Shape = 'plain' | 'clusterIP' | 'nodePort' | 'localWith' | 'localWithout' | 'sourceRanges' | 'affinity';

/** 70% ClusterIP, 15% NodePort, 5% Local with local endpoints, 5% Local without, 5% LB with source ranges, 5% ClientIP affinity. */
export function mixedCluster(): Cluster {
	const shapes: Shape[] = ['localWith', 'localWithout', 'sourceRanges', 'affinity', 'nodePort', 'nodePort', 'nodePort'];
	return buildCluster(index => shapes[index % 20] ?? 'clusterIP');
}

function buildCluster(shapeOf: (index: number) => Shape): Cluster {
	const services: V1Service[] = [];
	const endpointSlices: V1EndpointSlice[] = [];
	for (let index = 0; index < serviceCount; index++) {
		const namespace = `ns-${index % 50}`;
		const name = `svc-${index}`;
		const shape = shapeOf(index);
		const loadBalancer = shape === 'localWith' || shape === 'localWithout' || shape === 'sourceRanges';
		const service: V1Service = {
			metadata: {namespace, name},
			spec: {
				type: shape === 'clusterIP' || shape === 'affinity' ? 'ClusterIP' : (loadBalancer ? 'LoadBalancer' : 'NodePort'),
				clusterIP: `10.96.${Math.floor(index / 250)}.${index % 250}`,
				ports: [{name: 'http', port: 80, nodePort: shape === 'clusterIP' || shape === 'affinity' ? undefined : 30_000 + index, protocol: 'TCP'}],
				...(shape === 'localWith' || shape === 'localWithout' ? {externalTrafficPolicy: 'Local', healthCheckNodePort: 40_000 + index} : {}),
				...(shape === 'sourceRanges' ? {loadBalancerSourceRanges: ['192.168.0.0/16', '203.0.113.0/24']} : {}),
				...(shape === 'affinity' ? {sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: 10_800}}} : {}),
			},
			...(loadBalancer ? {status: {loadBalancer: {ingress: [{ip: `172.16.${Math.floor(index / 250)}.${index % 250}`}]}}} : {}),
		};
		services.push(service);
		endpointSlices.push({
			addressType: 'IPv4',
			metadata: {namespace, name: `${name}-x`, labels: {'kubernetes.io/service-name': name}},
			ports: [{name: 'http', port: 8080, protocol: 'TCP'}],
			endpoints: Array.from({length: endpointsPerService}, (_, endpoint) => ({
				addresses: [`10.${64 + Math.floor(index / 256)}.${index % 256}.${endpoint + 1}`],
				// Local without local endpoints: none of its endpoints runs on this node.
				nodeName: shape === 'localWithout' ? `node-${1 + (endpoint % 19)}` : `node-${endpoint % 20}`,
				conditions: {ready: true},
			})),
		});
	}

	return {services, endpointSlices};
}

const input = (cluster: Cluster) => ({...cluster, nodeName, nodeIPs: ['10.0.0.1']});

/** iptables-save text of the plain cluster, as the first benchmark always used (generated, with comments). */
export function plainIptablesDump(): string {
	return generateIptablesSave(input(plainCluster()), {form: 'save', comments: 'always'});
}

/** Why dumps cannot be read back from the kernel here, or undefined. */
export function kernelUnavailable(): string | undefined {
	if (process.getuid?.() !== 0) {
		return 'not root';
	}

	for (const tool of ['ip', 'iptables-restore', 'iptables-save', 'nft']) {
		if (spawnSync(tool, ['--version'], {stdio: 'ignore'}).status !== 0 && spawnSync(tool, ['-V'], {stdio: 'ignore'}).status !== 0) {
			return `${tool} is not installed`;
		}
	}

	return undefined;
}

/** The mixed cluster's iptables-save text in kube-proxy's large-cluster shape (no endpoint comments), read back when possible. */
export function mixedIptablesDump(): {text: string; readBack: boolean} {
	const written = generateIptablesSave(input(mixedCluster()), {form: 'restore', comments: 'auto'});
	return readBack(written, 'iptables') ?? {text: generateIptablesSave(input(mixedCluster()), {form: 'save', comments: 'auto'}), readBack: false};
}

/** The mixed cluster's `ip kube-proxy` nftables table, read back with `nft list table ip kube-proxy` when possible. */
export function mixedNftDump(): {text: string; readBack: boolean} {
	const written = generateNftTable(input(mixedCluster()));
	return readBack(written, 'nft') ?? {text: written, readBack: false};
}

function readBack(text: string, kind: 'iptables' | 'nft'): {text: string; readBack: true} | undefined {
	if (kernelUnavailable()) {
		return undefined;
	}

	const namespace = `svtbench${process.pid}`;
	const run = (command: string, args: string[], stdin?: string) =>
		execFileSync('ip', ['netns', 'exec', namespace, command, ...args], {input: stdin, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 512 * 1024 * 1024});
	execFileSync('ip', ['netns', 'add', namespace]);
	try {
		if (kind === 'iptables') {
			run('iptables-restore', [], text);
			return {text: run('iptables-save', []), readBack: true};
		}

		run('nft', ['-f', '-'], text);
		return {text: run('nft', ['list', 'table', 'ip', 'kube-proxy']), readBack: true};
	} finally {
		spawnSync('ip', ['netns', 'del', namespace], {stdio: 'ignore'});
	}
}
