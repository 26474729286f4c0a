import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {iptablesServiceHash} from '../../../source/core/nat/chain-names.js';
import {decodeIptables} from '../../../source/core/nat/decode-iptables.js';
import {IptablesReader} from '../../../source/core/nat/iptables-reader.js';
import {crossCheckNat} from '../../../source/core/nat/cross-check.js';
import {decodeNatDump, detectNatMode} from '../../../source/core/nat/decode.js';
import {renderNatText} from '../../../source/core/nat/render.js';
import {writtenNatJson} from '../../fixtures/nat/json-document.js';
import {fixtureApi, largeFixtureApi} from '../../fixtures/nat/kernel/api.js';
import {fixtureNames, kernelUnavailable, readBackAll, stableLines} from '../../fixtures/nat/kernel/read-back.js';
import {summarize} from '../../fixtures/nat/summary.js';

/*
 * Dumps written the way kube-proxy's source writes them, loaded into the kernel and read back
 * (test/fixtures/nat/kernel/). The expected decodes below come from kube-proxy's documented
 * behaviour, not from the decoder:
 * - externalTrafficPolicy Local with no endpoint on this node: outside traffic to the NodePort,
 *   external IP and LB IP is dropped here (no local endpoint list to go to), while traffic from
 *   pods (source in the cluster CIDR) and from the node itself (source type LOCAL) goes to the
 *   cluster-wide endpoints.
 * - Local with a local endpoint: outside traffic only reaches this node's endpoints.
 * - A ladder of n endpoints gives each 1/n.
 */

const directory = join(import.meta.dirname, '../../fixtures/nat/kernel');
const fixture = (name: string) => readFileSync(join(directory, name), 'utf8');

const half = (ip: string, port: number) => `${ip}:${port} 0.500000`;
const third = (ip: string) => `${ip}:8080 0.333333`;

/** kube-proxy 1.24+ (KUBE-EXT / KUBE-SVL / KUBE-FW; nftables has the same chains under other names). */
const expectedNew = {
	'default/web-cluster:http/TCP': {
		entries: ['clusterIP 10.96.100.12:80 -> cluster', 'nodePort *:30082 -> cluster'],
		endpoints: [third('10.244.0.9'), third('10.244.1.10'), third('10.244.2.11')],
		localEndpoints: null,
		affinity: null,
		noEndpoints: null,
		bypass: [],
	},
	'default/web-here:http/TCP': {
		entries: ['clusterIP 10.96.100.11:80 -> cluster', 'nodePort *:30081 local -> local'],
		endpoints: [half('10.244.0.7', 8080), half('10.244.1.8', 8080)],
		localEndpoints: ['10.244.0.7:8080 1.000000'],
		affinity: null,
		noEndpoints: null,
		bypass: ['pods', 'node'].sort(),
	},
	'default/web-local:http/TCP': {
		entries: [
			'clusterIP 10.96.100.10:80 -> cluster',
			'externalIP 192.168.99.22:80 local -> none',
			'loadBalancer 203.0.113.10:80 local -> none',
			'nodePort *:30080 local -> none',
		],
		endpoints: [half('10.244.1.5', 8080), half('10.244.2.6', 8080)],
		localEndpoints: [],
		affinity: null,
		noEndpoints: 'drop',
		bypass: ['pods', 'node'].sort(),
	},
	'kube-system/kube-dns:dns/UDP': {
		entries: ['clusterIP 10.96.0.10:53 -> cluster'],
		endpoints: [half('10.244.0.2', 53), half('10.244.1.3', 53)],
		localEndpoints: null,
		affinity: null,
		noEndpoints: null,
		bypass: [],
	},
	'shop/lb-fw:https/TCP': {
		entries: [
			'clusterIP 10.96.100.13:443 -> cluster',
			'loadBalancer 203.0.113.20:443 local from 198.51.100.0/24 -> none',
			'nodePort *:30443 local -> none',
		],
		endpoints: ['10.244.2.12:8443 1.000000'],
		localEndpoints: [],
		affinity: null,
		noEndpoints: 'drop',
		bypass: ['pods', 'node'].sort(),
	},
};

/** kube-proxy up to 1.23: the KUBE-XLB- chain is the local list, empty and ending in KUBE-MARK-DROP without local endpoints. */
const expectedOld = {
	...expectedNew,
	'default/web-local:http/TCP': {
		...expectedNew['default/web-local:http/TCP'],
		entries: [
			'clusterIP 10.96.100.10:80 -> cluster',
			'externalIP 192.168.99.22:80 local -> local',
			'loadBalancer 203.0.113.10:80 local -> local',
			'nodePort *:30080 local -> local',
		],
	},
	'shop/lb-fw:https/TCP': {
		...expectedNew['shop/lb-fw:https/TCP'],
		entries: [
			'clusterIP 10.96.100.13:443 -> cluster',
			'loadBalancer 203.0.113.20:443 local from 198.51.100.0/24 -> local',
			'nodePort *:30443 local -> local',
		],
	},
};

const cases: Array<{name: string; file: string; mode: 'iptables' | 'nftables'; variant: string; want: Record<string, unknown>}> = [
	{name: 'v1.28 iptables-save (filter and nat)', file: 'iptables-1.28-save.txt', mode: 'iptables', variant: 'iptables-new', want: expectedNew},
	{name: 'v1.28 iptables-save -t nat (nat table only)', file: 'iptables-1.28-save-nat.txt', mode: 'iptables', variant: 'iptables-new', want: expectedNew},
	{name: 'v1.28 iptables -t nat -S', file: 'iptables-1.28-S-nat.txt', mode: 'iptables', variant: 'iptables-new', want: expectedNew},
	{name: 'v1.23 iptables-save (KUBE-XLB)', file: 'iptables-1.23-save.txt', mode: 'iptables', variant: 'iptables-old', want: expectedOld},
	{name: 'v1.23 iptables-save -t nat (KUBE-XLB, nat only)', file: 'iptables-1.23-save-nat.txt', mode: 'iptables', variant: 'iptables-old', want: expectedOld},
	{name: 'nftables: nft list table ip kube-proxy', file: 'nft-list-table.txt', mode: 'nftables', variant: 'nftables', want: expectedNew},
	{name: 'nftables: nft list ruleset (with a host firewall table)', file: 'nft-list-ruleset.txt', mode: 'nftables', variant: 'nftables', want: expectedNew},
];

describe('kube-proxy dumps read back from the kernel', () => {
	for (const {name, file, mode, variant, want} of cases) {
		test(name, () => {
			const dump = fixture(file);
			assert.equal(detectNatMode(dump), mode);
			const decoded = decodeNatDump(dump);
			assert.equal(decoded.variant, variant);
			const table = crossCheckNat(decoded, fixtureApi);
			assert.deepEqual(table.problems, []);
			assert.deepEqual(summarize(table), want);
		});
	}

	test('the same decode without the API for iptables (comments name every Service)', () => {
		for (const file of ['iptables-1.28-save.txt', 'iptables-1.28-save-nat.txt', 'iptables-1.28-S-nat.txt']) {
			assert.deepEqual(summarize(decodeNatDump(fixture(file))), expectedNew, file);
		}
	});

	test('large-cluster mode: no comments on KUBE-SVC -> KUBE-SEP and KUBE-SEP rules', () => {
		const dump = fixture('iptables-1.28-large-save-nat.txt');
		// What makes this fixture large-cluster mode: the SEP rules and SVC->SEP jumps carry no comment.
		assert.doesNotMatch(dump, /^-A KUBE-SEP-.*--comment/m);
		assert.doesNotMatch(dump, /^-A KUBE-SVC-\S+ .*--comment "[^"]* -> /m);
		const table = crossCheckNat(decodeNatDump(dump), largeFixtureApi);
		assert.deepEqual(table.problems, []);
		const {'load/big:http/TCP': big, ...rest} = summarize(table) as Record<string, {endpoints: string[]}>;
		assert.deepEqual(rest, expectedNew);
		assert.equal(big!.endpoints.length, 1000);
		const flow = table.services.find(each => each.service === 'load/big')!;
		const shares = flow.endpoints.map(endpoint => endpoint.probability);
		assert.ok(Math.abs(shares.reduce((sum, share) => sum + share, 0) - 1) < 1e-9);
		assert.ok(shares.every(share => Math.abs(share - 0.001) < 1e-6), 'each of 1,000 endpoints gets 1/1000');
	});

	test('the iptables decode does not depend on how the bytes arrive (text, bytes, parts of any size)', () => {
		for (const {file, mode} of cases.filter(each => each.mode === 'iptables')) {
			const dump = fixture(file);
			const whole = decodeNatDump(dump, mode);
			assert.ok(whole.services.length > 0, file);
			assert.deepEqual(decodeNatDump(new TextEncoder().encode(dump), mode), whole, `${file} as bytes`);
			for (const size of [1, 7, 4096]) {
				const bytes = new TextEncoder().encode(dump);
				const reader = new IptablesReader();
				for (let from = 0; from < bytes.length; from += size) {
					reader.writeBytes(bytes.subarray(from, from + size));
				}

				assert.deepEqual(decodeIptables(reader.end()), whole, `${file} in ${size}-byte parts`);
			}
		}
	});

	test('kube-proxy\'s interface local detectors (--detect-local-mode BridgeInterface / InterfaceNamePrefix) are pod traffic too', () => {
		const iptables = fixture('iptables-1.28-save-nat.txt').replace(/^(-A KUBE-EXT-\S+) -s 10\.244\.0\.0\/16 (-m comment --comment "pod traffic for default\/web-local:http)/m, '$1 -i cni0 $2');
		const nft = fixture('nft-list-table.txt').replace(/ip saddr 10\.244\.0\.0\/16 (goto service-\S+-default\/web-local\/)/, 'iifname "veth*" $1');
		for (const [dump, original, condition] of [[iptables, 'iptables-1.28-save-nat.txt', 'in through cni0'], [nft, 'nft-list-table.txt', 'in through veth*']] as const) {
			assert.notEqual(dump, fixture(original));
			const flow = decodeNatDump(dump).services.find(each => each.service === 'default/web-local')!;
			assert.deepEqual(flow.bypass.map(bypass => `${bypass.from}: ${bypass.condition}`), [`pods: ${condition}`, 'node: source is a local address']);
			assert.equal(flow.noEndpoints, 'drop');
			assert.deepEqual(flow.localEndpoints, []);
		}
	});

	test('the fixtures use kube-proxy\'s chain names', () => {
		assert.match(fixture('iptables-1.28-save-nat.txt'), new RegExp(`KUBE-EXT-${iptablesServiceHash('default/web-local:http', 'tcp')} `));
	});

	test('--json: localEndpoints [] and noEndpoints "drop" for a Local Service without a local endpoint, from the nat table alone', () => {
		const json = writtenNatJson(decodeNatDump(fixture('iptables-1.28-save-nat.txt')));
		const local = json.services.find(flow => flow.service === 'default/web-local')!;
		assert.deepEqual(local.localEndpoints, []);
		assert.equal(local.noEndpoints, 'drop');
		assert.deepEqual(local.entries.filter(entry => entry.kind !== 'clusterIP').map(entry => entry.localOnly), [true, true, true]);
		assert.deepEqual(local.bypass.map(bypass => `${bypass.from}: ${bypass.condition}`).sort(), ['node: source is a local address', 'pods: source 10.244.0.0/16']);
		// A Cluster Service is not Local: null, as the format defines.
		assert.equal(json.services.find(flow => flow.service === 'default/web-cluster')!.localEndpoints, null);
	});

	test('the text says the drop, and the paths that still work', () => {
		for (const file of ['iptables-1.28-save-nat.txt', 'iptables-1.23-save-nat.txt', 'nft-list-table.txt']) {
			const text = renderNatText(decodeNatDump(fixture(file)));
			const tree = text.split('\n\n').find(block => block.startsWith('default/web-local:http'))!;
			assert.match(tree, /NodePort \*:30080 -> \S+ \(Local: outside traffic dropped here\)/, file);
			assert.match(tree, /Pod traffic \(source 10\.244\.0\.0\/16\) -> \S+: cluster-wide endpoints/, file);
			assert.match(tree, /Node traffic \(source is a local address\) -> \S+: cluster-wide endpoints/, file);
			assert.match(tree, /No local endpoints: traffic from outside dropped.*, pods and node still served/, file);
			assert.doesNotMatch(tree, /only this node's endpoints/, file);
		}
	});

	test('a Local Service with a local endpoint keeps the local path', () => {
		const text = renderNatText(decodeNatDump(fixture('iptables-1.28-save-nat.txt')));
		const tree = text.split('\n\n').find(block => block.startsWith('default/web-here:http'))!;
		assert.match(tree, /NodePort \*:30081 -> KUBE-EXT-\S+ -> KUBE-SVL-\S+ \(Local: only this node's endpoints\)\n.*100\.0% KUBE-SEP-\S+ -> DNAT 10\.244\.0\.7:8080/);
		assert.doesNotMatch(tree, /dropped/);
	});
});

describe('the fixtures are what the kernel prints', () => {
	test('loading each source and reading it back gives the committed files', t => {
		const unavailable = kernelUnavailable();
		if (unavailable) {
			t.skip(unavailable);
			return;
		}

		const readBack = readBackAll('svtfixt');
		assert.deepEqual(Object.keys(readBack).sort(), [...fixtureNames].sort());
		for (const name of fixtureNames) {
			assert.equal(stableLines(readBack[name]!), stableLines(fixture(name)), `${name}: regenerate with test/fixtures/nat/kernel/regenerate.ts`);
		}
	});
});

test('nftables: a dispatch rule after one that already sent every connection away is unreachable, not more traffic', () => {
	const lines = fixture('nft-list-table.txt').split('\n');
	const ladder = lines.findIndex(line => line.includes('numgen random mod 2 vmap') && line.includes('default/web-local/'));
	assert.ok(ladder > 0);
	lines.splice(ladder + 1, 0, lines[ladder]!);
	const table = decodeNatDump(lines.join('\n'));
	const flow = table.services.find(each => each.service === 'default/web-local')!;
	assert.deepEqual(flow.endpoints.map(endpoint => endpoint.probability), [0.5, 0.5]);
	assert.deepEqual(table.problems.map(problem => problem.line), [ladder + 2]);
	assert.match(table.problems[0]!.message, /unreachable rule after every connection was sent to an endpoint in service-/);
});
