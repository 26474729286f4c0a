import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import {type ApiServer, startApiServer} from '../../../source/builtin-cluster/apiserver/index.js';
import type {ExecHook} from '../../../source/builtin-cluster/apiserver/pod-access.js';
import {kubeConfigFromYaml} from '../../../source/kube/kubeconfig.js';
import {DebugPodSession} from '../../../source/node/access/debug-pod-session.js';
import {debugPodProbeVantages} from '../../../source/node/access/probe-vantages.js';
import {labObjects} from './three-nodes.js';

let server: ApiServer;
/** A pod image without curl, wget or nc: every program is missing. */
const bare: ExecHook = () => ({stdout: '', exitCode: 127, notFound: true});

before(async () => {
	server = await startApiServer({exec: bare, podStartMs: 10, objects: [
		...labObjects(),
		{kind: 'Pod', apiVersion: 'v1', metadata: {namespace: 'default', name: 'distroless'}, spec: {nodeName: 'node-a', containers: [{name: 'app', image: 'gcr.io/distroless/static'}]}, status: {phase: 'Running'}},
		{kind: 'Pod', apiVersion: 'v1', metadata: {namespace: 'default', name: 'waiting'}, spec: {containers: [{name: 'app', image: 'x'}]}, status: {phase: 'Pending'}},
	]});
});

after(async () => server.close());

test('pod vantages: only running pods are listed; a pod without curl, wget or nc fails clearly; nothing is created', async () => {
	const kc = kubeConfigFromYaml(server.kubeconfigYaml());
	const session = new DebugPodSession({kc, namespace: 'kube-system', image: 'example.invalid/x:1', deadlineSeconds: 60});
	const vantages = debugPodProbeVantages(session, 'example.invalid/x:1', kc);
	const pods = await vantages.pods!('default');
	assert.ok(pods.includes('pod/default/distroless'), pods.join(' '));
	assert.ok(!pods.includes('pod/default/waiting'), 'a Pending pod is not offered');
	assert.match(vantages.describe('pod/default/distroless'), /^Exec into pod default\/distroless \(nothing is created;/);
	const result = await vantages.proberFor('pod/default/distroless').probe({label: '10.96.0.10:80', kind: 'address', host: '10.96.0.10', port: 80, protocol: 'TCP'}, {mode: 'http', path: '/', timeoutMs: 500});
	assert.equal(result.ok, false);
	assert.match(result.execFailure ?? '', /pod default\/distroless: the pod has none of curl, wget/);
	assert.equal(vantages.proberFor('pod/default/distroless').where, 'pod/default/distroless', 'no tool named when none was found');
	assert.deepEqual(server.requestLog().filter(entry => entry.method !== 'GET' && !entry.url.includes('selfsubjectaccessreviews')), [], 'nothing created');
	await session.close();
});
