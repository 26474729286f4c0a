import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {crossCheckNat} from '../../../source/core/nat/cross-check.js';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
import {filterNatServices, renderNatText} from '../../../source/core/nat/render.js';
import {writtenNatJson} from '../../fixtures/nat/json-document.js';
import {fixtureApi} from '../../fixtures/nat/kernel/api.js';
import {ipv6Input} from '../../fixtures/nat/cluster.js';
import {policyApi, policyCases, policyDump} from '../../fixtures/nat/local-policies.js';
import {labNodes} from '../../node/access/three-nodes.js';
import {generateIptablesSave} from '../../../source/builtin-cluster/generate/iptables.js';

const dump = readFileSync(join(import.meta.dirname, '../../fixtures/nat/kernel/iptables-1.28-save-nat.txt'), 'utf8');
const stripped = dump.replaceAll(/ -m comment --comment ("(\\.|[^"\\])*"|\S+)/g, '');

/** What `-n NAMESPACE` lists: only that namespace's objects. */
function listed(namespace: string) {
	return {
		services: fixtureApi.services.filter(service => service.metadata?.namespace === namespace),
		endpointSlices: fixtureApi.endpointSlices.filter(slice => slice.metadata?.namespace === namespace),
		namespace,
	};
}

const missing = (messages: string[]) => messages.filter(message => message.includes('which the API does not have'));

describe('cross-check scoped to what the API was asked for', () => {
	test('with -n default, Services of other namespaces are not "rules the API does not have"', () => {
		const table = crossCheckNat(decodeNatDump(dump), listed('default'));
		assert.deepEqual(table.problems, []);
		// shop/lb-fw and kube-system/kube-dns: two Service ports in other namespaces.
		assert.deepEqual(table.notes, ['rules of 2 Service ports outside namespace default were not checked against the API (it was asked for default only; -A checks all)']);
		assert.match(renderNatText(table), /^kube-proxy mode: iptables-new.*\nNote: rules of 2 Service ports outside namespace default were not checked/);
		assert.deepEqual(writtenNatJson(table).notes, table.notes);
	});

	test('a Service missing from a listed namespace is still reported', () => {
		const api = listed('default');
		const withoutOne = {...api, services: api.services.filter(service => service.metadata?.name !== 'web-cluster')};
		const table = crossCheckNat(decodeNatDump(dump), withoutOne);
		assert.deepEqual(missing(table.problems.map(problem => problem.message.replace(/^line \d+: /, ''))), ['rules for default/web-cluster:http (TCP), which the API does not have']);
	});

	test('every namespace listed (-A): a Service the API lacks is reported whatever its namespace, and no note', () => {
		const table = crossCheckNat(decodeNatDump(dump), {...fixtureApi, services: fixtureApi.services.filter(service => service.metadata?.name !== 'kube-dns')});
		assert.deepEqual(missing(table.problems.map(problem => problem.message.replace(/^line \d+: /, ''))), ['rules for kube-system/kube-dns:dns (UDP), which the API does not have']);
		assert.equal(table.notes, undefined);
	});

	test('rules without comments: the ones not matched to a listed Service are not checked, not called stale', () => {
		const table = crossCheckNat(decodeNatDump(stripped), listed('default'));
		assert.deepEqual(missing(table.problems.map(problem => problem.message)), []);
		assert.equal(table.notes?.length, 1);
		// The default namespace's flows are still named through the API.
		assert.ok(table.services.some(flow => flow.service === 'default/web-local'));
	});
});

describe('a dual-stack Service when the dump has no IPv6 rules', () => {
	const dualStack = {
		...fixtureApi,
		services: fixtureApi.services.map(service => (service.metadata?.name === 'web-cluster'
			? {...service, spec: {...service.spec, clusterIPs: [service.spec!.clusterIP!, 'fd00:10:96::12'], ipFamilies: ['IPv4', 'IPv6']}}
			: service)),
	};

	test('one note names it; no finding says its rules are missing', () => {
		const before = crossCheckNat(decodeNatDump(dump), fixtureApi);
		const table = crossCheckNat(decodeNatDump(dump), dualStack);
		assert.equal(table.notes?.length, 1);
		assert.match(table.notes![0]!, /IPv6 ClusterIP \(default\/web-cluster\).*no IPv6 rules/);
		assert.deepEqual(table.problems, before.problems);
		assert.deepEqual(writtenNatJson(table).notes, table.notes);
	});

	test('one Service shown: its own findings, not those of a Service whose name it begins (default/web is not default/web-cluster)', () => {
		const web = {metadata: {namespace: 'default', name: 'web'}, spec: {type: 'ClusterIP', clusterIP: '10.96.100.99', clusterIPs: ['10.96.100.99'], ports: [{name: 'http', port: 80, protocol: 'TCP'}]}};
		const slices = fixtureApi.endpointSlices.map(slice => (slice.metadata?.labels?.['kubernetes.io/service-name'] === 'web-cluster'
			? {...slice, endpoints: [...(slice.endpoints ?? []), {addresses: ['10.244.9.9'], nodeName: 'node-b', conditions: {ready: true, serving: true, terminating: false}}]}
			: slice));
		// With a ready endpoint, so kube-proxy would write it nat rules (without one, a nat-only dump could not tell).
		const webSlice = {addressType: 'IPv4', metadata: {namespace: 'default', name: 'web-x1', labels: {'kubernetes.io/service-name': 'web'}}, ports: [{name: 'http', port: 8080, protocol: 'TCP'}], endpoints: [{addresses: ['10.244.8.8'], conditions: {ready: true}}]};
		const table = crossCheckNat(decodeNatDump(dump), {services: [...fixtureApi.services, web], endpointSlices: [...slices, webSlice]});
		const ofWeb = filterNatServices(table, 'default/web').problems.map(problem => problem.message);
		const ofCluster = filterNatServices(table, 'default/web-cluster').problems.map(problem => problem.message);
		assert.deepEqual(ofWeb, ['default/web:http (TCP, 10.96.100.99:80): Service has no rules on this node']);
		assert.equal(ofCluster.length, 1);
		assert.match(ofCluster[0]!, /^default\/web-cluster:http.*endpoint 10\.244\.9\.9:\d+ .*is in the EndpointSlices but not in the rules$/);
	});

	test('one Service shown: rules no API Service has (unnamed IPVS virtual services) are not listed as its problems', () => {
		const ipvs = crossCheckNat(decodeNatDump(readFileSync(join(import.meta.dirname, '../../fixtures/nat/ipvsadm-Ln.txt'), 'utf8')), fixtureApi);
		const stale = ipvs.problems.filter(problem => problem.message.endsWith('which the API does not have'));
		assert.ok(stale.length > 0, 'the whole table lists them');
		assert.deepEqual(filterNatServices(ipvs, 'default/web-local').problems.filter(problem => stale.includes(problem)), []);
	});

	test('an ip6tables-save dump alone: its NodePort entries (no address of their own) do not make it read as IPv4, so no IPv4 Service is called ruleless', () => {
		const nodePort = {...ipv6Input.services[0]!, spec: {...ipv6Input.services[0]!.spec, type: 'NodePort', ports: [{name: 'http', port: 80, nodePort: 30_099, protocol: 'TCP'}]}};
		const sixOnly = decodeNatDump(generateIptablesSave({...ipv6Input, services: [nodePort]}, {family: 'IPv6', form: 'save'}));
		assert.ok(sixOnly.services.some(flow => flow.entries.some(entry => entry.kind === 'nodePort' && entry.ip === null)), 'the dump has an address-less NodePort entry');
		const table = crossCheckNat(sixOnly, {services: [...fixtureApi.services, nodePort], endpointSlices: [...fixtureApi.endpointSlices, ...ipv6Input.endpointSlices]});
		assert.deepEqual(table.problems, []);
		assert.deepEqual(table.notes, undefined);
	});

	test('ipvsadm lists both families at once: a dual-stack Service is two flows, each checked against its own family', () => {
		const text = [
			'IP Virtual Server version 1.2.1 (size=4096)',
			'Prot LocalAddress:Port Scheduler Flags',
			'  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
			'TCP  10.96.100.60:80 rr',
			'  -> 10.244.0.60:8080             Masq    1      0          0',
			'TCP  [fd00:96::60]:80 rr',
			'  -> [fd00:244::60]:8080          Masq    1      0          0',
			'',
		].join('\n');
		const dual = {metadata: {namespace: 'default', name: 'dual'}, spec: {type: 'ClusterIP', clusterIP: '10.96.100.60', clusterIPs: ['10.96.100.60', 'fd00:96::60'], ipFamilies: ['IPv4', 'IPv6'], ports: [{name: 'http', port: 80, protocol: 'TCP'}]}};
		const sliceOf = (family: 'IPv4' | 'IPv6', ip: string) => ({addressType: family, metadata: {namespace: 'default', name: `dual-${family}`, labels: {'kubernetes.io/service-name': 'dual'}}, ports: [{name: 'http', port: 8080, protocol: 'TCP'}], endpoints: [{addresses: [ip], conditions: {ready: true}}]});
		const table = crossCheckNat(decodeNatDump(text), {services: [dual], endpointSlices: [sliceOf('IPv4', '10.244.0.60'), sliceOf('IPv6', 'fd00:244::60')]});
		assert.deepEqual(table.problems, []);
		assert.deepEqual(table.services.map(flow => [flow.service, flow.entries.map(entry => entry.ip), flow.endpoints.map(endpoint => endpoint.ip)]), [
			['default/dual', ['10.96.100.60'], ['10.244.0.60']],
			['default/dual', ['fd00:96::60'], ['fd00:244::60']],
		]);
		assert.match(renderNatText(table), /^default\/dual:http {2}TCP {2}IPv6 {2}\(ipvs rr\)$/m);
	});

	test('kept when only that Service is shown, not for another one', () => {
		const table = crossCheckNat(decodeNatDump(dump), dualStack);
		assert.deepEqual(filterNatServices(table, 'default/web-cluster').notes, table.notes);
		assert.equal(filterNatServices(table, 'default/web-local').notes, undefined);
	});

	test('no note when the dump has IPv6 rules', () => {
		const decoded = decodeNatDump(dump);
		const flow = decoded.services.find(each => each.service === 'default/web-cluster')!;
		const v6 = {...flow, entries: flow.entries.map(entry => ({...entry, ip: 'fd00:10:96::12'})), endpoints: []};
		const table = crossCheckNat({...decoded, services: [...decoded.services, v6]}, dualStack);
		assert.equal(table.notes, undefined);
	});
});

// ipvsadm names no Local path: the API's policies say which virtual services are Local, and on a node without local
// endpoints kube-proxy gives those every endpoint (kubernetes#97081), so one node's tree cannot claim "only this node's".
describe('IPVS Local policies on one node (svctop nat)', () => {
	for (const node of labNodes) {
		test(`${node.name}: Local entries by policy, the cluster-wide list from the others, no false problem`, () => {
			const table = crossCheckNat(decodeNatDump(policyDump('ipvs', policyApi, node.name, node.ip), 'ipvs'), policyApi);
			assert.deepEqual(table.problems, []);
			for (const each of policyCases) {
				const flow = table.services.find(service => service.service === `pol/${each.name}`)!;
				assert.deepEqual(flow.entries.filter(entry => entry.localOnly).map(entry => entry.kind).sort(), [...each.kinds].sort(), each.name);
				// Both policies Local: no virtual service holds the cluster-wide list.
				assert.deepEqual(flow.endpoints.map(endpoint => endpoint.node).sort(), each.traffic === 'both' ? [] : [...each.on], each.name);
				const ownEndpoints = (each.on as readonly string[]).includes(node.name);
				assert.deepEqual(flow.localEndpoints!.map(endpoint => endpoint.node), ownEndpoints ? [node.name] : [...each.on], each.name);
			}

			const text = renderNatText(table);
			assert.doesNotMatch(text, /only this node's endpoints|No endpoints|not in the rules/);
			const localEntries = policyCases.reduce((sum, each) => sum + each.kinds.length, 0);
			assert.equal(text.split('(Local: this node\'s endpoints, or the cluster-wide ones on a node without them)').length - 1, localEntries, text);
		});
	}
});
