import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {crossCheckNat} from '../../../source/core/nat/cross-check.js';
import {decodeNatDump, detectNatMode} from '../../../source/core/nat/decode.js';
import {generateIptablesSave} from '../../../source/builtin-cluster/generate/iptables.js';
import {generateIpvsSave} from '../../../source/builtin-cluster/generate/ipvs.js';
import {generateNftTable} from '../../../source/builtin-cluster/generate/nft.js';
import {clusterCIDR, endpointSlices, input, services} from '../../fixtures/nat/cluster.js';
import {summarize} from '../../fixtures/nat/summary.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/nat/${name}`, import.meta.url), 'utf8');

/** What node-a's kube-proxy does with the fixture cluster, whatever the mode and dump form. */
const expected: Record<string, unknown> = {
	'default/kubernetes:https/TCP': {
		entries: [
			'clusterIP 10.200.1.1:443 -> cluster',
		],
		endpoints: [
			'10.0.0.1:6443 1.000000',
		],
		localEndpoints: null,
		affinity: null,
		noEndpoints: null,
		bypass: [],
	},
	'default/svc-local:http/TCP': {
		entries: [
			'clusterIP 10.200.1.61:80 -> cluster',
			'nodePort *:31001 local -> local',
		],
		endpoints: [
			'10.10.1.7:8080 0.333333',
			'10.10.1.8:8080 0.333333',
			'10.10.2.7:8080 0.333333',
		],
		localEndpoints: [
			'10.10.1.7:8080 0.500000',
			'10.10.1.8:8080 0.500000',
		],
		affinity: null,
		noEndpoints: null,
		bypass: ['node', 'pods'],
	},
	'default/svc-nodeport:svc-webport/TCP': {
		entries: [
			'clusterIP 10.200.1.60:9000 -> cluster',
			'nodePort *:31254 -> cluster',
		],
		endpoints: [
			'10.10.1.3:8080 0.333333',
			'10.10.2.3:8080 0.333333',
			'10.10.3.4:8080 0.333333',
		],
		localEndpoints: null,
		affinity: null,
		noEndpoints: null,
		bypass: [],
	},
	'kube-system/kube-dns:dns/UDP': {
		entries: [
			'clusterIP 10.200.1.10:53 -> cluster',
		],
		endpoints: [
			'10.10.0.2:53 0.200000',
			'10.10.0.3:53 0.200000',
			'10.10.0.4:53 0.200000',
			'10.10.0.5:53 0.200000',
			'10.10.0.6:53 0.200000',
		],
		localEndpoints: null,
		affinity: null,
		noEndpoints: null,
		bypass: [],
	},
	'kube-system/kube-dns:dns-tcp/TCP': {
		entries: [
			'clusterIP 10.200.1.10:53 -> cluster',
		],
		endpoints: [
			'10.10.0.2:53 0.200000',
			'10.10.0.3:53 0.200000',
			'10.10.0.4:53 0.200000',
			'10.10.0.5:53 0.200000',
			'10.10.0.6:53 0.200000',
		],
		localEndpoints: null,
		affinity: null,
		noEndpoints: null,
		bypass: [],
	},
	'shop/empty:p/TCP': {
		entries: [
			'clusterIP 10.200.1.80:5000 -> none',
		],
		endpoints: [],
		localEndpoints: null,
		affinity: null,
		noEndpoints: 'reject',
		bypass: [],
	},
	'shop/lb:web/TCP': {
		entries: [
			'clusterIP 10.200.1.70:80 -> cluster',
			'loadBalancer 192.0.2.10:80 from 198.51.100.0/24,203.0.113.0/25 -> cluster',
			'nodePort *:32080 -> cluster',
		],
		endpoints: [
			'10.10.4.1:8000 0.500000',
			'10.10.4.2:8000 0.500000',
		],
		localEndpoints: null,
		affinity: 600,
		noEndpoints: null,
		bypass: [],
	},
	'shop/lb-local:/TCP': {
		entries: [
			'clusterIP 10.200.1.71:8080 -> cluster',
			'externalIP 192.0.2.50:8080 local -> none',
			'loadBalancer 192.0.2.11:8080 local -> none',
			'nodePort *:32081 local -> none',
		],
		endpoints: [
			'10.10.5.1:8080 1.000000',
		],
		// Policy Local with no endpoint on this node: an empty local list, not null ("not Local").
		localEndpoints: [],
		affinity: null,
		noEndpoints: 'drop',
		bypass: ['node', 'pods'],
	},
};

const oldStyleDifferences = {
	// KUBE-XLB- existed even without local endpoints, and dropped through KUBE-MARK-DROP.
	'shop/lb-local:/TCP': {
		entries: [
			'clusterIP 10.200.1.71:8080 -> cluster',
			'externalIP 192.0.2.50:8080 local -> local',
			'loadBalancer 192.0.2.11:8080 local -> local',
			'nodePort *:32081 local -> local',
		],
		endpoints: ['10.10.5.1:8080 1.000000'],
		localEndpoints: [],
		affinity: null,
		noEndpoints: 'drop',
		bypass: ['node', 'pods'],
	},
};

const api = {services, endpointSlices};
const stripComments = (text: string) => text.replaceAll(/ -m comment --comment ("(\\.|[^"\\])*"|\S+)/g, '');

describe('every kube-proxy mode and dump form decodes to the same flows', () => {
	const cases: Array<[string, string, 'iptables' | 'nftables', Record<string, unknown>]> = [
		['iptables 1.24+ restore form', generateIptablesSave(input, {clusterCIDR}), 'iptables', expected],
		['iptables 1.24+ as iptables-save prints it', generateIptablesSave(input, {clusterCIDR, form: 'save'}), 'iptables', expected],
		['iptables 1.24+ large-cluster mode (no endpoint comments)', generateIptablesSave(input, {clusterCIDR, comments: 'never'}), 'iptables', expected],
		['iptables with every comment stripped', stripComments(generateIptablesSave(input, {clusterCIDR, form: 'save'})), 'iptables', expected],
		['iptables up to 1.23 (KUBE-XLB)', generateIptablesSave(input, {clusterCIDR, style: 'old'}), 'iptables', {...expected, ...oldStyleDifferences}],
		['iptables up to 1.23 as iptables-save prints it', generateIptablesSave(input, {clusterCIDR, style: 'old', form: 'save'}), 'iptables', {...expected, ...oldStyleDifferences}],
		['nftables list form', generateNftTable(input, {clusterCIDR}), 'nftables', expected],
	];
	for (const [name, dump, mode, want] of cases) {
		test(name, () => {
			assert.equal(detectNatMode(dump), mode);
			const table = crossCheckNat(decodeNatDump(dump), api);
			assert.deepEqual(table.problems, []);
			assert.deepEqual(summarize(table), want);
		});
	}

	test('without the API, comment-less chains keep their chain names as identity', () => {
		const table = decodeNatDump(stripComments(generateIptablesSave(input, {clusterCIDR})));
		const anonymous = table.services.filter(flow => !flow.identified);
		assert.ok(anonymous.length > 0);
		for (const flow of anonymous) {
			assert.match(flow.service, /^[A-Z2-7]{16}$|^[\d.*]+:\d+\/\w+$/);
		}
	});

	test('pod and node names are attached from the EndpointSlices', () => {
		const table = crossCheckNat(decodeNatDump(generateIptablesSave(input, {clusterCIDR})), api);
		const flow = table.services.find(each => each.service === 'default/svc-nodeport')!;
		assert.deepEqual(flow.endpoints.map(endpoint => `${endpoint.pod} on ${endpoint.node}`), [
			'deploy-echo-5c689d5454-m4hd9 on myk8s-worker',
			'deploy-echo-5c689d5454-b7gng on myk8s-worker2',
			'deploy-echo-5c689d5454-zq2x8 on node-a',
		]);
	});
});

describe('iptables details', () => {
	test('the seed (iptables -S | grep) decodes with the chain names kube-proxy derives', () => {
		const dump = fixture('seed-003-iptables-S.txt');
		const table = decodeNatDump(dump);
		const flow = table.services.find(each => each.service === 'default/svc-nodeport')!;
		assert.equal(flow.port, 'svc-webport');
		assert.equal(flow.chain, 'KUBE-SVC-VTR7MTHHNMFZ3OFS');
		assert.deepEqual(flow.endpoints.map(endpoint => endpoint.chain), ['KUBE-SEP-XEXGJWEWSC2GPNPZ', 'KUBE-SEP-2AEFSWYPQGZTCWEI', 'KUBE-SEP-C5MCUQGLTHD455UI']);
		for (const endpoint of flow.endpoints) {
			assert.ok(Math.abs(endpoint.probability - (1 / 3)) < 1e-9);
		}

		// A grep keeps no KUBE-SEP- chains: the endpoints come from the comments, and each gap is reported.
		assert.deepEqual(table.problems.map(problem => problem.line), [4, 7, 8, 9]);
		const generated = generateIptablesSave(input, {clusterCIDR});
		assert.ok(generated.includes(':KUBE-SVC-VTR7MTHHNMFZ3OFS - [0:0]'));
		assert.ok(generated.includes(':KUBE-SEP-XEXGJWEWSC2GPNPZ - [0:0]'));
	});

	test('an old hand-trimmed dump: five-decimal probabilities, odd mark, bare comment, filter REJECTs', () => {
		const table = decodeNatDump(fixture('old-1.20-hand.txt'));
		assert.deepEqual(table.problems, []);
		assert.equal(table.variant, 'iptables-old');
		assert.equal(table.masqueradeMark, '0x2000');
		const front = table.services.find(each => each.service === 'web/front')!;
		assert.deepEqual(front.entries.map(entry => `${entry.kind} ${entry.ip}:${entry.port}`), ['clusterIP 10.96.7.7:80', 'nodePort null:30080']);
		assert.ok(Math.abs(front.endpoints.reduce((sum, endpoint) => sum + endpoint.probability, 0) - 1) < 1e-9);
		assert.ok(Math.abs(front.endpoints[0]!.probability - 0.333_33) < 1e-6);
		assert.deepEqual(front.masquerade.map(each => `${each.chain}: ${each.condition}`), ['KUBE-NODEPORTS: always', 'KUBE-SERVICES: source not in 10.244.0.0/16']);
		const gone = table.services.find(each => each.service === 'web/gone')!;
		assert.equal(gone.noEndpoints, 'reject');
		assert.deepEqual(gone.entries.map(entry => `${entry.kind} ${entry.ip ?? '*'}:${entry.port}`), ['clusterIP 10.96.9.9:80', 'nodePort *:30099']);
		assert.deepEqual(gone.noEndpointsLines, [44, 45]);
	});

	test('shares that do not sum to 1 are a problem with the line', () => {
		const dump = [
			'*nat',
			':KUBE-SERVICES - [0:0]',
			':KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]',
			':KUBE-SEP-AAAAAAAAAAAAAAAA - [0:0]',
			'-A KUBE-SERVICES -m comment --comment "a/b:c cluster IP" -m tcp -p tcp -d 10.1.1.1 --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA',
			'-A KUBE-SVC-AAAAAAAAAAAAAAAA -m statistic --mode random --probability 0.5 -j KUBE-SEP-AAAAAAAAAAAAAAAA',
			'-A KUBE-SEP-AAAAAAAAAAAAAAAA -m tcp -p tcp -j DNAT --to-destination 10.2.2.2:8080',
			'COMMIT',
		].join('\n');
		const table = decodeNatDump(dump);
		assert.deepEqual(table.problems.map(problem => problem.line), [6, 6]);
		assert.match(table.problems[1]!.message, /sum to 0\.5/);
	});

	test('IPv6 rules (iptables and nftables)', () => {
		const v6 = {
			services: [{metadata: {namespace: 'six', name: 'web'}, spec: {type: 'NodePort', clusterIPs: ['fd00:10:96::7'], ports: [{name: 'http', port: 80, nodePort: 30080, protocol: 'TCP'}]}}],
			endpointSlices: [{
				addressType: 'IPv6',
				metadata: {namespace: 'six', name: 'web-x', labels: {'kubernetes.io/service-name': 'web'}},
				ports: [{name: 'http', port: 8080, protocol: 'TCP'}],
				endpoints: [{addresses: ['fd00:10:244::5'], nodeName: 'node-a', conditions: {ready: true}}, {addresses: ['fd00:10:244::6'], nodeName: 'node-b', conditions: {ready: true}}],
			}],
			nodeName: 'node-a',
			nodeIPs: ['fd00::1'],
		};
		for (const dump of [generateIptablesSave(v6, {family: 'IPv6'}), generateIptablesSave(v6, {family: 'IPv6', form: 'save'}), generateNftTable(v6, {family: 'IPv6'})]) {
			const table = crossCheckNat(decodeNatDump(dump), {services: v6.services, endpointSlices: v6.endpointSlices});
			assert.deepEqual(table.problems, []);
			assert.deepEqual(summarize(table), {
				'six/web:http/TCP': {
					entries: ['clusterIP fd00:10:96::7:80 -> cluster', 'nodePort *:30080 -> cluster'],
					endpoints: ['fd00:10:244::5:8080 0.500000', 'fd00:10:244::6:8080 0.500000'],
					localEndpoints: null,
					affinity: null,
					noEndpoints: null,
					bypass: [],
				},
			});
		}
	});
});

describe('cross-check against the API', () => {
	test('missing endpoints, unknown endpoints, Services without rules, rules without Services', () => {
		const dump = generateIptablesSave(input, {clusterCIDR});
		const changedSlices = endpointSlices.map(slice => (slice.metadata?.labels?.['kubernetes.io/service-name'] === 'svc-nodeport'
			? {...slice, endpoints: [...slice.endpoints!.slice(1), {addresses: ['10.10.9.9'], nodeName: 'node-z', conditions: {ready: true}, targetRef: {kind: 'Pod', name: 'new-pod'}}]}
			: slice));
		const changedServices = [
			...services.filter(service => service.metadata?.name !== 'kube-dns'),
			{metadata: {namespace: 'new', name: 'svc'}, spec: {type: 'ClusterIP', clusterIP: '10.200.1.99', ports: [{name: 'x', port: 1, protocol: 'TCP'}]}},
		];
		const table = crossCheckNat(decodeNatDump(dump), {services: changedServices, endpointSlices: changedSlices});
		const messages = table.problems.map(problem => problem.message.replace(/^line \d+: /, ''));
		assert.deepEqual(messages.sort(), [
			'default/svc-nodeport:svc-webport (TCP): endpoint 10.10.9.9:8080 (new-pod on node-z) is in the EndpointSlices but not in the rules',
			'default/svc-nodeport:svc-webport (TCP): rules send traffic to 10.10.1.3:8080, which the API does not list as a usable endpoint',
			'new/svc:x (TCP, 10.200.1.99:1): Service has no rules on this node',
			'rules for kube-system/kube-dns:dns (UDP), which the API does not have',
			'rules for kube-system/kube-dns:dns-tcp (TCP), which the API does not have',
		]);
		const withLine = table.problems.find(problem => problem.message.includes('10.10.1.3'))!;
		assert.equal(typeof withLine.line, 'number');
	});
});

describe('IPVS', () => {
	test('generated ipvsadm -Sn, named through the API', () => {
		const dump = generateIpvsSave(input, {clusterCIDR});
		assert.equal(detectNatMode(dump), 'ipvs');
		const table = crossCheckNat(decodeNatDump(dump), api);
		assert.deepEqual(table.problems, []);
		const summary = summarize(table) as Record<string, {entries: string[]; endpoints: string[]; localEndpoints: string[] | null; affinity: number | null; noEndpoints: string | null}>;
		assert.deepEqual(Object.keys(summary), Object.keys(expected));
		assert.deepEqual(summary['shop/lb:web/TCP'], {
			entries: ['clusterIP 10.200.1.70:80 -> cluster', 'loadBalancer 192.0.2.10:80 -> cluster', 'nodePort 10.0.0.1:32080 -> cluster'],
			endpoints: ['10.10.4.1:8000 0.500000', '10.10.4.2:8000 0.500000'],
			localEndpoints: null,
			affinity: 600,
			noEndpoints: null,
			bypass: [],
		});
		assert.deepEqual(summary['default/svc-local:http/TCP']!.localEndpoints, ['10.10.1.7:8080 0.500000', '10.10.1.8:8080 0.500000']);
		assert.equal(summary['shop/empty:p/TCP']!.noEndpoints, 'reject');
	});

	test('ipvsadm -Ln listing: weights, schedulers, persistence, IPv6, empty service', () => {
		const dump = fixture('ipvsadm-Ln.txt');
		assert.equal(detectNatMode(dump), 'ipvs');
		const table = decodeNatDump(dump);
		assert.deepEqual(table.problems, []);
		const byName = new Map(table.services.map(flow => [`${flow.service}/${flow.protocol}`, flow]));
		const dnsTcp = byName.get('10.96.0.10:53/TCP')!;
		assert.equal(dnsTcp.scheduler, 'wrr');
		assert.deepEqual(dnsTcp.affinity, {timeoutSeconds: 10_800});
		assert.deepEqual(dnsTcp.endpoints.map(endpoint => endpoint.probability), [0.75, 0.25]);
		assert.deepEqual(byName.get('10.96.0.10:53/UDP')!.endpoints.map(endpoint => endpoint.probability), [1, 0]);
		assert.equal(byName.get('[fd00:10:96::a]:80/TCP')!.endpoints[0]!.ip, 'fd00:10:244::5');
		assert.equal(byName.get('172.18.0.3:31254/TCP')!.noEndpoints, 'reject');
		assert.equal(byName.get('172.18.0.3:31254/TCP')!.entries[0]!.kind, 'nodePort');
	});
});
