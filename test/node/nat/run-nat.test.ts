import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {Readable} from 'node:stream';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {ClusterSnapshot, ClusterSource} from '../../../source/kube/types.js';
import {runNat} from '../../../source/commands/nat.js';
import {generateIptablesSave} from '../../../source/builtin-cluster/generate/iptables.js';
import {generateNftTable} from '../../../source/builtin-cluster/generate/nft.js';
import {clusterCIDR, endpointSlices, input, services} from '../../fixtures/nat/cluster.js';

function capture(stdinText = '') {
	let stdout = '';
	let stderr = '';
	return {
		io: {
			stdin: Readable.from([stdinText]),
			stdout: {write: (text: string) => { stdout += text; return true; }} as unknown as NodeJS.WritableStream,
			stderr: {write: (text: string) => { stderr += text; return true; }} as unknown as NodeJS.WritableStream,
		},
		out: () => stdout,
		err: () => stderr,
	};
}

function fakeSource(change: Partial<ClusterSnapshot> = {}): ClusterSource {
	const snapshot: ClusterSnapshot = {
		version: 1,
		context: 'test',
		namespace: undefined,
		services,
		endpointSlices,
		nodes: [],
		states: {
			services: {phase: 'synced', since: 0},
			endpointslices: {phase: 'synced', since: 0},
			nodes: {phase: 'synced', since: 0},
		},
		lastUpdate: 0,
		...change,
	};
	return {
		snapshot: () => snapshot,
		subscribe: () => () => undefined,
		ready: async () => undefined,
		listPods: async () => [],
		setNamespace: () => undefined,
		stop: async () => undefined,
	};
}

const iptablesDump = generateIptablesSave(input, {clusterCIDR, form: 'save'});

describe('runNat', () => {
	test('a dump cut short is refused with one line, exit 1: its partial trees would show drops the node does not have', async () => {
		const cut = `${iptablesDump.split('\n').slice(0, 40).join('\n')}\n`;
		const run = capture(cut);
		const code = await runNat({file: '-', json: false}, run.io);
		assert.equal(code, 1);
		assert.match(run.err(), /^svctop: stdin looks cut short: 1 of its 2 iptables-save tables is not closed with COMMIT; not decoded, .*\n$/);
		assert.equal(run.out(), '');
	});

	test('reads stdin with --file - and prints the tree for one Service', async () => {
		const run = capture(iptablesDump);
		const code = await runNat({file: '-', json: false, service: 'default/svc-nodeport'}, run.io);
		assert.equal(code, 0);
		assert.equal(run.err(), '');
		assert.equal(run.out(), [
			'kube-proxy mode: iptables-new, masquerade mark 0x4000, 1 service port',
			'',
			'default/svc-nodeport:svc-webport  TCP',
			'├─ ClusterIP 10.200.1.60:9000 -> KUBE-SVC-VTR7MTHHNMFZ3OFS',
			'│  ├─ 33.3% KUBE-SEP-XEXGJWEWSC2GPNPZ -> DNAT 10.10.1.3:8080',
			'│  ├─ 33.3% KUBE-SEP-2AEFSWYPQGZTCWEI -> DNAT 10.10.2.3:8080',
			'│  └─ 33.3% KUBE-SEP-C5MCUQGLTHD455UI -> DNAT 10.10.3.4:8080',
			'├─ NodePort *:31254 -> KUBE-EXT-VTR7MTHHNMFZ3OFS -> KUBE-SVC-VTR7MTHHNMFZ3OFS (same endpoints as above)',
			'├─ Masquerade in KUBE-EXT-VTR7MTHHNMFZ3OFS always (line 76)',
			'├─ Masquerade in KUBE-SVC-VTR7MTHHNMFZ3OFS when source not in 10.10.0.0/16 (line 165)',
			'└─ Masquerade hairpin traffic (a pod reaching itself through the Service)',
			'',
		].join('\n'));
	});

	test('with the API: pod and node names', async () => {
		const run = capture();
		const code = await runNat({json: false, service: 'default/svc-nodeport', source: fakeSource(), dump: iptablesDump}, run.io);
		assert.equal(code, 0);
		assert.match(run.out(), /│ {2}├─ 33\.3% KUBE-SEP-XEXGJWEWSC2GPNPZ -> DNAT 10\.10\.1\.3:8080 \(deploy-echo-5c689d5454-m4hd9 on myk8s-worker\)\n/);
	});

	test('with the EndpointSlices forbidden: no endpoint findings, a note says why', async () => {
		const run = capture();
		const states = {services: {phase: 'synced', since: 0}, endpointslices: {phase: 'forbidden', since: 0, message: 'endpointslices is forbidden'}, nodes: {phase: 'synced', since: 0}} as const;
		const code = await runNat({json: true, source: fakeSource({endpointSlices: [], states}), dump: iptablesDump}, run.io);
		assert.equal(code, 0);
		const json = JSON.parse(run.out()) as {problems: Array<{message: string}>; notes: string[]};
		assert.deepEqual(json.problems.filter(problem => /endpoint/i.test(problem.message)), []);
		assert.ok(json.notes.includes('endpoints not checked against the API: its EndpointSlices were not listed when the rules were read (endpointslices is forbidden)'), json.notes.join('\n'));
	});

	test('with the Services not listed: no cross-check at all, a note says why, also for one Service', async () => {
		const run = capture();
		const states = {services: {phase: 'retrying', since: 0, message: 'connection refused'}, endpointslices: {phase: 'synced', since: 0}, nodes: {phase: 'synced', since: 0}} as const;
		const code = await runNat({json: false, service: 'default/svc-nodeport', source: fakeSource({services: [], states}), dump: iptablesDump}, run.io);
		assert.equal(code, 0);
		assert.match(run.out(), /^Note: not checked against the API: its Services were not listed when the rules were read \(connection refused\)$/m);
		assert.doesNotMatch(run.out(), /Problems|which the API does not have/);
	});

	test('--json has exactly the issue\'s shape', async () => {
		const directory = mkdtempSync(join(tmpdir(), 'svtnat-'));
		try {
			const file = join(directory, 'nft.txt');
			writeFileSync(file, generateNftTable(input, {clusterCIDR}));
			const run = capture();
			const code = await runNat({file, json: true, source: fakeSource()}, run.io);
			assert.equal(code, 0);
			const document = JSON.parse(run.out()) as Record<string, unknown> & {services: Array<Record<string, unknown>>};
			assert.deepEqual(Object.keys(document), ['mode', 'services', 'problems', 'notes']);
			assert.equal(document.mode, 'nftables');
			assert.deepEqual(document.problems, []);
			const lb = document.services.find(each => each.service === 'shop/lb')!;
			assert.deepEqual(Object.keys(lb), ['service', 'port', 'protocol', 'entries', 'endpoints', 'localEndpoints', 'affinity', 'noEndpoints', 'bypass']);
			assert.deepEqual(lb.entries, [
				{kind: 'clusterIP', ip: '10.200.1.70', port: 80, sourceRanges: [], localOnly: false},
				{kind: 'loadBalancer', ip: '192.0.2.10', port: 80, sourceRanges: ['198.51.100.0/24', '203.0.113.0/25'], localOnly: false},
				{kind: 'nodePort', ip: null, port: 32_080, sourceRanges: [], localOnly: false},
			]);
			assert.deepEqual((lb.endpoints as Array<Record<string, unknown>>).map(each => Object.keys(each)), [['ip', 'port', 'probability', 'chain'], ['ip', 'port', 'probability', 'chain']]);
			assert.deepEqual(lb.affinity, {timeoutSeconds: 600});
			assert.equal(lb.localEndpoints, null);
			const local = document.services.find(each => each.service === 'default/svc-local')!;
			assert.deepEqual((local.localEndpoints as Array<{ip: string; probability: number}>).map(each => [each.ip, each.probability]), [['10.10.1.7', 0.5], ['10.10.1.8', 0.5]]);
			assert.equal(document.services.find(each => each.service === 'shop/empty')!.noEndpoints, 'reject');
		} finally {
			rmSync(directory, {recursive: true, force: true});
		}
	});

	const failures: Array<[string, Parameters<typeof runNat>[0], RegExp]> = [
		['missing file', {file: '/nonexistent/dump.txt', json: false}, /^svctop: cannot read \/nonexistent\/dump\.txt: no such file\n$/],
		['--node-cmd without --node', {nodeCmd: 'ssh {node} iptables-save', json: false}, /^svctop: --node-cmd needs --node NAME/],
		['local tools off Linux', {json: false, platform: 'darwin'}, /^svctop: reading the local rules needs Linux/],
		['unknown Service, no cluster', {json: false, dump: iptablesDump, service: 'nope/nothing'}, /^svctop: no kube-proxy rules for nope\/nothing in demo: not checked against the API \(no cluster to ask\)\n$/],
		['unknown Service', {json: false, dump: iptablesDump, service: 'nope/nothing', source: fakeSource()}, /^svctop: no kube-proxy rules for nope\/nothing in demo: the API has no Service nope\/nothing either\n$/],
		['a Service with a ClusterIP the dump has no rules for', {json: false, dump: iptablesDump, service: 'default/late', source: fakeSource({services: [...services, {metadata: {namespace: 'default', name: 'late'}, spec: {type: 'ClusterIP', clusterIP: '10.200.9.9', ports: [{port: 80, protocol: 'TCP'}]}}]})}, /^svctop: no kube-proxy rules for default\/late in demo: the API gives default\/late ClusterIP 10\.200\.9\.9: kube-proxy here has not written its rules/],
		['Services not listed', {json: false, dump: iptablesDump, service: 'default/alias', source: fakeSource({services: [], states: {services: {phase: 'forbidden', since: 0, message: 'services is forbidden'}, endpointslices: {phase: 'synced', since: 0}, nodes: {phase: 'synced', since: 0}}})}, /^svctop: no kube-proxy rules for default\/alias in demo: not checked against the API: its Services were not listed when the rules were read \(services is forbidden\)\n$/],
	];
	for (const [name, options, expected] of failures) {
		test(`${name}: one line on stderr, exit 1`, async () => {
			const run = capture();
			assert.equal(await runNat(options, run.io), 1);
			assert.match(run.err(), expected);
			assert.equal(run.out(), '');
		});
	}

	test('an ExternalName Service: no rules is kube-proxy\'s answer, said as the result with exit 0 (text and JSON)', async () => {
		const alias = {metadata: {namespace: 'default', name: 'alias'}, spec: {type: 'ExternalName', externalName: 'db.example.com'}};
		const text = capture();
		assert.equal(await runNat({json: false, dump: iptablesDump, service: 'default/alias', source: fakeSource({services: [...services, alias]})}, text.io), 0);
		assert.equal(text.err(), '');
		assert.match(text.out(), /^kube-proxy mode: iptables-new, masquerade mark 0x4000, 0 service ports\nNote: default\/alias is an ExternalName Service: DNS answers its name with a CNAME to db\.example\.com, so kube-proxy writes no rules for it\n/);
		const json = capture();
		assert.equal(await runNat({json: true, dump: iptablesDump, service: 'default/alias', source: fakeSource({services: [...services, alias]})}, json.io), 0);
		const document = JSON.parse(json.out()) as {services: unknown[]; notes: string[]};
		assert.deepEqual(document.services, []);
		assert.match(document.notes.at(-1)!, /ExternalName Service/);
	});

	test('-n with --service NS/NAME of another namespace: the Service named is shown, and said not to be checked', async () => {
		const run = capture();
		assert.equal(await runNat({json: false, dump: iptablesDump, namespace: 'shop', service: 'default/svc-nodeport', source: fakeSource({namespace: 'shop'})}, run.io), 0);
		assert.equal(run.err(), '');
		assert.match(run.out(), /^default\/svc-nodeport:svc-webport {2}TCP$/m);
		assert.match(run.out(), /^Note: not checked against the API: it was asked for namespace shop only \(-n\)$/m);
	});

	test('--node-cmd runs the template with the node as one argument', async () => {
		const run = capture();
		const calls: string[][] = [];
		const code = await runNat({nodeCmd: 'ssh {node} sudo iptables-save', node: 'worker-1.example', json: true, runner: async argv => {
			calls.push([...argv]);
			return {stdout: iptablesDump, stderr: '', code: 0, timedOut: false};
		}}, run.io);
		assert.equal(code, 0);
		assert.deepEqual(calls, [['ssh', 'worker-1.example', 'sudo', 'iptables-save']]);
		assert.equal((JSON.parse(run.out()) as {mode: string}).mode, 'iptables');
	});

	for (const node of ['w;1', '-oProxyCommand=touch /tmp/x', '-F/dev/null']) {
		test(`--node ${JSON.stringify(node)} is refused before anything runs`, async () => {
			const run = capture();
			const calls: string[][] = [];
			const code = await runNat({nodeCmd: 'ssh {node} sudo iptables-save', node, json: false, runner: async argv => {
				calls.push([...argv]);
				return {stdout: iptablesDump, stderr: '', code: 0, timedOut: false};
			}}, run.io);
			assert.equal(code, 1);
			assert.deepEqual(calls, []);
			assert.equal(run.err(), `svctop: --node ${JSON.stringify(node)} is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)\n`);
		});
	}
});
