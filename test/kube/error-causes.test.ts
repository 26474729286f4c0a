import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {chmod, readFile, writeFile} from 'node:fs/promises';
import {createServer} from 'node:https';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, test} from 'node:test';
import {startApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import {connectCluster} from '../../source/kube/connect.js';
import {describeKubeError, KubeError, statusError} from '../../source/kube/errors.js';
import {KubeHttp} from '../../source/kube/http.js';
import {resolveKubeConfig} from '../../source/kube/kubeconfig.js';
import {service} from '../builtin-cluster/apiserver/fixtures.js';
import {apiLab} from '../helpers/api-lab.js';

/* Issue 12, "right cause in errors" and "auth plugins": each failure says what failed, not "cannot reach". */

const lab = apiLab('svtcause-');

/** The server's kubeconfig with its token user replaced by an exec plugin running `script`. */
async function execKubeconfig(name: string, script: string): Promise<string> {
	lab.api = await startApiServer({objects: [service('default', 'echo')]});
	const plugin = path.join(lab.directory, `${name}.sh`);
	await writeFile(plugin, `#!/bin/sh\n${script}\n`);
	await chmod(plugin, 0o755);
	const yaml = lab.api.kubeconfigYaml().replace('    token: svctop-demo-token\n', [
		'    exec:',
		'      apiVersion: client.authentication.k8s.io/v1',
		`      command: ${JSON.stringify(plugin)}`,
		'      interactiveMode: Never',
		'',
	].join('\n'));
	const file = path.join(lab.directory, `${name}.yaml`);
	await writeFile(file, yaml);
	return file;
}

describe('exec credential plugins', () => {
	test('a plugin that never exits is bounded and named, not a hang', async () => {
		const kubeconfig = await execKubeconfig('hangs', 'exec sleep 1000');
		const started = Date.now();
		await assert.rejects(connectCluster({kubeconfig, env: {}, execTimeoutMs: 1000, probeTimeoutMs: 5000}), (error: unknown) => {
			assert.ok(error instanceof KubeError);
			assert.equal(error.kind, 'auth-plugin');
			assert.match(error.message, /^the exec credential plugin ".*hangs\.sh" was killed after 1s without answering/);
			return true;
		});
		assert.ok(Date.now() - started < 4000, `gave up after ${Date.now() - started} ms`);
		assert.equal(lab.api!.counters().list.services, 0, 'no request went out without credentials');
	});

	test('a failing plugin is a plugin failure with its stderr, not "cannot reach"', async () => {
		const kubeconfig = await execKubeconfig('fails', 'echo "error: token expired, run: login --sso" >&2; exit 1');
		await assert.rejects(connectCluster({kubeconfig, env: {}}), (error: unknown) => {
			assert.ok(error instanceof KubeError);
			assert.match(describeKubeError(error), /^the exec credential plugin ".*fails\.sh" failed: error: token expired, run: login --sso$/);
			assert.doesNotMatch(error.message, /cannot reach/);
			return true;
		});
	});

	test('a plugin that exits at once with an error and no words failed; it was not killed', async () => {
		const kubeconfig = await execKubeconfig('silent', 'exit 1');
		await assert.rejects(connectCluster({kubeconfig, env: {}}), (error: unknown) => {
			assert.ok(error instanceof KubeError);
			assert.equal(error.kind, 'auth-plugin');
			assert.match(error.message, /^the exec credential plugin ".*silent\.sh" failed without printing why/);
			return true;
		});
	});

	test('a working plugin still works', async () => {
		const kubeconfig = await execKubeconfig('works', 'echo \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}\'');
		lab.cluster = await connectCluster({kubeconfig, env: {}});
		await lab.cluster.ready();
		assert.equal(lab.cluster.snapshot().states.services.phase, 'synced');
	});
});

function hasOpenssl(): boolean {
	try {
		execFileSync('openssl', ['version'], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
}

describe('a wrong CA names the CA and the server', {skip: hasOpenssl() ? undefined : 'openssl is not installed on this machine'}, () => {
	test('certificate-authority that did not sign the server certificate', async () => {
		const tls = path.join(lab.directory, 'tls');
		const run = (...args: string[]) => execFileSync('openssl', args, {cwd: lab.directory, stdio: 'ignore'});
		execFileSync('mkdir', ['-p', tls]);
		for (const name of ['ca', 'other-ca']) {
			run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `tls/${name}.key`, '-out', `tls/${name}.crt`, '-days', '1', '-subj', `/CN=${name}`);
		}

		run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tls/server.key', '-out', 'tls/server.csr', '-subj', '/CN=127.0.0.1');
		await writeFile(path.join(tls, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
		run('x509', '-req', '-in', 'tls/server.csr', '-CA', 'tls/ca.crt', '-CAkey', 'tls/ca.key', '-CAcreateserial', '-out', 'tls/server.crt', '-days', '1', '-extfile', 'tls/san.ext');
		const server = createServer({key: await readFile(path.join(tls, 'server.key')), cert: await readFile(path.join(tls, 'server.crt'))}, (_request, response) => {
			response.end('{}');
		});
		await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
		const url = `https://127.0.0.1:${(server.address() as {port: number}).port}`;
		const kubeconfigFor = async (ca: string): Promise<string> => {
			const file = path.join(tls, `${path.basename(ca)}.yaml`);
			await writeFile(file, `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${url}\n    certificate-authority: ${ca}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n`);
			return file;
		};

		try {
			const wrong = new KubeHttp(resolveKubeConfig({kubeconfig: await kubeconfigFor(path.join(tls, 'other-ca.crt')), env: {}}).kubeConfig);
			await assert.rejects(wrong.getJson('/version'), (error: unknown) => {
				assert.ok(error instanceof KubeError);
				assert.equal(error.kind, 'tls');
				assert.equal(error.message, `TLS: the certificate of ${url} is not signed by the CA in ${path.join(tls, 'other-ca.crt')} (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`);
				return true;
			});
			const right = new KubeHttp(resolveKubeConfig({kubeconfig: await kubeconfigFor(path.join(tls, 'ca.crt')), env: {}}).kubeConfig);
			assert.deepEqual(await right.getJson('/version'), {}, 'the right CA verifies the same server');
		} finally {
			server.closeAllConnections();
			server.close();
		}
	});
});

describe('what the server answered is the cause', () => {
	test('a garbled body says the server answered garbage, not "cannot reach"', async () => {
		lab.api = await startApiServer({objects: [service('default', 'echo')]});
		lab.api.setFault('services', {kind: 'garbled'});
		const http = new KubeHttp(resolveKubeConfig({kubeconfig: await lab.api.writeKubeconfig(path.join(lab.directory, 'garbled')), env: {}}).kubeConfig);
		await assert.rejects(http.getJson('/api/v1/namespaces/default/services'), (error: unknown) => {
			assert.ok(error instanceof KubeError);
			assert.equal(error.kind, 'garbage');
			assert.match(error.message, /^the API server at http:\/\/127\.0\.0\.1:\d+ answered with something that is not JSON \(application\/json, \d+ bytes: "<html><body>502 Bad Gateway/);
			return true;
		});
	});

	test('a 403 without a Status names the user, verb and resource', () => {
		const error = statusError(403, 'Forbidden\n', 'https://k:6443', {verb: 'list', resource: 'endpointslices.discovery.k8s.io', user: 'dev'});
		assert.equal(error.message, 'endpointslices.discovery.k8s.io is forbidden: User "dev" cannot list endpointslices.discovery.k8s.io (403 from https://k:6443)');
	});

	test('describe a/b/c says the name is malformed, in one line, without asking the API', {timeout: 30_000}, async () => {
		lab.api = await startApiServer({objects: [service('default', 'echo')]});
		const kubeconfig = await lab.api.writeKubeconfig(path.join(lab.directory, 'malformed'));
		const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
		const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'source/cli.tsx'), 'describe', 'a/b/c', '--kubeconfig', kubeconfig], {cwd: root, env: {...process.env, NO_COLOR: '1'}});
		let stderr = '';
		child.stderr.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		const code = await new Promise<number | null>(resolve => child.on('close', resolve));
		assert.equal(stderr, 'svctop: expected NAMESPACE/NAME or NAME, got "a/b/c"\n');
		assert.equal(code, 2);
		assert.equal(lab.api.requestLog().length, 0, 'no request for namespace "a"');
	});
});
