import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {decodeIptables} from '../../../source/core/nat/decode-iptables.js';
import {decodeIptablesFast} from '../../../source/core/nat/decode-iptables-fast.js';
import {indexIptablesSave} from '../../../source/core/nat/iptables-parse.js';
import {generateIptablesSave} from '../../../source/core/nat/generate/iptables.js';
import {input} from '../../fixtures/nat/cluster.js';

/** NodePort Services with `endpoints` ready endpoints each, the bench's shape in small. */
function nodePortCluster(count: number, endpoints: number): {services: V1Service[]; endpointSlices: V1EndpointSlice[]} {
	const services: V1Service[] = [];
	const endpointSlices: V1EndpointSlice[] = [];
	for (let index = 0; index < count; index++) {
		const name = `svc-${index}`;
		services.push({metadata: {namespace: 'ns', name}, spec: {type: 'NodePort', clusterIP: `10.96.0.${index + 1}`, ports: [{name: 'http', port: 80, nodePort: 30_000 + index, protocol: 'TCP'}]}});
		endpointSlices.push({
			addressType: 'IPv4',
			metadata: {namespace: 'ns', name: `${name}-x`, labels: {'kubernetes.io/service-name': name}},
			ports: [{name: 'http', port: 8080, protocol: 'TCP'}],
			endpoints: Array.from({length: endpoints}, (_, endpoint) => ({addresses: [`10.64.${index}.${endpoint + 1}`], nodeName: 'node-0', conditions: {ready: true}})),
		});
	}

	return {services, endpointSlices};
}

const plain = (comments: 'always' | 'never') => generateIptablesSave({...nodePortCluster(6, 3), nodeName: 'node-0', nodeIPs: ['10.0.0.1']}, {form: 'save', comments});
/** The general decoder alone: an eager index never takes the fast path. */
const general = (text: string) => decodeIptables(indexIptablesSave(text, {eager: true}));

describe('decodeIptablesFast', () => {
	for (const comments of ['always', 'never'] as const) {
		test(`answers for plain NodePort Services (comments ${comments}) exactly as the general decoder`, () => {
			const text = plain(comments);
			const fast = decodeIptablesFast(text);
			assert.ok(fast, 'the fast path should take this dump');
			assert.equal(fast.services.length, 6);
			assert.deepEqual(fast, general(text));
		});
	}

	test('a changed probability and a dropped DNAT rule give the general result', () => {
		const text = plain('always');
		const skewed = text.replace('--probability 0.33333333349', '--probability 0.5');
		assert.notEqual(skewed, text);
		assert.deepEqual(decodeIptablesFast(skewed), general(skewed));
		assert.ok(decodeIptablesFast(skewed)!.services.some(flow => flow.endpoints[0]!.probability === 0.5));
		const lines = text.split('\n');
		const withoutDnat = lines.filter(line => !(line.startsWith('-A KUBE-SEP-') && line.includes('DNAT'))).join('\n');
		assert.equal(decodeIptablesFast(withoutDnat), null);
	});

	const declines: Array<[string, (text: string) => string]> = [
		['CRLF line ends', text => text.replaceAll('\n', '\r\n')],
		['an escaped quote', text => text.replace('"ns/svc-0:http"', String.raw`"ns/svc-0:http\""`)],
		['a rule for an undeclared chain', text => text.replace('COMMIT\n*nat', '-A NOWHERE -j ACCEPT\nCOMMIT\n*nat')],
		['a second block for one chain', text => `${text.trimEnd().replace(/COMMIT$/, '')}-A KUBE-SERVICES -j RETURN\nCOMMIT\n`],
		['an -X line', text => text.replace('COMMIT\n*nat', '-X KUBE-FORWARD\nCOMMIT\n*nat')],
		['a KUBE-SVC- rule whose target names a recent match', text => text.replace(/^(-A (KUBE-SVC-\S+) .*)$/m, '$1\n-A $2 -j recent-check')],
	];
	for (const [name, change] of declines) {
		test(`leaves ${name} to the general path`, () => {
			const text = change(plain('always'));
			assert.notEqual(text, plain('always'));
			assert.equal(decodeIptablesFast(text), null);
		});
	}

	test('leaves Local policy, load balancers and filter REJECT rules to the general path', () => {
		const text = generateIptablesSave(input, {form: 'save'});
		assert.equal(decodeIptablesFast(text), null);
	});
});
