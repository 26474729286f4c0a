import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {planServiceProbe} from '../../../source/core/probe/plan.js';
import {parseVia} from '../../../source/core/probe/service-targets.js';
import {echoSlice, nodePortService, nodes} from './fixtures.js';

const spec = {kind: 'service', namespace: 'default', name: 'svc-nodeport'} as const;

function plan(policy: 'Local' | 'Cluster', via: string, readyPods = 3, probabilities?: ReadonlyMap<string, number>) {
	const result = planServiceProbe({services: [nodePortService(policy)], endpointSlices: [echoSlice(readyPods)], nodes}, spec, parseVia(via) as never, probabilities);
	assert.ok(!('error' in result), JSON.stringify(result));
	return result;
}

describe('planServiceProbe', () => {
	test('ClusterIP: one series, 1/n over ready endpoints', () => {
		const result = plan('Cluster', 'clusterip', 2);
		assert.deepEqual(result.series.map(series => series.target.label), ['10.200.1.60:9000']);
		assert.deepEqual(result.series[0]!.expectation!.shares, {'deploy-echo-5c689d5454-m4hd9': 0.5, 'deploy-echo-5c689d5454-cjpfp': 0.5});
	});

	test('NodePort with externalTrafficPolicy Local: one series per node, the control plane expected to drop', () => {
		const result = plan('Local', 'nodeport');
		assert.deepEqual(result.series.map(series => [series.target.node, series.target.label, series.expectation!.reachable]), [
			['myk8s-control-plane', '172.18.0.3:31254', false],
			['myk8s-worker', '172.18.0.5:31254', true],
			['myk8s-worker2', '172.18.0.2:31254', true],
			['myk8s-worker3', '172.18.0.4:31254', true],
		]);
		assert.deepEqual(result.series[2]!.expectation!.shares, {'deploy-echo-5c689d5454-cjpfp': 1});
	});

	test('NodePort with Cluster policy: every node reaches every pod', () => {
		const result = plan('Cluster', 'nodeport');
		assert.ok(result.series.every(series => series.expectation!.reachable && Object.keys(series.expectation!.shares).length === 3));
	});

	test('decoded NAT probabilities replace 1/n', () => {
		const result = plan('Cluster', 'clusterip', 3, new Map([['10.10.1.3:8080', 0.2], ['10.10.2.3:8080', 0.3], ['10.10.3.4:8080', 0.5]]));
		assert.deepEqual(result.series[0]!.expectation!.shares, {'deploy-echo-5c689d5454-m4hd9': 0.2, 'deploy-echo-5c689d5454-cjpfp': 0.3, 'deploy-echo-5c689d5454-b7gng': 0.5});
	});

	test('endpoint ports serve a Service port only with the same protocol, as kube-proxy pairs them', () => {
		const udpService = nodePortService('Cluster');
		udpService.spec!.ports = udpService.spec!.ports!.map(port => ({...port, protocol: 'UDP'}));
		const result = planServiceProbe({services: [udpService], endpointSlices: [echoSlice(3)], nodes}, spec, 'clusterip');
		assert.ok(!('error' in result), JSON.stringify(result));
		assert.deepEqual(result.series[0]!.expectation!.shares, {}, 'the slice serves the port over TCP only');
		assert.equal(result.series[0]!.expectation!.reachable, false);
	});

	test('errors name the problem', () => {
		const objects = {services: [nodePortService('Local')], endpointSlices: [], nodes};
		assert.deepEqual(planServiceProbe(objects, {...spec, name: 'nope'}, 'clusterip'), {error: 'service default/nope not found'});
		assert.match((planServiceProbe(objects, {...spec, port: 'http'}, 'clusterip') as {error: string}).error, /no port "http".*svc-webport\(9000\)/);
		assert.match((planServiceProbe(objects, spec, 'external') as {error: string}).error, /no externalIPs/);
		assert.match((planServiceProbe(objects, spec, 'lb') as {error: string}).error, /pending/);
		assert.deepEqual(parseVia('sideways'), {error: 'invalid --via "sideways" (use clusterip, nodeport, external, lb, dns, endpoints)'});
	});
});
