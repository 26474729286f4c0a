import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {endpointSlicesFor, initialDemoState} from '../../../../source/builtin-cluster/demo/cluster.js';
import {answerFromObjects} from '../../../../source/builtin-cluster/demo/data-plane/dns-zone.js';

const state = initialDemoState(Date.parse('2026-11-23T00:00:00Z'));
const headless: V1Service = {metadata: {namespace: 'default', name: 'web-headless'}, spec: {type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], selector: {app: 'webpod'}, ports: [{port: 80}]}};
const headlessSlice: V1EndpointSlice = {
	metadata: {namespace: 'default', name: 'web-headless-abc', labels: {'kubernetes.io/service-name': 'web-headless'}},
	addressType: 'IPv4',
	ports: [{port: 80}],
	endpoints: [
		{addresses: ['10.10.1.2'], conditions: {ready: true}},
		{addresses: ['10.10.2.2'], conditions: {ready: false}},
		{addresses: ['10.10.3.2']},
	],
};
const emptyHeadless: V1Service = {metadata: {namespace: 'default', name: 'nobody'}, spec: {type: 'ClusterIP', clusterIP: 'None', ports: [{port: 80}]}};
const objects = {services: [...state.services, headless, emptyHeadless], slices: [...endpointSlicesFor(state), headlessSlice]};

const A = 1;
const AAAA = 28;
const IN = 1;

describe('answerFromObjects (the demo CoreDNS)', () => {
	const cases: Array<[string, string, number, number, {rcode: number; authoritative: boolean; answers: unknown[]}]> = [
		['FQDN of a ClusterIP Service', 'kube-dns.kube-system.svc.cluster.local', A, IN, {rcode: 0, authoritative: true, answers: [{type: 'A', address: '10.200.1.10', ttl: 5}]}],
		['<svc>.<ns>.svc', 'kube-dns.kube-system.svc', A, IN, {rcode: 0, authoritative: false, answers: [{type: 'A', address: '10.200.1.10', ttl: 5}]}],
		['<svc>.<ns>', 'kubernetes.default', A, IN, {rcode: 0, authoritative: false, answers: [{type: 'A', address: '10.200.1.1', ttl: 5}]}],
		['a bare <svc> is relative to the asking pod: not answered', 'kubernetes', A, IN, {rcode: 3, authoritative: false, answers: []}],
		['a known name asked for AAAA: NOERROR, no records', 'kubernetes.default.svc.cluster.local', AAAA, IN, {rcode: 0, authoritative: true, answers: []}],
		['unknown name in the cluster domain', 'no-such.default.svc.cluster.local', A, IN, {rcode: 3, authoritative: true, answers: []}],
		['a name outside the cluster (no upstream in the demo)', 'example.com', A, IN, {rcode: 3, authoritative: false, answers: []}],
		['ExternalName: a CNAME', 'my-database.default.svc.cluster.local', A, IN, {rcode: 0, authoritative: true, answers: [{type: 'CNAME', target: 'my.database.example.com', ttl: 5}]}],
		['headless: the ready (or unknown-readiness) endpoints', 'web-headless.default.svc.cluster.local', A, IN, {rcode: 0, authoritative: true, answers: [{type: 'A', address: '10.10.1.2', ttl: 5}, {type: 'A', address: '10.10.3.2', ttl: 5}]}],
		['headless without endpoints: NXDOMAIN', 'nobody.default.svc.cluster.local', A, IN, {rcode: 3, authoritative: true, answers: []}],
		['class CH is refused', 'kube-dns.kube-system.svc.cluster.local', A, 3, {rcode: 5, authoritative: false, answers: []}],
	];
	for (const [title, name, type, klass, expected] of cases) {
		test(title, () => {
			assert.deepEqual(answerFromObjects(objects, {name, type, class: klass}), expected);
		});
	}

	test('another cluster domain', () => {
		assert.equal(answerFromObjects(objects, {name: 'kube-dns.kube-system.svc.cluster.local', type: A, class: IN}, 'corp.example').rcode, 3);
		assert.deepEqual(answerFromObjects(objects, {name: 'kube-dns.kube-system.svc.corp.example', type: A, class: IN}, 'corp.example.').answers, [{type: 'A', address: '10.200.1.10', ttl: 5}]);
	});
});
