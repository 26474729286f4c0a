import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {decodeIptables} from '../../../source/core/nat/decode-iptables.js';
import {decodeIptablesTemplates} from '../../../source/core/nat/decode-iptables-wasm.js';
import {decodeNatDump, natDumpArrived, newNatDumpBuffer} from '../../../source/core/nat/decode.js';
import {indexIptablesSave} from '../../../source/core/nat/iptables-parse.js';
import {generateIptablesSave} from '../../../source/core/nat/generate/iptables.js';
import type {NatFlowTable} from '../../../source/core/nat/types.js';
import {input} from '../../fixtures/nat/cluster.js';
import {mixedCluster, nodePortCluster} from '../../fixtures/nat/plain-services.js';
import {random} from '../../fixtures/random.js';

const node = {nodeName: 'node-0', nodeIPs: ['10.0.0.1']};
const nodePorts = (count: number, endpoints: number, comments: 'always' | 'auto' = 'always') => generateIptablesSave({...nodePortCluster(count, endpoints), ...node}, {form: 'save', comments});
const mixed = () => generateIptablesSave({...mixedCluster(), ...node}, {form: 'save'});
/** The general decoder alone: an eager index never takes a fast path. */
const general = (text: string) => decodeIptables(indexIptablesSave(text, {eager: true}));
/** What decodeNatDump gave before this tier: the JavaScript fast path, else the general decoder on a lazy index. */
const withoutTemplates = (text: string) => decodeIptables(indexIptablesSave(text));

function templated(text: string): NatFlowTable {
	const result = decodeIptablesTemplates(Buffer.from(text));
	assert.ok(result.table, `the template scanner declined at line ${result.table === null ? result.declinedAt : 0}`);
	return result.table;
}

/** The dump read into a decoder buffer in parts of the given sizes, the decoder told after each. */
function readInParts(text: string, partSize: () => number): {table: NatFlowTable; buffer: Uint8Array} {
	const bytes = Buffer.from(text);
	const buffer = newNatDumpBuffer(bytes.length);
	for (let filled = 0; filled < bytes.length;) {
		const next = Math.min(bytes.length, filled + Math.max(1, partSize()));
		buffer.set(bytes.subarray(filled, next), filled);
		filled = next;
		natDumpArrived(buffer, filled);
	}

	return {table: decodeNatDump(buffer), buffer};
}

describe('decodeIptablesTemplates (the WebAssembly scanner)', () => {
	const taken: Array<[string, () => string]> = [
		['NodePort Services, comments on every rule', () => nodePorts(8, 3)],
		['NodePort Services past 1,000 endpoints (kube-proxy drops the endpoint comments)', () => nodePorts(110, 10, 'auto')],
		['ClusterIP, external IP, load balancer and UDP Services', mixed],
	];
	for (const [name, dump] of taken) {
		test(`takes ${name} and gives the general decoder's table`, () => {
			const text = dump();
			const table = templated(text);
			assert.ok(table.services.length > 0);
			assert.deepEqual(table, general(text));
			assert.equal(JSON.stringify(table), JSON.stringify(general(text)));
		});
	}

	test('takes a load balancer and an external IP through KUBE-EXT- to their KUBE-SVC- chain', () => {
		const table = templated(mixed());
		const balanced = table.services.find(flow => flow.service === 'ns/balanced')!;
		assert.deepEqual(balanced.entries.map(entry => [entry.kind, entry.ip, entry.port, entry.path.length, entry.target]), [
			['clusterIP', '10.96.1.3', 443, 1, 'cluster'],
			['loadBalancer', '203.0.113.10', 443, 2, 'cluster'],
			['nodePort', null, 31_443, 2, 'cluster'],
		]);
		assert.deepEqual(balanced.masquerade.map(mark => mark.condition), ['always', 'source not in 10.244.0.0/16']);
		assert.equal(table.services.find(flow => flow.service === 'ns/dns')!.protocol, 'UDP');
		assert.equal(table.masqueradeMark, '0x4000');
	});

	test('numbers the flows right when the chains\' table grows while they are added', () => {
		// 600 Services x 1 endpoint: 1,800 chains, then the 249th flow takes the table past half of its 4,096 slots.
		const text = nodePorts(600, 1);
		assert.deepEqual(templated(text), general(text));
	});

	test('reads probabilities exactly as written', () => {
		const text = nodePorts(2, 3).replaceAll('--probability 0.33333333349', '--probability 0.1');
		for (const flow of templated(text).services) {
			assert.deepEqual(flow.endpoints.map(endpoint => endpoint.written), [0.1, 0.5, null]);
			assert.deepEqual(flow.endpoints.map(endpoint => endpoint.probability), [0.1, 0.9 * 0.5, 0.9 - (0.9 * 0.5)]);
		}
	});

	const declines: Array<[string, () => string, RegExp | 0]> = [
		// Its built-in chains are not declared, and its options come in another order.
		['the form kube-proxy hands to iptables-restore', () => generateIptablesSave({...nodePortCluster(3, 2), ...node}), /^-A INPUT /],
		['kube-proxy before 1.24 (KUBE-XLB-, KUBE-MARK-DROP)', () => generateIptablesSave({...nodePortCluster(3, 2), ...node}, {form: 'save', style: 'old'}), /^:KUBE-MARK-DROP/],
		['policy Local, session affinity, firewalls and REJECT rules', () => generateIptablesSave(input, {form: 'save'}), /./],
		['CRLF line ends', () => nodePorts(3, 2).replaceAll('\n', '\r\n'), /./],
		['an escaped quote', () => nodePorts(3, 2).replace('"ns/svc-0:http"', String.raw`"ns/svc-0:http\""`), /\\"/],
		['a tab between words', () => nodePorts(3, 2).replace('-j KUBE-MARK-MASQ', '-j\tKUBE-MARK-MASQ'), /\t/],
		['an -X line', () => nodePorts(3, 2).replace('COMMIT\n*nat', '-X KUBE-FORWARD\nCOMMIT\n*nat'), /^-X/],
		['a rule for an undeclared chain', () => nodePorts(3, 2).replace('COMMIT\n*nat', '-A NOWHERE -j ACCEPT\nCOMMIT\n*nat'), /^-A NOWHERE/],
		['a port past 65535', () => nodePorts(3, 2).replace('--dport 30000 ', '--dport 70000 '), /--dport 70000/],
		['an endpoint jump to an undeclared chain', () => nodePorts(3, 2).replace(/(-j KUBE-SEP-)[A-Z2-7]{16}$/m, '$1AAAAAAAAAAAAAAAA'), /KUBE-SEP-AAAAAAAAAAAAAAAA$/],
		['a dump that ends inside the nat table', () => nodePorts(3, 2).trimEnd().replace(/COMMIT$/, ''), /^-A KUBE-SVC-.* -j KUBE-SEP-/],
		['entry rules without the comment that names their Service', () => generateIptablesSave({...nodePortCluster(3, 2), ...node}, {form: 'save', comments: 'never'}), /^-A KUBE-(NODEPORTS|SERVICES) -[dp] /],
		['an endpoint chain without its DNAT', () => nodePorts(3, 2).split('\n').filter(line => !line.includes('-j DNAT')).join('\n'), 0],
	];
	for (const [name, dump, where] of declines) {
		test(`declines ${name}, and the JavaScript decoders read it`, () => {
			const text = dump();
			const result = decodeIptablesTemplates(Buffer.from(text));
			assert.equal(result.table, null);
			assert.ok(result.table === null);
			if (where === 0) {
				assert.equal(result.declinedAt, 0);
			} else {
				assert.match(text.split('\n')[result.declinedAt - 1] ?? '', where);
			}

			assert.equal(Buffer.from(result.bytes).toString('utf8'), text);
			assert.deepEqual(decodeNatDump(text), withoutTemplates(text));
		});
	}

	test('a dump read in parts, the scanner told after each, gives the one-shot table', () => {
		const text = nodePorts(20, 4);
		const expected = decodeNatDump(text);
		const next = random(5);
		for (const parts of [() => 1, () => 7, () => Math.floor(next() * 300), () => 4096]) {
			assert.deepEqual(readInParts(text, parts).table, expected);
		}
	});

	test('a dump whose tables outgrow the room set aside for them still decodes, in parts or whole', () => {
		// Thousands of declared chains and few rules: more table than text.
		const base32 = (value: number) => Array.from({length: 16}, (_, digit) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[Math.floor(value / (32 ** digit)) % 32]).join('');
		const declarations = Array.from({length: 20_000}, (_, index) => `:KUBE-SEP-${base32(index)} - [0:0]`);
		const base = nodePorts(4, 2);
		const text = base.replace('*nat\n', ['*nat', ...declarations, ''].join('\n'));
		assert.notEqual(text, base);
		const expected = general(text);
		assert.deepEqual(templated(text), expected);
		const {table, buffer} = readInParts(text, () => 65_536);
		assert.deepEqual(table, expected);
		// Growing a WebAssembly memory detaches its old buffer: the scanner did need more room.
		assert.equal(buffer.byteLength, 0);
	});

	test('mutated dumps: the scanner takes some, declines the rest, and decodeNatDump gives what it gave without the scanner', () => {
		const seeds = [nodePorts(6, 3), nodePorts(4, 2, 'auto'), mixed()];
		const next = random(11);
		const junk = ['"', '\\', '!', '-j', ' -j KUBE-MARK-MASQ', ' -m statistic --mode random --probability 0.25', '0.5', 'KUBE-SEP-', 'KUBE-SVC-', '  ', ':', '*nat', 'COMMIT', 'é'];
		let took = 0;
		let declined = 0;
		for (let round = 0; round < 240; round++) {
			const lines = seeds[round % seeds.length]!.split('\n');
			const index = Math.floor(next() * lines.length);
			const line = lines[index]!;
			const at = Math.floor(next() * (line.length + 1));
			const word = junk[Math.floor(next() * junk.length)]!;
			switch (round % 4) {
				case 0: {
					lines.splice(index, 1);
					break;
				}

				case 1: {
					lines[index] = line.slice(0, at) + word + line.slice(at);
					break;
				}

				case 2: {
					lines[index] = line.replaceAll(/\d/g, digit => (next() < 0.3 ? String((Number(digit) + 3) % 10) : digit));
					break;
				}

				default: {
					lines.splice(index, 0, lines[Math.floor(next() * lines.length)]!);
				}
			}

			const text = lines.join('\n');
			if (decodeIptablesTemplates(Buffer.from(text)).table) {
				took++;
			} else {
				declined++;
			}

			assert.deepEqual(decodeNatDump(text), withoutTemplates(text), `round ${round}`);
		}

		assert.ok(took > 20 && declined > 20, `took ${took}, declined ${declined}`);
	});
});
