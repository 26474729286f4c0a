import assert from 'node:assert/strict';
import {afterEach, describe, test} from 'node:test';
import Dashboard from '../../../source/ui/Dashboard.js';
import type {ContextSwitch} from '../../../source/ui/screens.js';
import {seedNow, seededSource} from '../fake-source.js';
import {keys, type Rendered, renderAt, settle} from '../render-at.js';

const rendered: Rendered[] = [];

afterEach(() => {
	for (const view of rendered.splice(0)) {
		view.unmount();
	}
});

function start(options: {contextSwitch?: ContextSwitch; columns?: number; rows?: number} = {}) {
	const source = seededSource();
	source.namespaceList = ['default', 'kube-node-lease', 'kube-public', 'kube-system', 'test'];
	const view = renderAt(<Dashboard source={source} clock={() => seedNow} contextSwitch={options.contextSwitch} />, {
		columns: options.columns ?? 100,
		rows: options.rows ?? 24,
	});
	rendered.push(view);
	return {source, view};
}

const lastLine = (view: Rendered) => view.frame().split('\n').at(-1);

/** Lone Esc is held back by ink's parser to tell it from an escape sequence. */
async function pressEscape(view: Rendered) {
	await view.press(keys.escape);
	await new Promise(resolve => {
		setTimeout(resolve, 40);
	});
	await settle();
}

describe('namespace completion', () => {
	test('n, then Tab completes from the cluster\'s namespaces', async () => {
		const {source, view} = start();
		await settle();
		await view.press('n', 'k', 'u', '\t');
		assert.equal(lastLine(view), 'namespace: kube-   kube-node-lease  kube-public  kube-system');
		await view.press('s', '\t');
		assert.equal(lastLine(view), 'namespace: kube-system');
		await view.press(keys.enter);
		assert.deepEqual(source.namespaceCalls, ['kube-system']);
	});

	test('when listing namespaces is forbidden, the namespaces of the Services shown still complete', async () => {
		const source = seededSource();
		source.namespaceList = new Error('namespaces is forbidden');
		const view = renderAt(<Dashboard source={source} clock={() => seedNow} />, {columns: 100, rows: 24});
		rendered.push(view);
		await settle();
		await view.press(':', 'n', 's', ' ', 't', '\t');
		assert.equal(lastLine(view), ':ns test');
	});
});

describe('an empty namespace', () => {
	// As a namespace switch ends: the snapshot is of that namespace, and it has no Services. Redraws
	// are batched per refresh interval, so the test waits one out.
	const showNamespace = async (source: ReturnType<typeof start>['source'], namespace: string) => {
		source.update({namespace, services: [], endpointSlices: []});
		await new Promise(resolve => {
			setTimeout(resolve, 300);
		});
		await settle();
	};

	test('a namespace the cluster does not list says so, with the way back', async () => {
		const {source, view} = start();
		await settle();
		await showNamespace(source, 'tset');
		assert.match(view.frame(), /No namespace "tset" in the cluster \(:ns all for every namespace\)\./);
	});

	test('a namespace the cluster lists, or one nobody could list, is only empty', async () => {
		const {source, view} = start();
		await settle();
		await showNamespace(source, 'test');
		assert.match(view.frame(), /No Services in namespace test\.$/m);
		const forbidden = seededSource();
		forbidden.namespaceList = new Error('namespaces is forbidden');
		const other = renderAt(<Dashboard source={forbidden} clock={() => seedNow} />, {columns: 100, rows: 24});
		rendered.push(other);
		await settle();
		await showNamespace(forbidden, 'tset');
		assert.match(other.frame(), /No Services in namespace tset\.$/m);
	});
});

describe(':svc and y', () => {
	test(':svc goes back to the list from any screen; : works on every screen', async () => {
		const {view} = start();
		await settle();
		await view.press('j', keys.enter);
		assert.match(view.frame(), /^default\/kubernetes {2}ClusterIP/m);
		await view.press('y');
		assert.match(view.frame(), /^YAML of default\/kubernetes$/m);
		await view.press(':', 's', 'v', 'c', keys.enter);
		assert.match(view.frame(), /^> +default +kubernetes /m);
		// The stack was left: q now quits instead of going back.
		await view.press('q');
		await view.exited;
	});

	test('y shows the Service\'s YAML as kubectl prints it, from the list and from the detail view', async () => {
		const {view} = start({rows: 40});
		await settle();
		await view.press('j', 'y');
		const frame = view.frame();
		assert.match(frame, /^YAML of default\/kubernetes$/m);
		assert.match(frame, /^apiVersion: v1$/m);
		assert.match(frame, /^kind: Service$/m);
		assert.match(frame, /^spec:$/m);
		assert.match(frame, /^ {2}ports:\n {2}- name: https\n {4}port: 443$/m);
		await pressEscape(view);
		await view.press(keys.enter, 'y');
		assert.match(view.frame(), /^YAML of default\/kubernetes$/m);
		await pressEscape(view);
		assert.match(view.frame(), /^default\/kubernetes {2}ClusterIP/m);
	});

	test('no key edits: e, E and Ctrl-E do nothing on the list', async () => {
		const {view} = start();
		await settle();
		const before = view.frame();
		await view.press('e', 'E', '\u0005');
		assert.equal(view.frame(), before);
	});
});

describe(':ctx', () => {
	const contexts = [
		{name: 'kind-myk8s', cluster: 'kind-myk8s', user: 'kind-myk8s', namespace: 'default'},
		{name: 'prod-eu', cluster: 'eu-1', user: 'admin', namespace: ''},
	];

	test(':ctx lists the contexts as kubectl config get-contexts does; Enter asks for the switch', async () => {
		const asked: string[] = [];
		const {view} = start({contextSwitch: {contexts, async switchTo(name) {
			asked.push(name);
		}}});
		await settle();
		await view.press(':', 'c', 't', 'x', keys.enter);
		const lines = view.frame().split('\n');
		assert.equal(lines[2], 'Contexts of the kubeconfig (2)');
		assert.equal(lines[3], '   CURRENT   NAME         CLUSTER      AUTHINFO     NAMESPACE');
		assert.equal(lines[4], '>  *         kind-myk8s   kind-myk8s   kind-myk8s   default');
		assert.equal(lines[5], '             prod-eu      eu-1         admin');
		await view.press('j', keys.enter);
		assert.deepEqual(asked, ['prod-eu']);
		assert.match(view.frame(), /^switching to context prod-eu…$/m);
	});

	test(':ctx NAME with Tab; a failed switch says why and keeps the screen', async () => {
		const {view} = start({contextSwitch: {contexts, async switchTo() {
			throw new Error('Get "https://eu-1:6443/version": connect ECONNREFUSED');
		}}});
		await settle();
		await view.press(':', 'c', '\t', 'p', '\t', keys.enter);
		await settle();
		assert.equal(lastLine(view), 'cannot switch to context prod-eu: Get "https://eu-1:6443/version": connect ECONNREFUSED');
		assert.match(view.frame(), /^svctop {2}context kind-myk8s/m);
		await view.press(':', ...'ctx nope', keys.enter);
		assert.equal(lastLine(view), 'no context "nope" in the kubeconfig (:ctx lists them)');
		// The next key clears the notice and still does its work.
		await view.press('j');
		assert.match(lastLine(view)!, /^\? help/);
		assert.match(view.frame(), /^> +default +kubernetes /m);
	});

	test('without a kubeconfig (the demo), :ctx NAME says there is nothing to switch', async () => {
		const {view} = start();
		await settle();
		await view.press(':', ...'ctx other', keys.enter);
		assert.equal(lastLine(view), 'no kubeconfig to switch contexts in');
	});
});
