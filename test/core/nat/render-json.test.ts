import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
import {natJsonParts} from '../../../source/core/nat/render.js';
import type {NatFlowTable, NatServiceFlow} from '../../../source/core/nat/types.js';
import {natJsonDocument} from '../../fixtures/nat/json-document.js';

const kernel = fileURLToPath(new URL('../../fixtures/nat/kernel/', import.meta.url));

describe('natJsonParts', () => {
	const tables: Array<[string, NatFlowTable]> = readdirSync(kernel).filter(name => name.endsWith('.txt'))
		.map(name => [name, decodeNatDump(readFileSync(`${kernel}${name}`, 'utf8'))]);

	test('joined, the parts are JSON.stringify of the document built as objects, and a newline, whatever the part length', () => {
		assert.ok(tables.length >= 6 && tables.every(([, table]) => table.services.length >= 5), 'every fixture has Services to write');
		for (const [name, table] of tables) {
			const whole = `${JSON.stringify(natJsonDocument(table), null, 2)}\n`;
			for (const partLength of [1, 2000, undefined]) {
				const parts = [...natJsonParts(table, partLength)];
				assert.equal(parts.join(''), whole, `${name}, parts of ${partLength ?? 'default'}`);
				// Between the head and the tail, parts of whole Services: each but the last reaches the length.
				const services = parts.slice(1, -1);
				assert.ok(services.slice(0, -1).every(part => part.length >= (partLength ?? 32 * 1024)), `${name}, parts of ${partLength ?? 'default'}`);
			}

			assert.equal([...natJsonParts(table, 1)].length, table.services.length + 2, `${name}: one Service per part`);
		}
	});

	test('a large table is written in parts of about 32 KiB, longer only by the Service that ends them', () => {
		const [name, table] = tables[0]!;
		const big = {...table, services: Array.from({length: 2000}, (_, index) => table.services[index % table.services.length]!)};
		const parts = [...natJsonParts(big)].slice(1, -1);
		assert.ok(parts.length > 3, `2,000 Services of ${name} are written in several parts`);
		// Each part's last Service starts before the length is reached (a part ends at the first Service that reaches it).
		assert.ok(parts.every(part => part.lastIndexOf('\n    {') < 32 * 1024), `a Service starts at ${Math.max(...parts.map(part => part.lastIndexOf('\n    {')))}`);
	});

	test('every field of a Service, and strings and numbers that need escaping or have no JSON form, are written as JSON.stringify writes them', () => {
		const awkward = ['say "hi"', 'back\\slash', 'tab\there', 'nul\u0000', 'lone \uD800 surrogate', 'pair \uD83D\uDE00', 'line\u2028sep', 'é', ''];
		const endpoint = (index: number, probability: number) => ({ip: awkward[index % awkward.length]!, port: 8080 + index, probability, chain: `KUBE-SEP-${awkward[(index + 1) % awkward.length]}`, written: null, line: index, hairpinMasquerade: false});
		const flows: NatServiceFlow[] = awkward.map((name, index) => ({
			service: `ns/${name}`, port: name, protocol: 'TCP', identified: index % 2 === 0,
			entries: [
				{kind: 'clusterIP', ip: '10.96.0.1', port: 80, sourceRanges: [], localOnly: false, path: [], target: 'cluster', line: 1},
				{kind: 'loadBalancer', ip: name, port: 443, sourceRanges: ['10.0.0.0/8', name], localOnly: true, path: ['KUBE-FW-X'], target: 'local', line: 2},
				{kind: 'nodePort', ip: null, port: 30_000 + index, sourceRanges: [name], localOnly: false, path: [], target: 'none', line: null},
			],
			chain: 'KUBE-SVC-X',
			endpoints: [endpoint(index, 1 / 3), endpoint(index + 1, Number.NaN), endpoint(index + 2, Number.POSITIVE_INFINITY), endpoint(index + 3, -0), endpoint(index + 4, 1e-7)],
			localChain: index % 3 === 0 ? null : 'KUBE-SVL-X',
			localEndpoints: index % 3 === 0 ? null : (index % 3 === 1 ? [] : [endpoint(index, 0.5)]),
			affinity: index % 2 === 0 ? {timeoutSeconds: 10_800} : null,
			noEndpoints: ([null, 'drop', 'reject'] as const)[index % 3]!,
			noEndpointsLines: [],
			bypass: index % 2 === 0 ? [] : [{from: 'pods', condition: `source ${name}`, chain: 'KUBE-EXT-X', target: 'KUBE-SVC-X', line: 3}, {from: 'node', condition: name, chain: name, target: 'KUBE-SVC-X', line: null}],
			masquerade: [],
			scheduler: null,
		}));
		const table: NatFlowTable = {mode: 'iptables', variant: 'iptables-new', services: flows, problems: [], masqueradeMark: null};
		for (const partLength of [1, 500, undefined]) {
			assert.equal([...natJsonParts(table, partLength)].join(''), `${JSON.stringify(natJsonDocument(table), null, 2)}\n`, `parts of ${partLength ?? 'default'}`);
		}
	});

	test('an empty table, problems with quotes and notes are written as JSON.stringify writes them', () => {
		const table: NatFlowTable = {
			mode: 'iptables', variant: 'iptables-new', services: [], masqueradeMark: null,
			problems: [{line: 3, message: 'line 3: bad "rule"\t\\'}, {line: null, message: 'é'}], notes: ['a note'],
		};
		assert.equal([...natJsonParts(table)].join(''), `${JSON.stringify(natJsonDocument(table), null, 2)}\n`);
		assert.equal([...natJsonParts({...table, problems: [], notes: undefined})].join(''), `${JSON.stringify(natJsonDocument({...table, problems: [], notes: undefined}), null, 2)}\n`);
	});
});
