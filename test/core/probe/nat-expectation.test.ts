import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
import {generateIptablesSave} from '../../../source/builtin-cluster/generate/iptables.js';
import {natExpectationForAddress, natSharesForTarget, natSharesSource} from '../../../source/core/probe/nat-expectation.js';
import {planAddressProbe, planServiceProbe} from '../../../source/core/probe/plan.js';
import type {ProbeTarget} from '../../../source/core/probe/types.js';
import {echoSlice, nodePortService, nodes} from './fixtures.js';

/** The rules kube-proxy (iptables, KUBE-SVL era) writes on `node` for these objects. */
function dumpOn(service: V1Service, slice: V1EndpointSlice, node: string) {
	const ip = nodes.find(entry => entry.metadata?.name === node)!.status!.addresses![0]!.address;
	return decodeNatDump(generateIptablesSave({services: [service], endpointSlices: [slice], nodes, nodeName: node, nodeIPs: [ip]}, {clusterCIDR: '10.10.0.0/16'}));
}

const clusterIp: ProbeTarget = {label: '10.200.1.60:9000', kind: 'clusterIP', host: '10.200.1.60', port: 9000, protocol: 'TCP'};
const nodePortOn = (node: string, ip: string): ProbeTarget => ({label: `${ip}:31254`, kind: 'nodePort', host: ip, port: 31_254, protocol: 'TCP', node});
const third = 1 / 3;

describe('natSharesForTarget', () => {
	const cases: Array<{name: string; policy: 'Local' | 'Cluster'; target: ProbeTarget; shares: Record<string, number> | undefined}> = [
		{name: 'ClusterIP: the cluster-wide endpoint list', policy: 'Local', target: clusterIp, shares: {'10.10.1.3:8080': third, '10.10.2.3:8080': third, '10.10.3.4:8080': third}},
		{name: 'NodePort, Cluster policy: the cluster-wide list on every node', policy: 'Cluster', target: nodePortOn('myk8s-worker3', '172.18.0.4'), shares: {'10.10.1.3:8080': third, '10.10.2.3:8080': third, '10.10.3.4:8080': third}},
		{name: 'NodePort, Local policy, the dump\'s node: its local endpoints', policy: 'Local', target: nodePortOn('myk8s-worker2', '172.18.0.2'), shares: {'10.10.2.3:8080': 1}},
		{name: 'NodePort, Local policy, another node: this dump cannot say', policy: 'Local', target: nodePortOn('myk8s-worker', '172.18.0.5'), shares: undefined},
	];
	for (const entry of cases) {
		test(entry.name, () => {
			const service = nodePortService(entry.policy);
			const table = dumpOn(service, echoSlice(), 'myk8s-worker2');
			const shares = natSharesForTarget(table, service, service.spec!.ports![0]!, entry.target, 'myk8s-worker2');
			if (entry.shares === undefined) {
				assert.equal(shares, undefined);
				return;
			}

			assert.deepEqual([...shares!.keys()].sort(), Object.keys(entry.shares).sort());
			for (const [key, share] of Object.entries(entry.shares)) {
				assert.ok(Math.abs(shares!.get(key)! - share) < 1e-6, `${key}: ${shares!.get(key)}`);
			}
		});
	}

	test('a Service the rules do not hold: undefined', () => {
		const service = nodePortService('Cluster');
		const table = dumpOn(service, echoSlice(), 'myk8s-worker2');
		const other: V1Service = {...service, metadata: {namespace: 'default', name: 'elsewhere'}, spec: {...service.spec, clusterIP: '10.200.9.9', clusterIPs: ['10.200.9.9']}};
		assert.equal(natSharesForTarget(table, other, other.spec!.ports![0]!, clusterIp), undefined);
	});

	test('IPVS weights found by the ClusterIP entry (rules without Service names)', () => {
		const service = nodePortService('Cluster');
		const table = decodeNatDump([
			'-A -t 10.200.1.60:9000 -s wrr',
			'-a -t 10.200.1.60:9000 -r 10.10.1.3:8080 -m -w 3',
			'-a -t 10.200.1.60:9000 -r 10.10.2.3:8080 -m -w 1',
			'-a -t 10.200.1.60:9000 -r 10.10.3.4:8080 -m -w 0',
			'',
		].join('\n'));
		const shares = natSharesForTarget(table, service, service.spec!.ports![0]!, clusterIp);
		assert.deepEqual(Object.fromEntries(shares!), {'10.10.1.3:8080': 0.75, '10.10.2.3:8080': 0.25, '10.10.3.4:8080': 0});
	});
});

describe('the plan expects what the rules say, and falls back to 1/n when they lag', () => {
	const service = nodePortService('Cluster');
	const spec = {kind: 'service', namespace: 'default', name: 'svc-nodeport'} as const;

	test('weighted rules: shares from NAT, basis nat', () => {
		const table = decodeNatDump('-A -t 10.200.1.60:9000 -s wrr\n-a -t 10.200.1.60:9000 -r 10.10.1.3:8080 -m -w 2\n-a -t 10.200.1.60:9000 -r 10.10.2.3:8080 -m -w 1\n-a -t 10.200.1.60:9000 -r 10.10.3.4:8080 -m -w 1\n');
		const plan = planServiceProbe({services: [service], endpointSlices: [echoSlice()], nodes}, spec, 'clusterip', natSharesSource(table));
		assert.ok(!('error' in plan));
		assert.equal(plan.series[0]!.expectation!.basis, 'nat');
		assert.deepEqual(plan.series[0]!.expectation!.shares, {'deploy-echo-5c689d5454-m4hd9': 0.5, 'deploy-echo-5c689d5454-cjpfp': 0.25, 'deploy-echo-5c689d5454-b7gng': 0.25});
	});

	test('rules read before a new pod was ready do not cover it: 1/n of the ready endpoints, basis ready', () => {
		const table = dumpOn(service, echoSlice(2), 'myk8s-worker2');
		const plan = planServiceProbe({services: [service], endpointSlices: [echoSlice(3)], nodes}, spec, 'clusterip', natSharesSource(table));
		assert.ok(!('error' in plan));
		assert.equal(plan.series[0]!.expectation!.basis, 'ready');
		assert.deepEqual(Object.values(plan.series[0]!.expectation!.shares), [third, third, third]);
	});

	test('rules still naming a pod that went not ready: its share is spread over the rest, basis nat', () => {
		const table = dumpOn(service, echoSlice(3), 'myk8s-worker2');
		const plan = planServiceProbe({services: [service], endpointSlices: [echoSlice(2)], nodes}, spec, 'clusterip', natSharesSource(table));
		assert.ok(!('error' in plan));
		assert.equal(plan.series[0]!.expectation!.basis, 'nat');
		assert.deepEqual(Object.keys(plan.series[0]!.expectation!.shares).sort(), ['deploy-echo-5c689d5454-cjpfp', 'deploy-echo-5c689d5454-m4hd9']);
	});
});

describe('natExpectationForAddress: a plain ip:port looked up in the node\'s rules', () => {
	const service = nodePortService('Local', 'ClientIP');
	const table = dumpOn(service, echoSlice(), 'myk8s-worker2');
	const here = new Set(['127.0.0.1', '172.18.0.2']);
	test('the ClusterIP: the Service port named, the cluster-wide split keyed ip:port, the affinity from the recent rule', () => {
		const match = natExpectationForAddress(table, '10.200.1.60', 9000, 'TCP', here);
		assert.ok(match);
		assert.deepEqual([match.service, match.entryKind, match.expectation.basis, match.expectation.reachable], ['default/svc-nodeport:svc-webport', 'clusterIP', 'nat', true]);
		assert.deepEqual(Object.keys(match.expectation.shares).sort(), ['10.10.1.3:8080', '10.10.2.3:8080', '10.10.3.4:8080']);
		assert.ok(Object.values(match.expectation.shares).every(share => Math.abs(share - third) < 1e-6));
		assert.deepEqual(match.affinity, {sessionAffinity: 'ClientIP', timeoutSeconds: 60});
	});

	test('a NodePort dialled on this node: sent from the node itself, so the cluster-wide list even under Local', () => {
		const match = natExpectationForAddress(table, '172.18.0.2', 31_254, 'TCP', here);
		assert.equal(match?.entryKind, 'nodePort');
		assert.equal(Object.keys(match!.expectation.shares).length, 3);
	});

	test('another node\'s NodePort, another protocol, an unknown address: the rules say nothing', () => {
		assert.equal(natExpectationForAddress(table, '172.18.0.5', 31_254, 'TCP', here), undefined);
		assert.equal(natExpectationForAddress(table, '10.200.1.60', 9000, 'UDP', here), undefined);
		assert.equal(natExpectationForAddress(table, '10.200.1.61', 9000, 'TCP', here), undefined);
	});

	test('planAddressProbe with a match: the expectation and affinity of the rules, a description naming the Service', () => {
		const match = natExpectationForAddress(table, '10.200.1.60', 9000, 'TCP', here)!;
		const plan = planAddressProbe({kind: 'address', host: '10.200.1.60', port: 9000, label: '10.200.1.60:9000'}, match);
		assert.equal(plan.description, '10.200.1.60:9000 (default/svc-nodeport:svc-webport clusterIP in this node\'s rules)');
		assert.equal(plan.series[0]!.expectation, match.expectation);
		// The socket's peer is the virtual address: only conntrack may name the endpoint.
		assert.equal(plan.series[0]!.target.kind, 'clusterIP');
	});
});
