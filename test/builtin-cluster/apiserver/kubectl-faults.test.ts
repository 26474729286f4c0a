import {execFile, execFileSync} from 'node:child_process';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {type ApiServer, startApiServer} from '../../../source/builtin-cluster/apiserver/index.js';
import {service} from './fixtures.js';

function hasKubectl(): boolean {
	try {
		execFileSync('kubectl', ['version', '--client'], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
}

/*
 * The fault switches answer the way kube-apiserver does: the real kubectl reads their Status
 * objects (reason and message), and honours a 429's Retry-After by retrying on its own.
 */
describe('the real kubectl reads the fault switches\' answers as API Status objects', {skip: hasKubectl() ? undefined : 'kubectl is not installed on this machine'}, () => {
	let server: ApiServer;
	let directory: string;
	let kubeconfig: string;

	async function kubectl(...args: string[]): Promise<{code: number; output: string}> {
		return new Promise(resolve => {
			execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(directory, 'cache'), ...args], {timeout: 30_000}, (error, stdout, stderr) => {
				resolve({code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: (stdout + stderr).trim()});
			});
		});
	}

	before(async () => {
		directory = await mkdtemp(path.join(tmpdir(), 'svtkfault-'));
		server = await startApiServer({objects: [service('default', 'echo')], user: 'dev'});
		// No insecure-skip-tls-verify: a plain-http kubeconfig, as kubectl proxy users have.
		kubeconfig = await server.writeKubeconfig(directory);
	});

	after(async () => {
		await server.close();
		await rm(directory, {recursive: true, force: true});
	});

	test('500 and 503 carry their reason', async () => {
		server.setFault('services', {kind: 'status', code: 500});
		assert.deepEqual(await kubectl('get', 'svc'), {code: 1, output: 'Error from server (InternalError): Internal error occurred: injected fault'});
		server.setFault('services', {kind: 'status', code: 503});
		assert.deepEqual(await kubectl('get', 'svc'), {code: 1, output: 'Error from server (ServiceUnavailable): the server is currently unable to handle the request'});
		server.setFault('services', undefined);
	});

	test('429 with Retry-After: kubectl waits and retries, then succeeds', async () => {
		server.setFault('services', {kind: 'status', code: 429, retryAfterSeconds: 1}, {times: 2});
		const started = Date.now();
		const run = await kubectl('get', 'svc', '-o', 'name');
		assert.deepEqual(run, {code: 0, output: 'service/echo'});
		assert.ok(Date.now() - started >= 2000, `kubectl waited ${Date.now() - started} ms for two Retry-After: 1`);
	});

	test('a watch answered HTTP 410 is an Expired Status', async () => {
		server.setFault('services', {kind: 'watch-410'});
		assert.deepEqual(await kubectl('get', 'svc', '--watch-only', '--request-timeout=5s'), {code: 1, output: 'Error from server (Expired): too old resource version: 1 (2)'});
		server.setFault('services', undefined);
	});
});
