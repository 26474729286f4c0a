import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {completeCommandLine, completeWord, parseCommandLine} from '../../../source/ui/keys/command-line.js';

describe('parseCommandLine', () => {
	const cases: Array<[string, ReturnType<typeof parseCommandLine>]> = [
		['ns kube-system', {kind: 'namespace', namespace: 'kube-system'}],
		['namespace test', {kind: 'namespace', namespace: 'test'}],
		['ns', {kind: 'namespace', namespace: undefined}],
		['ns all', {kind: 'namespace', namespace: undefined}],
		['  ctx  ', {kind: 'context', context: undefined}],
		['context kind-other', {kind: 'context', context: 'kind-other'}],
		['svc', {kind: 'services'}],
		['services', {kind: 'services'}],
		['q', {kind: 'quit'}],
		['quit', {kind: 'quit'}],
		['ns a b', {kind: 'error', message: 'one name at a time: ns a b'}],
		['ns [', {kind: 'error', message: 'not a namespace name: [ (lowercase letters, digits and -)'}],
		['ns Default', {kind: 'error', message: 'not a namespace name: Default (lowercase letters, digits and -)'}],
		['ns kube-system', {kind: 'namespace', namespace: 'kube-system'}],
		['svc default', {kind: 'error', message: ':svc takes no argument'}],
		['edit svc', {kind: 'error', message: 'unknown command: edit (try :ns NAME, :ctx, :svc)'}],
		['', {kind: 'error', message: 'empty command'}],
	];
	for (const [text, expected] of cases) {
		test(JSON.stringify(text), () => {
			assert.deepEqual(parseCommandLine(text), expected);
		});
	}
});

describe('completion', () => {
	const names = {namespaces: ['default', 'kube-node-lease', 'kube-public', 'kube-system', 'test'], contexts: ['kind-myk8s', 'prod-eu']};

	test('a unique match completes whole; several complete to what they share and are listed', () => {
		assert.deepEqual(completeWord('te', names.namespaces), {text: 'test', candidates: []});
		assert.deepEqual(completeWord('k', names.namespaces), {text: 'kube-', candidates: ['kube-node-lease', 'kube-public', 'kube-system']});
		assert.deepEqual(completeWord('kube-s', names.namespaces), {text: 'kube-system', candidates: []});
		assert.deepEqual(completeWord('x', names.namespaces), {text: 'x', candidates: []});
	});

	test('the command line completes the verb, then a namespace or a context', () => {
		assert.deepEqual(completeCommandLine('c', names), {text: 'ctx ', candidates: []});
		assert.deepEqual(completeCommandLine('s', names), {text: 'svc ', candidates: []});
		assert.deepEqual(completeCommandLine('ns kube-s', names), {text: 'ns kube-system', candidates: []});
		assert.deepEqual(completeCommandLine('ns a', names), {text: 'ns all', candidates: []});
		assert.deepEqual(completeCommandLine('ctx p', names), {text: 'ctx prod-eu', candidates: []});
		assert.deepEqual(completeCommandLine('ctx ', names), {text: 'ctx ', candidates: ['kind-myk8s', 'prod-eu']});
		assert.deepEqual(completeCommandLine('q x', names), {text: 'q x', candidates: []});
	});
});
