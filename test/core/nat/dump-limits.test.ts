import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {dumpChecker, parseByteSize} from '../../../source/core/nat/dump-limits.js';

const encode = (text: string) => new TextEncoder().encode(text);
const real = readFileSync(join(import.meta.dirname, '../../fixtures/nat/kernel/iptables-1.28-save.txt'));

/** Feed `bytes` in parts of `size`; the first error, or null. */
function feed(bytes: Uint8Array, size: number, limits = {maxBytes: 1 << 20, maxLineBytes: 100}): string | null {
	const check = dumpChecker('dump.txt', limits);
	for (let from = 0; from < bytes.length; from += size) {
		const error = check(bytes.subarray(from, from + size));
		if (error) {
			return error;
		}
	}

	return null;
}

describe('dumpChecker', () => {
	for (const size of [1, 7, 100, 4096, 1 << 20]) {
		test(`a real dump passes in parts of ${size} bytes`, () => {
			assert.equal(feed(real, size, {maxBytes: real.length, maxLineBytes: 1024}), null);
		});
	}

	test('the total size limit counts every byte', () => {
		assert.equal(feed(real, 4096, {maxBytes: real.length - 1, maxLineBytes: 1024}), `dump.txt is larger than ${((real.length - 1) / 1024).toFixed(1)} KiB, the limit for a rule dump (raise it with --max-bytes)`);
	});

	const longLine = (before: number, length: number) => encode(`${'x'.repeat(10)}\n`.repeat(before) + 'y'.repeat(length) + '\nshort\n');
	for (const size of [1, 3, 64, 1000, 10_000]) {
		test(`a line one byte over the limit is found in parts of ${size} bytes, and one at the limit is not`, () => {
			assert.equal(feed(longLine(5, 101), size), 'dump.txt: the line at byte 55 is longer than 100 bytes, the limit for one line of a rule dump');
			assert.equal(feed(longLine(5, 100), size), null);
		});
	}

	test('an endless line (no newline yet) fails as soon as it passes the limit', () => {
		const check = dumpChecker('stdin', {maxBytes: 1 << 30, maxLineBytes: 1 << 20});
		const part = new Uint8Array(64 * 1024).fill(0x61);
		let parts = 0;
		let error: string | null = null;
		while (!error && parts < 100) {
			error = check(part);
			parts++;
		}

		assert.equal(parts, 17, '16 parts are exactly 1 MiB, the 17th is over');
		assert.equal(error, 'stdin: the line at byte 0 is longer than 1 MiB, the limit for one line of a rule dump');
	});

	test('a NUL byte anywhere is binary data', () => {
		const bytes = encode('*nat\n:KUBE-SERVICES - [0:0]\n');
		bytes[12] = 0;
		assert.equal(feed(bytes, 5), 'dump.txt is binary data (a NUL byte at offset 12), not a rule dump');
	});
});

describe('parseByteSize', () => {
	const cases: Array<[string, number]> = [['512M', 512 * 1024 * 1024], ['1G', 1024 ** 3], ['1GiB', 1024 ** 3], ['100k', 102_400], ['1048576', 1_048_576], ['1.5M', 1_572_864]];
	for (const [text, bytes] of cases) {
		test(text, () => {
			assert.equal(parseByteSize(text), bytes);
		});
	}

	for (const text of ['', 'lots', '-1M', '0', '1T']) {
		test(`"${text}" is refused`, () => {
			assert.deepEqual(parseByteSize(text), {error: `"${text}" is not a size (e.g. 512M, 1G, 1048576)`});
		});
	}
});
