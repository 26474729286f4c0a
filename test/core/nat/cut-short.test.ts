import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {describe, test} from 'node:test';
import {dumpCutShort, refuseCutShort} from '../../../source/core/nat/cut-short.js';

const fixtures = new URL('../../fixtures/nat/kernel/', import.meta.url);
const whole = {
	save: readFileSync(new URL('iptables-1.28-save.txt', fixtures), 'utf8'),
	saveNat: readFileSync(new URL('iptables-1.28-save-nat.txt', fixtures), 'utf8'),
	dashS: readFileSync(new URL('iptables-1.28-S-nat.txt', fixtures), 'utf8'),
	nft: readFileSync(new URL('nft-list-table.txt', fixtures), 'utf8'),
	ruleset: readFileSync(new URL('nft-list-ruleset.txt', fixtures), 'utf8'),
};

function firstLines(text: string, count: number): string {
	return `${text.split('\n').slice(0, count).join('\n')}\n`;
}

describe('a dump as the kernel printed it is whole', () => {
	for (const [name, text] of Object.entries(whole)) {
		test(name, () => {
			assert.equal(dumpCutShort(text), null);
			assert.equal(dumpCutShort(Buffer.from(text)), null);
		});
	}
});

describe('a dump cut short says how', () => {
	test('iptables-save -t nat cut after 60 lines (head -n 60)', () => {
		assert.equal(dumpCutShort(firstLines(whole.saveNat, 60)), 'its iptables-save table is not closed with COMMIT');
	});

	test('full iptables-save cut inside the second table', () => {
		const lines = whole.save.split('\n');
		const secondTable = lines.findIndex((line, index) => index > 0 && line.startsWith('*') && lines.slice(0, index).includes('COMMIT'));
		assert.ok(secondTable > 0);
		assert.match(dumpCutShort(firstLines(whole.save, secondTable + 3)) ?? '', /^1 of its 2 iptables-save tables is not closed with COMMIT$/);
	});

	test('cut in the middle of a line (head -c), as bytes too', () => {
		const cut = whole.dashS.slice(0, 5000);
		assert.ok(!cut.endsWith('\n'));
		assert.match(dumpCutShort(cut) ?? '', /ends in the middle of a line/);
		assert.match(dumpCutShort(Buffer.from(cut)) ?? '', /ends in the middle of a line/);
	});

	test('nft list table cut after a chain', () => {
		const lines = whole.nft.split('\n');
		const chainEnd = lines.findIndex(line => line === '\t}');
		assert.ok(chainEnd > 0);
		assert.match(dumpCutShort(firstLines(whole.nft, chainEnd + 1)) ?? '', /nftables table is not closed/);
	});
});

describe('refuseCutShort', () => {
	test('the nft ruleset QA cut after 60 lines is refused, naming the source', () => {
		assert.match(refuseCutShort(firstLines(whole.ruleset, 60), 't.txt') ?? '', /^t\.txt looks cut short: .*; not decoded/);
	});

	test('a whole dump is taken', () => {
		assert.equal(refuseCutShort(whole.ruleset, 't.txt'), null);
	});
});

describe('a dump with CRLF line endings (kubectl exec -t) is whole too', () => {
	for (const [name, text] of Object.entries(whole)) {
		test(name, () => {
			const crlf = text.replaceAll('\n', '\r\n');
			assert.equal(dumpCutShort(crlf), null);
			assert.equal(dumpCutShort(Buffer.from(crlf)), null);
			assert.equal(dumpCutShort(`${crlf}\r\n\r\n`), null);
		});
	}

	test('and CRLF cut short still says so', () => {
		const crlf = firstLines(whole.saveNat, 60).replaceAll('\n', '\r\n');
		assert.equal(dumpCutShort(crlf), 'its iptables-save table is not closed with COMMIT');
		const nft = whole.nft.replaceAll('\n', '\r\n');
		assert.match(dumpCutShort(nft.slice(0, nft.lastIndexOf('}'))) ?? '', /nftables table is not closed|ends in the middle/);
	});
});
