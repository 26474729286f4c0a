import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {V1Service} from '@kubernetes/client-node';
import {planServiceProbe, probeChoices, replan} from '../../../source/core/probe/plan.js';
import {applicableVia, nextVia, parseVia, probeModeFor} from '../../../source/core/probe/service-targets.js';
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

	test('internalTrafficPolicy Local: the ClusterIP and its DNS name are probed but not judged, and the plan says why; NodePorts are judged as before', () => {
		const internalLocal = {...nodePortService('Cluster'), spec: {...nodePortService('Cluster').spec, internalTrafficPolicy: 'Local'}};
		const planned = (via: string) => {
			const result = planServiceProbe({services: [internalLocal], endpointSlices: [echoSlice()], nodes}, spec, parseVia(via) as never);
			assert.ok(!('error' in result), JSON.stringify(result));
			return result;
		};

		for (const via of ['clusterip', 'dns']) {
			const result = planned(via);
			assert.ok(result.series.length > 0 && result.series.every(series => series.expectation === undefined), via);
			assert.match(result.unjudged ?? '', /^not judged: internalTrafficPolicy Local sends ClusterIP traffic only to endpoints on the node it comes from/);
			// Made again from a newer snapshot, it still expects nothing there.
			assert.equal(replan({services: [internalLocal], endpointSlices: [echoSlice()], nodes}, result).expectations.size, 0, via);
		}

		const nodePort = planned('nodeport');
		assert.ok(nodePort.series.every(series => series.expectation !== undefined));
		assert.equal(nodePort.unjudged, undefined);
		assert.equal(plan('Cluster', 'clusterip').unjudged, undefined);
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
		udpService.spec!.ports = udpService.spec!.ports!.map(port => ({...port, protocol: 'UDP', port: 53}));
		const result = planServiceProbe({services: [udpService], endpointSlices: [echoSlice(3)], nodes}, spec, 'clusterip');
		assert.ok(!('error' in result), JSON.stringify(result));
		assert.deepEqual(result.series[0]!.expectation!.shares, {}, 'the slice serves the port over TCP only');
		assert.equal(result.series[0]!.expectation!.reachable, false);
		// The cause says why: the pods are ready, but not for this protocol.
		assert.equal(result.series[0]!.expectation!.reason, 'no ready endpoint serves it over UDP (only over TCP)');
		assert.equal(plan('Cluster', 'clusterip', 0).series[0]!.expectation!.reason, 'no ready endpoints');
	});

	test('errors name the problem', () => {
		const objects = {services: [nodePortService('Local')], endpointSlices: [], nodes};
		assert.deepEqual(planServiceProbe(objects, {...spec, name: 'nope'}, 'clusterip'), {error: 'service default/nope not found'});
		assert.match((planServiceProbe(objects, {...spec, port: 'http'}, 'clusterip') as {error: string}).error, /no port "http".*svc-webport\(9000\)/);
		assert.equal((planServiceProbe(objects, spec, 'external') as {error: string}).error, 'service default/svc-nodeport (type NodePort) has no externalIPs');
		// A NodePort Service is no LoadBalancer waiting for an address: it is not a LoadBalancer at all.
		assert.equal((planServiceProbe(objects, spec, 'lb') as {error: string}).error, 'service default/svc-nodeport is type NodePort, not LoadBalancer: it has no load balancer address');
		const base = nodePortService('Cluster');
		const pendingLb: V1Service = {...base, spec: {...base.spec, type: 'LoadBalancer'}};
		assert.equal((planServiceProbe({...objects, services: [pendingLb]}, spec, 'lb') as {error: string}).error, 'service default/svc-nodeport has no load-balancer address yet (status pending)');
		const clusterIp: V1Service = {...base, spec: {...base.spec, type: 'ClusterIP', ports: [{name: 'svc-webport', port: 9000, protocol: 'TCP'}]}};
		assert.equal((planServiceProbe({...objects, services: [clusterIp]}, spec, 'nodeport') as {error: string}).error, 'service default/svc-nodeport is type ClusterIP, not NodePort: it has no NodePort to probe');
		assert.deepEqual(parseVia('sideways'), {error: 'invalid --via "sideways" (use clusterip, nodeport, external, lb, dns, endpoints)'});
		// Over UDP only DNS is spoken: another UDP port is not probed (its silence would read as failures).
		const syslog: V1Service = {...base, spec: {...base.spec, ports: [{name: 'syslog', port: 514, protocol: 'UDP'}]}};
		assert.equal((planServiceProbe({...objects, services: [syslog]}, {...spec, port: 'syslog'}, 'clusterip') as {error: string}).error, 'default/svc-nodeport:syslog is UDP port 514, not DNS (port 53 or a port named dns): svctop probes UDP only with DNS queries, which another UDP server need not answer, so no verdict can be drawn');
		const dnsByName: V1Service = {...base, spec: {...base.spec, ports: [{name: 'dns-alt', port: 5353, protocol: 'UDP'}]}};
		assert.ok(!('error' in planServiceProbe({...objects, services: [dnsByName]}, {...spec, port: 'dns-alt'}, 'clusterip')));
	});
});

describe('objects that could not be read: nothing expected from them', () => {
	const unknownSlices = [{resource: 'endpointslices', reason: 'endpointslices is forbidden'}] as const;

	test('slices unknown: no expectation on any series (no unanswerable, no Local drop), and the plan says why', () => {
		const result = planServiceProbe({services: [nodePortService('Local')], endpointSlices: [], nodes, unknown: unknownSlices}, spec, 'nodeport');
		assert.ok(!('error' in result), JSON.stringify(result));
		assert.equal(result.series.length, 4);
		assert.ok(result.series.every(series => series.expectation === undefined), JSON.stringify(result.series));
		assert.deepEqual(result.unknown, unknownSlices);
		// Control: the same empty list read from the API is a Service without endpoints.
		const read = planServiceProbe({services: [nodePortService('Local')], endpointSlices: [], nodes}, spec, 'nodeport');
		assert.ok(!('error' in read) && read.series.every(series => series.expectation?.reason === 'no ready endpoints on any node') && read.unknown === undefined);
	});

	test('slices unknown during a run: replan expects nothing rather than "gone" or "no ready endpoints"', () => {
		const planned = plan('Cluster', 'clusterip');
		const live = replan({services: [nodePortService('Cluster')], endpointSlices: [], nodes, unknown: unknownSlices}, planned);
		assert.equal(live.expectations.size, 0);
		const servicesUnknown = replan({services: [], endpointSlices: [], nodes, unknown: [{resource: 'services', reason: 'services: 503'}]}, planned);
		assert.equal(servicesUnknown.expectations.size, 0);
		// Control: a Service really gone expects nothing to answer.
		assert.equal(replan({services: [], endpointSlices: [], nodes}, planned).expectations.get('10.200.1.60:9000')?.reachable, false);
	});

	test('services or nodes unknown: the error says unknown, not missing', () => {
		const objects = {services: [], endpointSlices: [], nodes, unknown: [{resource: 'services', reason: 'services is forbidden'}]} as const;
		assert.deepEqual(planServiceProbe(objects, spec, 'clusterip'), {error: 'services unknown (services is forbidden): cannot tell whether default/svc-nodeport exists'});
		const noNodes = {services: [nodePortService('Local')], endpointSlices: [echoSlice(3)], nodes: [], unknown: [{resource: 'nodes', reason: 'nodes is forbidden'}]} as const;
		assert.deepEqual(planServiceProbe(noNodes, spec, 'nodeport'), {error: 'nodes unknown (nodes is forbidden): no node address to probe the NodePort on'});
		assert.deepEqual(planServiceProbe({...noNodes, unknown: []}, spec, 'nodeport'), {error: 'no node has an InternalIP to probe the NodePort on'});
	});
});

describe('replan of an ExternalName lookup (qa4 F1)', () => {
	test('the lookup series expects nothing, as planned: not "address gone", which would read as a cause', () => {
		const externalName: V1Service = {metadata: {namespace: 'default', name: 'db'}, spec: {type: 'ExternalName', externalName: 'db.example.com'}};
		const planned = planServiceProbe({services: [externalName], endpointSlices: [], nodes}, {kind: 'service', namespace: 'default', name: 'db'}, 'clusterip');
		assert.ok(!('error' in planned), JSON.stringify(planned));
		assert.equal(planned.series[0]!.expectation, undefined);
		assert.equal(replan({services: [externalName], endpointSlices: [], nodes}, planned).expectations.size, 0);
		// Control: the Service removed, the series is gone and expects nothing to answer.
		assert.equal(replan({services: [], endpointSlices: [], nodes}, planned).expectations.get('db.example.com')?.reason, 'service default/db not found');
	});
});

describe('probe choices: the ports a Service has and the targets each port has', () => {
	const objects = (service: V1Service) => ({services: [service], endpointSlices: [echoSlice()], nodes});
	test('a NodePort Service: ClusterIP, NodePort, DNS name, endpoints (no externalIPs, no LB)', () => {
		assert.deepEqual(probeChoices(objects(nodePortService('Cluster')), spec), {ports: ['svc-webport'], vias: ['clusterip', 'nodeport', 'dns', 'endpoints']});
	});

	test('a ClusterIP Service offers no NodePort; a headless one no ClusterIP', () => {
		const base = nodePortService('Cluster');
		const clusterIp: V1Service = {...base, spec: {...base.spec, type: 'ClusterIP', ports: [{name: 'svc-webport', port: 9000, protocol: 'TCP'}]}};
		assert.deepEqual(probeChoices(objects(clusterIp), spec).vias, ['clusterip', 'dns', 'endpoints']);
		const headless: V1Service = {...clusterIp, spec: {...clusterIp.spec, clusterIP: 'None', clusterIPs: ['None']}};
		assert.deepEqual(probeChoices(objects(headless), spec).vias, ['dns', 'endpoints']);
		assert.equal(applicableVia('clusterip', ['dns', 'endpoints']), 'dns');
		assert.equal(nextVia('endpoints', ['clusterip', 'dns', 'endpoints']), 'clusterip');
	});

	test('an ExternalName without ports: probed through the name it points to, one lookup per probe', () => {
		const alias: V1Service = {metadata: {namespace: 'default', name: 'svc-nodeport'}, spec: {type: 'ExternalName', externalName: 'my.database.example.com'}};
		assert.deepEqual(probeChoices(objects(alias), spec), {ports: [], vias: ['clusterip']});
		const planned = planServiceProbe(objects(alias), spec, 'clusterip');
		assert.ok(!('error' in planned));
		assert.deepEqual([planned.mode, planned.description, planned.series[0]!.target.host], ['resolve', 'default/svc-nodeport (ExternalName: lookups of my.database.example.com)', 'my.database.example.com']);
		assert.match((planServiceProbe(objects(alias), spec, 'nodeport') as {error: string}).error, /only its name my\.database\.example\.com can be probed/);
	});

	test('how a port is probed: UDP is DNS, TCP 53 a connect, else what was asked', () => {
		assert.equal(probeModeFor({port: 53, protocol: 'UDP'}, 'http'), 'dns');
		assert.equal(probeModeFor({port: 53, protocol: 'TCP'}, 'http'), 'tcp');
		assert.equal(probeModeFor({port: 9153, protocol: 'TCP'}, 'http'), 'http');
	});
});
