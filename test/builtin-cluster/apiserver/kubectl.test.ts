import {execFile, execFileSync} from 'node:child_process';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {type ApiServer, startApiServer} from '../../../source/builtin-cluster/apiserver/index.js';
import {endpointSlice, node, service} from './fixtures.js';

function hasKubectl(): boolean {
	try {
		execFileSync('kubectl', ['version', '--client'], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
}

const kubectlMissing = hasKubectl() ? undefined : 'kubectl is not installed on this machine';

type Run = {code: number; stdout: string; stderr: string};

describe('the real kubectl against the fake API server', {skip: kubectlMissing}, () => {
	let server: ApiServer;
	let directory: string;
	let kubeconfig: string;

	function kubectl(...args: string[]): Promise<Run> {
		return new Promise(resolve => {
			execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(directory, 'cache'), ...args], {maxBuffer: 64 * 1024 * 1024}, (error, stdout, stderr) => {
				resolve({code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr});
			});
		});
	}

	async function json(...args: string[]): Promise<any> {
		const run = await kubectl(...args, '-o', 'json');
		assert.equal(run.code, 0, run.stderr);
		return JSON.parse(run.stdout);
	}

	async function served(apiPath: string): Promise<any> {
		const response = await fetch(server.url + apiPath);
		return response.json();
	}

	before(async () => {
		directory = await mkdtemp(path.join(tmpdir(), 'svtapi-'));
		server = await startApiServer({
			objects: [
				node('control-plane', '192.168.56.10'),
				node('worker1', '192.168.56.11'),
				service('default', 'echo', {app: 'echo'}),
				service('default', 'web', {app: 'web', tier: 'front'}),
				service('shop', 'cart', {app: 'cart', tier: 'back'}),
				service('shop', 'manual', {}, undefined),
				endpointSlice('default', 'echo', 'x7k2p', ['10.244.1.2', '10.244.2.3', '10.244.3.4']),
				endpointSlice('shop', 'cart', 'q9w8e', ['10.244.1.9']),
			],
		});
		kubeconfig = await server.writeKubeconfig(directory);
	});

	after(async () => {
		await server.close();
		await rm(directory, {recursive: true, force: true});
	});

	test('get svc -A -o json returns every served Service unchanged', async () => {
		const output = await json('get', 'svc', '-A');
		const list = await served('/api/v1/services');
		assert.equal(output.kind, 'List');
		assert.deepEqual(
			output.items.map((item: any) => `${item.metadata.namespace}/${item.metadata.name}`),
			['default/echo', 'default/web', 'shop/cart', 'shop/manual'],
		);
		assert.equal(output.items.length, list.items.length);
		for (const [index, item] of output.items.entries()) {
			// kubectl puts kind/apiVersion back on items; the rest must be exactly what we served.
			assert.equal(item.kind, 'Service');
			assert.equal(item.apiVersion, 'v1');
			assert.deepEqual({...item, kind: undefined, apiVersion: undefined}, {...list.items[index], kind: undefined, apiVersion: undefined});
		}
	});

	test('get endpointslices -A -o json returns the served slices', async () => {
		const output = await json('get', 'endpointslices', '-A');
		const list = await served('/apis/discovery.k8s.io/v1/endpointslices');
		assert.equal(output.items.length, 2);
		assert.equal(output.items[0].kind, 'EndpointSlice');
		assert.equal(output.items[0].apiVersion, 'discovery.k8s.io/v1');
		assert.deepEqual(
			output.items.map((item: any) => item.endpoints.flatMap((endpoint: any) => endpoint.addresses)),
			list.items.map((item: any) => item.endpoints.flatMap((endpoint: any) => endpoint.addresses)),
		);
		assert.deepEqual(output.items[1].metadata, list.items[1].metadata);
	});

	test('get svc -n NS NAME -o json is the object GET serves', async () => {
		const output = await json('get', 'svc', '-n', 'shop', 'cart');
		assert.deepEqual(output, await served('/api/v1/namespaces/shop/services/cart'));
		assert.equal(output.metadata.resourceVersion !== undefined && output.metadata.uid !== undefined, true);
	});

	test('label selectors reach the server and filter', async () => {
		const equality = await json('get', 'svc', '-A', '-l', 'app=web');
		assert.deepEqual(equality.items.map((item: any) => item.metadata.name), ['web']);
		const set = await json('get', 'svc', '-A', '-l', 'tier in (front,back),app!=web');
		assert.deepEqual(set.items.map((item: any) => item.metadata.name), ['cart']);
		const missing = await json('get', 'svc', '-A', '-l', '!tier');
		assert.deepEqual(missing.items.map((item: any) => item.metadata.name), ['echo', 'manual']);
	});

	test('the namespace from the context applies without -n', async () => {
		const output = await json('get', 'svc');
		assert.deepEqual(output.items.map((item: any) => item.metadata.name), ['echo', 'web']);
	});

	test('small chunks page through continue tokens without losing items', async () => {
		const output = await json('get', 'svc', '-A', '--chunk-size=1');
		assert.equal(output.items.length, 4);
		const lists = server.requestLog().filter(entry => entry.url.startsWith('/api/v1/services?'));
		assert.ok(lists.some(entry => entry.url.includes('continue=')), 'kubectl followed a continue token');
	});

	test('the table print works for services, slices, nodes and namespaces', async () => {
		const services = await kubectl('get', 'svc', '-A', '-o', 'wide');
		assert.equal(services.code, 0, services.stderr);
		const lines = services.stdout.trimEnd().split('\n');
		assert.match(lines[0], /^NAMESPACE\s+NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/);
		assert.match(lines[1], /^default\s+echo\s+ClusterIP\s+10\.96\.0\.10\s+<none>\s+80\/TCP\s+\S+\s+app=echo$/);
		assert.equal(lines.length, 5);
		for (const resource of ['endpointslices', 'nodes', 'namespaces', 'pods', 'endpoints']) {
			const run = await kubectl('get', resource, '-A');
			assert.equal(run.code, 0, `${resource}: ${run.stderr}`);
		}
	});

	test('discovery satisfies api-resources and version', async () => {
		const resources = await kubectl('api-resources', '--no-headers', '-o', 'name');
		assert.equal(resources.code, 0, resources.stderr);
		assert.deepEqual(resources.stdout.trim().split('\n').sort(), ['endpoints', 'endpointslices.discovery.k8s.io', 'events', 'namespaces', 'nodes', 'pods', 'services']);
		const version = await kubectl('version', '-o', 'json');
		assert.equal(JSON.parse(version.stdout).serverVersion.gitVersion, 'v1.32.0');
	});

	test('errors come back as Status objects kubectl can print', async () => {
		const missing = await kubectl('get', 'svc', '-n', 'shop', 'nope');
		assert.notEqual(missing.code, 0);
		assert.equal(missing.stderr.trim(), 'Error from server (NotFound): services "nope" not found');
		server.setForbidden('services', true);
		try {
			const denied = await kubectl('get', 'svc', '-A');
			assert.notEqual(denied.code, 0);
			assert.equal(denied.stderr.trim(), 'Error from server (Forbidden): services is forbidden: User "svctop-demo" cannot list resource "services" in API group "" at the cluster scope');
		} finally {
			server.setForbidden('services', false);
		}

		const unknown = await kubectl('get', 'deployments');
		assert.match(unknown.stderr, /the server doesn't have a resource type "deployments"/);
	});

	test('get -w streams a later change as a table row', async () => {
		const child = execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(directory, 'cache'), 'get', 'svc', '-n', 'shop', '-w', '--request-timeout=20s']);
		let output = '';
		child.stdout!.on('data', (chunk: string) => {
			output += chunk;
		});
		try {
			await server.waitForWatches('services');
			server.upsert(service('shop', 'late', {app: 'late'}));
			await new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error(`no row for "late" in: ${output}`)), 10_000);
				child.stdout!.on('data', () => {
					if (/\nlate\s+ClusterIP/.test(output)) {
						clearTimeout(timer);
						resolve();
					}
				});
			});
		} finally {
			child.kill();
			server.remove('Service', 'shop', 'late');
		}
	});
});
