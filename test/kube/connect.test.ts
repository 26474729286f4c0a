import {mkdtemp, rm} from 'node:fs/promises';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import {after, afterEach, before, describe, test} from 'node:test';
import {type ApiServer, type ApiServerOptions, startApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import {type ConnectedCluster, connectCluster, type ConnectOptions} from '../../source/kube/connect.js';
import {describeKubeError, KubeError} from '../../source/kube/errors.js';
import type {ClusterSnapshot} from '../../source/kube/types.js';
import {formatConnection} from '../../source/ui/format.js';
import {endpointSlice, node, pod, service} from '../builtin-cluster/apiserver/fixtures.js';

let directory: string;
let server: ApiServer | undefined;
let cluster: ConnectedCluster | undefined;

before(async () => {
	directory = await mkdtemp(path.join(tmpdir(), 'svtkube-'));
});

after(async () => {
	await rm(directory, {recursive: true, force: true});
});

afterEach(async () => {
	await cluster?.stop();
	cluster = undefined;
	await server?.close();
	server = undefined;
});

const fastBackoff = {initialMs: 5, maxMs: 40};

async function connect(objects: object[], options: Partial<ConnectOptions> = {}, prepare?: (api: ApiServer) => void, serverOptions: ApiServerOptions = {}): Promise<{api: ApiServer; source: ConnectedCluster}> {
	const api = await startApiServer({objects, ...serverOptions});
	server = api;
	prepare?.(api);
	const kubeconfig = await api.writeKubeconfig(path.join(directory, String(Math.random()).slice(2)));
	const source = await connectCluster({kubeconfig, backoff: fastBackoff, env: {}, ...options});
	cluster = source;
	await source.ready();
	return {api, source};
}

/** Resolves with the first snapshot that satisfies `predicate`, woken by the store's notifications. */
function until(source: ConnectedCluster, predicate: (snapshot: ClusterSnapshot) => boolean, what: string, timeoutMs = 5000): Promise<ClusterSnapshot> {
	return new Promise((resolve, reject) => {
		const check = (): boolean => {
			const snapshot = source.snapshot();
			if (predicate(snapshot)) {
				clearTimeout(timer);
				unsubscribe();
				resolve(snapshot);
				return true;
			}

			return false;
		};

		const timer = setTimeout(() => {
			unsubscribe();
			reject(new Error(`timed out waiting for ${what}; states ${JSON.stringify(source.snapshot().states)}`));
		}, timeoutMs);
		const unsubscribe = source.subscribe(() => {
			check();
		});
		check();
	});
}

const names = (items: readonly any[]): string[] => items.map(item => `${item.metadata.namespace ? `${item.metadata.namespace}/` : ''}${item.metadata.name}`);

/** What the server holds right now, as names, for comparing with the client's cache. */
async function servedNames(api: ApiServer, apiPath: string): Promise<string[]> {
	const response = await fetch(api.url + apiPath);
	const list = (await response.json()) as {items: any[]};
	return names(list.items);
}

const cluster0 = [
	node('control-plane', '192.168.56.10'),
	node('worker1', '192.168.56.11'),
	service('default', 'echo'),
	service('default', 'web'),
	service('shop', 'cart'),
	endpointSlice('default', 'echo', 'x7k2p', ['10.244.1.2', '10.244.2.3']),
	endpointSlice('shop', 'cart', 'q9w8e', ['10.244.1.9']),
];

describe('initial sync and live events', () => {
	test('lists services and slices in the context namespace and every node', async () => {
		const {source} = await connect(cluster0);
		const snapshot = source.snapshot();
		assert.equal(snapshot.context, 'svctop-demo');
		assert.equal(snapshot.namespace, 'default');
		assert.deepEqual(names(snapshot.services), ['default/echo', 'default/web']);
		assert.deepEqual(names(snapshot.endpointSlices), ['default/echo-x7k2p']);
		assert.deepEqual(names(snapshot.nodes), ['control-plane', 'worker1']);
		assert.deepEqual(Object.values(snapshot.states).map(state => state.phase), ['synced', 'synced', 'synced']);
		assert.ok(snapshot.lastUpdate !== undefined);
	});

	test('-A lists every namespace; the list is paged', async () => {
		const {api, source} = await connect(cluster0, {allNamespaces: true, pageSize: 1});
		const snapshot = source.snapshot();
		assert.equal(snapshot.namespace, undefined);
		assert.deepEqual(names(snapshot.services), ['default/echo', 'default/web', 'shop/cart']);
		assert.equal(api.counters().list.services, 3, 'three pages of one');
	});

	test('ADDED, MODIFIED and DELETED reach the snapshot; snapshots are cached per version', async () => {
		const {api, source} = await connect(cluster0, {allNamespaces: true});
		const first = source.snapshot();
		assert.equal(source.snapshot(), first, 'same version, same object');
		api.upsert(service('shop', 'new'));
		await until(source, s => names(s.services).includes('shop/new'), 'ADDED');
		api.upsert(service('shop', 'new', {version: '2'}));
		const modified = await until(source, s => (s.services.find(item => item.metadata?.name === 'new')?.metadata?.labels as any)?.version === '2', 'MODIFIED');
		assert.ok(modified.version > first.version);
		api.remove('Service', 'default', 'web');
		await until(source, s => !names(s.services).includes('default/web'), 'DELETED');
		assert.deepEqual(first.services.length, 3, 'an old snapshot is not changed by later events');
		api.upsert(endpointSlice('shop', 'new', 'aaaaa', ['10.244.3.3']));
		await until(source, s => names(s.endpointSlices).includes('shop/new-aaaaa'), 'slice ADDED');
	});

	test('a burst of 1,000 events bumps the version 1,000 times but notifies in coalesced batches', async () => {
		const {api, source} = await connect(cluster0, {allNamespaces: true});
		const before = source.snapshot().version;
		let notifications = 0;
		const unsubscribe = source.subscribe(() => {
			notifications++;
		});
		for (let index = 0; index < 1000; index++) {
			api.upsert(service('burst', `svc-${index}`));
		}

		const after = await until(source, s => s.services.length === 1003, '1,000 services');
		unsubscribe();
		assert.ok(after.version - before >= 1000, `version moved by ${after.version - before}`);
		assert.ok(notifications >= 1 && notifications < 200, `${notifications} notifications for 1,000 events`);
	});

	test('listPods fetches by selector, and a selectorless Service gets no pods', async () => {
		const {api, source} = await connect([...cluster0, pod('default', 'echo-1', {app: 'echo'}, '10.244.1.2'), pod('default', 'echo-2', {app: 'echo'}, '10.244.2.3'), pod('default', 'other', {app: 'other'}, '10.244.1.5')]);
		const pods = await source.listPods('default', {app: 'echo'});
		assert.deepEqual(names(pods), ['default/echo-1', 'default/echo-2']);
		assert.deepEqual(await source.listPods('default', {}), []);
		assert.equal(api.counters().list.pods, 1);
		assert.ok(api.requestLog().some(entry => entry.url === '/api/v1/namespaces/default/pods?labelSelector=app%3Decho'));
	});

	test('setNamespace restarts the namespaced informers and keeps nodes', async () => {
		const {api, source} = await connect(cluster0);
		source.setNamespace('shop');
		const shop = await until(source, s => s.namespace === 'shop' && s.states.services.phase === 'synced' && names(s.services).includes('shop/cart'), 'shop services');
		assert.deepEqual(names(shop.services), ['shop/cart']);
		assert.deepEqual(names(shop.nodes), ['control-plane', 'worker1']);
		assert.equal(api.counters().list.nodes, 1);
		source.setNamespace(undefined);
		await until(source, s => s.namespace === undefined && s.services.length === 3 && s.endpointSlices.length === 2, 'all namespaces');
	});
});

describe('failure modes', () => {
	test('a cut watch resumes from its resourceVersion without a relist and without losing events', async () => {
		const {api, source} = await connect(cluster0, {allNamespaces: true});
		await api.waitForWatches('services');
		api.cutWatches();
		// These happen while no watch is open; the resumed watch must replay them.
		api.upsert(service('shop', 'during-cut'));
		api.remove('Service', 'default', 'echo');
		api.upsert(service('default', 'web', {moved: 'yes'}));
		const snapshot = await until(source, s => names(s.services).includes('shop/during-cut') && !names(s.services).includes('default/echo') && s.states.services.phase === 'synced', 'resumed events');
		const counters = api.counters();
		assert.equal(counters.list.services, 1, 'no relist');
		assert.equal(counters.watch.services, 2, 'one new watch');
		assert.deepEqual(names(snapshot.services), await servedNames(api, '/api/v1/services'));
		assert.equal((snapshot.services.find(item => item.metadata?.name === 'web')?.metadata?.labels as any)?.moved, 'yes');
	});

	test('410 Expired on resume leads to a fresh list and a store equal to the server', async () => {
		const {api, source} = await connect(cluster0, {allNamespaces: true});
		await api.waitForWatches('services');
		api.cutWatches();
		api.upsert(service('shop', 'after-compaction'));
		api.remove('Service', 'shop', 'cart');
		api.compact();
		const snapshot = await until(source, s => names(s.services).includes('shop/after-compaction') && s.states.services.phase === 'synced', 'relisted state');
		assert.equal(api.counters().list.services, 2, 'relisted once');
		assert.deepEqual(names(snapshot.services), await servedNames(api, '/api/v1/services'));
		assert.ok(!names(snapshot.services).includes('shop/cart'), 'a delete missed during the gap is not kept');
		assert.deepEqual(names(snapshot.nodes), ['control-plane', 'worker1']);
	});

	test('bookmarks keep an idle watch resumable after history moved on', async () => {
		const {api, source} = await connect(cluster0, {allNamespaces: true}, undefined, {bookmarkIntervalMs: 10});
		await api.waitForWatches('services');
		// Only nodes change; the services watch sees nothing but bookmarks carrying the new resourceVersion.
		for (let index = 0; index < 5; index++) {
			api.upsert(node(`extra-${index}`, `192.168.56.${20 + index}`));
		}

		await new Promise(resolve => setTimeout(resolve, 100));
		api.compact();
		api.cutWatches();
		api.upsert(service('shop', 'after-bookmark'));
		await until(source, s => names(s.services).includes('shop/after-bookmark') && s.states.services.phase === 'synced', 'resumed after bookmark');
		assert.equal(api.counters().list.services, 1, 'resumed from the bookmark, no relist');
	});

	test('forbidden nodes degrade only nodes, with the RBAC message', async () => {
		const {source} = await connect(cluster0, {}, api => api.setForbidden('nodes', true));
		const snapshot = source.snapshot();
		assert.equal(snapshot.states.nodes.phase, 'forbidden');
		assert.equal(snapshot.states.nodes.message, 'nodes is forbidden: User "svctop-demo" cannot list resource "nodes" in API group "" at the cluster scope');
		assert.equal(snapshot.states.services.phase, 'synced');
		assert.deepEqual(names(snapshot.services), ['default/echo', 'default/web']);
		assert.deepEqual(snapshot.nodes, []);
	});

	test('forbidden endpointslices leave services and nodes working; access granted later recovers', async () => {
		const {api, source} = await connect(cluster0, {}, api => api.setForbidden('endpointslices', true));
		assert.equal(source.snapshot().states.endpointslices.phase, 'forbidden');
		assert.match(source.snapshot().states.endpointslices.message!, /^endpointslices\.discovery\.k8s\.io is forbidden: .* in the namespace "default"$/);
		assert.equal(source.snapshot().states.services.phase, 'synced');
		api.setForbidden('endpointslices', false);
		const recovered = await until(source, s => s.states.endpointslices.phase === 'synced', 'slices after RBAC fix');
		assert.deepEqual(names(recovered.endpointSlices), ['default/echo-x7k2p']);
	});

	test('services refused mid-session: forbidden, the rows kept and marked stale since the refusal', async () => {
		const {api, source} = await connect(cluster0, {watchTimeoutSeconds: 1, backoff: {initialMs: 50, maxMs: 100}});
		await api.waitForWatches('services');
		const before = Date.now();
		api.setForbidden('services', true);
		const refused = await until(source, s => s.states.services.phase === 'forbidden', 'services forbidden after the watch renewed');
		assert.ok(refused.states.services.staleSince !== undefined && refused.states.services.staleSince >= before, 'stale since the refusal');
		assert.deepEqual(names(refused.services), ['default/echo', 'default/web'], 'the last known rows stay');
		assert.match(formatConnection('services', refused.states.services, Date.now()), /^services forbidden, stale since \d{2}:\d{2}:\d{2}, retrying (in \d+s|now): services is forbidden/);
	});

	test('the API going away shows the data stale and retrying, with the cause', async () => {
		const {api, source} = await connect(cluster0);
		await api.waitForWatches('services');
		await api.close();
		server = undefined;
		const down = await until(source, s => s.states.services.phase === 'retrying' && /ECONNREFUSED/.test(s.states.services.message ?? ''), 'retrying with the cause');
		assert.match(down.states.services.message!, /^cannot reach the API server at http:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)$/);
		assert.ok(down.states.services.staleSince !== undefined, 'the data held is marked stale');
		assert.ok(down.states.services.retryAt !== undefined, 'the next attempt is scheduled');
		assert.deepEqual(names(down.services), ['default/echo', 'default/web'], 'the last known state stays');
	});

	test('a watch ended by the server at timeoutSeconds is renewed quietly, without a relist', async () => {
		const {api, source} = await connect(cluster0, {watchTimeoutSeconds: 1});
		await api.waitForWatches('services');
		const phases: string[] = [];
		const unsubscribe = source.subscribe(() => phases.push(source.snapshot().states.services.phase));
		await api.waitForRequests('watch', 'services', 2);
		await api.waitForWatches('services');
		api.upsert(service('default', 'renewed'));
		await until(source, s => names(s.services).includes('default/renewed'), 'event on the renewed watch');
		unsubscribe();
		assert.equal(api.counters().list.services, 1);
		assert.ok(phases.every(phase => phase === 'synced'), `phases seen: ${phases.join(',')}`);
	});
});

describe('connect errors are one line', () => {
	async function closedPort(): Promise<number> {
		const probe = createServer();
		await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
		const {port} = probe.address() as {port: number};
		await new Promise<void>(resolve => probe.close(() => resolve()));
		return port;
	}

	test('an unreachable server does not stop start-up: the informers retry, then report the cause', async () => {
		const api = await startApiServer({port: await closedPort()});
		const kubeconfig = await api.writeKubeconfig(path.join(directory, 'unreachable'));
		await api.close();
		cluster = await connectCluster({kubeconfig, env: {}, backoff: fastBackoff, settleAfterFailures: 2});
		await cluster.ready();
		const state = cluster.snapshot().states.services;
		assert.equal(state.phase, 'retrying');
		assert.equal(state.staleSince, undefined, 'nothing was ever listed, so nothing is stale: it is unknown');
		assert.equal(state.message, `cannot reach the API server at ${api.url}: connection refused (ECONNREFUSED)`);
	});

	test('an unknown namespace given with -n is an error; a forbidden check is not', async () => {
		const api = await startApiServer({objects: cluster0});
		server = api;
		const kubeconfig = await api.writeKubeconfig(path.join(directory, 'ns'));
		await assert.rejects(connectCluster({kubeconfig, namespace: 'nope', env: {}}), {message: 'namespaces "nope" not found'});
		api.setForbidden('namespaces', true);
		cluster = await connectCluster({kubeconfig, namespace: 'nope', env: {}});
		await cluster.ready();
		assert.equal(cluster.snapshot().namespace, 'nope');
		assert.equal(cluster.snapshot().states.services.phase, 'synced');
	});

	test('a plain-HTTP server works without insecure-skip-tls-verify, as with kubectl proxy', async () => {
		const api = await startApiServer({objects: cluster0});
		server = api;
		const kubeconfig = path.join(directory, 'http.yaml');
		const {writeFile} = await import('node:fs/promises');
		const yaml = api.kubeconfigYaml();
		assert.ok(!yaml.includes('insecure-skip-tls-verify'), 'the server hands out what kubectl proxy users have');
		await writeFile(kubeconfig, yaml);
		cluster = await connectCluster({kubeconfig, env: {}});
		await cluster.ready();
		assert.equal(cluster.snapshot().states.services.phase, 'synced');
		assert.deepEqual(names(cluster.snapshot().services), ['default/echo', 'default/web']);
	});

	test('a server that never answers is a timeout', async () => {
		const sockets = new Set<import('node:net').Socket>();
		const silent = createServer(socket => sockets.add(socket));
		await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
		const {port} = silent.address() as {port: number};
		const api = await startApiServer();
		const kubeconfig = path.join(directory, 'silent.yaml');
		const {writeFile} = await import('node:fs/promises');
		await writeFile(kubeconfig, api.kubeconfigYaml().replace(api.url, `http://127.0.0.1:${port}`));
		await api.close();
		try {
			cluster = await connectCluster({kubeconfig, env: {}, probeTimeoutMs: 200, requestTimeoutMs: 200, backoff: fastBackoff, settleAfterFailures: 2});
			await cluster.ready();
			assert.equal(cluster.snapshot().states.services.message, `the API server at http://127.0.0.1:${port} did not answer in time`);
			await cluster.stop();
			cluster = undefined;
		} finally {
			for (const socket of sockets) {
				socket.destroy();
			}

			silent.close();
		}
	});
});

describe('stop ends the one-shot requests too', () => {
	test('pods, events and namespaces asked of a server that never answers end with stop, and none is sent after it', async () => {
		const {api, source} = await connect([service('default', 'web', {app: 'web'})]);
		for (const resource of ['pods', 'events', 'namespaces'] as const) {
			api.setFault(resource, {kind: 'hang'});
		}

		const resources = ['pods', 'events', 'namespaces'] as const;
		const listed = () => resources.map(resource => api.counters().list[resource] ?? 0);
		const before = listed();
		const pending = [source.listPods!('default', {app: 'web'}), source.listEvents!('default', {kind: 'Service', name: 'web'}), source.listNamespaces!()];
		// The three requests reach the server, which holds them.
		await Promise.all(resources.map(async (resource, index) => api.waitForRequests('list', resource, before[index]! + 1)));
		const started = performance.now();
		await cluster!.stop();
		cluster = undefined;
		const outcomes = await Promise.allSettled(pending);
		assert.ok(performance.now() - started < 2000, `stop took ${Math.round(performance.now() - started)} ms`);
		assert.deepEqual(outcomes.map(outcome => outcome.status), ['rejected', 'rejected', 'rejected']);
		await assert.rejects(source.listNamespaces!(), 'a request after stop is not sent');
		// Give a retry, were there one, time to go out: none does.
		await new Promise(resolve => setTimeout(resolve, 300));
		assert.deepEqual(listed().map((count, index) => count - before[index]!), [1, 1, 1], 'each asked once: nothing retried or sent after stop');
	});
});
