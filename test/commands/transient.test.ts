import assert from 'node:assert/strict';
import path from 'node:path';
import {describe, test} from 'node:test';
import {type Fault, startApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import {runDescribe} from '../../source/commands/describe.js';
import {runList} from '../../source/commands/list.js';
import {type ConnectedCluster, type ConnectOptions, connectCluster} from '../../source/kube/connect.js';
import {capture} from '../fixtures/services/cluster-source-stub.js';
import {endpointSlice, node, service} from '../builtin-cluster/apiserver/fixtures.js';
import {apiLab} from '../helpers/api-lab.js';

/* `svctop list` rides out a few transient failures, then fails with one line naming the cause. */

const lab = apiLab('svttransient-');

async function connectWith(fault: Fault, times?: number, options: Partial<ConnectOptions> = {}): Promise<ConnectedCluster> {
	lab.api = await startApiServer({objects: [node('worker1', '192.168.56.11'), service('default', 'echo'), endpointSlice('default', 'echo', 'a', ['10.244.1.2'])]});
	lab.api.setFault('services', fault, {times});
	const kubeconfig = await lab.api.writeKubeconfig(path.join(lab.directory, String(Math.random()).slice(2)));
	lab.cluster = await connectCluster({kubeconfig, env: {}, backoff: {initialMs: 20, maxMs: 100}, ...options});
	return lab.cluster;
}

async function listWith(fault: Fault, times?: number, options: Partial<ConnectOptions> = {}): Promise<{code: number; out: string; err: string}> {
	const source = await connectWith(fault, times, options);
	const out = capture();
	const err = capture();
	const code = await runList(source, {wide: false, json: false, allNamespaces: false}, out, Date.now(), err);
	return {code, out: out.text(), err: err.text()};
}

describe('list retries transient errors before failing', () => {
	for (const [name, fault] of [
		['500', {kind: 'status', code: 500}],
		['429 with Retry-After: 0', {kind: 'status', code: 429, retryAfterSeconds: 0}],
		['a reset connection', {kind: 'reset'}],
	] as Array<[string, Fault]>) {
		test(`${name} twice, then an answer: the table prints`, async () => {
			const run = await listWith(fault, 2);
			assert.equal(run.code, 0, run.err);
			assert.match(run.out, /^echo +ClusterIP/m);
			assert.equal(lab.api!.counters().list.services, 3);
		});
	}

	test('500 every time: four attempts, then one line with the cause, exit 1', async () => {
		const run = await listWith({kind: 'status', code: 500});
		assert.equal(run.code, 1);
		assert.equal(run.out, '');
		assert.match(run.err, /^svctop: the API server at http:\/\/127\.0\.0\.1:\d+ answered 500 to list services: Internal error occurred: injected fault\n$/);
		assert.equal(lab.api!.counters().list.services, 4);
	});

	// The lists hang past the ready bound: the message names the server and the wait, as the dashboard's does.
	const hanging: Partial<ConnectOptions> = {readyTimeoutMs: 1000, requestTimeoutMs: 20_000};
	const noAnswer = /^svctop: the API server at http:\/\/127\.0\.0\.1:\d+ did not answer in time \(waited \d+s\)\n$/;

	test('a hanging API server: one line naming the server and the time waited, exit 1', async () => {
		const run = await listWith({kind: 'hang'}, undefined, hanging);
		assert.equal(run.code, 1);
		assert.equal(run.out, '');
		assert.match(run.err, noAnswer);
	});

	test('describe against a hanging API server says the same', async () => {
		const source = await connectWith({kind: 'hang'}, undefined, hanging);
		const err = capture();
		const code = await runDescribe(source, {target: 'default/echo', json: false, clusterDomain: 'cluster.local'}, capture(), Date.now(), err);
		assert.equal(code, 1);
		assert.match(err.text(), noAnswer);
	});
});
