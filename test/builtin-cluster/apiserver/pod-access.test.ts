import assert from 'node:assert/strict';
import {execFile, spawnSync} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {AuthorizationV1Api, CoreV1Api, KubeConfig, type V1Pod} from '@kubernetes/client-node';
import {type ApiServer, startApiServer} from '../../../source/builtin-cluster/apiserver/index.js';
import {podSecurityRejection} from '../../../source/builtin-cluster/apiserver/pod-security.js';
import {execInPod} from '../../../source/node/access/exec-in-pod.js';
import {kubeConfigFromYaml} from '../../../source/kube/kubeconfig.js';
import {node} from './fixtures.js';

function kubeConfigOf(server: ApiServer): KubeConfig {
	return kubeConfigFromYaml(server.kubeconfigYaml());
}

function pod(name: string, extra: Record<string, unknown> = {}): V1Pod {
	return {apiVersion: 'v1', kind: 'Pod', metadata: {name}, spec: {nodeName: 'worker1', containers: [{name: 'c', image: 'busybox'}], ...extra}} as V1Pod;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
	for (let attempt = 0; attempt < 200; attempt++) {
		// eslint-disable-next-line no-await-in-loop
		const value = await read();
		if (done(value)) {
			return value;
		}

		// eslint-disable-next-line no-await-in-loop
		await new Promise(resolve => setTimeout(resolve, 10));
	}

	throw new Error('condition not reached');
}

describe('pods create/delete, exec and access reviews', () => {
	let server: ApiServer;
	let api: CoreV1Api;
	let kc: KubeConfig;

	before(async () => {
		server = await startApiServer({exec: 'real', podStartMs: 20, objects: [node('worker1', '192.168.56.11')]});
		kc = kubeConfigOf(server);
		api = kc.makeApiClient(CoreV1Api);
	});

	after(async () => server.close());

	test('a pod with a node runs after a moment; a host-network pod gets the node IP', async () => {
		const created = await api.createNamespacedPod({namespace: 'default', body: pod('runs', {hostNetwork: true})});
		assert.equal(created.status?.phase, 'Pending');
		const running = await until(async () => api.readNamespacedPod({name: 'runs', namespace: 'default'}), each => each.status?.phase === 'Running');
		assert.equal(running.status?.podIP, '192.168.56.11');
		assert.equal(running.status?.containerStatuses?.[0]?.ready, true);
		await api.deleteNamespacedPod({name: 'runs', namespace: 'default'});
		await assert.rejects(api.readNamespacedPod({name: 'runs', namespace: 'default'}), (error: any) => error.code === 404);
	});

	test('activeDeadlineSeconds ends the pod', async () => {
		await api.createNamespacedPod({namespace: 'default', body: pod('short', {activeDeadlineSeconds: 1})});
		const ended = await until(async () => api.readNamespacedPod({name: 'short', namespace: 'default'}), each => each.status?.phase === 'Failed');
		assert.equal(ended.status?.reason, 'DeadlineExceeded');
		await api.deleteNamespacedPod({name: 'short', namespace: 'default'});
	});

	test('exec runs argv and reports output and exit code (v5 channels through client-node)', async () => {
		await api.createNamespacedPod({namespace: 'default', body: pod('shell')});
		await until(async () => api.readNamespacedPod({name: 'shell', namespace: 'default'}), each => each.status?.phase === 'Running');
		const target = {namespace: 'default', pod: 'shell', container: 'c'};
		const ok = await execInPod(kc, target, ['sh', '-c', 'echo out; echo err >&2'], {timeoutMs: 5000});
		assert.deepEqual([ok.stdout, ok.stderr, ok.code], ['out\n', 'err\n', 0]);
		const failing = await execInPod(kc, target, ['sh', '-c', 'exit 7'], {timeoutMs: 5000});
		assert.equal(failing.code, 7);
		const missing = await execInPod(kc, target, ['no-such-program-svctop'], {timeoutMs: 5000});
		assert.equal(missing.errorCode, 'ENOENT');
		// An argument is one argument: no shell ever sees it.
		const literal = await execInPod(kc, target, ['echo', '$(id); `id`'], {timeoutMs: 5000});
		assert.equal(literal.stdout, '$(id); `id`\n');
		const slow = await execInPod(kc, target, ['sleep', '30'], {timeoutMs: 300});
		assert.equal(slow.timedOut, true);
		await until(async () => server.openExecs(), count => count === 0);
		await api.deleteNamespacedPod({name: 'shell', namespace: 'default'});
	});

	test('exec into a missing pod or with exec denied fails with the reason', async () => {
		const gone = await execInPod(kc, {namespace: 'default', pod: 'nothere', container: 'c'}, ['true'], {timeoutMs: 5000});
		assert.match(gone.failure ?? '', /404/);
		await api.createNamespacedPod({namespace: 'default', body: pod('locked')});
		await until(async () => api.readNamespacedPod({name: 'locked', namespace: 'default'}), each => each.status?.phase === 'Running');
		server.denyAccess({verb: 'create', resource: 'pods', subresource: 'exec'});
		try {
			const denied = await execInPod(kc, {namespace: 'default', pod: 'locked', container: 'c'}, ['true'], {timeoutMs: 5000});
			assert.match(denied.failure ?? '', /forbidden \(403\)/);
		} finally {
			server.allowAllAccess();
		}

		await api.deleteNamespacedPod({name: 'locked', namespace: 'default'});
	});

	test('SelfSubjectAccessReview answers per verb, resource and subresource; the denial is enforced', async () => {
		const auth = kc.makeApiClient(AuthorizationV1Api);
		const ask = async (verb: string, resource: string, subresource?: string) => (await auth.createSelfSubjectAccessReview({body: {spec: {resourceAttributes: {namespace: 'kube-system', verb, resource, subresource}}}})).status?.allowed;
		assert.equal(await ask('create', 'pods'), true);
		server.denyAccess({verb: 'create', resource: 'pods', namespace: 'kube-system'});
		try {
			assert.equal(await ask('create', 'pods'), false);
			assert.equal(await ask('create', 'pods', 'exec'), true);
			assert.equal(await ask('delete', 'pods'), true);
			await assert.rejects(api.createNamespacedPod({namespace: 'kube-system', body: pod('nope')}), (error: any) => error.code === 403 && /cannot create resource "pods"/.test(JSON.parse(error.body).message));
			assert.equal(server.count('pods'), 0);
		} finally {
			server.allowAllAccess();
		}
	});

	test('Pod Security Admission rejects a host-network pod as kube-apiserver words it', async () => {
		server.setPodSecurity('default', 'baseline');
		try {
			const body = pod('hostnet', {hostNetwork: true, containers: [{name: 'debug', image: 'x', securityContext: {capabilities: {add: ['NET_ADMIN', 'NET_RAW']}}}]});
			await assert.rejects(api.createNamespacedPod({namespace: 'default', body}), (error: any) => error.code === 403
				&& JSON.parse(error.body).message === 'pods "hostnet" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), non-default capabilities (container "debug" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add)');
			// The same pod without host network and capabilities is admitted.
			await api.createNamespacedPod({namespace: 'default', body: pod('plain')});
			await api.deleteNamespacedPod({name: 'plain', namespace: 'default'});
		} finally {
			server.setPodSecurity('default', undefined);
		}
	});

	test('a pod whose image does not pull stays Pending in ImagePullBackOff', async () => {
		server.failImagePull('nosuch/image:1');
		await api.createNamespacedPod({namespace: 'default', body: pod('nopull', {containers: [{name: 'c', image: 'nosuch/image:1'}]})});
		const stuck = await until(async () => api.readNamespacedPod({name: 'nopull', namespace: 'default'}), each => each.status?.containerStatuses !== undefined);
		assert.equal(stuck.status?.phase, 'Pending');
		assert.equal(stuck.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'ImagePullBackOff');
		await api.deleteNamespacedPod({name: 'nopull', namespace: 'default'});
	});

	test('a server not asked to run commands refuses exec', async () => {
		const quiet = await startApiServer({podStartMs: 0, objects: [node('worker1', '192.168.56.11')]});
		try {
			const quietKc = kubeConfigOf(quiet);
			const quietApi = quietKc.makeApiClient(CoreV1Api);
			await quietApi.createNamespacedPod({namespace: 'default', body: pod('p')});
			await until(async () => quietApi.readNamespacedPod({name: 'p', namespace: 'default'}), each => each.status?.phase === 'Running');
			const result = await execInPod(quietKc, {namespace: 'default', pod: 'p', container: 'c'}, ['id'], {timeoutMs: 5000});
			assert.equal(result.code, null);
			assert.equal(result.stdout, '');
		} finally {
			await quiet.close();
		}
	});
});

test('pod security levels: restricted refuses what baseline allows, privileged admits everything', () => {
	const spec = {containers: [{name: 'c', securityContext: {capabilities: {add: ['CHOWN']}}}]};
	assert.equal(podSecurityRejection('p', spec, 'baseline'), undefined);
	assert.match(podSecurityRejection('p', spec, 'restricted') ?? '', /"restricted:latest".*"CHOWN"/);
	assert.equal(podSecurityRejection('p', {hostNetwork: true, containers: [{name: 'c', securityContext: {privileged: true}}]}, 'privileged'), undefined);
	assert.match(podSecurityRejection('p', {hostPID: true, containers: [{name: 'c', securityContext: {privileged: true}}]}, 'baseline') ?? '', /host namespaces \(hostPID=true\), privileged \(container "c" must not set securityContext.privileged=true\)/);
});

const kubectlMissing = spawnSync('kubectl', ['version', '--client'], {stdio: 'ignore'}).status === 0 ? undefined : 'kubectl is not installed on this machine';

describe('the real kubectl: run, exec, auth can-i, delete', {skip: kubectlMissing}, () => {
	let server: ApiServer;
	let directory: string;
	let kubeconfig: string;
	const kubectl = async (...args: string[]) => new Promise<{code: number; stdout: string; stderr: string}>(resolve => {
		const child = execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(directory, 'cache'), ...args], (error, stdout, stderr) => {
			resolve({code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr});
		});
		child.stdin?.end(args.includes('-i') ? 'through stdin\n' : '');
	});

	before(async () => {
		directory = await mkdtemp(path.join(tmpdir(), 'svtpod-'));
		server = await startApiServer({exec: 'real', podStartMs: 20, objects: [node('worker1', '192.168.56.11')]});
		kubeconfig = await server.writeKubeconfig(directory);
	});

	after(async () => {
		await server.close();
		await rm(directory, {recursive: true, force: true});
	});

	test('kubectl run, get, exec (exit code and stdin), delete', async () => {
		const run = await kubectl('run', 'box', '--image=busybox', '--restart=Never', '--overrides={"spec":{"nodeName":"worker1"}}');
		assert.equal(run.code, 0, run.stderr);
		await until(async () => (await kubectl('get', 'pod', 'box', '-o', 'jsonpath={.status.phase}')).stdout, phase => phase === 'Running');
		const exec = await kubectl('exec', 'box', '--', 'sh', '-c', 'echo hello; exit 3');
		assert.equal(exec.stdout, 'hello\n');
		assert.equal(exec.code, 3);
		assert.match(exec.stderr, /command terminated with exit code 3/);
		const piped = await kubectl('exec', '-i', 'box', '--', 'cat');
		assert.equal(piped.stdout, 'through stdin\n', piped.stderr);
		const deleted = await kubectl('delete', 'pod', 'box');
		assert.equal(deleted.code, 0, deleted.stderr);
		assert.equal(server.count('pods'), 0);
	});

	test('kubectl auth can-i follows the denial switch (protobuf review)', async () => {
		assert.equal((await kubectl('auth', 'can-i', 'create', 'pods', '--subresource=exec', '-n', 'kube-system')).stdout.trim(), 'yes');
		server.denyAccess({verb: 'create', resource: 'pods', subresource: 'exec'});
		try {
			const answer = await kubectl('auth', 'can-i', 'create', 'pods', '--subresource=exec', '-n', 'kube-system');
			assert.equal(answer.stdout.trim(), 'no');
			assert.equal(answer.code, 1);
			assert.equal((await kubectl('auth', 'can-i', 'create', 'pods', '-n', 'kube-system')).stdout.trim(), 'yes');
		} finally {
			server.allowAllAccess();
		}
	});

	test('kubectl create -f of a host-network pod in a baseline namespace prints the PodSecurity rejection', async () => {
		server.setPodSecurity('default', 'baseline');
		try {
			const manifest = path.join(directory, 'pod.json');
			await writeFile(manifest, JSON.stringify(pod('hn', {hostNetwork: true})));
			const created = await kubectl('create', '--validate=false', '-f', manifest);
			assert.equal(created.code, 1);
			assert.match(created.stderr, /Error from server \(Forbidden\).*violates PodSecurity "baseline:latest": host namespaces \(hostNetwork=true\)/);
		} finally {
			server.setPodSecurity('default', undefined);
		}
	});
});
