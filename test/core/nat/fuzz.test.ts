import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {crossCheckNat} from '../../../source/core/nat/cross-check.js';
import {decodeNatDump, NatDumpDecoder} from '../../../source/core/nat/decode.js';
import {DumpFrame, dumpCutShort} from '../../../source/core/nat/cut-short.js';
import {generateIptablesSave} from '../../../source/builtin-cluster/generate/iptables.js';
import {generateIpvsSave} from '../../../source/builtin-cluster/generate/ipvs.js';
import {generateNftTable} from '../../../source/builtin-cluster/generate/nft.js';
import type {NatMode} from '../../../source/core/nat/types.js';
import {clusterCIDR, endpointSlices, input, services} from '../../fixtures/nat/cluster.js';
import {random} from '../../fixtures/random.js';

const junk = ['"', '\\', '{', '}', '!', '-j', '--probability', '-A', '*nat', 'COMMIT', ':', ' . ', ' : ', '-', '/', '[', ']', '::', '0.5', 'x'.repeat(300), '\t', '', '-1', 'NaN', '1e400'];

function mutate(text: string, next: () => number): string {
	const lines = text.split('\n');
	const edits = 1 + Math.floor(next() * 4);
	for (let edit = 0; edit < edits; edit++) {
		const index = Math.floor(next() * lines.length);
		const line = lines[index] ?? '';
		const choice = Math.floor(next() * 7);
		const at = Math.floor(next() * (line.length + 1));
		const word = junk[Math.floor(next() * junk.length)]!;
		switch (choice) {
			case 0: {
				lines.splice(index, 1);
				break;
			}

			case 1: {
				lines.splice(index, 0, lines[Math.floor(next() * lines.length)] ?? '');
				break;
			}

			case 2: {
				lines[index] = line.slice(0, at) + word + line.slice(at);
				break;
			}

			case 3: {
				lines[index] = line.slice(0, at);
				break;
			}

			case 4: {
				const words = line.split(' ');
				words.splice(Math.floor(next() * words.length), 1);
				lines[index] = words.join(' ');
				break;
			}

			case 5: {
				lines[index] = line.replaceAll(/\d/g, digit => (next() < 0.2 ? String((Number(digit) + 7) % 10) : digit));
				break;
			}

			default: {
				lines[index] = [...line].reverse().join('');
			}
		}
	}

	return lines.join('\n');
}

const kernelFixture = (name: string) => readFileSync(new URL(`../../fixtures/nat/kernel/${name}`, import.meta.url), 'utf8');

// Generated dumps, and dumps of kube-proxy's shape read back from the kernel (each era and mode).
const seeds: Array<[NatMode, string]> = [
	['iptables', generateIptablesSave(input, {clusterCIDR})],
	['iptables', generateIptablesSave(input, {clusterCIDR, style: 'old', form: 'save'})],
	['nftables', generateNftTable(input, {clusterCIDR})],
	['ipvs', generateIpvsSave(input, {clusterCIDR})],
	['iptables', kernelFixture('iptables-1.28-save.txt')],
	['iptables', kernelFixture('iptables-1.28-large-save-nat.txt')],
	['iptables', kernelFixture('iptables-1.28-S-nat.txt')],
	['iptables', kernelFixture('iptables-1.23-save.txt')],
	['nftables', kernelFixture('nft-list-table.txt')],
	['nftables', kernelFixture('nft-list-ruleset.txt')],
];

/** The endpoint shares of one path never add up to more than every connection. */
function sharesAreShares(table: ReturnType<typeof decodeNatDump>, round: number) {
	for (const flow of table.services) {
		for (const list of [flow.endpoints, flow.localEndpoints ?? []]) {
			const sum = list.reduce((total, endpoint) => total + endpoint.probability, 0);
			assert.ok(list.every(endpoint => endpoint.probability >= 0) && sum <= 1 + 1e-9, `round ${round}: ${flow.service} shares sum to ${sum}`);
		}
	}
}

test('3000 mutated dumps: no throw, every parse problem names a line', () => {
	const next = random(20_240_601);
	let problems = 0;
	for (let round = 0; round < 3000; round++) {
		const [mode, seed] = seeds[round % seeds.length]!;
		const text = mutate(seed, next);
		const lineCount = text.split('\n').length;
		let table;
		try {
			table = decodeNatDump(text, round % 8 === 0 ? undefined : mode);
			crossCheckNat(table, {services, endpointSlices});
		} catch (error) {
			assert.fail(`round ${round} (${mode}) threw ${String(error)}\n${text}`);
		}

		for (const problem of table.problems) {
			problems++;
			assert.equal(typeof problem.message, 'string');
			// Only "there is no kube-proxy table at all" (nft) or "no nat table" (iptables) concerns no single line.
			if (problem.message.startsWith('no `ip kube-proxy`') || problem.message.startsWith('the input has no nat table')) {
				continue;
			}

			assert.ok(problem.line !== null && Number.isInteger(problem.line) && problem.line >= 1 && problem.line <= lineCount, `round ${round}: line ${problem.line} of ${lineCount}: ${problem.message}`);
		}

		for (const problem of table.problems.filter(each => each.message.startsWith('line '))) {
			assert.ok(problem.message.startsWith(`line ${problem.line}: `), problem.message);
		}

		sharesAreShares(table, round);
		if (round % 5 === 0) {
			// However the bytes arrive, the decode and the cut-short verdict are the same.
			const decoder = new NatDumpDecoder(round % 10 === 0 ? undefined : mode);
			const frame = new DumpFrame();
			const bytes = new TextEncoder().encode(text);
			const size = 1 + Math.floor(next() * 300);
			for (let from = 0; from < bytes.length; from += size) {
				decoder.write(bytes.subarray(from, from + size));
				frame.write(bytes.subarray(from, from + size));
			}

			assert.deepEqual(decoder.end(), decodeNatDump(text, round % 10 === 0 ? undefined : mode), `round ${round}: in ${size}-byte parts`);
			assert.equal(frame.cutShort(), dumpCutShort(text), `round ${round}: frame in ${size}-byte parts`);
		}
	}

	assert.ok(problems > 1000, `mutations should produce problems, got ${problems}`);
});

test('garbage of every kind decodes to problems, never a throw', () => {
	const inputs = ['', '\n\n', '*', '{', 'table ip kube-proxy {', '-A', '-A -t', 'TCP  ', '\u0000\u0001', '"'.repeat(1000), '*nat\n-A X -m comment --comment "unterminated'];
	for (const text of inputs) {
		for (const mode of [undefined, 'iptables', 'nftables', 'ipvs'] as const) {
			const table = decodeNatDump(text, mode);
			assert.ok(Array.isArray(table.problems));
			for (const problem of table.problems) {
				if (problem.message.startsWith('line ')) {
					assert.ok(Number.isInteger(problem.line));
				}
			}
		}
	}
});
