import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
import {generateNftTable} from '../../../source/builtin-cluster/generate/nft.js';
import {ipv6Input} from '../../fixtures/nat/cluster.js';

const decodeNft = (dump: string | Uint8Array) => decodeNatDump(dump, 'nftables');

const listed = readFileSync(join(import.meta.dirname, '../../fixtures/nat/kernel/nft-list-table.txt'), 'utf8');
const bytes = (text: string) => new TextEncoder().encode(text);

test('bytes decode as their text does, ASCII or not, whatever part of a large dump a line falls in', () => {
	// Padding pushes the table past the first MiB, so its part is asked on its own whether it is ASCII.
	const padding = `# ${'x'.repeat(1000)}\n`.repeat(1100);
	for (const word of ['plain', 'naïve — ✓']) {
		const text = padding + listed.replace('\tchain services {', `\t${word} line\n\tchain services {`);
		const fromText = decodeNft(text);
		assert.equal(fromText.problems.length, 1);
		assert.ok(fromText.problems[0]!.message.endsWith(`expected a set, map or chain: \t${word} line`));
		assert.ok(fromText.services.length > 0);
		assert.deepEqual(decodeNft(bytes(text)), fromText);
	}
});

test('bytes with CRLF line endings decode as with LF', () => {
	assert.deepEqual(decodeNft(bytes(listed.replaceAll('\n', '\r\n'))), decodeNft(bytes(listed)));
});

test('a wrong-shaped line is a problem naming its line, as bytes or text', () => {
	const lines = listed.split('\n');
	const at = lines.findIndex(line => line.includes('chain services {'));
	lines.splice(at, 0, '\tnot a declaration');
	for (const dump of [lines.join('\n'), bytes(lines.join('\n'))]) {
		const {problems} = decodeNft(dump);
		assert.deepEqual(problems.map(problem => problem.line), [at + 1]);
		assert.match(problems[0]!.message, /expected a set, map or chain: \tnot a declaration$/);
	}
});

test('`nft -f` input (`add …` commands) is one problem, not one per line, and no flows', () => {
	const commands = ['add table ip kube-proxy', 'add chain ip kube-proxy services', 'add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips'];
	const table = decodeNft(commands.join('\n'));
	assert.deepEqual(table.services, []);
	assert.deepEqual(table.problems.map(problem => problem.line), [1, null]);
	assert.match(table.problems[0]!.message, /`add …` commands are not read/);
	assert.match(table.problems[1]!.message, /no `ip kube-proxy` or `ip6 kube-proxy` table/);
});

test('dual stack: the Services of both the ip and the ip6 kube-proxy table, whichever holds the masquerade mark', () => {
	const ip6Table = generateNftTable(ipv6Input, {family: 'IPv6'});
	const names = (table: ReturnType<typeof decodeNft>) => table.services.map(flow => `${flow.service}:${flow.port}/${flow.protocol}`).sort();
	const v4Only = decodeNft(listed);
	assert.ok(v4Only.masqueradeMark !== null && v4Only.services.length > 0);
	for (const ruleset of [`${listed}\n${ip6Table}`, `${ip6Table}\n${listed}`]) {
		const both = decodeNft(ruleset);
		assert.deepEqual(both.problems, []);
		assert.deepEqual(names(both), [...names(v4Only), 'six/web:http/TCP'].sort());
	}
});
