import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync, spawn, spawnSync, type ChildProcess} from 'node:child_process';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath} from 'node:url';
import type {V1EndpointSlice, V1Node, V1Service} from '@kubernetes/client-node';
import {chiSquareGoodnessOfFit} from '../../../source/core/probe/chi-square.js';
import {inNs, missingTool as missingToolFor, sh} from '../../helpers/netns.js';

/*
 * The real kernel: namespaces for two nodes, three pods (all on node A) and an outside client.
 *
 *   client 172.30.1.1 --veth-- 172.30.1.10 nodeA (br0 10.244.1.1/24) --veth-- pods 10.244.1.2-4:8080
 *   client 172.30.2.1 --veth-- 172.30.2.11 nodeB (no pods)
 *
 * kube-proxy-shaped nat rules are loaded with iptables-restore in each node. Node A: ClusterIP
 * 10.96.0.10:80 -> KUBE-SVC with statistic probabilities 0.2 / 0.375 / rest (shares 0.2, 0.3, 0.5);
 * a ClientIP variant 10.96.0.11:80 with -m recent; NodePort 30080 with externalTrafficPolicy Local.
 * Node B: the same NodePort without local endpoints, dropped in the filter table.
 */

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const prefix = `svtp${process.pid % 100_000}`;
const ns = {a: `${prefix}a`, b: `${prefix}b`, client: `${prefix}c`, pods: [1, 2, 3].map(i => `${prefix}p${i}`)};
const podIps = ['10.244.1.2', '10.244.1.3', '10.244.1.4'];
const podNames = ['echo-6d5f8-aaaaa', 'echo-6d5f8-bbbbb', 'echo-6d5f8-ccccc'];
const shares = [0.2, 0.3, 0.5];
/*
 * The kernel's split is random, so a fit test fails by chance as often as its p-value floor says.
 * At 1e-6 that is never in practice; 1,000 probes still tell 0.2/0.3/0.5 from an even split far
 * below the floor (chi-square about 140 against 27.6 at p = 1e-6, df 2).
 */
const probeCount = 1000;
const fitFloor = 1e-6;

const missingTool = () => missingToolFor(['ip', 'iptables-restore', 'conntrack']);

function nodeARules(): string {
	const sep = (chain: string, ip: string, recent?: string) => [
		`-A ${chain} -s ${ip}/32 -m comment --comment "default/echo:http" -j KUBE-MARK-MASQ`,
		`-A ${chain} -p tcp -m comment --comment "default/echo:http"${recent ? ` -m recent --set --name ${recent} --mask 255.255.255.255 --rsource` : ''} -m tcp -j DNAT --to-destination ${ip}:8080`,
	];
	const svc = (chain: string, prefixSep: string) => [
		`-A ${chain} -m comment --comment "default/echo:http -> ${podIps[0]}:8080" -m statistic --mode random --probability 0.20000000000 -j ${prefixSep}1`,
		`-A ${chain} -m comment --comment "default/echo:http -> ${podIps[1]}:8080" -m statistic --mode random --probability 0.37500000000 -j ${prefixSep}2`,
		`-A ${chain} -m comment --comment "default/echo:http -> ${podIps[2]}:8080" -j ${prefixSep}3`,
	];
	return [
		'*nat',
		':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
		':KUBE-SERVICES - [0:0]', ':KUBE-NODEPORTS - [0:0]', ':KUBE-MARK-MASQ - [0:0]',
		':KUBE-SVC-ECHO00000000000 - [0:0]', ':KUBE-SVL-ECHO00000000000 - [0:0]', ':KUBE-EXT-ECHO00000000000 - [0:0]',
		':KUBE-SVC-STICKY000000000 - [0:0]',
		...[1, 2, 3].flatMap(i => [`:KUBE-SEP-ECHO${i} - [0:0]`, `:KUBE-SEP-STICKY${i} - [0:0]`]),
		'-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
		'-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
		'-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
		'-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/echo:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-ECHO00000000000',
		'-A KUBE-SERVICES -d 10.96.0.11/32 -p tcp -m comment --comment "default/sticky:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-STICKY000000000',
		'-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
		'-A KUBE-NODEPORTS -p tcp -m comment --comment "default/echo:http" -m tcp --dport 30080 -j KUBE-EXT-ECHO00000000000',
		'-A KUBE-EXT-ECHO00000000000 -s 10.244.0.0/16 -m comment --comment "pod traffic for default/echo:http external destinations" -j KUBE-SVC-ECHO00000000000',
		'-A KUBE-EXT-ECHO00000000000 -j KUBE-SVL-ECHO00000000000',
		...svc('KUBE-SVC-ECHO00000000000', 'KUBE-SEP-ECHO'),
		...svc('KUBE-SVL-ECHO00000000000', 'KUBE-SEP-ECHO'),
		...[1, 2, 3].map(i => `-A KUBE-SVC-STICKY000000000 -m comment --comment "default/sticky:http -> ${podIps[i - 1]}:8080" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-STICKY${i} --mask 255.255.255.255 --rsource -j KUBE-SEP-STICKY${i}`),
		'-A KUBE-SVC-STICKY000000000 -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-STICKY1',
		'-A KUBE-SVC-STICKY000000000 -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-STICKY2',
		'-A KUBE-SVC-STICKY000000000 -j KUBE-SEP-STICKY3',
		...[1, 2, 3].flatMap(i => [...sep(`KUBE-SEP-ECHO${i}`, podIps[i - 1]!), ...sep(`KUBE-SEP-STICKY${i}`, podIps[i - 1]!, `KUBE-SEP-STICKY${i}`)]),
		'COMMIT',
		'',
	].join('\n');
}

function nodeBRules(): string {
	return [
		'*nat',
		':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
		':KUBE-SERVICES - [0:0]', ':KUBE-NODEPORTS - [0:0]', ':KUBE-EXT-ECHO00000000000 - [0:0]', ':KUBE-SVL-ECHO00000000000 - [0:0]',
		'-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
		'-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
		'-A KUBE-NODEPORTS -p tcp -m comment --comment "default/echo:http" -m tcp --dport 30080 -j KUBE-EXT-ECHO00000000000',
		'-A KUBE-EXT-ECHO00000000000 -j KUBE-SVL-ECHO00000000000',
		'COMMIT',
		'*filter',
		':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':KUBE-EXTERNAL-SERVICES - [0:0]',
		'-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
		'-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/echo:http has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP',
		'COMMIT',
		'',
	].join('\n');
}

function service(name: string, clusterIP: string, affinity: 'None' | 'ClientIP'): V1Service {
	return {
		metadata: {namespace: 'default', name},
		spec: {
			type: 'NodePort', clusterIP, clusterIPs: [clusterIP], externalTrafficPolicy: 'Local', sessionAffinity: affinity,
			ports: [{name: 'http', port: 80, targetPort: 8080 as never, nodePort: 30_080, protocol: 'TCP'}],
		},
	};
}

const slices: V1EndpointSlice[] = ['echo', 'sticky'].map(name => ({
	metadata: {namespace: 'default', name: `${name}-x`, labels: {'kubernetes.io/service-name': name}},
	addressType: 'IPv4',
	ports: [{name: 'http', port: 8080, protocol: 'TCP'}],
	endpoints: podIps.map((ip, i) => ({addresses: [ip], conditions: {ready: true}, nodeName: 'node-a', targetRef: {kind: 'Pod', namespace: 'default', name: podNames[i]!}})),
}));
const nodes: V1Node[] = [['node-a', '172.30.1.10'], ['node-b', '172.30.2.11']].map(([name, ip]) => ({metadata: {name}, status: {addresses: [{type: 'InternalIP', address: ip!}]}}));
const objects = {services: [service('echo', '10.96.0.10', 'None'), service('sticky', '10.96.0.11', 'ClientIP')], endpointSlices: slices, nodes};

type Line = {seq?: number; ok?: boolean; pod?: string | null; via?: string; error?: string | null; target?: string; dropExpected?: string; summary?: Record<string, any>};

function probeIn(name: string, options: Record<string, unknown>, probabilities?: Record<string, number>, natFromKernel = false): Line[] {
	const input = JSON.stringify({objects, options: {intervalMs: 2, timeoutMs: 500, mode: 'http', path: '/', json: true, concurrency: 1, ...options}, probabilities, natFromKernel});
	const result = spawnSync('ip', ['netns', 'exec', name, process.execPath, '--import', 'tsx', 'test/node/probe/fixtures/kernel-probe.ts', input], {cwd: repo, encoding: 'utf8', timeout: 90_000});
	assert.equal(result.stderr, '', 'no errors on stderr');
	return result.stdout.trim().split('\n').map(line => JSON.parse(line) as Line);
}

/** Polls (the servers' counts come through pipes) until `done`, for at most two seconds. */
async function waitFor(done: () => boolean): Promise<void> {
	for (let i = 0; i < 200 && !done(); i++) {
		// eslint-disable-next-line no-await-in-loop -- polling the servers' pipes.
		await new Promise(resolve => setTimeout(resolve, 10));
	}
}

/** Waits until `counts` have not changed for 200 ms (at most two seconds). */
async function waitForQuiet(counts: readonly number[]): Promise<void> {
	let last = counts.join();
	let quietSince = performance.now();
	for (let i = 0; i < 200 && performance.now() - quietSince < 200; i++) {
		// eslint-disable-next-line no-await-in-loop -- polling the servers' pipes.
		await new Promise(resolve => setTimeout(resolve, 10));
		if (counts.join() !== last) {
			last = counts.join();
			quietSince = performance.now();
		}
	}
}

const skipReason = missingTool();

describe('real kernel: kube-proxy rules in network namespaces, attributed by conntrack', {skip: skipReason ? `skipped: ${skipReason}` : false}, () => {
	const servers: ChildProcess[] = [];
	/** Requests each pod's server answered, by its own count. */
	const served = podNames.map(() => 0);
	let setupError: string | undefined;

	before(async () => {
		try {
			for (const name of [ns.a, ns.b, ns.client, ...ns.pods]) {
				sh('ip', 'netns', 'add', name);
				inNs(name, 'ip', 'link', 'set', 'lo', 'up');
			}

			inNs(ns.a, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
			inNs(ns.a, 'ip', 'addr', 'add', '10.244.1.1/24', 'dev', 'br0');
			inNs(ns.a, 'ip', 'link', 'set', 'br0', 'up');
			for (const [i, pod] of ns.pods.entries()) {
				sh('ip', 'link', 'add', `vp${i}`, 'netns', ns.a, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod);
				inNs(ns.a, 'ip', 'link', 'set', `vp${i}`, 'master', 'br0', 'up');
				inNs(pod, 'ip', 'addr', 'add', `${podIps[i]}/24`, 'dev', 'eth0');
				inNs(pod, 'ip', 'link', 'set', 'eth0', 'up');
				inNs(pod, 'ip', 'route', 'add', 'default', 'via', '10.244.1.1');
			}

			for (const [node, client, nodeIp, clientIp] of [[ns.a, 'va', '172.30.1.10', '172.30.1.1'], [ns.b, 'vb', '172.30.2.11', '172.30.2.1']] as const) {
				sh('ip', 'link', 'add', 'eth1', 'netns', node, 'type', 'veth', 'peer', 'name', client, 'netns', ns.client);
				inNs(node, 'ip', 'addr', 'add', `${nodeIp}/24`, 'dev', 'eth1');
				inNs(node, 'ip', 'link', 'set', 'eth1', 'up');
				inNs(node, 'ip', 'route', 'add', 'default', 'via', clientIp);
				inNs(ns.client, 'ip', 'addr', 'add', `${clientIp}/24`, 'dev', client);
				inNs(ns.client, 'ip', 'link', 'set', client, 'up');
			}

			inNs(ns.a, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
			execFileSync('ip', ['netns', 'exec', ns.a, 'iptables-restore'], {input: nodeARules()});
			execFileSync('ip', ['netns', 'exec', ns.b, 'iptables-restore'], {input: nodeBRules()});
			// The pods answer "ok" and nothing else: only conntrack can tell them apart. Each also
			// prints a dot per request it served, so the test knows which pod served how many.
			await Promise.all(ns.pods.map((pod, i) => new Promise<void>((resolve, reject) => {
				const child = spawn('ip', ['netns', 'exec', pod, process.execPath, '-e', 'require("http").createServer((q,s)=>{s.end("ok");process.stdout.write(".")}).listen(8080,()=>console.log("ready"))'], {stdio: ['ignore', 'pipe', 'inherit']});
				servers.push(child);
				child.stdout!.once('data', () => resolve());
				child.stdout!.on('data', (data: Buffer) => {
					served[i]! += data.toString('latin1').split('.').length - 1;
				});
				child.once('exit', code => reject(new Error(`echo server in ${pod} exited ${code}`)));
			})));
		} catch (error) {
			setupError = (error as Error & {stderr?: Buffer}).stderr?.toString() || (error as Error).message;
		}
	});

	after(() => {
		for (const child of servers) {
			child.kill();
		}

		for (const name of [ns.a, ns.b, ns.client, ...ns.pods]) {
			spawnSync('ip', ['netns', 'del', name]);
		}
	});

	test('conntrack -E listening is seen in /proc (the engine waits for it before its first probe); a process without a netlink socket is not', t => {
		if (setupError) {
			t.skip(`namespace setup failed here: ${setupError.trim()}`);
			return;
		}

		const result = spawnSync('ip', ['netns', 'exec', ns.a, process.execPath, '--import', 'tsx', 'test/node/probe/fixtures/conntrack-listens.ts'], {cwd: repo, encoding: 'utf8', timeout: 30_000});
		assert.equal(result.stderr, '', 'no errors on stderr');
		const seen = JSON.parse(result.stdout) as {listening: boolean; ms: number; sleeper: boolean; self: boolean};
		assert.equal(seen.listening, true, `conntrack -E not seen listening after ${seen.ms} ms`);
		assert.equal(seen.sleeper, false);
		assert.equal(seen.self, false);
	});

	test('ClusterIP from the node: every answer attributed by conntrack to the pod that served it, shares match the rule probabilities', async t => {
		if (setupError) {
			t.skip(`namespace setup failed here: ${setupError.trim()}`);
			return;
		}

		const probabilities = Object.fromEntries(podIps.map((ip, i) => [`${ip}:8080`, shares[i]!]));
		const servedBefore = [...served];
		const lines = probeIn(ns.a, {target: 'default/echo', count: probeCount}, probabilities);
		const samples = lines.filter(line => line.summary === undefined);
		assert.equal(samples.length, probeCount);
		assert.ok(samples.every(sample => sample.ok && sample.via === 'conntrack' && podNames.includes(sample.pod!)), JSON.stringify(samples.find(sample => sample.via !== 'conntrack')));
		// Each pod served exactly as many probes as were attributed to it: conntrack named the right one.
		await waitFor(() => served.reduce((sum, count, i) => sum + count - servedBefore[i]!, 0) >= probeCount);
		assert.deepEqual(podNames.map(pod => samples.filter(sample => sample.pod === pod).length), served.map((count, i) => count - servedBefore[i]!));
		const {summary} = lines.at(-1)!;
		assert.ok(summary!.pValue > fitFloor, `p = ${summary!.pValue} for ${JSON.stringify(summary!.byPod)}`);
		// The same counts must contradict an even split: the test can tell shares apart.
		const uniform = chiSquareGoodnessOfFit(summary!.byPod, Object.fromEntries(podNames.map(pod => [pod, 1 / 3])))!;
		assert.ok(uniform.pValue < fitFloor, `uniform p = ${uniform.pValue}`);
	});

	test('ClientIP affinity (-m recent) sticks to one pod', t => {
		if (setupError) {
			t.skip(`namespace setup failed here: ${setupError.trim()}`);
			return;
		}

		const lines = probeIn(ns.a, {target: 'default/sticky', count: 40});
		const pods = new Set(lines.filter(line => line.summary === undefined).map(line => line.pod));
		assert.equal(pods.size, 1);
		assert.ok(podNames.includes([...pods][0]!));
		assert.equal(lines.at(-1)!.summary!.affinity.verdict, 'holds');
		assert.equal(lines.at(-1)!.summary!.affinity.same, 39);
	});

	test('NodePort with externalTrafficPolicy Local from outside: node A answers, node B drops as the rules say', t => {
		if (setupError) {
			t.skip(`namespace setup failed here: ${setupError.trim()}`);
			return;
		}

		const lines = probeIn(ns.client, {target: 'default/echo', via: 'nodeport', count: 12, timeoutMs: 300});
		const samples = lines.filter(line => line.summary === undefined);
		const byTarget = (target: string) => samples.filter(sample => sample.target === target);
		assert.ok(byTarget('172.30.1.10:30080').every(sample => sample.ok), 'node A answers');
		assert.equal(byTarget('172.30.1.10:30080').length, 6);
		assert.deepEqual(new Set(byTarget('172.30.2.11:30080').map(sample => sample.error)), new Set(['timeout']), 'dropped, not refused');
		const verdicts = (lines.at(-1)!.summary!.series as Array<{node: string; reachability: {verdict: string}}>).map(series => [series.node, series.reachability.verdict]);
		assert.deepEqual(verdicts, [['node-a', 'ok'], ['node-b', 'expected']]);
		// Node B's drops are what its rules say: dropped as expected, out of the failures and the success rate.
		assert.ok(byTarget('172.30.2.11:30080').every(sample => sample.dropExpected === 'Local, no endpoints on node-b'), JSON.stringify(byTarget('172.30.2.11:30080')[0]));
		const {summary} = lines.at(-1)!;
		assert.deepEqual([summary!.dropped, summary!.failed, summary!.successRate, summary!.dropReasons], [6, 0, 1, {'Local, no endpoints on node-b': 6}]);
	});

	test('a raw ClusterIP:port on the node is looked up in its rules (iptables-save): expected shares and chi-square as for ns/name', t => {
		if (setupError) {
			t.skip(`namespace setup failed here: ${setupError.trim()}`);
			return;
		}

		const lines = probeIn(ns.a, {target: '10.96.0.10:80', count: probeCount}, undefined, true);
		const samples = lines.filter(line => line.summary === undefined);
		assert.equal(samples.length, probeCount);
		assert.ok(samples.every(sample => sample.ok && sample.via === 'conntrack'), JSON.stringify(samples.find(sample => sample.via !== 'conntrack')));
		const {summary} = lines.at(-1)!;
		const endpoints = podIps.map(ip => `${ip}:8080`);
		assert.deepEqual(Object.keys(summary!.expected).sort(), endpoints);
		for (const [i, endpoint] of endpoints.entries()) {
			assert.ok(Math.abs(summary!.expected[endpoint] - shares[i]!) < 1e-6, `${endpoint}: ${summary!.expected[endpoint]}`);
		}

		assert.equal(summary!.expectedFrom, 'nat');
		assert.ok(summary!.pValue > fitFloor, `p = ${summary!.pValue} for ${JSON.stringify(summary!.byPod)}`);
		const uniform = chiSquareGoodnessOfFit(summary!.byPod, Object.fromEntries(endpoints.map(endpoint => [endpoint, 1 / 3])))!;
		assert.ok(uniform.pValue < fitFloor, `uniform p = ${uniform.pValue}`);
		// The sticky ClusterIP's -m recent rules carry its affinity to the raw address too.
		const sticky = probeIn(ns.a, {target: '10.96.0.11:80', count: 20}, undefined, true).at(-1)!.summary!;
		assert.deepEqual([sticky.affinity.sessionAffinity, sticky.affinity.timeoutSeconds, sticky.affinity.verdict, sticky.expectedFrom], ['ClientIP', 10_800, 'holds', 'affinity']);
	});

	test('one pod blackholed (its INPUT drops port 8080): every timeout is named by conntrack as sent to it, every answer to the others', async t => {
		if (setupError) {
			t.skip(`namespace setup failed here: ${setupError.trim()}`);
			return;
		}

		const blackholed = podNames[1]!;
		const drop = ['iptables', '-I', 'INPUT', '-p', 'tcp', '--dport', '8080', '-j', 'DROP'];
		inNs(ns.pods[1]!, ...drop);
		try {
			for (const mode of ['http', 'tcp'] as const) {
				// The servers' counts of earlier tests may still be on their way through the pipes: let them come in first.
				await waitForQuiet(served);
				const servedBefore = [...served];
				// 60 probes at a 0.3 share: no timeout at all would take a chance of 0.7^60 (about 5e-10).
				const lines = probeIn(ns.a, {target: 'default/echo', count: 60, timeoutMs: 300, concurrency: 4, mode});
				const samples = lines.filter(line => line.summary === undefined);
				const timeouts = samples.filter(sample => !sample.ok);
				assert.equal(samples.length, 60, mode);
				assert.ok(timeouts.length > 0 && timeouts.length < 60, `${mode}: ${timeouts.length} timeouts`);
				assert.ok(timeouts.every(sample => sample.error === 'timeout' && sample.pod === blackholed && sample.via === 'conntrack'), `${mode}: ${JSON.stringify(timeouts.find(sample => sample.pod !== blackholed))}`);
				assert.ok(samples.filter(sample => sample.ok).every(sample => sample.pod !== blackholed && podNames.includes(sample.pod!) && sample.via === 'conntrack'), mode);
				const {summary} = lines.at(-1)!;
				assert.deepEqual(summary!.failedTo, {[blackholed]: timeouts.length}, mode);
				assert.equal(summary!.byPod[blackholed], undefined, `${mode}: no answer counted for the blackholed pod`);
				if (mode === 'http') {
					// The blackholed pod's server saw none of them.
					await waitFor(() => served.reduce((sum, count, i) => sum + count - servedBefore[i]!, 0) >= 60 - timeouts.length);
					assert.equal(served[1]! - servedBefore[1]!, 0);
				}
			}

			// The text summary and sample lines, as printed.
			const text = spawnSync('ip', ['netns', 'exec', ns.a, process.execPath, '--import', 'tsx', 'test/node/probe/fixtures/kernel-probe.ts', JSON.stringify({objects, options: {target: 'default/echo', count: 30, intervalMs: 2, timeoutMs: 300, mode: 'http', path: '/', json: false, concurrency: 4}})], {cwd: repo, encoding: 'utf8', timeout: 90_000});
			const failures = /^failures: timeout (\d+) \(kube-proxy sent (\d+) to (\S+) on (\S+)\)$/m.exec(text.stdout);
			assert.ok(failures, text.stdout);
			assert.deepEqual([failures[2], failures[3], failures[4]], [failures[1], blackholed, 'node-a'], text.stdout);
			assert.match(text.stdout, new RegExp(`FAIL +\\d+ ms {2}timeout \\(kube-proxy sent it to ${blackholed} on node-a\\)$`, 'm'));
			if (process.env['SVCTOP_SHOW_KERNEL_OUTPUT']) {
				process.stderr.write(text.stdout);
			}
		} finally {
			inNs(ns.pods[1]!, ...drop.map(arg => (arg === '-I' ? '-D' : arg)));
		}
	});
});
