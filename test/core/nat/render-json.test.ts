import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
import {natJsonParts, toNatJson} from '../../../source/core/nat/render.js';
import type {NatFlowTable} from '../../../source/core/nat/types.js';

const kernel = fileURLToPath(new URL('../../fixtures/nat/kernel/', import.meta.url));

describe('natJsonParts', () => {
	const tables: Array<[string, NatFlowTable]> = readdirSync(kernel).filter(name => name.endsWith('.txt'))
		.map(name => [name, decodeNatDump(readFileSync(`${kernel}${name}`, 'utf8'))]);

	test('joined, the parts are JSON.stringify(toNatJson(table), null, 2) and a newline, whatever the part size', () => {
		assert.ok(tables.length >= 6 && tables.every(([, table]) => table.services.length >= 5), 'every fixture has Services to write');
		for (const [name, table] of tables) {
			const whole = `${JSON.stringify(toNatJson(table), null, 2)}\n`;
			for (const perPart of [1, 2, 256]) {
				const parts = [...natJsonParts(table, perPart)];
				assert.equal(parts.join(''), whole, `${name}, ${perPart} per part`);
				assert.equal(parts.length, Math.ceil(table.services.length / perPart) + 2, `${name}, ${perPart} per part`);
			}
		}
	});

	test('an empty table, problems with quotes and notes are written as JSON.stringify writes them', () => {
		const table: NatFlowTable = {
			mode: 'iptables', variant: 'iptables-new', services: [], masqueradeMark: null,
			problems: [{line: 3, message: 'line 3: bad "rule"\t\\'}, {line: null, message: 'é'}], notes: ['a note'],
		};
		assert.equal([...natJsonParts(table)].join(''), `${JSON.stringify(toNatJson(table), null, 2)}\n`);
		assert.equal([...natJsonParts({...table, problems: [], notes: undefined})].join(''), `${JSON.stringify(toNatJson({...table, problems: [], notes: undefined}), null, 2)}\n`);
	});
});
