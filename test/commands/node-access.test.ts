import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {PassThrough} from 'node:stream';
import {after, before, beforeEach, describe, test} from 'node:test';
import {type ApiServer, startApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import type {ExecHook} from '../../source/builtin-cluster/apiserver/pod-access.js';
import {parseCommandLine} from '../../source/cli/parse-command-line.js';
import {runNodeAccess} from '../../source/commands/node-access.js';
import {type Demo, startDemo} from '../../source/builtin-cluster/demo/demo.js';
import {demoExecHook} from '../../source/builtin-cluster/demo/demo-exec.js';
import {defaultDebugImage} from '../../source/node/access/debug-pod-spec.js';
import {ensureBuilt, svctopBin} from '../helpers/built-cli.js';
import {labDump, labObjects} from '../node/access/three-nodes.js';

/** Exec in the lab's debug pods answers like the demo's: each node's own rules. */
const labExec: ExecHook = demoExecHook(labDump);

type Run = {code: number; stdout: string; stderr: string};

function collect(): {stream: PassThrough; text: () => string} {
	const stream = new PassThrough();
	const chunks: Buffer[] = [];
	stream.on('data', chunk => chunks.push(chunk as Buffer));
	return {stream, text: () => Buffer.concat(chunks).toString('utf8')};
}

async function svctopInProcess(kubeconfig: string | Demo, ...args: string[]): Promise<Run> {
	const parsed = parseCommandLine(typeof kubeconfig === 'string' ? [...args, '--kubeconfig', kubeconfig] : [...args, '--demo']);
	assert.equal(parsed.kind, 'run', JSON.stringify(parsed));
	const stdout = collect();
	const stderr = collect();
	const code = await runNodeAccess((parsed as Extract<typeof parsed, {kind: 'run'}>).config, typeof kubeconfig === 'string' ? undefined : kubeconfig, {stdin: new PassThrough(), stdout: stdout.stream, stderr: stderr.stream});
	return {code, stdout: stdout.text(), stderr: stderr.text()};
}

const writes = (server: ApiServer) => server.requestLog().filter(entry => entry.method !== 'GET');

describe('debug pods against the API server', () => {
	let server: ApiServer;
	let directory: string;
	let kubeconfig: string;

	before(async () => {
		directory = await mkdtemp(path.join(tmpdir(), 'svtdbg-'));
		server = await startApiServer({exec: labExec, podStartMs: 10, objects: labObjects()});
		kubeconfig = await server.writeKubeconfig(directory);
	});

	beforeEach(() => {
		server.allowAllAccess();
		server.setPodSecurity('kube-system', undefined);
	});

	after(async () => {
		await server.close();
		await rm(directory, {recursive: true, force: true});
	});

	test('nat --all-nodes --debug-pod: one pod per node, the stale node found, every pod deleted', async () => {
		const before = writes(server).length;
		const run = await svctopInProcess(kubeconfig, 'nat', '--all-nodes', '--debug-pod', '--json');
		assert.equal(run.code, 0, run.stderr);
		const report = JSON.parse(run.stdout);
		assert.deepEqual(report.staleNodes, ['node-c']);
		assert.deepEqual(report.nodes.map((node: any) => node.node), ['node-a', 'node-b', 'node-c']);
		assert.match(run.stderr, /\[3\/3\]/);
		assert.equal(server.count('pods'), 0);
		const made = writes(server).slice(before);
		assert.equal(made.filter(entry => entry.method === 'POST' && entry.url.startsWith('/api/v1/namespaces/kube-system/pods')).length, 3);
		assert.equal(made.filter(entry => entry.method === 'DELETE').length, 3);
	});

	test('EndpointSlices forbidden: the nodes are compared with each other, none is called stale', async () => {
		server.setForbidden('endpointslices', true);
		try {
			const run = await svctopInProcess(kubeconfig, 'nat', '--all-nodes', '--debug-pod', '--json');
			assert.equal(run.code, 0, run.stderr);
			const report = JSON.parse(run.stdout);
			assert.equal(report.staleNodes, null, "not checked against the API: never \"none\"");
			assert.equal(report.disagreements, 1, 'node-c still differs from the others');
			assert.match(run.stderr, /endpointslices: .*forbidden.*: the nodes are compared with each other, not with the API/);
		} finally {
			server.setForbidden('endpointslices', false);
		}
	});

	test('nat --node --debug-pod: that node\'s rules, named and cross-checked', async () => {
		const run = await svctopInProcess(kubeconfig, 'nat', '--node', 'node-c', '--debug-pod', '--service', 'default/svc-nodeport');
		assert.equal(run.code, 0, run.stderr);
		assert.match(run.stdout, /DNAT 10\.10\.9\.9:8080/);
		assert.match(run.stderr, /rules of node node-c: iptables-nft-save in pod kube-system\/svctop-debug-node-c-\w+ on node node-c \(kube-proxy reports mode iptables\)/);
		assert.equal(server.count('pods'), 0);
	});

	test('nat --node --debug-pod without the API (its namespace not found): the rules, with a note that they were not checked and why', async () => {
		const run = await svctopInProcess(kubeconfig, 'nat', '--node', 'node-c', '--debug-pod', '-n', 'nosuchns', '--json');
		assert.equal(run.code, 0, run.stderr);
		const json = JSON.parse(run.stdout) as {services: unknown[]; notes: string[]};
		assert.ok(json.services.length > 0);
		assert.deepEqual(json.notes, ['not checked against the API: namespaces "nosuchns" not found']);
		assert.equal(server.count('pods'), 0);
	});

	test('create forbidden: says exactly what is missing, creates nothing', async () => {
		server.denyAccess({verb: 'create', resource: 'pods', namespace: 'kube-system'});
		server.denyAccess({verb: 'get', resource: 'pods', subresource: 'exec'});
		const before = writes(server).filter(entry => entry.url.includes('/pods')).length;
		const run = await svctopInProcess(kubeconfig, 'nat', '--node', 'node-a', '--debug-pod');
		assert.equal(run.code, 1);
		assert.match(run.stderr, /not allowed in namespace kube-system: create pods, get pods\/exec/);
		assert.equal(writes(server).filter(entry => entry.url.includes('/pods')).length, before);
		assert.equal(server.count('pods'), 0);
	});

	test('exec forbidden although the review allowed it: the pod made is deleted', async () => {
		server.denyAccess({verb: 'create', resource: 'pods', subresource: 'exec'}, {hiddenFromReview: true});
		const run = await svctopInProcess(kubeconfig, 'nat', '--node', 'node-a', '--debug-pod');
		assert.equal(run.code, 1);
		assert.match(run.stderr, /forbidden \(403\)/);
		assert.match(run.stderr, /deleted pod kube-system\/svctop-debug-node-a-/);
		assert.equal(server.count('pods'), 0);
	});

	test('Pod Security rejects the pod: which policy, and what to do', async () => {
		server.setPodSecurity('kube-system', 'baseline');
		const run = await svctopInProcess(kubeconfig, 'nat', '--node', 'node-a', '--debug-pod');
		assert.equal(run.code, 1);
		assert.match(run.stderr, /Pod Security Admission rejected the debug pod in namespace kube-system: .*violates PodSecurity "baseline:latest": host namespaces \(hostNetwork=true\)/);
		assert.match(run.stderr, /pod-security\.kubernetes\.io\/enforce=privileged/);
		assert.equal(server.count('pods'), 0);
	});

	test('an image that does not pull: ImagePullBackOff named, the pod deleted', async () => {
		server.failImagePull('example.invalid/none:1');
		const run = await svctopInProcess(kubeconfig, 'nat', '--node', 'node-b', '--debug-pod', '--debug-image', 'example.invalid/none:1');
		assert.equal(run.code, 1);
		assert.match(run.stderr, /ImagePullBackOff: Back-off pulling image "example\.invalid\/none:1"/);
		assert.equal(server.count('pods'), 0);
	});

	test('debug-pods lists leftovers by label; --clean deletes them', async () => {
		server.upsert({kind: 'Pod', apiVersion: 'v1', metadata: {name: 'svctop-debug-node-a-old', namespace: 'kube-system', labels: {'app.kubernetes.io/managed-by': 'svctop'}}, spec: {nodeName: 'node-a', containers: [{name: 'debug', image: defaultDebugImage}]}, status: {phase: 'Running'}});
		server.upsert({kind: 'Pod', apiVersion: 'v1', metadata: {name: 'someone-else', namespace: 'kube-system'}, spec: {nodeName: 'node-a', containers: [{name: 'c', image: 'x'}]}, status: {phase: 'Running'}});
		const listed = await svctopInProcess(kubeconfig, 'debug-pods');
		assert.equal(listed.code, 0);
		assert.match(listed.stdout, /kube-system\s+svctop-debug-node-a-old\s+node-a\s+Running/);
		assert.doesNotMatch(listed.stdout, /someone-else/);
		assert.equal(server.count('pods'), 2);
		const cleaned = await svctopInProcess(kubeconfig, 'debug-pods', '--clean');
		assert.equal(cleaned.code, 0);
		assert.match(cleaned.stderr, /deleted pod kube-system\/svctop-debug-node-a-old/);
		assert.equal(server.count('pods'), 1);
		server.remove('pods', 'kube-system', 'someone-else');
	});

	test('usage: --all-nodes needs --debug-pod, nat --debug-pod needs a node', async () => {
		assert.match((await svctopInProcess(kubeconfig, 'nat', '--all-nodes')).stderr, /add --debug-pod/);
		const run = await svctopInProcess(kubeconfig, 'nat', '--debug-pod');
		assert.equal(run.code, 2);
		assert.match(run.stderr, /needs --node NAME or --all-nodes/);
		// A flag of another command is refused as the command line is read, before anything connects.
		const refused = (...args: string[]) => {
			const parsed = parseCommandLine([...args, '--kubeconfig', kubeconfig]);
			return parsed.kind === 'error' ? parsed.message : '';
		};

		assert.match(refused('list', '--debug-pod'), /^--debug-pod is for svctop nat, svctop probe and the dashboard/);
		assert.match(refused('nat', '--file', '-', '--clean'), /^--clean is for svctop debug-pods/);
		assert.match(refused('list', '--from', 'node/a'), /^--from is for svctop probe/);
		assert.match(refused('probe', 'x:1', '--all-nodes'), /^--all-nodes is for svctop nat/);
	});
});

describe('the built CLI: zero writes without --debug-pod, nothing left after Ctrl-C', () => {
	let server: ApiServer;
	let directory: string;
	let kubeconfig: string;

	const svctop = async (args: string[], options: {interruptWhen?: () => boolean} = {}) => new Promise<Run>(resolve => {
		const child = spawn(process.execPath, [svctopBin, ...args, '--kubeconfig', kubeconfig], {stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', chunk => {
			stdout += String(chunk);
		});
		child.stderr.on('data', chunk => {
			stderr += String(chunk);
		});
		const timer = options.interruptWhen && setInterval(() => {
			if (options.interruptWhen!()) {
				clearInterval(timer);
				child.kill('SIGINT');
			}
		}, 20);
		child.on('close', code => {
			clearInterval(timer);
			resolve({code: code ?? -1, stdout, stderr});
		});
	});

	before(async () => {
		ensureBuilt();
		directory = await mkdtemp(path.join(tmpdir(), 'svtdbg-'));
		server = await startApiServer({exec: labExec, podStartMs: 10, objects: labObjects()});
		kubeconfig = await server.writeKubeconfig(directory);
	});

	after(async () => {
		await server.close();
		await rm(directory, {recursive: true, force: true});
	});

	test('list, describe, nat (file and cross-check), probe, debug-pods and the piped dashboard make only GET requests', async () => {
		const dump = path.join(directory, 'node-a.dump');
		await writeFile(dump, labDump('node-a'));
		const runs = [
			['list', '-A'],
			['describe', 'default/svc-nodeport'],
			['nat', '--file', dump],
			['nat', '--file', dump, '--json'],
			['debug-pods'],
			['probe', '127.0.0.1:9', '--count', '1', '--timeout', '100ms'],
			[],
		];
		for (const args of runs) {
			// eslint-disable-next-line no-await-in-loop
			const run = await svctop(args);
			assert.notEqual(run.code, -1, `${args.join(' ')}: ${run.stderr}`);
		}

		assert.ok(server.requestLog().length > runs.length, 'the commands reached the server');
		assert.deepEqual(writes(server), []);
	});

	test('Ctrl-C while the pods are starting: exit 130, no pod left', async () => {
		// Pods that stay Pending for minutes: the interrupt always lands while svctop waits for them
		// (an image-pull failure could end the run first on a fast machine).
		const slow = await startApiServer({exec: labExec, podStartMs: 600_000, objects: labObjects()});
		const shared = kubeconfig;
		kubeconfig = await slow.writeKubeconfig(path.join(directory, 'slow'));
		try {
			const run = await svctop(['nat', '--all-nodes', '--debug-pod', '--debug-image', 'example.invalid/slow:1'], {interruptWhen: () => slow.count('pods') === 3});
			assert.equal(run.code, 130, run.stderr);
			assert.match(run.stderr, /SIGINT: deleting the debug pods/);
			assert.equal(slow.count('pods'), 0);
		} finally {
			kubeconfig = shared;
			await slow.close();
		}
	});
});

describe('probe --from without the kernel', () => {
	let server: ApiServer;
	let directory: string;
	let kubeconfig: string;
	/** A pod image without curl, wget or nc: every program is missing. */
	const bare: ExecHook = () => ({stdout: '', exitCode: 127, notFound: true});

	before(async () => {
		directory = await mkdtemp(path.join(tmpdir(), 'svtdbgp-'));
		server = await startApiServer({exec: bare, podStartMs: 10, objects: [
			...labObjects(),
			{kind: 'Pod', apiVersion: 'v1', metadata: {namespace: 'default', name: 'distroless'}, spec: {nodeName: 'node-a', containers: [{name: 'app', image: 'gcr.io/distroless/static'}]}, status: {phase: 'Running'}},
			{kind: 'Pod', apiVersion: 'v1', metadata: {namespace: 'default', name: 'waiting'}, spec: {containers: [{name: 'app', image: 'x'}]}, status: {phase: 'Pending'}},
		]});
		kubeconfig = await server.writeKubeconfig(directory);
	});

	after(async () => {
		await server.close();
		await rm(directory, {recursive: true, force: true});
	});

	test('a pod with none of curl, wget, nc: a clear error, nothing created', async () => {
		const run = await svctopInProcess(kubeconfig, 'probe', 'default/svc-nodeport', '--from', 'pod/default/distroless', '--count', '1');
		assert.equal(run.code, 1);
		assert.match(run.stderr, /pod default\/distroless: the pod has none of curl, wget: svctop needs one of them there to probe HTTP/);
		assert.deepEqual(writes(server).filter(entry => entry.url.includes('/pods')), []);
	});

	test('a debug pod image without the tools: named, and the pod deleted', async () => {
		const run = await svctopInProcess(kubeconfig, 'probe', 'default/svc-nodeport', '--from', 'node/node-a', '--debug-pod', '--count', '1');
		assert.equal(run.code, 1);
		assert.match(run.stderr, /none of curl, wget.*\(image nicolaka\/netshoot/);
		assert.equal(server.count('pods'), 2);
	});

	test('a pod that is not running, a node without --debug-pod, a vantage point that is neither', async () => {
		assert.match((await svctopInProcess(kubeconfig, 'probe', 'default/svc-nodeport', '--from', 'pod/default/waiting')).stderr, /pod default\/waiting is Pending: probes need it Running/);
		const node = await svctopInProcess(kubeconfig, 'probe', 'default/svc-nodeport', '--from', 'node/node-a');
		assert.equal(node.code, 2);
		assert.match(node.stderr, /add --debug-pod/);
		const neither = await svctopInProcess(kubeconfig, 'probe', 'default/svc-nodeport', '--from', 'svc/x');
		assert.equal(neither.code, 2);
		assert.match(neither.stderr, /--from takes node\/NAME, nodes \(each node in turn\) or pod\/NAMESPACE\/NAME/);
	});
});

describe('the demo\'s nodes through debug pods', () => {
	let demo: Demo;

	before(async () => {
		demo = await startDemo({withDataPlane: true, stepMs: 0});
	});

	after(async () => demo.stop());

	test('nat --all-nodes: the four nodes read and compared, nothing left', async () => {
		const run = await svctopInProcess(demo, 'nat', '--all-nodes', '--debug-pod', '--json');
		assert.equal(run.code, 0, run.stderr);
		const report = JSON.parse(run.stdout);
		assert.deepEqual(report.nodes.map((node: any) => node.node), ['myk8s-control-plane', 'myk8s-worker', 'myk8s-worker2', 'myk8s-worker3']);
		assert.deepEqual(report.staleNodes, []);
		assert.ok(report.nodes.every((node: any) => node.sync?.lastSync > 0));
		assert.equal(demo.cluster.server.count('pods') > 0, true, 'the demo has its own pods');
		assert.equal((await svctopInProcess(demo, 'debug-pods')).stdout, '', 'no debug pod left');
	});

	test('nat --all-nodes --service: a bare name is in the context\'s namespace; a Service no node has rules for is explained, not "the same on every node"', async () => {
		const bare = await svctopInProcess(demo, 'nat', '--all-nodes', '--debug-pod', '--service', 'svc-nodeport', '--json');
		assert.equal(bare.code, 0, bare.stderr);
		assert.ok(JSON.parse(bare.stdout).ports.length > 0, 'default/svc-nodeport found on the nodes');
		const missing = await svctopInProcess(demo, 'nat', '--all-nodes', '--debug-pod', '--service', 'default/nosuch');
		assert.equal(missing.code, 1);
		assert.equal(missing.stdout, '');
		assert.match(missing.stderr, /^svctop: no kube-proxy rules for default\/nosuch on any node read: the API has no Service default\/nosuch either$/m);
		const alias = await svctopInProcess(demo, 'nat', '--all-nodes', '--debug-pod', '--service', 'default/api-alias');
		assert.equal(alias.code, 0, alias.stderr);
		assert.match(alias.stderr, /^svctop: no kube-proxy rules for default\/api-alias on any node read: default\/api-alias is an ExternalName Service/m);
		assert.equal((await svctopInProcess(demo, 'debug-pods')).stdout, '', 'no debug pod left');
	});

	test('nat --all-nodes: what the nodes\' rules leave unchecked is said once (a dual-stack Service\'s IPv6 rules were not read)', async () => {
		const run = await svctopInProcess(demo, 'nat', '--all-nodes', '--debug-pod', '--service', 'default/svc-dualstack');
		assert.equal(run.code, 0, run.stderr);
		const notes = run.stdout.split('\n').filter(line => line.startsWith('Note: '));
		assert.equal(notes.length, 1);
		assert.match(notes[0]!, /IPv6 ClusterIP \(default\/svc-dualstack\).*no IPv6 rules/);
		const json = JSON.parse((await svctopInProcess(demo, 'nat', '--all-nodes', '--debug-pod', '--service', 'default/svc-dualstack', '--json')).stdout) as {notes: string[]};
		assert.deepEqual(json.notes, [notes[0]!.slice('Note: '.length)]);
	});

	test('nat --all-nodes (qa10 F4): an internalTrafficPolicy Local Service is internal traffic only, never external', async () => {
		const text = await svctopInProcess(demo, 'nat', '--all-nodes', '--debug-pod', '--service', 'test/nginx-svc-np');
		assert.equal(text.code, 0, text.stderr);
		assert.doesNotMatch(text.stdout, /LOCAL EXTERNAL TRAFFIC/);
		assert.match(text.stdout, /^LOCAL INTERNAL TRAFFIC {2}\(internalTrafficPolicy Local: traffic to the ClusterIP .*\)\n {2}test\/nginx-svc-np:http\/TCP {2}local endpoints on: myk8s-worker, myk8s-worker2; none on: myk8s-control-plane, myk8s-worker3$/m);
		const json = await svctopInProcess(demo, 'nat', '--all-nodes', '--debug-pod', '--service', 'test/nginx-svc-np', '--json');
		assert.deepEqual(JSON.parse(json.stdout).ports.map((port: any) => [port.local.traffic, port.local.kinds]), [['internal', ['clusterIP']]]);
		assert.equal((await svctopInProcess(demo, 'debug-pods')).stdout, '', 'no debug pod left');
	});

	test('probe --from node: answers through the demo\'s data plane, shares from that node\'s rules', async () => {
		const run = await svctopInProcess(demo, 'probe', 'default/svc-nodeport', '--from', 'node/myk8s-worker', '--debug-pod', '--count', '6', '--interval', '1ms');
		assert.equal(run.code, 0, run.stderr);
		assert.match(run.stdout, /6 probes, 6 ok/);
		assert.match(run.stdout, /expected from NAT rules/);
		assert.match(run.stdout, /deploy-echo-\w+-\w+\s+myk8s-worker\d?\s+\d+\s+[\d.]+%\s+33\.3%/);
		assert.equal((await svctopInProcess(demo, 'debug-pods')).stdout, '');
	});

	test('probe --from node --via nodeport: the node\'s own Local NodePort is counted, said to be not judged, and kept out of the chi-square', async () => {
		const run = await svctopInProcess(demo, 'probe', 'default/svc-nodeport', '--via', 'nodeport', '--from', 'node/myk8s-worker', '--debug-pod', '--count', '4', '--interval', '1ms');
		assert.equal(run.code, 0, run.stderr);
		assert.match(run.stdout, /^myk8s-worker \(this node\) 172\.18\.0\.5:\d+: \d\/4 answered, not judged \(own node\): .*cluster-wide endpoints/m);
		assert.doesNotMatch(run.stdout, /NOT as expected/);
		assert.doesNotMatch(run.stdout, /^myk8s-worker\s+172\.18\.0\.5/m, 'not in the judged NODE table');
	});

	test('probe --from nodes: each node in turn, one matrix; a node\'s own Local NodePort is not judged', async () => {
		const run = await svctopInProcess(demo, 'probe', 'default/svc-nodeport', '--via', 'nodeport', '--from', 'nodes', '--debug-pod', '--count', '2', '--interval', '1ms');
		assert.equal(run.code, 0, run.stderr);
		const lines = run.stdout.trim().split('\n');
		assert.match(lines[0]!, /^FROM \\ TO\s+myk8s-control-plane\s+myk8s-worker\s+myk8s-worker2\s+myk8s-worker3$/);
		assert.equal(lines.length, 6);
		// From the control plane to itself: node traffic, which the outside client's expectation does not cover: said so, not a bare count.
		assert.match(lines[1]!, /^myk8s-control-plane\s+\d\/2 not judged \(own node\)\s+\d\/2/);
		assert.match(lines[2]!, /^myk8s-worker\s+0\/2 expected\s+\d\/2 not judged \(own node\)\s/);
		assert.match(lines[5]!, /^not judged \(own node\): .*cluster-wide endpoints/);
		// The flapping pod on myk8s-worker2 never makes a cell "unexpected": each probe is judged by the readiness of its moment.
		assert.doesNotMatch(run.stdout, /unexpected/);
		assert.match(run.stderr, /from myk8s-worker3: \d+\/8 answered/);
		assert.equal((await svctopInProcess(demo, 'debug-pods')).stdout, '');
		const noCount = await svctopInProcess(demo, 'probe', 'default/svc-nodeport', '--from', 'nodes', '--debug-pod');
		assert.equal(noCount.code, 2);
		assert.match(noCount.stderr, /give --count/);
	});
});
