import {test} from 'node:test';
import assert from 'node:assert/strict';
import {compareKeys, kubectlYaml} from '../../../source/core/services/kubectl-yaml.js';

/*
 * The expected texts are what kubectl v1.32 printed (`kubectl get svc -o yaml`) for these values; the
 * end-to-end test compares whole Service lists with the kubectl on the machine.
 */

test('list items at the parent key\'s indent, maps in items, empty map and list', () => {
	const yaml = kubectlYaml({items: [{apiVersion: 'v1', spec: {clusterIPs: ['10.200.1.90'], ports: [{port: 80, targetPort: 8080}], selector: {}, externalIPs: []}}]});
	assert.equal(yaml, [
		'items:',
		'- apiVersion: v1',
		'  spec:',
		'    clusterIPs:',
		'    - 10.200.1.90',
		'    externalIPs: []',
		'    ports:',
		'    - port: 80',
		'      targetPort: 8080',
		'    selector: {}',
		'',
	].join('\n'));
});

test('strings that would read as something else are double-quoted; indicators single-quoted', () => {
	const cases: Array<[string, string]> = [
		['2026-12-07T09:40:35Z', '"2026-12-07T09:40:35Z"'],
		['26', '"26"'],
		['', '""'],
		['true', '"true"'],
		['yes', '"yes"'],
		['null', '"null"'],
		['1:20', '"1:20"'],
		['0x1F', '"0x1F"'],
		['1_000', '"1_000"'],
		['.5', '".5"'],
		['2024-13-01', '2024-13-01'],
		['10.96.0.1', '10.96.0.1'],
		['fd00::1', 'fd00::1'],
		['a: b', '\'a: b\''],
		['a #b', '\'a #b\''],
		['-', '\'-\''],
		[' x', '\' x\''],
		['it\'s', 'it\'s'],
		['say "hi"', 'say "hi"'],
		['a\tb', '"a\\tb"'],
		['hi 😀', '"hi \\U0001F600"'],
		['héllo ✓', 'héllo ✓'],
	];
	for (const [value, expected] of cases) {
		assert.equal(kubectlYaml({k: value}), `k: ${expected}\n`, JSON.stringify(value));
	}
});

test('multi-line strings: |- , | and |+ blocks, |2- when the text starts with a space, quotes when a line ends in a space', () => {
	assert.equal(kubectlYaml({a: {k: 'line one\nline two'}}), 'a:\n  k: |-\n    line one\n    line two\n');
	assert.equal(kubectlYaml({k: 'x\n', l: 1}), 'k: |\n  x\nl: 1\n');
	assert.equal(kubectlYaml({k: 'x\n\n', l: 1}), 'k: |+\n  x\n\nl: 1\n');
	assert.equal(kubectlYaml({k: ' lead\nnext'}), 'k: |2-\n   lead\n  next\n');
	assert.equal(kubectlYaml({k: 'a \nb'}), 'k: "a \\nb"\n');
});

test('long values fold at a space past column 80; keys never do', () => {
	const long = 'word '.repeat(30).trim();
	assert.equal(kubectlYaml({a: {b: {k: long}}}), [
		'a:',
		'  b:',
		'    k: word word word word word word word word word word word word word word word',
		'      word word word word word word word word word word word word word word word',
		'',
	].join('\n'));
	assert.equal(kubectlYaml({k: `x: ${'word '.repeat(20).trim()}`}), 'k: \'x: word word word word word word word word word word word word word word word\n  word word word word word\'\n');
});

test('keys in go-yaml\'s order: other characters before letters, digit runs by value', () => {
	assert.deepEqual(['ab', 'aB', 'a10', 'a9', 'a~', 'a_b', 'a/x', 'a-b', 'A', ''].sort(compareKeys), ['', 'A', 'a-b', 'a/x', 'a_b', 'a~', 'a9', 'a10', 'aB', 'ab']);
});

test('numbers, booleans and null as JSON has them', () => {
	assert.equal(kubectlYaml({a: 80, b: true, c: null, d: 1.5}), 'a: 80\nb: true\nc: null\nd: 1.5\n');
});
