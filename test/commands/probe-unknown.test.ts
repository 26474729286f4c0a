import assert from 'node:assert/strict';
import path from 'node:path';
import {describe, test} from 'node:test';
import {type Fault, startApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import {runProbe, type ProbeCommandOptions} from '../../source/commands/probe.js';
import {connectCluster} from '../../source/kube/connect.js';
import {endpointSlice, node} from '../builtin-cluster/apiserver/fixtures.js';
import {apiLab} from '../helpers/api-lab.js';
import {localNodePortWeb} from '../fixtures/services/local-web.js';

/*
 * qa4 F7, F9, F21: `svctop probe` through the real client against the in-process API server with a
 * fault on one resource. What could not be read is unknown with its reason: no "no ready endpoints"
 * cause, no drop expected, no "not found".
 */

const lab = apiLab('svtprobeunknown-');

/** The Service (localNodePortWeb) with externalTrafficPolicy Local: its one endpoint runs on worker1 only. */
const web = localNodePortWeb;

function sliceOnWorker1(ready: boolean): object {
	const slice = endpointSlice('default', 'web', 'a1b2c', ['10.244.1.2']) as {endpoints: Array<{nodeName: string; conditions: {ready: boolean}}>};
	for (const endpoint of slice.endpoints) {
		endpoint.nodeName = 'worker1';
		endpoint.conditions.ready = ready;
	}

	return slice;
}

type Run = {out: string; err: string; code: number};

/** Probes `default/web` with every address sent to a closed local port (each probe fails at once). */
async function probeWeb(resource: string | undefined, fault: Fault | 'forbidden' | undefined, options: Partial<ProbeCommandOptions>, ready = true): Promise<Run> {
	lab.api = await startApiServer({objects: [web, node('worker1', '192.168.56.11'), node('worker2', '192.168.56.12'), sliceOnWorker1(ready)], user: 'dev'});
	if (resource && fault === 'forbidden') {
		lab.api.setForbidden(resource, true);
	} else if (resource && fault !== undefined) {
		lab.api.setFault(resource, fault as Fault);
	}

	const kubeconfig = await lab.api.writeKubeconfig(path.join(lab.directory, String(Math.random()).slice(2)));
	lab.cluster = await connectCluster({kubeconfig, env: {}, backoff: {initialMs: 5, maxMs: 20}, settleAfterFailures: 2, requestTimeoutMs: 300, readyTimeoutMs: 3000});
	const out: string[] = [];
	const err: string[] = [];
	const io = {stdout: {write: (text: string) => out.push(text)}, stderr: {write: (text: string) => err.push(text)}};
	const code = await runProbe({
		target: 'default/web', intervalMs: 5, timeoutMs: 200, mode: 'http', path: '/', json: false, concurrency: 1, count: 2,
		source: lab.cluster, resolveAddress: () => ({host: '127.0.0.1', port: 9}), serviceWaitMs: 200, ...options,
	}, io);
	return {out: out.join(''), err: err.join(''), code};
}

const sliceFaults: Array<[string, Fault | 'forbidden']> = [
	['403 forbidden', 'forbidden'],
	['500', {kind: 'status', code: 500}],
];

describe('probe: EndpointSlices that cannot be read expect nothing and cause nothing', () => {
	for (const [name, fault] of sliceFaults) {
		test(`${name}: ClusterIP, endpoints unknown with the reason, no cause line`, async () => {
			const {out, err} = await probeWeb('endpointslices', fault, {});
			assert.match(out, /^endpoints unknown \(.+\): nothing expected, no cause drawn$/m);
			assert.match(err, /^warning: endpoints unknown \(.+\): no expectation drawn$/m);
			assert.doesNotMatch(out, /cause:|no ready endpoints/);
			// The lab stops one server and source per test: this one before the second run.
			await lab.cluster?.stop();
			await lab.api?.close();
			const json = await probeWeb('endpointslices', fault, {json: true});
			const summary = (JSON.parse(json.out.trim().split('\n').at(-1)!) as {summary: {unknown: Array<{resource: string}>; series: Array<{unanswerable: unknown}>}}).summary;
			assert.deepEqual(summary.unknown.map(entry => entry.resource), ['endpointslices']);
			assert.deepEqual(summary.series.map(series => series.unanswerable), [null]);
		});
	}

	test('NodePort with Local policy: failures stay failures, no node dropped as expected', async () => {
		const {out} = await probeWeb('endpointslices', 'forbidden', {via: 'nodeport', count: 4});
		assert.match(out, /^4 probes, 0 ok \(0\.0%\)$/m);
		assert.doesNotMatch(out, /dropped as expected|cause:|no ready endpoints/);
		assert.match(out, /^endpoints unknown \(/m);
	});

	test('control: readable slices whose only endpoint is not ready do give the cause', async () => {
		const {out} = await probeWeb(undefined, undefined, {}, false);
		assert.match(out, /^cause: no ready endpoints: no pod can answer this Service$/m);
		assert.doesNotMatch(out, /unknown \(/);
	});
});

describe('probe: Services or nodes that cannot be read are unknown, not missing', () => {
	for (const [name, fault] of [['403 forbidden', 'forbidden'], ['503', {kind: 'status', code: 503}]] as Array<[string, Fault | 'forbidden']>) {
		test(`services ${name}: says services unknown, not "not found"`, async () => {
			const {err, code} = await probeWeb('services', fault, {});
			assert.equal(code, 1);
			assert.match(err, /^svctop: services unknown \(.+\): cannot tell whether default\/web exists$/m);
			assert.doesNotMatch(err, /not found/);
		});
	}

	test('nodes forbidden, --via nodeport: nodes unknown, not "no node has an InternalIP"', async () => {
		const {err, code} = await probeWeb('nodes', 'forbidden', {via: 'nodeport'});
		assert.equal(code, 1);
		assert.match(err, /^svctop: nodes unknown \(nodes is forbidden: .+\): no node address to probe the NodePort on$/m);
	});
});
