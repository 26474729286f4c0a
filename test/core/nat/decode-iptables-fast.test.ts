import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {decodeIptables} from '../../../source/core/nat/decode-iptables.js';
import {decodeIptablesFast} from '../../../source/core/nat/decode-iptables-fast.js';
import {indexIptablesSave} from '../../../source/core/nat/iptables-parse.js';
import {generateIptablesSave} from '../../../source/core/nat/generate/iptables.js';
import {input} from '../../fixtures/nat/cluster.js';
import {nodePortCluster} from '../../fixtures/nat/plain-services.js';

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
