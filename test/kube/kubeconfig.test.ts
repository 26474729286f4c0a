import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {KubeError} from '../../source/kube/errors.js';
import {resolveKubeConfig} from '../../source/kube/kubeconfig.js';

let directory: string;

before(async () => {
	directory = await mkdtemp(path.join(tmpdir(), 'svtkcfg-'));
});

after(async () => {
	await rm(directory, {recursive: true, force: true});
});

type Entry = {context: string; cluster?: string; server?: string; namespace?: string};

/** A kubeconfig with one cluster/user per context; `current` may be left empty. */
function kubeconfig(entries: Entry[], current: string): string {
	const lines = ['apiVersion: v1', 'kind: Config', 'clusters:'];
	for (const entry of entries) {
		lines.push(`- name: ${entry.cluster ?? entry.context}`, '  cluster:', `    server: ${entry.server ?? `https://${entry.context}.example:6443`}`);
	}

	lines.push('users:');
	for (const entry of entries) {
		lines.push(`- name: ${entry.context}-user`, '  user:', '    token: t');
	}

	lines.push('contexts:');
	for (const entry of entries) {
		lines.push(`- name: ${entry.context}`, '  context:', `    cluster: ${entry.cluster ?? entry.context}`, `    user: ${entry.context}-user`);
		if (entry.namespace !== undefined) {
			lines.push(`    namespace: ${entry.namespace}`);
		}
	}

	lines.push(`current-context: "${current}"`, '');
	return lines.join('\n');
}

async function file(name: string, content: string): Promise<string> {
	const target = path.join(directory, name);
	await mkdir(path.dirname(target), {recursive: true});
	await writeFile(target, content);
	return target;
}

function kubeError(kind: KubeError['kind'], message: string | RegExp) {
	return (error: unknown): boolean => {
		assert.ok(error instanceof KubeError, String(error));
		assert.equal(error.kind, kind);
		if (typeof message === 'string') {
			assert.equal(error.message, message);
		} else {
			assert.match(error.message, message);
		}

		return true;
	};
}

describe('which kubeconfig', () => {
	test('--kubeconfig wins over KUBECONFIG and ~/.kube/config', async () => {
		const flag = await file('flag.yaml', kubeconfig([{context: 'flag'}], 'flag'));
		const fromEnv = await file('env.yaml', kubeconfig([{context: 'env'}], 'env'));
		await file('home/.kube/config', kubeconfig([{context: 'home'}], 'home'));
		const resolved = resolveKubeConfig({kubeconfig: flag, env: {KUBECONFIG: fromEnv, HOME: path.join(directory, 'home')}});
		assert.equal(resolved.context, 'flag');
		assert.equal(resolved.server, 'https://flag.example:6443');
		assert.equal(resolved.origin, flag);
	});

	test('KUBECONFIG wins over ~/.kube/config', async () => {
		const fromEnv = await file('env2.yaml', kubeconfig([{context: 'env'}], 'env'));
		await file('home/.kube/config', kubeconfig([{context: 'home'}], 'home'));
		assert.equal(resolveKubeConfig({env: {KUBECONFIG: fromEnv, HOME: path.join(directory, 'home')}}).context, 'env');
	});

	test('~/.kube/config when nothing else is set', async () => {
		await file('home/.kube/config', kubeconfig([{context: 'home', namespace: 'shop'}], 'home'));
		const resolved = resolveKubeConfig({env: {HOME: path.join(directory, 'home')}});
		assert.deepEqual([resolved.context, resolved.namespace, resolved.namespaceFromFlag], ['home', 'shop', false]);
	});

	test('KUBECONFIG lists merge: first file wins for names and for current-context; missing files are skipped', async () => {
		const first = await file('merge/a.yaml', kubeconfig([{context: 'shared', server: 'https://first:6443'}, {context: 'only-a'}], ''));
		const second = await file('merge/b.yaml', kubeconfig([{context: 'shared', server: 'https://second:6443'}, {context: 'only-b'}], 'only-b'));
		const third = await file('merge/c.yaml', kubeconfig([{context: 'only-c'}], 'only-c'));
		const env = {KUBECONFIG: [first, path.join(directory, 'missing.yaml'), second, third].join(path.delimiter), HOME: directory};
		const resolved = resolveKubeConfig({env});
		assert.equal(resolved.context, 'only-b', 'the first non-empty current-context');
		assert.equal(resolveKubeConfig({env, context: 'shared'}).server, 'https://first:6443');
		assert.equal(resolveKubeConfig({env, context: 'only-c'}).server, 'https://only-c.example:6443');
	});

	test('in-cluster credentials when there is no kubeconfig', async () => {
		const serviceAccount = path.join(directory, 'sa');
		await file('sa/token', 'token');
		await file('sa/namespace', 'monitoring\n');
		const resolved = resolveKubeConfig({env: {HOME: path.join(directory, 'nohome'), KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443'}, serviceAccountDirectory: serviceAccount});
		assert.equal(resolved.server, 'https://10.96.0.1:443');
		assert.equal(resolved.namespace, 'monitoring');
		assert.equal(resolved.origin, 'in-cluster');
	});

	test('no kubeconfig anywhere is one clear error', () => {
		assert.throws(
			() => resolveKubeConfig({env: {HOME: path.join(directory, 'nohome')}, serviceAccountDirectory: path.join(directory, 'nosa')}),
			kubeError('no-kubeconfig', `no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ${path.join(directory, 'nohome', '.kube', 'config')}`),
		);
		assert.throws(() => resolveKubeConfig({kubeconfig: path.join(directory, 'absent.yaml'), env: {}}), kubeError('no-kubeconfig', `kubeconfig ${path.join(directory, 'absent.yaml')} does not exist`));
		assert.throws(() => resolveKubeConfig({env: {KUBECONFIG: path.join(directory, 'absent.yaml')}}), kubeError('no-kubeconfig', /^no kubeconfig found: none of the files in KUBECONFIG exist/));
	});

	test('an unparsable kubeconfig names the file', async () => {
		const broken = await file('broken.yaml', 'clusters: [\n');
		assert.throws(() => resolveKubeConfig({kubeconfig: broken, env: {}}), kubeError('invalid-kubeconfig', new RegExp(`^invalid kubeconfig ${broken}: `)));
	});
});

describe('context and namespace', () => {
	test('--context picks another context; an unknown one is an error', async () => {
		const config = await file('two.yaml', kubeconfig([{context: 'prod', namespace: 'web'}, {context: 'dev'}], 'prod'));
		assert.equal(resolveKubeConfig({kubeconfig: config, context: 'dev', env: {}}).server, 'https://dev.example:6443');
		assert.throws(() => resolveKubeConfig({kubeconfig: config, context: 'staging', env: {}}), kubeError('unknown-context', `context "staging" does not exist in ${config}`));
	});

	test('no current-context and no --context is an error listing the contexts', async () => {
		const config = await file('nocurrent.yaml', kubeconfig([{context: 'a'}, {context: 'b'}], ''));
		assert.throws(() => resolveKubeConfig({kubeconfig: config, env: {}}), kubeError('unknown-context', `no current context in ${config}: pass --context (contexts: a, b)`));
	});

	const cases: Array<{name: string; flag?: string; all?: boolean; contextNamespace?: string; expected: string | undefined; fromFlag: boolean}> = [
		{name: '-n wins over the context', flag: 'kube-system', contextNamespace: 'web', expected: 'kube-system', fromFlag: true},
		{name: 'the context namespace without -n', contextNamespace: 'web', expected: 'web', fromFlag: false},
		{name: 'default without either', expected: 'default', fromFlag: false},
		{name: '-A means every namespace', all: true, contextNamespace: 'web', expected: undefined, fromFlag: false},
		{name: '-A wins over -n, as in kubectl', all: true, flag: 'x', expected: undefined, fromFlag: false},
	];
	for (const entry of cases) {
		test(entry.name, async () => {
			const config = await file(`ns-${entry.name.replaceAll(/\W/g, '')}.yaml`, kubeconfig([{context: 'c', namespace: entry.contextNamespace}], 'c'));
			const resolved = resolveKubeConfig({kubeconfig: config, namespace: entry.flag, allNamespaces: entry.all, env: {}});
			assert.equal(resolved.namespace, entry.expected);
			assert.equal(resolved.namespaceFromFlag, entry.fromFlag);
		});
	}

	test('the resolved KubeConfig is set to the chosen context', async () => {
		const config = await file('switch.yaml', kubeconfig([{context: 'prod'}, {context: 'dev'}], 'prod'));
		const resolved = resolveKubeConfig({kubeconfig: config, context: 'dev', env: {}});
		assert.equal(resolved.kubeConfig.getCurrentContext(), 'dev');
		assert.equal(resolved.kubeConfig.getCurrentCluster()?.server, 'https://dev.example:6443');
	});
});

test('an unknown context of the demo cluster\'s kubeconfig names that kubeconfig', async () => {
	const {KubeConfig} = await import('@kubernetes/client-node');
	const config = new KubeConfig();
	config.loadFromOptions({clusters: [{name: 'c', server: 'https://127.0.0.1:1'}], users: [{name: 'u'}], contexts: [{name: 'kind-demo', cluster: 'c', user: 'u'}], currentContext: 'kind-demo'});
	assert.throws(() => resolveKubeConfig({kubeConfigObject: config, context: 'foo'}), {message: 'context "foo" does not exist in the demo cluster\'s kubeconfig'});
	assert.equal(resolveKubeConfig({kubeConfigObject: config}).context, 'kind-demo');
});
