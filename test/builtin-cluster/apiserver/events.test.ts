import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {KubeConfig} from '@kubernetes/client-node';
import {type ApiServer, startApiServer} from '../../../source/builtin-cluster/apiserver/index.js';
import {connectCluster, type ConnectedCluster} from '../../../source/kube/index.js';
import {service} from './fixtures.js';

/* Core v1 events, listed the way kubectl describe finds an object's events: involvedObject field selectors. */

function event(name: string, involved: {kind: string; name: string; uid?: string}, fields: Record<string, unknown> = {}): object {
	return {
		kind: 'Event',
		apiVersion: 'v1',
		metadata: {namespace: 'default', name},
		involvedObject: {apiVersion: 'v1', namespace: 'default', ...involved},
		type: 'Normal',
		reason: 'EnsuringLoadBalancer',
		message: 'Ensuring load balancer',
		source: {component: 'service-controller'},
		...fields,
	};
}

describe('events', () => {
	let server: ApiServer;
	let source: ConnectedCluster;

	before(async () => {
		server = await startApiServer({objects: [
			service('default', 'web'),
			event('web.1', {kind: 'Service', name: 'web', uid: 'u-1'}),
			event('web.2', {kind: 'Service', name: 'web', uid: 'u-1'}, {type: 'Warning', reason: 'SyncLoadBalancerFailed', source: {}, reportingComponent: 'cloud-lb'}),
			event('web.old', {kind: 'Service', name: 'web', uid: 'u-0'}),
			event('web-pod.1', {kind: 'Pod', name: 'web'}),
		]});
		const kubeConfig = new KubeConfig();
		kubeConfig.loadFromString(server.kubeconfigYaml());
		source = await connectCluster({kubeConfigObject: kubeConfig, pageSize: 1, backoff: {initialMs: 50, maxMs: 200}});
		await source.ready();
	});

	after(async () => {
		await source?.stop();
		await server?.close();
	});

	async function names(query: string): Promise<{status: number; names: string[]; message?: string}> {
		const response = await fetch(`${server.url}/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(query)}`);
		const body = await response.json() as {items?: Array<{metadata: {name: string}}>; message?: string};
		return {status: response.status, names: (body.items ?? []).map(item => item.metadata.name), message: body.message};
	}

	test('involvedObject.kind/name/namespace/uid, type, reason and source select', async () => {
		assert.deepEqual((await names('involvedObject.kind=Service,involvedObject.name=web,involvedObject.namespace=default')).names, ['web.1', 'web.2', 'web.old']);
		assert.deepEqual((await names('involvedObject.kind=Service,involvedObject.name=web,involvedObject.uid=u-1')).names, ['web.1', 'web.2']);
		assert.deepEqual((await names('involvedObject.kind=Pod')).names, ['web-pod.1']);
		assert.deepEqual((await names('type=Warning')).names, ['web.2']);
		assert.deepEqual((await names('reason!=EnsuringLoadBalancer')).names, ['web.2']);
		// `source` is source.component, or reportingController when that is empty, as kube-apiserver selects it.
		assert.deepEqual((await names('source=cloud-lb')).names, ['web.2']);
		assert.deepEqual(await names('involvedObject.color=red'), {status: 400, names: [], message: 'field label not supported: involvedObject.color'});
	});

	test('the source reads an object\'s events across pages, by uid', async () => {
		const events = await source.listEvents!('default', {kind: 'Service', name: 'web', uid: 'u-1'});
		assert.deepEqual(events.map(item => item.metadata?.name), ['web.1', 'web.2']);
		assert.ok(server.counters().list.events >= 3, 'one page a request, pageSize 1');
	});

	test('forbidden events reject with the server\'s one-line reason', async () => {
		server.setForbidden('events', true);
		try {
			await assert.rejects(source.listEvents!('default', {kind: 'Service', name: 'web'}), /events is forbidden/);
		} finally {
			server.setForbidden('events', false);
		}
	});
});
