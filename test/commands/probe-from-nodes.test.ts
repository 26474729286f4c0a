import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, test} from 'node:test';
import type {V1EndpointSlice} from '@kubernetes/client-node';
import {type ApiServer, startApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import type {ExecAnswer, ExecHook} from '../../source/builtin-cluster/apiserver/pod-access.js';
import {demoExecHook} from '../../source/builtin-cluster/demo/demo-exec.js';
import {curlReportLine} from '../../source/node/access/remote-probe.js';
import {endpointSlices} from '../fixtures/nat/cluster.js';
import {labDump, labNodes, labObjects} from '../node/access/three-nodes.js';
import {svctop} from '../node/access/run-svctop.js';

/**
 * `probe --from nodes` against the API server: default/svc-local is a NodePort Service with
 * externalTrafficPolicy Local (ready endpoints on node-a and node-b, none on node-c). The pods'
 * curl answers as kube-proxy would from an outside node: a node's NodePort answers while the node has
 * a ready endpoint, else the SYN is dropped (curl times out). After the second probe from node-a to
 * node-c, a pod on node-c becomes ready: in the API and in the "data plane" at once.
 */
const localSlice = endpointSlices.find(slice => slice.metadata?.labels?.['kubernetes.io/service-name'] === 'svc-local')!;
const readyOnNodeC: V1EndpointSlice = {
	...localSlice,
	endpoints: [...(localSlice.endpoints ?? []), {addresses: ['10.10.3.7'], conditions: {ready: true, serving: true, terminating: false}, nodeName: 'node-c', targetRef: {kind: 'Pod', namespace: 'default', name: 'web-5'}}],
};

let nodeCReady = false;
let probesAToC = 0;

type Cell = {target: string; node: string; count: number; ok: number; reachability: {expected: string; observed: string; verdict: string; aroundChange: number} | null; notJudged: string | null};
let run: {code: number; stdout: string; stderr: string};
let rows: Array<{node: string; series: Cell[]}>;
let server: ApiServer;
let directory: string;
let kubeconfig: string;

const rules = demoExecHook(labDump);
const exec: ExecHook = async (pod, argv): Promise<ExecAnswer> => {
	const url = argv[0] === 'curl' && argv.includes('-w') ? new URL(argv.at(-1)!) : undefined;
	if (url === undefined || url.port !== '31001') {
		return argv[0] === 'conntrack' ? {stdout: '', exitCode: 0} : rules(pod, argv);
	}

	const target = labNodes.find(node => node.ip === url.hostname)?.name;
	if (pod.nodeName === 'node-a' && target === 'node-c' && ++probesAToC === 3) {
		nodeCReady = true;
		server.upsert({kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', ...readyOnNodeC});
	}

	const answers = target === 'node-a' || target === 'node-b' || (target === 'node-c' && nodeCReady);
	return answers
		? {stdout: `web on ${target}${curlReportLine(200, 0.001, 40_000)}`, exitCode: 0}
		: {stdout: curlReportLine(0, 1, 40_000), stderr: 'curl: (28) Operation timed out\n', exitCode: 28};
};

before(async () => {
	directory = await mkdtemp(path.join(tmpdir(), 'svtmatrix-'));
	server = await startApiServer({exec, podStartMs: 10, objects: labObjects()});
	kubeconfig = await server.writeKubeconfig(directory);
	run = await svctop(kubeconfig, 'probe', 'default/svc-local', '--via', 'nodeport', '--from', 'nodes', '--debug-pod', '--count', '6', '--interval', '400ms', '--json');
	rows = run.code === 0 ? (JSON.parse(run.stdout) as {from: typeof rows}).from : [];
});

after(async () => {
	await server.close();
	await rm(directory, {recursive: true, force: true});
});

const cell = (from: string, to: string) => rows.find(row => row.node === from)!.series.find(series => series.node === to)!;

test('probe --from nodes: a readiness change within a cell is "mixed", judged by what was expected when each probe was sent, not "unexpected"', () => {
	assert.equal(run.code, 0, run.stderr);
	assert.equal(nodeCReady, true, 'the pod on node-c became ready during the run');
	// node-a -> node-c: dropped while node-c had no ready endpoint, answered once it had one.
	const changed = cell('node-a', 'node-c');
	assert.equal(changed.count, 6);
	assert.ok(changed.ok >= 3 && changed.ok <= 4, `answered ${changed.ok} of 6`);
	assert.equal(changed.reachability?.verdict, 'mixed', JSON.stringify(changed));
	assert.equal(changed.reachability?.expected, 'mixed');
	assert.equal(changed.reachability?.observed, 'partial');
	// From node-b, after the change: reachable all along.
	assert.equal(cell('node-b', 'node-c').reachability?.verdict, 'ok');
	assert.equal(cell('node-b', 'node-c').ok, 6);
});

test('probe --from nodes: each node\'s own Local NodePort is node traffic (kube-proxy sends it cluster-wide): not judged, and said so', () => {
	assert.equal(run.code, 0, run.stderr);
	for (const node of ['node-a', 'node-b', 'node-c']) {
		const own = cell(node, node);
		assert.equal(own.reachability, null, node);
		assert.match(own.notJudged ?? '', /^not judged \(own node\): .*cluster-wide endpoints even under externalTrafficPolicy Local/, node);
		assert.equal(cell(node, node === 'node-a' ? 'node-b' : 'node-a').notJudged, null, 'another node\'s NodePort is judged');
	}
});
