import {test, describe, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {crossCheckNat} from '../../../source/core/nat/cross-check.js';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
import {generateIptablesSave} from '../../../source/builtin-cluster/generate/iptables.js';
import {generateIpvsSave} from '../../../source/builtin-cluster/generate/ipvs.js';
import {generateNftTable} from '../../../source/builtin-cluster/generate/nft.js';
import {clusterCIDR, endpointSlices, input, ipv6Input, services} from '../../fixtures/nat/cluster.js';
import {summarize} from '../../fixtures/nat/summary.js';

/*
 * Load generated dumps into the kernel of a fresh network namespace, read them back with the
 * real tools and decode both: what the kernel prints must decode to the same flows.
 */

const namespace = `svtnat${process.pid}`;
const hasTool = (tool: string, flag = '--version') => spawnSync(tool, [flag], {stdio: 'ignore'}).status === 0;
const isRoot = process.getuid?.() === 0;
let skipReason: string | undefined;
if (!isRoot) {
	skipReason = 'needs root to create a network namespace';
} else if (!hasTool('ip', '-V')) {
	skipReason = 'ip (iproute2) is not installed';
}

const inNamespace = (command: string, args: string[], stdin?: string) =>
	execFileSync('ip', ['netns', 'exec', namespace, command, ...args], {input: stdin, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe']});

/** Empties the namespace's nat and filter tables for the next case. */
function flushIptables(): void {
	for (const table of ['nat', 'filter']) {
		inNamespace('iptables', ['-t', table, '-F']);
		inNamespace('iptables', ['-t', table, '-X']);
	}
}

describe('kernel round trip', () => {
	before(() => {
		if (!skipReason) {
			const created = spawnSync('ip', ['netns', 'add', namespace], {encoding: 'utf8'});
			if (created.status !== 0) {
				skipReason = `cannot create a network namespace: ${created.stderr.trim()}`;
			}
		}
	});

	after(() => {
		if (isRoot) {
			spawnSync('ip', ['netns', 'del', namespace], {stdio: 'ignore'});
		}
	});

	const api = {services, endpointSlices};
	for (const style of ['new', 'old'] as const) {
		test(`iptables-restore then iptables-save (${style} style)`, t => {
			if (skipReason || !hasTool('iptables-restore')) {
				t.skip(skipReason ?? 'iptables-restore is not installed');
				return;
			}

			const written = generateIptablesSave(input, {clusterCIDR, style});
			inNamespace('iptables-restore', [], written);
			try {
				const readBack = inNamespace('iptables-save', []);
				assert.match(readBack, /--probability 0\.33333333349/);
				const fromWritten = crossCheckNat(decodeNatDump(written), api);
				const fromKernel = crossCheckNat(decodeNatDump(readBack), api);
				assert.deepEqual(fromKernel.problems, []);
				assert.deepEqual(summarize(fromKernel), summarize(fromWritten));
				assert.equal(fromKernel.masqueradeMark, '0x4000');
			} finally {
				flushIptables();
			}
		});
	}

	test('our save form matches what iptables-save prints', t => {
		if (skipReason || !hasTool('iptables-restore')) {
			t.skip(skipReason ?? 'iptables-restore is not installed');
			return;
		}

		const written = generateIptablesSave(input, {clusterCIDR});
		inNamespace('iptables-restore', [], written);
		try {
			const readBack = inNamespace('iptables-save', []).split('\n').filter(line => line.startsWith('-A ')).sort();
			const ours = generateIptablesSave(input, {clusterCIDR, form: 'save'}).split('\n').filter(line => line.startsWith('-A ')).sort();
			assert.deepEqual(ours, readBack);
		} finally {
			flushIptables();
		}
	});

	test('nft -f then nft list table ip kube-proxy', t => {
		if (skipReason || !hasTool('nft')) {
			t.skip(skipReason ?? 'nft is not installed');
			return;
		}

		const written = generateNftTable(input, {clusterCIDR});
		inNamespace('nft', ['-f', '-'], written);
		try {
			const readBack = inNamespace('nft', ['list', 'table', 'ip', 'kube-proxy']);
			assert.match(readBack, /timeout 10m/);
			const fromWritten = crossCheckNat(decodeNatDump(written), api);
			const fromKernel = crossCheckNat(decodeNatDump(readBack), api);
			assert.deepEqual(fromKernel.problems, []);
			assert.deepEqual(summarize(fromKernel), summarize(fromWritten));
			assert.equal(fromKernel.masqueradeMark, '0x4000');
		} finally {
			inNamespace('nft', ['delete', 'table', 'ip', 'kube-proxy']);
		}
	});

	test('dual stack: nft list ruleset with both ip and ip6 kube-proxy tables decodes the Services of both', t => {
		if (skipReason || !hasTool('nft')) {
			t.skip(skipReason ?? 'nft is not installed');
			return;
		}

		inNamespace('nft', ['-f', '-'], generateNftTable(input, {clusterCIDR}));
		inNamespace('nft', ['-f', '-'], generateNftTable(ipv6Input, {family: 'IPv6'}));
		try {
			const readBack = inNamespace('nft', ['list', 'ruleset']);
			assert.match(readBack, /^table ip kube-proxy \{/m);
			assert.match(readBack, /^table ip6 kube-proxy \{/m);
			const both = decodeNatDump(readBack);
			const ipOnly = decodeNatDump(inNamespace('nft', ['list', 'table', 'ip', 'kube-proxy']));
			const ip6Only = decodeNatDump(inNamespace('nft', ['list', 'table', 'ip6', 'kube-proxy']));
			assert.deepEqual(both.problems, []);
			assert.ok(ip6Only.services.some(flow => flow.service === 'six/web'));
			assert.deepEqual(both.services.map(flow => `${flow.service}:${flow.port}/${flow.protocol}`).sort(), [...ipOnly.services, ...ip6Only.services].map(flow => `${flow.service}:${flow.port}/${flow.protocol}`).sort());
			assert.equal(both.masqueradeMark, '0x4000');
		} finally {
			inNamespace('nft', ['delete', 'table', 'ip', 'kube-proxy']);
			inNamespace('nft', ['delete', 'table', 'ip6', 'kube-proxy']);
		}
	});

	test('ipvsadm round trip', t => {
		const probe = spawnSync('ipvsadm', ['-L', '-n'], {encoding: 'utf8'});
		if (probe.status !== 0) {
			t.skip(`ipvsadm cannot reach IPVS here: ${(probe.stderr || probe.error?.message || 'not installed').trim()}`);
			return;
		}

		if (skipReason) {
			t.skip(skipReason);
			return;
		}

		const written = generateIpvsSave(input, {clusterCIDR});
		inNamespace('ipvsadm', ['-R'], written);
		try {
			const readBack = inNamespace('ipvsadm', ['-S', '-n']);
			assert.deepEqual(summarize(crossCheckNat(decodeNatDump(readBack), api)), summarize(crossCheckNat(decodeNatDump(written), api)));
		} finally {
			inNamespace('ipvsadm', ['-C']);
		}
	});
});
