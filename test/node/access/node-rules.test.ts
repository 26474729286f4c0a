import assert from 'node:assert/strict';
import {test} from 'node:test';
import {proxySyncOf, readNodeRules} from '../../../source/node/access/node-rules.js';
import type {CommandResult, CommandRunner} from '../../../source/node/nat/read-dump.js';

const missing: CommandResult = {stdout: '', stderr: '', code: null, errorCode: 'ENOENT', timedOut: false};
const printed = (stdout: string): CommandResult => ({stdout, stderr: '', code: 0, timedOut: false});
const failed: CommandResult = {stdout: '', stderr: 'curl: (7) Failed to connect', code: 7, timedOut: false};

/** A pod's programs: argv[0] (or the URL curl asks for) -> what it prints. */
function podWith(programs: Record<string, CommandResult>): {runner: CommandRunner; ran: string[]} {
	const ran: string[] = [];
	return {
		ran,
		runner: async argv => {
			const key = argv[0] === 'curl' ? argv.at(-1)! : argv[0]!;
			ran.push(key);
			return programs[key] ?? missing;
		},
	};
}

const kubeNat = '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j KUBE-NODEPORTS\nCOMMIT\n';
const otherNat = '*nat\n:DOCKER - [0:0]\nCOMMIT\n';

test('the iptables backend that holds KUBE-SERVICES is the one read', async () => {
	const {runner, ran} = podWith({'http://127.0.0.1:10249/proxyMode': failed, 'iptables-nft-save': printed(otherNat), 'iptables-legacy-save': printed(kubeNat)});
	const dump = await readNodeRules(runner, 'node x');
	assert.equal(dump.ok, true);
	assert.equal(dump.ok && dump.source, 'iptables-legacy-save in node x');
	assert.equal(dump.ok && dump.proxyMode, undefined);
	assert.deepEqual(ran, ['http://127.0.0.1:10249/proxyMode', 'iptables-nft-save', 'iptables-legacy-save']);
});

test('kube-proxy\'s mode decides the tool; its metrics give the last sync', async () => {
	const metrics = '# HELP x\nkubeproxy_sync_proxy_rules_last_timestamp_seconds 1.7e+09\nkubeproxy_sync_proxy_rules_last_queued_timestamp_seconds{a="b"} 1.70000001e+09\n';
	const {runner, ran} = podWith({'http://127.0.0.1:10249/proxyMode': printed('ipvs'), ipvsadm: printed('-A -t 10.96.0.1:443 -s rr\n'), 'http://127.0.0.1:10249/metrics': printed(metrics)});
	const dump = await readNodeRules(runner, 'node y');
	assert.equal(dump.ok && dump.mode, 'ipvs');
	assert.deepEqual(dump.ok && dump.sync, {lastSync: 1.7e9, lastQueued: 1.700_000_01e9});
	assert.deepEqual(ran, ['http://127.0.0.1:10249/proxyMode', 'ipvsadm', 'http://127.0.0.1:10249/metrics']);
});

test('no rules anywhere: each tool\'s reason, in one line', async () => {
	const {runner} = podWith({'iptables-nft-save': printed(otherNat), nft: {stdout: '', stderr: 'Error: No such file or directory', code: 1, timedOut: false}});
	const dump = await readNodeRules(runner, 'node z');
	assert.equal(dump.ok, false);
	assert.equal(!dump.ok && dump.error, 'no kube-proxy rules found in node z (iptables-nft-save: no kube-proxy rules; iptables-legacy-save: not in the image; iptables-save: not in the image; nft: Error: No such file or directory; ipvsadm: not in the image)');
});

test('metrics without the gauges say nothing', () => {
	assert.equal(proxySyncOf('process_cpu_seconds_total 3\n'), undefined);
	assert.deepEqual(proxySyncOf('kubeproxy_sync_proxy_rules_last_timestamp_seconds 12\n'), {lastSync: 12, lastQueued: undefined});
});

test('pods/exec failing for every tool (qa4 F13): the rules could not be read, never "no rules found"', async () => {
	const refused: CommandResult = {stdout: '', stderr: 'pods/exec in kube-system/p failed with HTTP 500', code: null, timedOut: false, failure: 'pods/exec in kube-system/p failed with HTTP 500'} as CommandResult;
	const {runner} = podWith(Object.fromEntries(['http://127.0.0.1:10249/proxyMode', 'iptables-nft-save', 'iptables-legacy-save', 'iptables-save', 'nft', 'ipvsadm'].map(tool => [tool, refused])));
	const dump = await readNodeRules(runner, 'pod kube-system/p on node node-a');
	assert.equal(dump.ok, false);
	assert.match(!dump.ok ? dump.error : '', /^could not read the rules in pod kube-system\/p on node node-a \(iptables-nft-save: pods\/exec in kube-system\/p failed with HTTP 500; /);
});

test('one tool timed out, the others hold no rules: still not "no rules found" (the rules may be where it could not look)', async () => {
	const timedOut: CommandResult = {stdout: '', stderr: '', code: null, timedOut: true};
	const {runner} = podWith({'iptables-nft-save': printed(otherNat), 'iptables-legacy-save': printed(otherNat), 'iptables-save': printed(otherNat), nft: timedOut, ipvsadm: printed('')});
	const dump = await readNodeRules(runner, 'node t');
	assert.match(!dump.ok ? dump.error : '', /^could not read the rules in node t \(/);
});
