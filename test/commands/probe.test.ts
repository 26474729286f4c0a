import {after, before, describe, test} from 'node:test';
import {execFileSync, spawnSync} from 'node:child_process';
import process from 'node:process';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, {type AddressInfo} from 'node:net';
import type {V1Service} from '@kubernetes/client-node';
import type {ClusterSource} from '../../source/kube/types.js';
import {reportHolds, runProbe, type ProbeCommandOptions} from '../../source/commands/probe.js';
import {startDemoDataPlane, type DemoDataPlane} from '../../source/builtin-cluster/demo/data-plane.js';
import {echoPods, echoSlice, nodePortService, nodes} from '../core/probe/fixtures.js';
import {ensureBuilt, svctopBin} from '../helpers/built-cli.js';

function capture() {
	const out: string[] = [];
	const err: string[] = [];
	return {io: {stdout: {write: (text: string) => out.push(text)}, stderr: {write: (text: string) => err.push(text)}}, out: () => out.join(''), err: () => err.join('')};
}

const objects = {services: [nodePortService('Local')], endpointSlices: [echoSlice()], nodes};
const source: ClusterSource = {
	snapshot: () => ({version: 1, context: 'test', namespace: undefined, ...objects, states: {} as never, lastUpdate: 0}),
	subscribe: () => () => undefined,
	ready: async () => undefined,
	listPods: async () => [],
	setNamespace() {},
	stop: async () => undefined,
};

const defaults: ProbeCommandOptions = {target: '', intervalMs: 2, timeoutMs: 300, mode: 'http', path: '/', json: true, concurrency: 1};

describe('runProbe', () => {
	let server: http.Server;
	let port: number;
	let plane: DemoDataPlane;
	before(async () => {
		server = http.createServer((_request, response) => response.end('hello'));
		port = await new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
		plane = await startDemoDataPlane(() => ({services: objects.services, slices: objects.endpointSlices, nodes}), {dropHoldMs: 1000});
	});
	after(async () => {
		await plane.close();
		await new Promise(resolve => server.close(resolve));
	});

	test('host:port --json: one object per probe with the documented keys, then the summary', async () => {
		const {io, out} = capture();
		assert.equal(await runProbe({...defaults, target: `127.0.0.1:${port}`, count: 4}, io), 0);
		const lines = out().trim().split('\n').map(line => JSON.parse(line) as Record<string, unknown>);
		assert.equal(lines.length, 5);
		assert.deepEqual(Object.keys(lines[0]!), ['seq', 't', 'target', 'ok', 'latencyMs', 'pod', 'node', 'endpoint', 'via', 'error']);
		assert.deepEqual(lines.slice(0, 4).map(line => [line.seq, line.ok, line.pod, line.endpoint, line.via]), [1, 2, 3, 4].map(seq => [seq, true, null, `127.0.0.1:${port}`, 'peer']));
		const summary = (lines[4] as {summary: Record<string, unknown>}).summary;
		assert.deepEqual([summary.count, summary.ok, summary.byPod], [4, 4, {[`127.0.0.1:${port}`]: 4}]);
		assert.ok('pValue' in summary && 'expected' in summary && 'affinity' in summary);
	});

	test('host:port as text: an address has no sessionAffinity, so none is mentioned; the interval reads as typed (qa9 F9)', async () => {
		const {io, out} = capture();
		assert.equal(await runProbe({...defaults, target: `127.0.0.1:${port}`, count: 3, json: false}, io), 0);
		const text = out();
		assert.match(text, /^same pod as the previous answer: 2\/2 \(100\.0%\)$/m, text);
		assert.doesNotMatch(text, /sessionAffinity/);
		// One probe goes at once: the minute is never waited for.
		const minute = capture();
		assert.equal(await runProbe({...defaults, target: `127.0.0.1:${port}`, count: 1, json: false, intervalMs: 60_000}, minute.io), 0);
		assert.match(minute.out(), /every 1m, timeout \S+, 1 probe$/m, minute.out());
	});

	test('stopped while probes hang: the summary says how many were cut short, not counted (qa9 F7)', async () => {
		const held: net.Socket[] = [];
		const hanging = net.createServer(socket => {
			held.push(socket);
			socket.on('error', () => undefined);
		});
		const hangPort = await new Promise<number>(resolve => hanging.listen(0, '127.0.0.1', () => resolve((hanging.address() as AddressInfo).port)));
		try {
			const {io, out} = capture();
			const controller = new AbortController();
			const run = runProbe({...defaults, target: `127.0.0.1:${hangPort}`, json: false, concurrency: 2, timeoutMs: 30_000, count: 10}, io, controller.signal);
			for (let waited = 0; held.length < 2 && waited < 3000; waited += 10) {
				// eslint-disable-next-line no-await-in-loop -- waiting for both probes to connect.
				await new Promise(resolve => setTimeout(resolve, 10));
			}

			controller.abort();
			await run;
			assert.match(out(), /^0 probes, /m);
			assert.match(out(), /^2 probes in flight when stopped: cut short, not counted$/m, out());
		} finally {
			for (const socket of held) {
				socket.destroy();
			}

			hanging.close();
		}
	});

	test('--tcp (no response names a pod, no conntrack on loopback): pods not observed rather than 0, and said why (qa4 F10)', async () => {
		const {io, out} = capture();
		assert.equal(await runProbe({...defaults, target: 'default/svc-nodeport', mode: 'tcp', count: 4, json: false, source, resolveAddress: plane.resolveAddress}, io), 0);
		const text = out();
		assert.match(text, /^deploy-echo-5c689d5454-cjpfp +myk8s-worker2 +- +- +33\.3%$/m, text);
		assert.match(text, /^unknown +4 +100\.0% +-$/m, text);
		assert.match(text, /^4 answers not attributed to any pod \(no conntrack entry, no pod name in the response\): per-pod shares not observed$/m, text);
		assert.doesNotMatch(text, / 0 +0\.0% /, text);
		// Control: the same Service over HTTP names its pods, and no such line.
		const http = capture();
		await runProbe({...defaults, target: 'default/svc-nodeport', count: 3, json: false, source, resolveAddress: plane.resolveAddress}, http.io);
		assert.doesNotMatch(http.out(), /not attributed|^unknown /m, http.out());
	});

	test('ns/name --via nodeport through the demo data plane: pods named by response, Local verdicts', async () => {
		const {io, out} = capture();
		assert.equal(await runProbe({...defaults, target: 'default/svc-nodeport', via: 'nodeport', count: 20, json: false, source, resolveAddress: plane.resolveAddress, timeoutMs: 400}, io), 0);
		const text = out();
		// --count is probes in all (5 rounds of 4 nodes), printed in probe order although the dropped ones end last.
		const seqs = text.split('\n').flatMap(line => /^ +(\d+) {2}\+/.exec(line)?.[1] ?? []).map(Number);
		assert.deepEqual(seqs, Array.from({length: 20}, (_, i) => i + 1));
		assert.match(text, /^PROBE default\/svc-nodeport:svc-webport \(nodePort 4 addresses\)/);
		assert.match(text, /deploy-echo-5c689d5454-cjpfp {2}myk8s-worker2 {2}\(response\)/);
		assert.match(text, /myk8s-control-plane +172\.18\.0\.3:31254 +0\/5 +unreachable +dropped as expected/);
		assert.match(text, /myk8s-worker2 +172\.18\.0\.2:31254 +5\/5 +reachable +ok/);
		// The control plane's drops are what kube-proxy is told to do: apart from failures, out of the success rate.
		assert.match(text, /^20 probes, 15 ok \(100\.0% of the 15 that should be answered\), 5 dropped as expected, 0 failed, latency/m);
		assert.match(text, /^dropped as expected \(Local, no endpoints on myk8s-control-plane\): 5$/m);
		assert.match(text, /^ +1 {2}\+0\.\d{3}s {2}172\.18\.0\.3:31254 +drop +\d+ ms {2}dropped as expected \(Local, no endpoints on myk8s-control-plane\)$/m);
		assert.doesNotMatch(text, /failures:|FAIL/);
		// No sessionAffinity: the repeats are a number, no verdict.
		assert.match(text, /^same pod as the previous answer: \d+\/\d+ \(.*\); sessionAffinity None, no stickiness promised$/m);
		assert.doesNotMatch(text, /holds|violated/);
	});

	test('6 probes over 3 pods (expected 2 each): too few samples for a chi-square verdict, and none is given', async () => {
		const {io, out} = capture();
		assert.equal(await runProbe({...defaults, target: 'default/svc-nodeport', count: 6, json: false, source, resolveAddress: plane.resolveAddress, timeoutMs: 400}, io), 0);
		const text = out();
		assert.match(text, /^6 probes, 6 ok/m);
		assert.match(text, /^chi-square: too few samples for a verdict \(need about 15\)$/m);
		assert.doesNotMatch(text, /consistent with expected|doubtful|NOT as expected|p = /);
	});

	test('--json says the same: the summary\'s verdict is too-few with the samples needed, beside the bare p-value', async () => {
		const {io, out} = capture();
		assert.equal(await runProbe({...defaults, target: 'default/svc-nodeport', count: 6, json: true, source, resolveAddress: plane.resolveAddress, timeoutMs: 400}, io), 0);
		const summary = (out().trim().split('\n').map(line => JSON.parse(line) as Record<string, any>).at(-1)!).summary as Record<string, any>;
		assert.deepEqual(summary.verdict, {kind: 'too-few', needed: 15});
		assert.equal(typeof summary.pValue, 'number');
	});

	test('the POD table names the node of a pod that got no answer (from its EndpointSlice)', async () => {
		const {io, out} = capture();
		assert.equal(await runProbe({...defaults, target: 'default/svc-nodeport', count: 1, json: false, source, resolveAddress: plane.resolveAddress, timeoutMs: 400}, io), 0);
		const text = out();
		for (const [pod, , node] of echoPods) {
			assert.match(text, new RegExp(`^${pod}  ${node} +[01] `, 'm'), text);
		}

		assert.equal(text.match(/^deploy-echo-\S+ +myk8s-worker\d? +0 /gm)?.length, 2, 'two pods without an answer');
	});

	test('--count N is N probes in all, however many nodes: 10 over 4 NodePorts is 3, 3, 2, 2', async () => {
		const {io, out} = capture();
		await runProbe({...defaults, target: 'default/svc-nodeport', via: 'nodeport', count: 10, source, resolveAddress: plane.resolveAddress, timeoutMs: 500}, io);
		const lines = out().trim().split('\n').map(line => JSON.parse(line) as Record<string, any>);
		assert.equal(lines.length, 11);
		assert.deepEqual(lines.slice(0, 10).map(line => line.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
		assert.deepEqual(lines[10]!.summary.series.map((entry: {count: number}) => entry.count), [3, 3, 2, 2]);
		// JSON: the control plane's 3 timeouts are expected drops, marked per sample and counted apart.
		assert.deepEqual(lines.filter(line => line.target === '172.18.0.3:31254').map(line => [line.error, line.dropExpected]), Array.from({length: 3}, () => ['timeout', 'Local, no endpoints on myk8s-control-plane']));
		const {summary} = lines[10]!;
		assert.deepEqual([summary.count, summary.ok, summary.dropped, summary.failed, summary.successRate, summary.dropReasons], [10, 7, 3, 0, 1, {'Local, no endpoints on myk8s-control-plane': 3}]);
	});

	test('ClientIP: EXPECTED is all on one pod, not the NAT split; the verdict names the pod', async () => {
		const stickyObjects = {services: [nodePortService('Cluster', 'ClientIP')], endpointSlices: [echoSlice()], nodes};
		const stickySource: ClusterSource = {...source, snapshot: () => ({...source.snapshot(), ...stickyObjects})};
		const stickyPlane = await startDemoDataPlane(() => ({services: stickyObjects.services, slices: stickyObjects.endpointSlices, nodes}));
		try {
			const {io, out} = capture();
			const split = new Map([['10.10.1.3:8080', 0.367], ['10.10.2.3:8080', 0.266], ['10.10.3.4:8080', 0.367]]);
			await runProbe({...defaults, json: false, target: 'default/svc-nodeport:9000', count: 12, source: stickySource, resolveAddress: stickyPlane.resolveAddress, probabilities: split}, io);
			const text = out();
			const rows = text.split('\n').filter(line => line.startsWith('deploy-echo-'));
			assert.equal(rows.length, 3);
			assert.doesNotMatch(text, /36\.7%|26\.6%/);
			const pinned = rows.find(row => / 12 +100\.0% +100\.0%$/.test(row));
			assert.ok(pinned, rows.join('\n'));
			assert.equal(rows.filter(row => / 0 +0\.0% +0\.0%$/.test(row)).length, 2, rows.join('\n'));
			const pod = pinned.split(' ')[0]!;
			assert.match(text, new RegExp(`^affinity ClientIP \\(60s\\): 11/11 follow-ups on the same pod \\(${pod}\\) -> holds$`, 'm'));
			assert.match(text, /^expected: every answer from one pod/m);
		} finally {
			await stickyPlane.close();
		}
	});

	test('ClusterIP --json: shares against 1/n with a p-value', async () => {
		const {io, out} = capture();
		await runProbe({...defaults, target: 'default/svc-nodeport:9000', count: 60, source, resolveAddress: plane.resolveAddress}, io);
		const summary = (JSON.parse(out().trim().split('\n').at(-1)!) as {summary: {byPod: Record<string, number>; expected: Record<string, number>; pValue: number}}).summary;
		assert.equal(Object.values(summary.byPod).reduce((a, b) => a + b, 0), 60);
		assert.deepEqual(Object.values(summary.expected).map(share => share.toFixed(4)), ['0.3333', '0.3333', '0.3333']);
		assert.ok(summary.pValue > 1e-6, `p ${summary.pValue}`);
	});

	test('a pod going not ready mid-run: the expectation follows it and the run is judged balanced', async () => {
		const live = {services: [nodePortService('Cluster')], endpointSlices: [echoSlice(3)], nodes, version: 1};
		const listeners = new Set<() => void>();
		const flapping: ClusterSource = {
			...source,
			snapshot: () => ({version: live.version, context: 'test', namespace: undefined, services: live.services, endpointSlices: live.endpointSlices, nodes, states: {} as never, lastUpdate: 0}),
			subscribe(listener) {
				listeners.add(listener);
				return () => listeners.delete(listener);
			},
		};
		const livePlane = await startDemoDataPlane(() => ({services: live.services, slices: live.endpointSlices, nodes}));
		try {
			const lines: string[] = [];
			const io = {
				stdout: {
					write(text: string) {
						lines.push(text);
						if (lines.length === 60) {
							// The third pod (b7gng) fails its readiness probe: kube-proxy and the cache both drop it.
							live.endpointSlices = [echoSlice(2)];
							live.version++;
							for (const listener of listeners) {
								listener();
							}
						}
					},
				},
				stderr: {write: () => undefined},
			};
			assert.equal(await runProbe({...defaults, target: 'default/svc-nodeport:9000', count: 120, source: flapping, resolveAddress: livePlane.resolveAddress}, io), 0);
			const samples = lines.slice(0, -1).map(line => JSON.parse(line) as {pod: string});
			const summary = (JSON.parse(lines.at(-1)!) as {summary: {byPod: Record<string, number>; expected: Record<string, number>; pValue: number}}).summary;
			const out = 'deploy-echo-5c689d5454-b7gng';
			// Probes already in flight when the pod flips may still reach it (recording trails the next launch,
			// and a loaded machine stretches that); well after the change it gets nothing.
			assert.ok(samples.slice(80).every(sample => sample.pod !== out), 'no answer from the pod while not ready');
			assert.ok(samples.slice(0, 60).some(sample => sample.pod === out), 'it did answer before the change');
			// 60 answers at 1/3, 60 at 0: 1/6 expected over the run (the change lands between answers 60 and 62).
			assert.ok(Math.abs(summary.expected[out]! - 1 / 6) < 0.02, `expected ${summary.expected[out]}`);
			assert.ok(summary.pValue > 1e-6, `p ${summary.pValue}`);
		} finally {
			await livePlane.close();
		}
	});

	test('the summary says where the expectation came from: NAT rules when read, else 1/n quietly', async () => {
		const clusterSource: ClusterSource = {...source, snapshot: () => ({...source.snapshot(), services: [nodePortService('Cluster')]})};
		const rules = async () => '-A -t 10.200.1.60:9000 -s rr\n-a -t 10.200.1.60:9000 -r 10.10.1.3:8080 -m -w 1\n-a -t 10.200.1.60:9000 -r 10.10.2.3:8080 -m -w 1\n-a -t 10.200.1.60:9000 -r 10.10.3.4:8080 -m -w 1\n';
		const fromNat = capture();
		await runProbe({...defaults, json: false, target: 'default/svc-nodeport:9000', count: 6, source: clusterSource, resolveAddress: plane.resolveAddress, natRules: rules}, fromNat.io);
		assert.match(fromNat.out(), /^expected from NAT rules$/m);
		const failing = capture();
		await runProbe({...defaults, json: true, target: 'default/svc-nodeport:9000', count: 6, source: clusterSource, resolveAddress: plane.resolveAddress, natRules: async () => {
			throw new Error('iptables-save: permission denied');
		}}, failing.io);
		assert.equal(failing.err(), '');
		const summary = (JSON.parse(failing.out().trim().split('\n').at(-1)!) as {summary: {expectedFrom: string}}).summary;
		assert.equal(summary.expectedFrom, 'ready');
	});

	test('a reply cut mid-body is a failed sample with its reason, still attributed to the pod that sent it', async () => {
		const truncating = net.createServer(socket => {
			socket.on('error', () => undefined);
			socket.once('data', () => {
				socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ndeploy-echo-5c689d5454-cjpfp\n');
				setTimeout(() => socket.end(), 10);
			});
		});
		const truncPort = await new Promise<number>(resolve => truncating.listen(0, '127.0.0.1', () => resolve((truncating.address() as AddressInfo).port)));
		try {
			const {io, out} = capture();
			assert.equal(await runProbe({...defaults, target: 'default/svc-nodeport:9000', count: 3, source, resolveAddress: () => ({host: '127.0.0.1', port: truncPort})}, io), 1);
			const lines = out().trim().split('\n').map(line => JSON.parse(line) as Record<string, any>);
			assert.deepEqual(lines.slice(0, 3).map(line => [line.ok, line.error, line.pod, line.via]), Array.from({length: 3}, () => [false, 'truncated body', 'deploy-echo-5c689d5454-cjpfp', 'response']));
			assert.deepEqual([lines[3]!.summary.ok, lines[3]!.summary.series[0].errors], [0, {'truncated body': 3}]);
		} finally {
			await new Promise(resolve => truncating.close(resolve));
		}
	});

	test('a raw ip:port with the node\'s rules: looked up there (UDP for --dns), expected shares from them', async () => {
		const dns = [
			'*nat', ':KUBE-SERVICES - [0:0]', ':KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]', ':KUBE-SEP-AAAAAAAAAAAAAAAA - [0:0]', ':KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]',
			'-A KUBE-SERVICES -d 127.0.0.1/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 9 -j KUBE-SVC-TCOU7JCQXEZGVUNU',
			'-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.2:53" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-AAAAAAAAAAAAAAAA',
			'-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.3:53" -j KUBE-SEP-BBBBBBBBBBBBBBBB',
			'-A KUBE-SEP-AAAAAAAAAAAAAAAA -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.244.0.2:53',
			'-A KUBE-SEP-BBBBBBBBBBBBBBBB -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.244.0.3:53',
			'COMMIT', '',
		].join('\n');
		const udp = capture();
		await runProbe({...defaults, json: false, target: '127.0.0.1:9', mode: 'dns', count: 1, timeoutMs: 50, natRules: async () => dns}, udp.io);
		assert.match(udp.out(), /^PROBE 127\.0\.0\.1:9 \(kube-system\/kube-dns:dns clusterIP in this node's rules\)/);
		assert.match(udp.out(), /^10\.244\.0\.2:53 +0 +- +50\.0%$/m);
		assert.match(udp.out(), /^expected from NAT rules$/m);
		// The same address over TCP is not that Service port: nothing expected.
		const tcp = capture();
		await runProbe({...defaults, target: '127.0.0.1:9', count: 1, timeoutMs: 50, natRules: async () => dns}, tcp.io);
		assert.deepEqual((JSON.parse(tcp.out().trim().split('\n').at(-1)!) as {summary: {expected: unknown}}).summary.expected, {});
	});

	test('an ExternalName without ports is probed through the name it points to: one lookup per probe', async () => {
		const alias = {metadata: {namespace: 'default', name: 'db'}, spec: {type: 'ExternalName', externalName: 'db.example.test'}};
		const aliasSource: ClusterSource = {...source, snapshot: () => ({...source.snapshot(), services: [alias]})};
		const asked: string[] = [];
		const answers = [['192.0.2.10', '192.0.2.11'], ['192.0.2.11', '192.0.2.10'], []];
		const resolveName = async (name: string) => {
			asked.push(name);
			const addresses = answers[(asked.length - 1) % answers.length]!;
			return {name, chain: ['db.internal.example.test'], addresses, ...(addresses.length === 0 ? {error: 'queryA ENOTFOUND db.example.test'} : {})};
		};

		const {io, out} = capture();
		assert.equal(await runProbe({...defaults, json: false, target: 'default/db', count: 3, source: aliasSource, resolveName}, io), 0);
		assert.deepEqual(asked, ['db.example.test', 'db.example.test', 'db.example.test']);
		const text = out();
		assert.match(text, /^PROBE default\/db \(ExternalName: lookups of db\.example\.test\) {2}resolve/);
		// The same address set in another order is the same answer.
		assert.match(text, /^192\.0\.2\.10 192\.0\.2\.11 +2 +100\.0% +-$/m);
		assert.match(text, /FAIL .*dns failure: queryA ENOTFOUND db\.example\.test$/m);
	});

	test('a URL target: the header shows the path and query the server is asked for', async () => {
		const asked: string[] = [];
		const urlServer = http.createServer((request, response) => {
			asked.push(request.url ?? '');
			response.end('ok');
		});
		const urlPort = await new Promise<number>(resolve => urlServer.listen(0, '127.0.0.1', () => resolve((urlServer.address() as AddressInfo).port)));
		try {
			const {io, out} = capture();
			assert.equal(await runProbe({...defaults, target: `http://127.0.0.1:${urlPort}/some/path?q=1`, count: 1, json: false}, io), 0);
			assert.deepEqual(asked, ['/some/path?q=1']);
			assert.match(out(), new RegExp(`^PROBE http://127\\.0\\.0\\.1:${urlPort}/some/path\\?q=1 +http GET /some/path\\?q=1 +every`));
			// One probe is one probe, in the header and the summary.
			assert.match(out(), /timeout 300ms, 1 probe\n/);
			assert.match(out(), /^1 probe, 1 ok \(100\.0%\)/m);
		} finally {
			await new Promise(resolve => urlServer.close(resolve));
		}
	});

	test('abort prints the summary and exits cleanly', async () => {
		const {io, out} = capture();
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 80);
		assert.equal(await runProbe({...defaults, target: `127.0.0.1:${port}`, intervalMs: 10, json: false}, io, controller.signal), 0);
		assert.match(out(), /--- 127\.0\.0\.1:\d+ ---\n\d+ probes, \d+ ok \(100\.0%\)/);
	});

	test('every probe failing exits 1', async () => {
		const {io, out} = capture();
		assert.equal(await runProbe({...defaults, target: 'default/svc-nodeport', via: 'nodeport', count: 1, source, resolveAddress: () => ({host: '127.0.0.1', port: 1})}, io), 1);
		assert.match(out(), /"error":"refused"/);
	});

	test('failures where no pod can answer (no ready endpoints) name that cause; failures with ready endpoints do not', async () => {
		const refusing = () => ({host: '127.0.0.1', port: 1});
		const withReady = (ready: number): ClusterSource => ({...source, snapshot: () => ({...source.snapshot(), endpointSlices: [echoSlice(ready)]})});
		const none = capture();
		assert.equal(await runProbe({...defaults, target: 'default/svc-nodeport', via: 'clusterip', count: 2, json: false, source: withReady(0), resolveAddress: refusing}, none.io), 1);
		assert.match(none.out(), /^failures: refused 2\ncause: no ready endpoints: no pod can answer this Service$/m);
		const some = capture();
		assert.equal(await runProbe({...defaults, target: 'default/svc-nodeport', via: 'clusterip', count: 2, json: false, source: withReady(2), resolveAddress: refusing}, some.io), 1);
		assert.match(some.out(), /^failures: refused 2$/m);
		assert.doesNotMatch(some.out(), /cause:/);
		const json = capture();
		await runProbe({...defaults, target: 'default/svc-nodeport', via: 'clusterip', count: 1, source: withReady(0), resolveAddress: refusing}, json.io);
		const summary = JSON.parse(json.out().trim().split('\n').at(-1)!) as {summary: {series: Array<{unanswerable: string | null}>}};
		assert.deepEqual(summary.summary.series.map(series => series.unanswerable), ['no ready endpoints']);
	});

	const errors: Array<[Partial<ProbeCommandOptions>, RegExp]> = [
		[{target: 'nonsense'}, /invalid target "nonsense"/],
		[{target: 'default/svc-nodeport'}, /needs a cluster/],
		[{target: '127.0.0.1:80', match: '('}, /invalid --match/],
		[{target: '127.0.0.1:80', count: 0}, /--count must be a positive integer/],
		[{target: '127.0.0.1:80', timeoutMs: 0}, /--timeout/],
		[{target: 'default/svc-nodeport', via: 'sideways', source}, /invalid --via/],
		[{target: '127.0.0.1:80', via: 'nodeport'}, /--via applies to ns\/name/],
	];
	for (const [options, message] of errors) {
		test(`error: ${message.source}`, async () => {
			const {io, out, err} = capture();
			assert.equal(await runProbe({...defaults, ...options}, io), 2);
			assert.match(err(), message);
			assert.equal(err().split('\n').length, 2, 'one line');
			assert.equal(out(), '');
		});
	}

	// An explicit --via names what to probe: a Service without that path is an error, never another target probed instead.
	const withService = (service: V1Service): ClusterSource => ({...source, snapshot: () => ({...source.snapshot(), services: [service]})});
	const clusterIpService: V1Service = {...nodePortService('Cluster'), spec: {...nodePortService('Cluster').spec, type: 'ClusterIP', ports: [{name: 'svc-webport', port: 9000, protocol: 'TCP'}]}};
	const pendingLb: V1Service = {...nodePortService('Cluster'), spec: {...nodePortService('Cluster').spec, type: 'LoadBalancer'}, status: {loadBalancer: {}}};
	const missingPaths: Array<[V1Service, string, RegExp]> = [
		[clusterIpService, 'nodeport', /is type ClusterIP, not NodePort: it has no NodePort/],
		[clusterIpService, 'external', /has no externalIPs/],
		[clusterIpService, 'lb', /is type ClusterIP, not LoadBalancer/],
		[pendingLb, 'lb', /has no load-balancer address yet \(status pending\)/],
	];
	for (const [service, via, message] of missingPaths) {
		test(`--via ${via} on a ${service.spec!.type} Service without it: one line, exit 1, nothing probed`, async () => {
			const {io, out, err} = capture();
			let dialled = 0;
			const resolveAddress = () => {
				dialled++;
				return {host: '127.0.0.1', port};
			};

			assert.equal(await runProbe({...defaults, target: 'default/svc-nodeport', via, count: 2, source: withService(service), resolveAddress, serviceWaitMs: 100}, io), 1);
			assert.match(err(), message);
			assert.equal(err().split('\n').length, 2, 'one line');
			assert.equal(out(), '');
			assert.equal(dialled, 0);
		});
	}

	test('without --via a ClusterIP Service is still probed by its ClusterIP', async () => {
		const {io, out} = capture();
		assert.equal(await runProbe({...defaults, target: 'default/svc-nodeport', count: 2, source: withService(clusterIpService), resolveAddress: () => ({host: '127.0.0.1', port})}, io), 0);
		assert.match(out(), /"target":"10\.200\.1\.60:9000"/);
	});

	test('a Service that does not exist is one line, exit 1', async () => {
		const {io, err} = capture();
		const emptySource = {...source, snapshot: () => ({...source.snapshot(), namespace: 'default', services: []}), subscribe: () => () => undefined};
		const started = Date.now();
		assert.equal(await runProbe({...defaults, target: 'default/ghost', source: emptySource, serviceWaitMs: 100}, io), 1);
		assert.equal(err(), 'svctop: service default/ghost not found\n');
		assert.ok(Date.now() - started >= 95, 'waited for the informer');
	});
});

test('probe --help says what --count and --concurrency count', () => {
	ensureBuilt();
	const help = execFileSync(process.execPath, [svctopBin, 'probe', '--help'], {encoding: 'utf8', env: {...process.env, KUBECONFIG: '/nonexistent'}});
	assert.match(help, /--count N +stop after N probes in all, over every node or address/);
	assert.match(help, /--concurrency N +probes in flight at most, per node or address/);
});

// The demo's splice used to reset a socket it had already ended after a TCP probe closed: node left
// that handle open and the process spun at exit, after printing its summary.
test('probe --demo --tcp exits after its summary', () => {
	ensureBuilt();
	const result = spawnSync(process.execPath, [svctopBin, 'probe', '--demo', 'default/svc-clusterip', '--tcp', '--count', '2', '--interval', '100ms'], {
		encoding: 'utf8',
		timeout: 40_000,
		env: {...process.env, KUBECONFIG: '/nonexistent'},
	});
	assert.match(result.stdout, /^2 probes, 2 ok/m);
	assert.equal(result.signal, null, `still running 40 s later (killed by ${result.signal})`);
	assert.equal(result.status, 0);
});

test('probe: stderr says once when the conntrack table holds the loop and once when it goes on, not at every figure that moves', () => {
	let held: string | undefined;
	const listeners = new Set<() => void>();
	const store = {
		snapshot: () => ({held}),
		subscribe(listener: () => void) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
	};
	const set = (reason: string | undefined) => {
		held = reason;
		for (const listener of listeners) {
			listener();
		}
	};

	const written: string[] = [];
	const stop = reportHolds(store as unknown as Parameters<typeof reportHolds>[0], {write: text => written.push(text)});
	set(undefined);
	set('this node\'s conntrack table is 78% full (204,519 of 262,144 entries)');
	set('this node\'s conntrack table is 79% full (207,000 of 262,144 entries)');
	set(undefined);
	set(undefined);
	stop();
	set('held again after the run');
	assert.deepEqual(written, [
		'svctop: probing held: this node\'s conntrack table is 78% full (204,519 of 262,144 entries)\n',
		'svctop: probing resumed: the conntrack table has room again\n',
	]);
});
