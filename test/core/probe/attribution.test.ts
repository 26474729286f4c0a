import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {attribute, attributeFromResponse, attributeSentTo, containsToken} from '../../../source/core/probe/attribution.js';
import {buildEndpointIndex, lookupAddress} from '../../../source/core/probe/endpoint-index.js';
import type {ProbeTarget} from '../../../source/core/probe/types.js';
import {echoSlice, nodes} from './fixtures.js';

const index = buildEndpointIndex([echoSlice()], nodes);
const candidates = {entries: index.byService.get('default/svc-nodeport')!, portName: 'svc-webport'};
const clusterIp: ProbeTarget = {label: '10.200.1.60:9000', kind: 'clusterIP', host: '10.200.1.60', port: 9000, protocol: 'TCP'};

describe('endpoint index', () => {
	test('pod IP to pod and node; node IP to node', () => {
		assert.deepEqual({...lookupAddress(index, '10.10.2.3', 8080), entry: undefined}, {pod: 'deploy-echo-5c689d5454-cjpfp', node: 'myk8s-worker2', entry: undefined});
		assert.deepEqual(lookupAddress(index, '172.18.0.3'), {pod: null, node: 'myk8s-control-plane'});
		assert.equal(lookupAddress(index, '10.99.9.9'), undefined);
	});

	test('slices without the service-name label are ignored', () => {
		const orphan = {...echoSlice(), metadata: {name: 'x', namespace: 'default'}};
		assert.equal(buildEndpointIndex([orphan]).byIp.size, 0);
	});
});

describe('containsToken', () => {
	const cases: Array<[string, string, 'name' | 'ip', boolean]> = [
		['"hostname": "deploy-echo-5c689d5454-b7gng"', 'deploy-echo-5c689d5454-b7gng', 'name', true],
		['deploy-echo-5c689d5454-b7gngx', 'deploy-echo-5c689d5454-b7gng', 'name', false],
		['xdeploy-echo', 'deploy-echo', 'name', false],
		['ip 10.10.1.3:8080', '10.10.1.3', 'ip', true],
		['ip 10.10.1.34', '10.10.1.3', 'ip', false],
		['ip 110.10.1.3', '10.10.1.3', 'ip', false],
		['ip 10.10.1.3.5', '10.10.1.3', 'ip', false],
		['at 10.10.1.3.', '10.10.1.3', 'ip', true],
	];
	for (const [text, needle, kind, expected] of cases) {
		test(`${JSON.stringify(text)} ${expected ? 'contains' : 'lacks'} ${needle}`, () => assert.equal(containsToken(text, needle, kind), expected));
	}
});

describe('attributeFromResponse', () => {
	test('echo-hname body (the pod name alone)', () => {
		assert.deepEqual(attributeFromResponse('HTTP/1.1 200 OK\r\n\r\nnp-x\ndeploy-echo-5c689d5454-m4hd9\n', candidates), {
			pod: 'deploy-echo-5c689d5454-m4hd9', node: 'myk8s-worker', endpoint: '10.10.1.3:8080', via: 'response',
		});
	});

	test('http-https-echo JSON: the node IP in "hostname" does not match, os.hostname does', () => {
		const body = '{"path":"/","hostname":"172.18.0.3","ip":"::ffff:172.18.0.1","os":{"hostname":"deploy-echo-5c689d5454-b7gng"}}';
		assert.equal(attributeFromResponse(body, candidates)?.pod, 'deploy-echo-5c689d5454-b7gng');
	});

	test('a pod IP in a header', () => {
		assert.equal(attributeFromResponse('HTTP/1.1 200 OK\r\nX-Served-By: 10.10.2.3\r\n\r\nok', candidates)?.pod, 'deploy-echo-5c689d5454-cjpfp');
	});

	test('--match: first group names the pod, known or not', () => {
		assert.equal(attributeFromResponse('served by=deploy-echo-5c689d5454-b7gng;', candidates, /by=([^;]+)/)?.node, 'myk8s-worker3');
		assert.deepEqual(attributeFromResponse('served by=other;', candidates, /by=([^;]+)/), {pod: 'other', node: null, endpoint: null, via: 'response'});
		assert.equal(attributeFromResponse('nothing here', candidates, /by=([^;]+)/), undefined);
	});

	test('no candidate named: undefined', () => {
		assert.equal(attributeFromResponse('<html>Welcome to nginx!</html>', candidates), undefined);
	});
});

describe('attribute (order: conntrack, response, peer)', () => {
	test('conntrack reply source wins over the response', () => {
		const result = attribute({target: clusterIp, index, service: 'default/svc-nodeport', conntrackReply: {ip: '10.10.3.4', port: 8080}, responseText: 'deploy-echo-5c689d5454-m4hd9', candidates});
		assert.deepEqual(result, {pod: 'deploy-echo-5c689d5454-b7gng', node: 'myk8s-worker3', endpoint: '10.10.3.4:8080', via: 'conntrack'});
	});

	test('a reply source equal to the dialled address (no DNAT) falls through to the response', () => {
		const result = attribute({target: clusterIp, index, conntrackReply: {ip: '10.200.1.60', port: 9000}, responseText: 'deploy-echo-5c689d5454-m4hd9', candidates});
		assert.equal(result.via, 'response');
	});

	test('peer names the endpoint of a plain address target, pod null without a cluster', () => {
		const target: ProbeTarget = {label: '192.0.2.1:80', kind: 'address', host: '192.0.2.1', port: 80, protocol: 'TCP'};
		assert.deepEqual(attribute({target, index: buildEndpointIndex([]), peer: {ip: '192.0.2.1', port: 80}, responseText: 'x'}), {pod: null, node: null, endpoint: '192.0.2.1:80', via: 'peer'});
	});

	test('a ClusterIP answer naming nobody is unknown (the peer is the ClusterIP, not a pod)', () => {
		assert.equal(attribute({target: clusterIp, index, peer: {ip: '10.200.1.60', port: 9000}, responseText: 'hello', candidates}).via, 'unknown');
	});
});

describe('attributeSentTo (a timeout: where kube-proxy sent it, from conntrack only)', () => {
	const service = 'default/svc-nodeport';
	const cases: Array<[string, {ip: string; port: number} | undefined, string | undefined, [string | null, string | null, string | null, string]]> = [
		['an endpoint of the Service', {ip: '10.10.2.3', port: 8080}, service, ['deploy-echo-5c689d5454-cjpfp', 'myk8s-worker2', '10.10.2.3:8080', 'conntrack']],
		['no entry', undefined, service, [null, null, null, 'unknown']],
		['not DNATed: the reply is the address dialled', {ip: '10.200.1.60', port: 9000}, service, [null, null, null, 'unknown']],
		['an address no slice lists', {ip: '10.10.9.9', port: 8080}, service, [null, null, null, 'unknown']],
		['a pod of the Service on a port it does not serve', {ip: '10.10.2.3', port: 9999}, service, [null, null, null, 'unknown']],
		['an endpoint of another Service', {ip: '10.10.2.3', port: 8080}, 'default/other', [null, null, null, 'unknown']],
		['a node address (hostNetwork, no slice here)', {ip: '172.18.0.2', port: 8080}, service, [null, null, null, 'unknown']],
	];
	for (const [name, reply, probed, expected] of cases) {
		test(name, () => {
			const who = attributeSentTo({target: clusterIp, index, service: probed, conntrackReply: reply});
			assert.deepEqual([who.pod, who.node, who.endpoint, who.via], expected);
		});
	}
});
