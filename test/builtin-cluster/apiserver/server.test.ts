import assert from 'node:assert/strict';
import {afterEach, describe, test} from 'node:test';
import {type ApiServer, type ApiServerOptions, startApiServer} from '../../../source/builtin-cluster/apiserver/index.js';
import {endpointSlice, node, service} from './fixtures.js';
import {openWatch} from './watch-stream.js';

let server: ApiServer | undefined;

async function start(options: ApiServerOptions = {}): Promise<ApiServer> {
	server = await startApiServer(options);
	return server;
}

async function get(apiPath: string, headers: Record<string, string> = {}): Promise<{status: number; body: any; type: string | null}> {
	const response = await fetch(server!.url + apiPath, {headers});
	const text = await response.text();
	let body: unknown = text;
	try {
		body = JSON.parse(text);
	} catch {}

	return {status: response.status, body, type: response.headers.get('content-type')};
}

afterEach(async () => {
	await server?.close();
	server = undefined;
});

describe('list and get', () => {
	test('a list has kind FooList, the current resourceVersion, and items without kind/apiVersion', async () => {
		const api = await start({objects: [service('default', 'a'), service('shop', 'b')]});
		const {status, body} = await get('/api/v1/services');
		assert.equal(status, 200);
		assert.equal(body.kind, 'ServiceList');
		assert.equal(body.apiVersion, 'v1');
		assert.equal(body.metadata.resourceVersion, String(api.resourceVersion()));
		assert.deepEqual(body.items.map((item: any) => [item.kind, item.apiVersion, item.metadata.namespace, item.metadata.name]), [
			[undefined, undefined, 'default', 'a'],
			[undefined, undefined, 'shop', 'b'],
		]);
	});

	test('upsert fills uid, resourceVersion, creationTimestamp and keeps uid and creation time on update', async () => {
		const api = await start({now: () => new Date('2024-05-01T10:00:00.123Z')});
		const created = api.upsert(service('default', 'a')) as any;
		assert.match(created.metadata.uid, /^[0-9a-f-]{36}$/);
		assert.equal(created.metadata.creationTimestamp, '2024-05-01T10:00:00Z');
		assert.equal(created.metadata.resourceVersion, String(api.resourceVersion()));
		const updated = api.upsert(service('default', 'a', {changed: 'yes'})) as any;
		assert.equal(updated.metadata.uid, created.metadata.uid);
		assert.equal(Number(updated.metadata.resourceVersion), Number(created.metadata.resourceVersion) + 1);
		const {body} = await get('/api/v1/namespaces/default/services/a');
		assert.equal(body.kind, 'Service');
		assert.deepEqual(body.metadata.labels, {changed: 'yes'});
	});

	test('namespaced and cluster-wide paths, cluster-scoped nodes and the discovery group', async () => {
		await start({objects: [service('default', 'a'), service('shop', 'b'), node('worker1', '10.0.0.1'), endpointSlice('shop', 'b', 'abc', ['10.244.0.1'])]});
		assert.deepEqual((await get('/api/v1/namespaces/shop/services')).body.items.map((item: any) => item.metadata.name), ['b']);
		assert.deepEqual((await get('/api/v1/namespaces/empty/services')).body.items, []);
		assert.equal((await get('/api/v1/nodes/worker1')).body.kind, 'Node');
		assert.equal((await get('/api/v1/namespaces/shop')).body.kind, 'Namespace');
		const slices = await get('/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices');
		assert.equal(slices.body.kind, 'EndpointSliceList');
		assert.equal(slices.body.apiVersion, 'discovery.k8s.io/v1');
		assert.equal((await get('/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices/b-abc')).body.apiVersion, 'discovery.k8s.io/v1');
	});

	test('label and field selectors', async () => {
		await start({objects: [service('default', 'a', {app: 'a', tier: 'web'}), service('default', 'b', {app: 'b'}), service('shop', 'c', {app: 'c', tier: 'db'})]});
		const names = async (query: string): Promise<string[]> => (await get(`/api/v1/services?${query}`)).body.items.map((item: any) => item.metadata.name);
		assert.deepEqual(await names('labelSelector=app%3Da'), ['a']);
		assert.deepEqual(await names('labelSelector=app%3D%3Db'), ['b']);
		assert.deepEqual(await names('labelSelector=app!%3Da'), ['b', 'c']);
		assert.deepEqual(await names(`labelSelector=${encodeURIComponent('tier in (web,db)')}`), ['a', 'c']);
		assert.deepEqual(await names(`labelSelector=${encodeURIComponent('tier notin (web)')}`), ['b', 'c']);
		assert.deepEqual(await names('labelSelector=tier'), ['a', 'c']);
		assert.deepEqual(await names('labelSelector=!tier'), ['b']);
		assert.deepEqual(await names('fieldSelector=metadata.name%3Db'), ['b']);
		assert.deepEqual(await names('fieldSelector=metadata.namespace!%3Ddefault'), ['c']);
		const bad = await get('/api/v1/services?fieldSelector=spec.nothing%3D1');
		assert.equal(bad.status, 400);
		assert.equal(bad.body.reason, 'BadRequest');
		assert.equal(bad.body.message, 'field label not supported: spec.nothing');
	});

	test('limit and continue page over a consistent snapshot', async () => {
		const api = await start({objects: [service('a', 's1'), service('b', 's2'), service('c', 's3')]});
		const first = await get('/api/v1/services?limit=2');
		assert.deepEqual(first.body.items.map((item: any) => item.metadata.name), ['s1', 's2']);
		assert.equal(first.body.metadata.remainingItemCount, 1);
		api.upsert(service('a', 's0'));
		api.remove('Service', 'c', 's3');
		const second = await get(`/api/v1/services?limit=2&continue=${first.body.metadata.continue}`);
		assert.deepEqual(second.body.items.map((item: any) => item.metadata.name), ['s3']);
		assert.equal(second.body.metadata.continue, undefined);
		assert.equal(second.body.metadata.resourceVersion, first.body.metadata.resourceVersion);
	});

	test('an exact resourceVersion lists the past; a compacted one is 410 Expired', async () => {
		const api = await start({objects: [service('default', 'a')]});
		const before = api.resourceVersion();
		api.upsert(service('default', 'b'));
		api.remove('Service', 'default', 'a');
		const past = await get(`/api/v1/services?resourceVersion=${before}&resourceVersionMatch=Exact`);
		assert.deepEqual(past.body.items.map((item: any) => item.metadata.name), ['a']);
		assert.equal(past.body.metadata.resourceVersion, String(before));
		api.compact();
		const expired = await get(`/api/v1/services?resourceVersion=${before}&resourceVersionMatch=Exact`);
		assert.equal(expired.status, 410);
		assert.equal(expired.body.reason, 'Expired');
		const future = await get(`/api/v1/services?resourceVersion=${api.resourceVersion() + 100}`);
		assert.equal(future.status, 504);
	});

	test('404 and 403 are Status objects with the real reasons and wording', async () => {
		const api = await start({objects: [node('worker1', '10.0.0.1')]});
		const missing = await get('/api/v1/namespaces/default/services/nope');
		assert.deepEqual(missing.body, {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'services "nope" not found', reason: 'NotFound', details: {name: 'nope', kind: 'services'}, code: 404});
		const unknownResource = await get('/api/v1/widgets');
		assert.equal(unknownResource.status, 404);
		assert.equal(unknownResource.body.message, 'the server could not find the requested resource');
		assert.equal((await get('/nothing')).body, '404 page not found\n');
		api.setForbidden('nodes', true);
		const denied = await get('/api/v1/nodes');
		assert.equal(denied.status, 403);
		assert.equal(denied.body.reason, 'Forbidden');
		assert.equal(denied.body.message, 'nodes is forbidden: User "svctop-demo" cannot list resource "nodes" in API group "" at the cluster scope');
		const deniedSlices = await start({objects: []});
		deniedSlices.setForbidden('endpointslices', true);
		const slices = await get('/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?watch=1');
		assert.equal(slices.body.message, 'endpointslices.discovery.k8s.io is forbidden: User "svctop-demo" cannot watch resource "endpointslices" in API group "discovery.k8s.io" in the namespace "shop"');
		await api.close();
	});

	test('aggregated and legacy discovery follow the Accept header', async () => {
		await start();
		const aggregated = await get('/apis', {accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json'});
		assert.equal(aggregated.type, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
		assert.equal(aggregated.body.items[0].metadata.name, 'discovery.k8s.io');
		const legacy = await get('/apis', {accept: 'application/json'});
		assert.equal(legacy.body.kind, 'APIGroupList');
		const core = await get('/api/v1');
		assert.ok(core.body.resources.some((resource: any) => resource.name === 'services' && resource.shortNames[0] === 'svc'));
	});

	test('counters count list, get and watch per resource', async () => {
		const api = await start({objects: [service('default', 'a')]});
		await get('/api/v1/services');
		await get('/api/v1/namespaces/default/services/a');
		const watch = await openWatch(`${api.url}/api/v1/services?watch=1&timeoutSeconds=1`);
		await watch.ended();
		assert.deepEqual([api.counters().list.services, api.counters().get.services, api.counters().watch.services, api.counters().list.nodes], [1, 1, 1, 0]);
	});
});

describe('watch', () => {
	test('from a resourceVersion: ADDED, MODIFIED and DELETED in order, full objects', async () => {
		const api = await start({objects: [service('default', 'a')]});
		const from = api.resourceVersion();
		const watch = await openWatch(`${api.url}/api/v1/services?watch=true&resourceVersion=${from}`);
		assert.equal(watch.status, 200);
		api.upsert(service('default', 'b'));
		api.upsert(service('default', 'b', {v: '2'}));
		api.remove('Service', 'default', 'b');
		const events = [await watch.next(), await watch.next(), await watch.next()];
		assert.deepEqual(events.map(event => event.type), ['ADDED', 'MODIFIED', 'DELETED']);
		assert.deepEqual(events.map(event => Number(event.object.metadata.resourceVersion)), [from + 1, from + 2, from + 3]);
		assert.equal(events[0].object.kind, 'Service');
		assert.equal(events[0].object.apiVersion, 'v1');
		watch.close();
	});

	test('without a resourceVersion: synthetic ADDED for the current state first', async () => {
		const api = await start({objects: [service('default', 'a'), service('shop', 'b')]});
		const watch = await openWatch(`${api.url}/api/v1/namespaces/shop/services?watch=1`);
		const first = await watch.next();
		assert.deepEqual([first.type, first.object.metadata.name], ['ADDED', 'b']);
		api.upsert(service('default', 'ignored'));
		api.upsert(service('shop', 'c'));
		const second = await watch.next();
		assert.equal(second.object.metadata.name, 'c');
		watch.close();
	});

	test('a resumed watch replays what happened since its resourceVersion', async () => {
		const api = await start();
		const from = api.resourceVersion();
		api.upsert(service('default', 'a'));
		api.upsert(service('default', 'b'));
		const watch = await openWatch(`${api.url}/api/v1/services?watch=1&resourceVersion=${from + 1}`);
		const event = await watch.next();
		assert.deepEqual([event.type, event.object.metadata.name], ['ADDED', 'b']);
		watch.close();
	});

	test('objects entering and leaving a label selector show as ADDED and DELETED', async () => {
		const api = await start({objects: [service('default', 'a', {app: 'x'})]});
		const watch = await openWatch(`${api.url}/api/v1/services?watch=1&labelSelector=app%3Dx&resourceVersion=${api.resourceVersion()}`);
		api.upsert(service('default', 'a', {app: 'y'}));
		api.upsert(service('default', 'a', {app: 'x'}));
		const left = await watch.next();
		const back = await watch.next();
		assert.deepEqual([left.type, left.object.metadata.labels.app], ['DELETED', 'x']);
		assert.deepEqual([back.type, back.object.metadata.labels.app], ['ADDED', 'x']);
		watch.close();
	});

	test('bookmarks carry only the resourceVersion, and only when asked for', async () => {
		const api = await start({bookmarkIntervalMs: 20, objects: [service('default', 'a')]});
		const watch = await openWatch(`${api.url}/api/v1/services?watch=1&allowWatchBookmarks=true&resourceVersion=${api.resourceVersion()}`);
		api.upsert(service('default', 'b'));
		assert.equal((await watch.next()).type, 'ADDED');
		const bookmark = await watch.next();
		assert.deepEqual(bookmark, {type: 'BOOKMARK', object: {kind: 'Service', apiVersion: 'v1', metadata: {resourceVersion: String(api.resourceVersion()), creationTimestamp: null}}});
		watch.close();
		const plain = await openWatch(`${api.url}/api/v1/services?watch=1&timeoutSeconds=1&resourceVersion=${api.resourceVersion()}`);
		await assert.rejects(plain.next(300), /no watch event/);
		plain.close();
	});

	test('sendInitialEvents ends the initial state with an annotated bookmark', async () => {
		const api = await start({objects: [service('default', 'a')]});
		const watch = await openWatch(`${api.url}/api/v1/services?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`);
		assert.equal((await watch.next()).type, 'ADDED');
		const bookmark = await watch.next();
		assert.equal(bookmark.type, 'BOOKMARK');
		assert.deepEqual(bookmark.object.metadata.annotations, {'k8s.io/initial-events-end': 'true'});
		watch.close();
	});

	test('a compacted resourceVersion gets a 410 Expired ERROR event and the stream ends', async () => {
		const api = await start({objects: [service('default', 'a')]});
		const old = api.resourceVersion();
		api.upsert(service('default', 'b'));
		api.compact();
		const watch = await openWatch(`${api.url}/api/v1/services?watch=1&resourceVersion=${old}`);
		assert.equal(watch.status, 200);
		const event = await watch.next();
		assert.equal(event.type, 'ERROR');
		assert.deepEqual({...event.object, message: undefined}, {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: undefined, reason: 'Expired', code: 410});
		assert.match(event.object.message, /^too old resource version: \d+ \(\d+\)$/);
		assert.equal(await watch.ended(), 'end');
	});

	test('history beyond historyLimit is forgotten', async () => {
		const api = await start({historyLimit: 3});
		const start0 = api.resourceVersion();
		for (const name of ['a', 'b', 'c', 'd', 'e']) {
			api.upsert(service('default', name));
		}

		const expired = await openWatch(`${api.url}/api/v1/services?watch=1&resourceVersion=${start0}`);
		assert.equal((await expired.next()).object.code, 410);
		const recent = await openWatch(`${api.url}/api/v1/services?watch=1&resourceVersion=${api.resourceVersion() - 3}`);
		assert.equal((await recent.next()).object.metadata.name, 'c');
		recent.close();
	});

	test('timeoutSeconds ends the stream cleanly; cutWatches ends it abruptly', async () => {
		const api = await start();
		const timed = await openWatch(`${api.url}/api/v1/services?watch=1&timeoutSeconds=1`);
		assert.equal(await timed.ended(), 'end');
		const cut = await openWatch(`${api.url}/api/v1/services?watch=1`);
		await api.waitForWatches('services');
		api.cutWatches();
		assert.equal(await cut.ended(), 'error');
		assert.equal(api.openWatches(), 0);
	});
});
