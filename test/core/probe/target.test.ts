import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {formatDuration, parseDuration} from '../../../source/core/probe/duration.js';
import {parseTarget} from '../../../source/core/probe/target.js';

describe('parseDuration', () => {
	const cases: Array<[string, number]> = [['5ms', 5], ['1s', 1000], ['2m', 120_000], ['1.5s', 1500], ['1m30s', 90_000], ['250', 250], ['500us', 0.5], ['1h', 3_600_000]];
	for (const [text, ms] of cases) {
		test(text, () => assert.deepEqual(parseDuration(text), {ms}));
	}

	for (const bad of ['', 'fast', '5 ms', '1x', 's', '-1s', '1s2']) {
		test(`rejects "${bad}"`, () => assert.ok('error' in parseDuration(bad)));
	}
});

describe('formatDuration', () => {
	const cases: Array<[number, string]> = [[3_600_000, '1h'], [120_000, '2m'], [90_000, '90s'], [1000, '1s'], [1500, '1500ms'], [50, '50ms'], [0.5, '0.5ms']];
	for (const [ms, text] of cases) {
		test(text, () => {
			assert.equal(formatDuration(ms), text);
			// What it prints reads back as the same duration.
			assert.deepEqual(parseDuration(text), {ms});
		});
	}
});

describe('parseTarget', () => {
	test('Service with and without port', () => {
		assert.deepEqual(parseTarget('default/svc-nodeport'), {kind: 'service', namespace: 'default', name: 'svc-nodeport'});
		assert.deepEqual(parseTarget('kube-system/kube-dns:dns-tcp'), {kind: 'service', namespace: 'kube-system', name: 'kube-dns', port: 'dns-tcp'});
		assert.deepEqual(parseTarget('default/web:8080'), {kind: 'service', namespace: 'default', name: 'web', port: '8080'});
	});

	test('host:port and [v6]:port', () => {
		assert.deepEqual(parseTarget('10.96.0.10:53'), {kind: 'address', host: '10.96.0.10', port: 53, label: '10.96.0.10:53'});
		assert.deepEqual(parseTarget('[fd00::1]:80'), {kind: 'address', host: 'fd00::1', port: 80, label: '[fd00::1]:80'});
		assert.deepEqual(parseTarget('localhost:8080'), {kind: 'address', host: 'localhost', port: 8080, label: 'localhost:8080'});
	});

	test('URLs keep scheme, path and query; default ports', () => {
		assert.deepEqual(parseTarget('http://192.168.1.102:30000/x?y=1'), {kind: 'address', host: '192.168.1.102', port: 30_000, scheme: 'http', path: '/x?y=1', label: 'http://192.168.1.102:30000/x?y=1'});
		assert.deepEqual(parseTarget('https://example.test'), {kind: 'address', host: 'example.test', port: 443, scheme: 'https', path: '/', label: 'https://example.test'});
	});

	for (const bad of ['web', '10.0.0.1:0', '10.0.0.1:70000', 'Default/Web', 'ns/', 'ns/name:', 'a b:80', 'http://[bad']) {
		test(`rejects "${bad}"`, () => assert.ok('error' in parseTarget(bad)));
	}
});
