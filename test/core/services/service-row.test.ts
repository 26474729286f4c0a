import {readFileSync} from 'node:fs';
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {countEndpoints, endpointsColumn, serviceRow, serviceRows} from '../../../source/core/services/service-row.js';

type Fixture = {now: string; items: Array<V1Service | V1EndpointSlice>};
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/services/seed-cluster.json', import.meta.url), 'utf8')) as Fixture;
const fixtureNow = Date.parse(fixture.now);
const fixtureServices = fixture.items.filter(item => item.kind === 'Service') as V1Service[];
const fixtureSlices = fixture.items.filter(item => item.kind === 'EndpointSlice') as V1EndpointSlice[];

/** Columns: NAME, TYPE, CLUSTER-IP, EXTERNAL-IP (non-wide), PORT(S), AGE, then EXTERNAL-IP (wide), SELECTOR. */
type Cells = [string, string, string, string, string, string, string, string];

function cells(service: V1Service, now = 0): Cells {
	const row = serviceRow(service, [], now);
	return [row.name, row.type, row.clusterIP, row.externalIPShort, row.ports, row.age, row.externalIP, row.selector];
}

const singleExternalIP = ['80.11.12.10'];
const mulExternalIP = ['80.11.12.10', '80.11.12.11'];

// Every Service case of kubectl's pkg/printers/internalversion printers_test.go (TestPrintService,
// TestPrintServiceLoadBalancer), as facts: input object -> expected cells. Cells kubectl only prints in
// one mode are checked against both of our strings (wide and short), which agree where kubectl's do.
const kubectlCases: Array<{name: string; service: V1Service; expected: Cells}> = [
	{
		name: 'name, cluster ip, port with protocol',
		service: {metadata: {name: 'test1'}, spec: {type: 'ClusterIP', ports: [{protocol: 'tcp', port: 2233}], clusterIPs: ['10.9.8.7'], selector: {foo: 'bar'}}},
		expected: ['test1', 'ClusterIP', '10.9.8.7', '<none>', '2233/tcp', '<unknown>', '<none>', 'foo=bar'],
	},
	{
		name: 'NodePort service',
		service: {metadata: {name: 'test2'}, spec: {type: 'NodePort', ports: [{protocol: 'tcp', port: 8888, nodePort: 9999}], clusterIPs: ['10.9.8.7']}},
		expected: ['test2', 'NodePort', '10.9.8.7', '<none>', '8888:9999/tcp', '<unknown>', '<none>', '<none>'],
	},
	{
		name: 'LoadBalancer service',
		service: {metadata: {name: 'test3'}, spec: {type: 'LoadBalancer', ports: [{protocol: 'tcp', port: 8888}], clusterIPs: ['10.9.8.7']}},
		expected: ['test3', 'LoadBalancer', '10.9.8.7', '<pending>', '8888/tcp', '<unknown>', '<pending>', '<none>'],
	},
	{
		name: 'LoadBalancer with single ExternalIP and no LoadBalancerStatus',
		service: {metadata: {name: 'test4'}, spec: {type: 'LoadBalancer', ports: [{protocol: 'tcp', port: 8888}], clusterIPs: ['10.9.8.7'], externalIPs: singleExternalIP}},
		expected: ['test4', 'LoadBalancer', '10.9.8.7', '80.11.12.10', '8888/tcp', '<unknown>', '80.11.12.10', '<none>'],
	},
	{
		name: 'LoadBalancer with single ExternalIP',
		service: {
			metadata: {name: 'test5'},
			spec: {type: 'LoadBalancer', ports: [{protocol: 'tcp', port: 8888}], clusterIPs: ['10.9.8.7'], externalIPs: singleExternalIP},
			status: {loadBalancer: {ingress: [{ip: '3.4.5.6', hostname: 'test.cluster.com'}]}},
		},
		expected: ['test5', 'LoadBalancer', '10.9.8.7', '3.4.5.6,80.11.12.10', '8888/tcp', '<unknown>', '3.4.5.6,80.11.12.10', '<none>'],
	},
	{
		name: 'LoadBalancer with mul ExternalIPs',
		service: {
			metadata: {name: 'test6'},
			spec: {type: 'LoadBalancer', ports: [{protocol: 'tcp', port: 8888}], clusterIPs: ['10.9.8.7'], externalIPs: mulExternalIP},
			status: {loadBalancer: {ingress: [{ip: '2.3.4.5', hostname: 'test.cluster.local'}, {ip: '3.4.5.6', hostname: 'test.cluster.com'}]}},
		},
		// kubectl's non-wide clip applies to the load-balancer part only (15 chars here, under 16).
		expected: ['test6', 'LoadBalancer', '10.9.8.7', '2.3.4.5,3.4.5.6,80.11.12.10,80.11.12.11', '8888/tcp', '<unknown>', '2.3.4.5,3.4.5.6,80.11.12.10,80.11.12.11', '<none>'],
	},
	{
		name: 'ExternalName service',
		service: {metadata: {name: 'test7'}, spec: {type: 'ExternalName', externalName: 'my.database.example.com'}},
		expected: ['test7', 'ExternalName', '<none>', 'my.database.example.com', '<none>', '<unknown>', 'my.database.example.com', '<none>'],
	},
	{
		name: 'load balancer with multiple external IPs',
		service: {
			metadata: {name: 'service1'},
			spec: {clusterIPs: ['1.2.3.4'], type: 'LoadBalancer', ports: [{port: 80, protocol: 'TCP'}]},
			status: {loadBalancer: {ingress: [{ip: '2.3.4.5'}, {ip: '3.4.5.6'}]}},
		},
		expected: ['service1', 'LoadBalancer', '1.2.3.4', '2.3.4.5,3.4.5.6', '80/TCP', '<unknown>', '2.3.4.5,3.4.5.6', '<none>'],
	},
	{
		name: 'load balancer with pending external IP and four protocols',
		service: {
			metadata: {name: 'service2'},
			spec: {clusterIPs: ['1.3.4.5'], type: 'LoadBalancer', ports: [{port: 80, protocol: 'TCP'}, {port: 8090, protocol: 'UDP'}, {port: 8000, protocol: 'TCP'}, {port: 7777, protocol: 'SCTP'}]},
		},
		expected: ['service2', 'LoadBalancer', '1.3.4.5', '<pending>', '80/TCP,8090/UDP,8000/TCP,7777/SCTP', '<unknown>', '<pending>', '<none>'],
	},
	{
		name: 'load balancer with multiple ports',
		service: {
			metadata: {name: 'service3'},
			spec: {clusterIPs: ['1.4.5.6'], type: 'LoadBalancer', ports: [{port: 80, protocol: 'TCP'}, {port: 8090, protocol: 'UDP'}, {port: 8000, protocol: 'TCP'}]},
			status: {loadBalancer: {ingress: [{ip: '2.3.4.5'}]}},
		},
		expected: ['service3', 'LoadBalancer', '1.4.5.6', '2.3.4.5', '80/TCP,8090/UDP,8000/TCP', '<unknown>', '2.3.4.5', '<none>'],
	},
	{
		name: 'long external IP list gets elided (non-wide); wide shows it with the selector',
		service: {
			metadata: {name: 'service4'},
			spec: {clusterIPs: ['1.5.6.7'], type: 'LoadBalancer', ports: [{port: 80, protocol: 'TCP'}, {port: 8090, protocol: 'UDP'}, {port: 8000, protocol: 'TCP'}], selector: {foo: 'bar'}},
			status: {loadBalancer: {ingress: [{ip: '2.3.4.5'}, {ip: '3.4.5.6'}, {ip: '5.6.7.8', hostname: 'host5678'}]}},
		},
		expected: ['service4', 'LoadBalancer', '1.5.6.7', '2.3.4.5,3.4.5...', '80/TCP,8090/UDP,8000/TCP', '<unknown>', '2.3.4.5,3.4.5.6,5.6.7.8', 'foo=bar'],
	},
];

// Rules from printers.go that its tests do not cover, written down as cases.
const ruleCases: Array<{name: string; service: V1Service; expected: Cells}> = [
	{
		name: 'headless: clusterIPs is ["None"]',
		service: {metadata: {name: 'db'}, spec: {type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{port: 5432, protocol: 'TCP'}], selector: {app: 'db'}}},
		expected: ['db', 'ClusterIP', 'None', '<none>', '5432/TCP', '<unknown>', '<none>', 'app=db'],
	},
	{
		name: 'dual-stack: the first of clusterIPs',
		service: {metadata: {name: 'ds'}, spec: {type: 'ClusterIP', clusterIP: 'fd00:10:96::4a2', clusterIPs: ['fd00:10:96::4a2', '10.96.200.7'], ipFamilies: ['IPv6', 'IPv4'], ports: [{port: 80, protocol: 'TCP'}]}},
		expected: ['ds', 'ClusterIP', 'fd00:10:96::4a2', '<none>', '80/TCP', '<unknown>', '<none>', '<none>'],
	},
	{
		name: 'NodePort with externalIPs',
		service: {metadata: {name: 'np'}, spec: {type: 'NodePort', clusterIPs: ['10.97.16.76'], externalIPs: ['10.20.2.235', '10.20.2.236'], ports: [{port: 8081, nodePort: 31511, protocol: 'TCP'}]}},
		expected: ['np', 'NodePort', '10.97.16.76', '10.20.2.235,10.20.2.236', '8081:31511/TCP', '<unknown>', '10.20.2.235,10.20.2.236', '<none>'],
	},
	{
		name: 'ingress hostnames and IPs are de-duplicated and sorted; IP wins over hostname in one entry',
		service: {
			metadata: {name: 'lb'},
			spec: {type: 'LoadBalancer', clusterIPs: ['10.0.0.9'], ports: [{port: 443, nodePort: 30443, protocol: 'TCP'}]},
			status: {loadBalancer: {ingress: [{hostname: 'b.example.com'}, {ip: '203.0.113.9', hostname: 'ignored.example.com'}, {hostname: 'b.example.com'}, {ip: '198.51.100.4'}]}},
		},
		expected: ['lb', 'LoadBalancer', '10.0.0.9', '198.51.100.4,...', '443:30443/TCP', '<unknown>', '198.51.100.4,203.0.113.9,b.example.com', '<none>'],
	},
	{
		name: 'clipped load-balancer part keeps the externalIPs after it',
		service: {
			metadata: {name: 'lb2'},
			spec: {type: 'LoadBalancer', clusterIPs: ['10.0.0.10'], externalIPs: ['192.0.2.1'], ports: [{port: 80, nodePort: 30080, protocol: 'TCP'}]},
			status: {loadBalancer: {ingress: [{hostname: 'a1b2c3d4e5f6.elb.example.com'}]}},
		},
		expected: ['lb2', 'LoadBalancer', '10.0.0.10', 'a1b2c3d4e5f6....,192.0.2.1', '80:30080/TCP', '<unknown>', 'a1b2c3d4e5f6.elb.example.com,192.0.2.1', '<none>'],
	},
	{
		name: 'exactly 16 characters are not clipped',
		service: {
			metadata: {name: 'lb3'},
			spec: {type: 'LoadBalancer', clusterIPs: ['10.0.0.11'], ports: [{port: 80, protocol: 'TCP'}]},
			status: {loadBalancer: {ingress: [{hostname: 'abcdefghij.co.uk'}]}},
		},
		expected: ['lb3', 'LoadBalancer', '10.0.0.11', 'abcdefghij.co.uk', '80/TCP', '<unknown>', 'abcdefghij.co.uk', '<none>'],
	},
	{
		name: 'selector keys sorted',
		service: {metadata: {name: 'sel'}, spec: {type: 'ClusterIP', clusterIPs: ['10.0.0.12'], ports: [{port: 80, protocol: 'TCP'}], selector: {tier: 'web', app: 'shop', 'app.kubernetes.io/name': 'shop'}}},
		expected: ['sel', 'ClusterIP', '10.0.0.12', '<none>', '80/TCP', '<unknown>', '<none>', 'app=shop,app.kubernetes.io/name=shop,tier=web'],
	},
	{
		name: 'no ports',
		service: {metadata: {name: 'noports'}, spec: {type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None']}},
		expected: ['noports', 'ClusterIP', 'None', '<none>', '<none>', '<unknown>', '<none>', '<none>'],
	},
	{
		name: 'a server before dual-stack only sets clusterIP',
		service: {metadata: {name: 'old'}, spec: {type: 'ClusterIP', clusterIP: '10.0.0.1', ports: [{port: 443, protocol: 'TCP'}]}},
		expected: ['old', 'ClusterIP', '10.0.0.1', '<none>', '443/TCP', '<unknown>', '<none>', '<none>'],
	},
];

describe('serviceRow: kubectl printer cases', () => {
	for (const {name, service, expected} of [...kubectlCases, ...ruleCases]) {
		test(name, () => {
			assert.deepEqual(cells(service), expected);
		});
	}

	test('AGE from creationTimestamp as a Date (client) or a string (raw JSON)', () => {
		const now = Date.parse('2024-05-01T12:00:00Z');
		const asString: V1Service = {metadata: {name: 'a', creationTimestamp: '2024-05-01T11:53:19Z' as unknown as Date}, spec: {type: 'ClusterIP'}};
		const asDate: V1Service = {metadata: {name: 'a', creationTimestamp: new Date('2024-04-26T15:00:00Z')}, spec: {type: 'ClusterIP'}};
		assert.equal(serviceRow(asString, [], now).age, '6m41s');
		assert.equal(serviceRow(asString, [], now).createdAt, Date.parse('2024-05-01T11:53:19Z'));
		assert.equal(serviceRow(asDate, [], now).age, '4d21h');
		assert.equal(serviceRow({metadata: {name: 'a'}, spec: {type: 'ClusterIP'}}, [], now).createdAt, undefined);
	});
});

// The walkthroughs' own kubectl output, reproduced from realistic objects (test/fixtures/services).
// [key, TYPE, CLUSTER-IP, EXTERNAL-IP wide, EXTERNAL-IP short, PORT(S), SELECTOR, AGE, ready/total, warnings]
const seedCases: Array<[string, string, string, string, string, string, string, string, string, string[]]> = [
	['default/kubernetes', 'ClusterIP', '10.96.0.1', '<none>', '<none>', '443/TCP', '<none>', '4d21h', '1/1', []],
	['default/my-service', 'ClusterIP', '10.96.144.7', '<none>', '<none>', '80/TCP', '<none>', '3h', '1/1', []],
	['default/np-svc', 'NodePort', '10.103.126.111', '<none>', '<none>', '80:30000/TCP', 'app=np-pods', '6m41s', '2/2', []],
	['default/svc-nodeport', 'NodePort', '10.200.1.60', '<none>', '<none>', '9000:31254/TCP', 'app=deploy-websrv', '12m', '3/3', []],
	['default/whms-loadbalancer', 'LoadBalancer', '10.111.205.225', '<pending>', '<pending>', '80:30081/TCP', 'app=whms', '4h58m', '1/1', ['load balancer pending']],
	['eks/np-svc', 'LoadBalancer', '172.16.107.200', 'ac0c6f11e2b974fe0a44b970b63be449-52265006.ap-northeast-2.elb.amazonaws.com', 'ac0c6f11e2b97...', '80:30000/TCP', 'app=np-pods', '44s', '1/2', []],
	['ingress-nginx/ingress-nginx', 'LoadBalancer', '10.100.72.159', 'xxxxxx.ap-northeast-2.elb.amazonaws.com', 'xxxxxx.ap-nor...', '80:31930/TCP,443:32120/TCP', 'app.kubernetes.io/component=controller,app.kubernetes.io/name=ingress-nginx', '58d', '1/1', []],
	['kube-system/kube-dns', 'ClusterIP', '10.96.0.10', '<none>', '<none>', '53/UDP,53/TCP,9153/TCP', 'k8s-app=kube-dns', '13d', '2/2', []],
	['prod/light-api', 'NodePort', '10.100.134.179', '<none>', '<none>', '80:30427/TCP', 'app=light-api', '211d', '0/0', ['no endpoints']],
	['prod/light-redis', 'ClusterIP', '10.100.91.203', '<none>', '<none>', '6379/TCP', 'app=light-redis', '211d', '0/1', ['no ready endpoints']],
	['prod/my-service', 'ExternalName', '<none>', 'my.database.example.com', 'my.database.example.com', '<none>', '<none>', '120m', '0/0', []],
	['test/nginx-svc', 'ClusterIP', '10.105.132.127', '10.20.2.235,10.20.2.236', '10.20.2.235,10.20.2.236', '80/TCP', 'app=nginx', '45h', '2/2', []],
	['test/nginx-svc-lb', 'LoadBalancer', '10.110.214.153', '10.20.2.235,10.20.2.236', '10.20.2.235,10.20.2.236', '8080:31558/TCP', 'app=nginx', '45h', '2/2', ['load balancer pending']],
	['test/nginx-svc-np', 'NodePort', '10.97.16.76', '10.20.2.235,10.20.2.236', '10.20.2.235,10.20.2.236', '8081:31511/TCP', 'app=nginx', '45h', '2/2', []],
];

describe('serviceRows: the walkthroughs', () => {
	const rows = serviceRows(fixtureServices, fixtureSlices, fixtureNow);

	test('one row per Service, sorted by namespace then name', () => {
		assert.deepEqual(rows.map(row => row.key), seedCases.map(([key]) => key));
	});

	for (const [key, type, clusterIP, externalIP, externalIPShort, ports, selector, age, endpoints, warnings] of seedCases) {
		test(key, () => {
			const row = rows.find(candidate => candidate.key === key);
			assert.ok(row, `no row for ${key}`);
			assert.deepEqual(
				[row.type, row.clusterIP, row.externalIP, row.externalIPShort, row.ports, row.selector, row.age, endpointsColumn(row.endpoints), row.warnings],
				[type, clusterIP, externalIP, externalIPShort, ports, selector, age, endpoints, warnings],
			);
		});
	}

	test('slices of a same-named Service in another namespace are not mixed in', () => {
		const eks = rows.find(row => row.key === 'eks/np-svc');
		const kubeadm = rows.find(row => row.key === 'default/np-svc');
		assert.deepEqual(eks?.endpoints, {ready: 1, total: 2});
		assert.deepEqual(kubeadm?.endpoints, {ready: 2, total: 2});
	});

	test('slicesUnknown leaves out endpoint warnings but keeps the load balancer one', () => {
		const unknown = serviceRows(fixtureServices, [], fixtureNow, {slicesUnknown: 'forbidden'});
		assert.deepEqual(unknown.find(row => row.key === 'prod/light-api')?.warnings, []);
		assert.deepEqual(unknown.find(row => row.key === 'default/whms-loadbalancer')?.warnings, ['load balancer pending']);
	});

	test('slicesUnknown: an ExternalName shows what it shows with slices known, not ?/?, a ClusterIP shows ?/?', () => {
		const external: V1Service = {metadata: {name: 'db', namespace: 'shop'}, spec: {type: 'ExternalName', externalName: 'db.example.com'}};
		const cluster: V1Service = {metadata: {name: 'web', namespace: 'shop'}, spec: {type: 'ClusterIP', clusterIP: '10.96.0.10'}};
		const known = serviceRow(external, [], 0);
		const unknown = serviceRow(external, [], 0, {slicesUnknown: 'forbidden'});
		assert.deepEqual(unknown.endpoints, known.endpoints);
		assert.equal(endpointsColumn(unknown.endpoints), endpointsColumn(known.endpoints));
		assert.notEqual(endpointsColumn(unknown.endpoints), '?/?');
		assert.deepEqual(unknown.warnings, []);
		assert.equal(endpointsColumn(serviceRow(cluster, [], 0, {slicesUnknown: 'forbidden'}).endpoints), '?/?');
	});
});

function slice(name: string, addressType: string, endpoints: NonNullable<V1EndpointSlice['endpoints']>): V1EndpointSlice {
	return {addressType, endpoints, metadata: {name, namespace: 'shop', labels: {'kubernetes.io/service-name': 'web'}}};
}

const pod = (name: string) => ({kind: 'Pod', namespace: 'shop', name, uid: `uid-${name}`});

describe('countEndpoints', () => {
	test('dual-stack: one backend per pod across the IPv4 and IPv6 slices', () => {
		const slices = [
			slice('web-v4', 'IPv4', [
				{addresses: ['10.244.1.5'], targetRef: pod('web-a'), conditions: {ready: true}},
				{addresses: ['10.244.2.9'], targetRef: pod('web-b'), conditions: {ready: false}},
			]),
			slice('web-v6', 'IPv6', [
				{addresses: ['fd00:10:244:1::5'], targetRef: pod('web-a'), conditions: {ready: true}},
				{addresses: ['fd00:10:244:2::9'], targetRef: pod('web-b'), conditions: {ready: false}},
			]),
		];
		assert.deepEqual(countEndpoints(slices), {ready: 1, total: 2});
	});

	test('unset ready means ready', () => {
		assert.deepEqual(countEndpoints([slice('a', 'IPv4', [{addresses: ['10.0.0.1']}, {addresses: ['10.0.0.2'], conditions: {}}])]), {ready: 2, total: 2});
	});

	test('the same endpoint in two slices while the controller rebalances counts once, ready if any copy is', () => {
		const slices = [
			slice('a', 'IPv4', [{addresses: ['10.0.0.1'], targetRef: pod('p1'), conditions: {ready: false}}]),
			slice('b', 'IPv4', [{addresses: ['10.0.0.1'], targetRef: pod('p1'), conditions: {ready: true}}, {addresses: ['10.0.0.2'], targetRef: pod('p2'), conditions: {ready: false}}]),
		];
		assert.deepEqual(countEndpoints(slices), {ready: 1, total: 2});
	});

	test('endpoints without targetRef are told apart by address; duplicates within one slice merge', () => {
		assert.deepEqual(countEndpoints([slice('m', 'IPv4', [{addresses: ['192.0.2.42']}, {addresses: ['192.0.2.43'], conditions: {ready: false}}])]), {ready: 1, total: 2});
		assert.deepEqual(countEndpoints([slice('m', 'IPv4', [{addresses: ['192.0.2.42']}, {addresses: ['192.0.2.42']}])]), {ready: 1, total: 1});
	});

	test('terminating endpoints are not ready', () => {
		assert.deepEqual(countEndpoints([slice('t', 'IPv4', [
			{addresses: ['10.0.0.1'], targetRef: pod('old'), conditions: {ready: false, serving: true, terminating: true}},
			{addresses: ['10.0.0.2'], targetRef: pod('new'), conditions: {ready: true, serving: true, terminating: false}},
		])]), {ready: 1, total: 2});
	});

	test('no slices, or a slice with no endpoints', () => {
		assert.deepEqual(countEndpoints([]), {ready: 0, total: 0});
		assert.deepEqual(countEndpoints([slice('e', 'IPv4', [])]), {ready: 0, total: 0});
	});
});

describe('serviceRows at scale', () => {
	// Its speed is a goal of `npm run bench` (services), not of this test, which checks the result at scale.
	test('5,000 Services with 10 endpoints each', () => {
		const services: V1Service[] = [];
		const slices: V1EndpointSlice[] = [];
		for (let index = 0; index < 5000; index++) {
			const namespace = `ns-${index % 50}`;
			const name = `svc-${index}`;
			services.push({metadata: {namespace, name, creationTimestamp: new Date(0)}, spec: {type: 'ClusterIP', clusterIPs: [`10.96.${index >> 8}.${index & 255}`], ports: [{port: 80, protocol: 'TCP'}], selector: {app: name}}});
			slices.push({
				addressType: 'IPv4',
				metadata: {namespace, name: `${name}-abcde`, labels: {'kubernetes.io/service-name': name}},
				endpoints: Array.from({length: 10}, (_, k) => ({addresses: [`10.${k}.${index >> 8}.${index & 255}`], nodeName: `node-${k}`, targetRef: {kind: 'Pod', namespace, name: `${name}-${k}`, uid: `${index}-${k}`}, conditions: {ready: k !== 0}})),
			});
		}

		const rows = serviceRows(services, slices, 1e12);
		assert.equal(rows.length, 5000);
		assert.deepEqual(rows.find(row => row.key === 'ns-7/svc-7')?.endpoints, {ready: 9, total: 10});
	});
});

describe('serviceRow: a port the endpoints serve over another protocol only', () => {
	// The upstream DNS walkthrough: a UDP Service port whose manual EndpointSlice lists the port as TCP.
	const dns: V1Service = {metadata: {namespace: 'default', name: 'upstream-dns'}, spec: {type: 'ClusterIP', clusterIPs: ['10.96.0.53'], ports: [{name: 'dns', port: 53, protocol: 'UDP'}]}};
	const tcpOnly: V1EndpointSlice = {addressType: 'IPv4', metadata: {name: 'upstream-dns-1'}, ports: [{name: 'dns', port: 53, protocol: 'TCP'}], endpoints: [{addresses: ['10.10.0.9'], conditions: {ready: true}}]};

	test('is a warning, though every endpoint is ready', () => {
		const row = serviceRow(dns, [tcpOnly], 0);
		assert.deepEqual(row.endpoints, {ready: 1, total: 1});
		assert.deepEqual(row.warnings, ['port 53/UDP served over TCP only']);
	});

	test('served over its own protocol, or endpoints unknown: no warning', () => {
		assert.deepEqual(serviceRow(dns, [{...tcpOnly, ports: [{name: 'dns', port: 53, protocol: 'UDP'}]}], 0).warnings, []);
		assert.deepEqual(serviceRow(dns, [tcpOnly], 0, {slicesUnknown: 'forbidden'}).warnings, []);
	});
});

describe('serviceRow: a port no EndpointSlice lists by its name', () => {
	// A selectorless Service with a hand-written EndpointSlice whose port name differs from the Service's:
	// kube-proxy matches ports by name, so the Service port has no backend although the endpoint is ready.
	const web: V1Service = {metadata: {namespace: 'default', name: 'external-web'}, spec: {type: 'ClusterIP', clusterIPs: ['10.96.0.80'], ports: [{name: 'http', port: 80, protocol: 'TCP'}, {name: 'metrics', port: 9100, protocol: 'TCP'}]}};
	const handWritten: V1EndpointSlice = {addressType: 'IPv4', metadata: {name: 'external-web-1'}, ports: [{name: 'web', port: 8080, protocol: 'TCP'}, {name: 'metrics', port: 9100, protocol: 'TCP'}], endpoints: [{addresses: ['192.168.10.5'], conditions: {ready: true}}]};

	test('is a warning naming the port, though every endpoint is ready', () => {
		const row = serviceRow(web, [handWritten], 0);
		assert.deepEqual(row.endpoints, {ready: 1, total: 1});
		assert.deepEqual(row.warnings, ['port 80/TCP: no endpoint port named http']);
	});

	test('an unnamed Service port needs an unnamed endpoint port', () => {
		const single: V1Service = {...web, spec: {...web.spec, ports: [{port: 80, protocol: 'TCP'}]}};
		assert.deepEqual(serviceRow(single, [handWritten], 0).warnings, ['port 80/TCP: no endpoint port without a name']);
		assert.deepEqual(serviceRow(single, [{...handWritten, ports: [{port: 8080, protocol: 'TCP'}]}], 0).warnings, []);
	});

	test('names that match, no endpoints at all, or endpoints unknown: no port warning', () => {
		assert.deepEqual(serviceRow(web, [{...handWritten, ports: [{name: 'http', port: 8080, protocol: 'TCP'}, {name: 'metrics', port: 9100, protocol: 'TCP'}]}], 0).warnings, []);
		assert.deepEqual(serviceRow(web, [{...handWritten, endpoints: []}], 0).warnings, ['no endpoints']);
		assert.deepEqual(serviceRow(web, [handWritten], 0, {slicesUnknown: 'forbidden'}).warnings, []);
	});
});
