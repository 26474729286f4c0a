import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {type TopologyEndpoint, topologyOf, trafficDistributionMeaning, trafficDistributionName} from '../../../source/core/detail/topology.js';

/*
 * kube-proxy's rule (pkg/proxy/topology.go): hints count only when every ready endpoint carries one,
 * node hints before zone hints, and a node or zone no endpoint is hinted for falls back to all.
 */

const nodes = [
	{node: 'cp', zone: 'zone-a'},
	{node: 'w1', zone: 'zone-a'},
	{node: 'w2', zone: 'zone-b'},
	{node: 'w3', zone: null},
];
const clusterIp = {type: 'ClusterIP', externalTrafficPolicy: null, internalTrafficPolicy: 'Cluster', trafficDistribution: 'PreferSameZone', hasExternalAddresses: false};

function endpoint(label: string, forZones: string[], forNodes: string[] = [], ready = true): TopologyEndpoint {
	return {label, ready, serving: ready, terminating: false, hints: {forZones, forNodes}};
}

const use = (detail: ReturnType<typeof topologyOf>) => Object.fromEntries(detail.nodes!.map(node => [node.node, [node.mode, node.endpoints.join(',')]]));

describe('topologyOf', () => {
	test('zone hints on every ready endpoint: same zone where one exists, else all; no zone label: all', () => {
		const detail = topologyOf(clusterIp, [endpoint('a', ['zone-a']), endpoint('b', ['zone-b']), endpoint('b2', ['zone-b'])], nodes);
		assert.deepEqual(use(detail), {cp: ['PreferSameZone', 'a'], w1: ['PreferSameZone', 'a'], w2: ['PreferSameZone', 'b,b2'], w3: [null, 'a,b,b2']});
		assert.match(detail.nodes![3]!.reason, /no topology\.kubernetes\.io\/zone label/);
		assert.equal(detail.zoneHinted, 3);
	});

	test('one ready endpoint without a hint: every node uses every ready endpoint', () => {
		const detail = topologyOf(clusterIp, [endpoint('a', ['zone-a']), endpoint('b', [])], nodes);
		assert.deepEqual(use(detail), {cp: [null, 'a,b'], w1: [null, 'a,b'], w2: [null, 'a,b'], w3: [null, 'a,b']});
		assert.equal(detail.nodes![0]!.reason, '1 of 2 ready endpoints lack a zone hint');
	});

	test('a not-ready endpoint without hints does not spoil them, and is never used', () => {
		const detail = topologyOf(clusterIp, [endpoint('a', ['zone-a']), endpoint('b', ['zone-b']), endpoint('x', [], [], false)], nodes);
		assert.deepEqual(use(detail).w2, ['PreferSameZone', 'b']);
		assert.deepEqual(use(detail).w3, [null, 'a,b']);
	});

	test('node hints win on their node; elsewhere the zone hints apply', () => {
		const same = {...clusterIp, trafficDistribution: 'PreferSameNode'};
		const detail = topologyOf(same, [endpoint('a', ['zone-a'], ['w1']), endpoint('b', ['zone-b'], ['w2'])], nodes);
		assert.deepEqual(use(detail), {cp: ['PreferSameZone', 'a'], w1: ['PreferSameNode', 'a'], w2: ['PreferSameNode', 'b'], w3: [null, 'a,b']});
	});

	test('Local policies: hints apply to no traffic', () => {
		const local = {...clusterIp, type: 'NodePort', internalTrafficPolicy: 'Local', externalTrafficPolicy: 'Local'};
		assert.deepEqual(topologyOf(local, [endpoint('a', ['zone-a'])], nodes).appliesTo, []);
		const external = {...clusterIp, type: 'LoadBalancer', internalTrafficPolicy: 'Local', externalTrafficPolicy: 'Cluster'};
		assert.deepEqual(topologyOf(external, [endpoint('a', ['zone-a'])], nodes).appliesTo, ['external traffic (externalTrafficPolicy Cluster)']);
	});

	test('no ready endpoint: the serving terminating ones, hints aside', () => {
		const terminating: TopologyEndpoint = {label: 't', ready: false, serving: true, terminating: true, hints: {forZones: ['zone-b'], forNodes: []}};
		assert.deepEqual(use(topologyOf(clusterIp, [terminating], nodes)).cp, [null, 't']);
	});

	test('PreferClose is named as PreferSameZone\'s older name', () => {
		assert.equal(trafficDistributionName('PreferClose'), 'PreferClose (older name of PreferSameZone)');
		assert.equal(trafficDistributionMeaning('PreferClose'), trafficDistributionMeaning('PreferSameZone'));
		assert.match(trafficDistributionMeaning('PreferSameNode'), /on themselves, then in their zone/);
	});
});
