import assert from 'node:assert/strict';
import {afterEach, describe, test} from 'node:test';
import Dashboard from '../../../source/ui/Dashboard.js';
import {splitChunk} from '../../../source/ui/keys/KeypressProvider.js';
import {seedNow, seededSource} from '../fake-source.js';
import {type Rendered, renderAt, settle} from '../render-at.js';

const rendered: Rendered[] = [];

afterEach(() => {
	for (const view of rendered.splice(0)) {
		view.unmount();
	}
});

function start() {
	const source = seededSource();
	const view = renderAt(<Dashboard source={source} clock={() => seedNow} />, {columns: 120, rows: 20});
	rendered.push(view);
	return {source, view};
}

async function until(view: Rendered, pattern: RegExp): Promise<void> {
	for (let round = 0; round < 50 && !pattern.test(view.frame()); round++) {
		await settle();
	}

	assert.match(view.frame(), pattern);
}

const paste = (text: string) => `\u001B[200~${text}\u001B[201~`;

describe('prompts take text and Enter in one chunk', () => {
	test('n, then "kube-system⏎" in one chunk switches the namespace', async () => {
		const {source, view} = start();
		await settle();
		await view.press('n');
		await view.press('kube-system\r');
		await until(view, /switching to namespace kube-system/);
		assert.deepEqual(source.namespaceCalls, ['kube-system']);
	});

	test('/, then "np-svc⏎" in one chunk keeps the filter and closes the prompt', async () => {
		const {view} = start();
		await settle();
		await view.press('/');
		await view.press('np-svc\r');
		await until(view, /filter "np-svc"/);
		assert.match(view.frame(), /^1\/7 services/m);
		// The prompt is closed: j moves instead of typing.
		assert.match(view.frame().split('\n').at(-1)!, /^\? help/);
	});

	test(': then "ns test\\r\\n" (a Windows line end) runs the command once', async () => {
		const {source, view} = start();
		await settle();
		await view.press(':', 'ns test\r\n');
		await until(view, /switching to namespace test/);
		assert.deepEqual(source.namespaceCalls, ['test']);
	});

	test('bracketed paste into a prompt: the text, then Enter', async () => {
		const {source, view} = start();
		await settle();
		await view.press('n', paste('kube-system'));
		await until(view, /^namespace: kube-system/m);
		assert.deepEqual(source.namespaceCalls, []);
		await view.press('\r');
		await until(view, /switching to namespace kube-system/);
		assert.deepEqual(source.namespaceCalls, ['kube-system']);
	});

	test('bracketed paste with its own Enter works as typed', async () => {
		const {view} = start();
		await settle();
		await view.press('/', paste('kube-dns\n'));
		await until(view, /filter "kube-dns"/);
		assert.match(view.frame().split('\n').at(-1)!, /^\? help/);
	});

	test('what follows the Enter in the same chunk reaches the list', async () => {
		const {view} = start();
		await settle();
		await view.press('/kube\rj');
		await until(view, /filter "kube"/);
		await until(view, /^> +kube-system +kube-dns /m);
	});
});

test('splitChunk: runs of text, each control key on its own', () => {
	assert.deepEqual(splitChunk('kube-system\r'), ['kube-system', '\r']);
	assert.deepEqual(splitChunk('ab\r\ncd\t\u007F'), ['ab', '\r\n', 'cd', '\t', '\u007F']);
	assert.deepEqual(splitChunk(''), []);
});
