import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {invalidNodeName} from '../../../source/node/access/node-name.js';

describe('node names', () => {
	for (const name of ['myk8s-worker', 'ip-10-0-1-23.eu-west-1.compute.internal', 'a', '9node', 'x'.repeat(63)]) {
		test(`${name.slice(0, 40)} is a node name`, () => {
			assert.equal(invalidNodeName(name), null);
		});
	}

	const bad: Array<[string, string]> = [
		['-oProxyCommand=touch /tmp/x', 'is not a DNS-1123 subdomain (lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit)'],
		['--help', 'is not a DNS-1123 subdomain (lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit)'],
		['Worker1', 'is not a DNS-1123 subdomain (lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit)'],
		['a;rm -rf /', 'is not a DNS-1123 subdomain (lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit)'],
		['node-', 'is not a DNS-1123 subdomain (lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit)'],
		['a..b', 'is not a DNS-1123 subdomain (lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit)'],
		['x'.repeat(64), 'is not a DNS-1123 subdomain (lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit)'],
		['', 'is empty'],
		[`${'a.'.repeat(127)}a`, 'is 255 characters long (at most 253)'],
	];
	for (const [name, reason] of bad) {
		test(`${JSON.stringify(name.slice(0, 40))} is refused`, () => {
			assert.equal(invalidNodeName(name), reason);
		});
	}
});
