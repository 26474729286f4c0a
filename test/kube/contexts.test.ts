import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, test} from 'node:test';
import {type ApiServer, startApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import {connectCluster} from '../../source/kube/connect.js';
import {kubeContexts} from '../../source/kube/contexts.js';

let directory: string;
const servers: ApiServer[] = [];
let env: Record<string, string>;

function objects(namespace: string, service: string) {
	return [
		{apiVersion: 'v1', kind: 'Namespace', metadata: {name: namespace}},
		{apiVersion: 'v1', kind: 'Service', metadata: {namespace, name: service}, spec: {type: 'ClusterIP', clusterIP: '10.96.0.20', ports: [{port: 80, protocol: 'TCP'}]}},
	];
}

before(async () => {
	directory = await mkdtemp(path.join(tmpdir(), 'svtctx-'));
	servers.push(await startApiServer({objects: objects('shop', 'cart')}), await startApiServer({objects: objects('blog', 'posts')}));
	// Two files merged through KUBECONFIG, as kubectl merges them: the first one's current-context wins.
	const files = await Promise.all([
		servers[0]!.writeKubeconfig(path.join(directory, 'a'), {context: 'alpha', namespace: 'shop'}),
		servers[1]!.writeKubeconfig(path.join(directory, 'b'), {context: 'beta', namespace: 'blog'}),
	]);
	env = {KUBECONFIG: files.join(path.delimiter), HOME: directory};
});

after(async () => {
	await Promise.all(servers.map(async server => server.close()));
	await rm(directory, {recursive: true, force: true});
});

test('kubeContexts lists the merged kubeconfig\'s contexts as kubectl config get-contexts does', () => {
	assert.deepEqual(kubeContexts({env}), [
		{name: 'alpha', cluster: 'alpha', user: 'alpha', namespace: 'shop'},
		{name: 'beta', cluster: 'beta', user: 'beta', namespace: 'blog'},
	]);
});

test('connecting another context reads that cluster, in that context\'s namespace; namespaces list for completion', async () => {
	const source = await connectCluster({env, context: 'beta'});
	try {
		await source.ready();
		const snapshot = source.snapshot();
		assert.equal(snapshot.context, 'beta');
		assert.equal(snapshot.namespace, 'blog');
		assert.deepEqual(snapshot.services.map(service => service.metadata?.name), ['posts']);
		assert.ok((await source.listNamespaces!()).includes('blog'));
	} finally {
		await source.stop();
	}
});
