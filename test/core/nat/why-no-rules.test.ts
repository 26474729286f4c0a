import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import type {V1Service} from '@kubernetes/client-node';
import {crossCheckNat, noFilterTable} from '../../../source/core/nat/cross-check.js';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
import {filterNatServices} from '../../../source/core/nat/render.js';
import {whyNoRules} from '../../../source/core/nat/why-no-rules.js';
import type {NatFlowTable} from '../../../source/core/nat/types.js';
import {fixtureApi} from '../../fixtures/nat/kernel/api.js';
import {ipv6Input} from '../../fixtures/nat/cluster.js';
import {generateIptablesSave} from '../../../source/builtin-cluster/generate/iptables.js';

// A dump kube-proxy 1.28 wrote, read back from the kernel; the API of its cluster plus Services it writes nothing for.
const dump = readFileSync(join(import.meta.dirname, '../../fixtures/nat/kernel/iptables-1.28-save-nat.txt'), 'utf8');
const extra: V1Service[] = [
	{metadata: {namespace: 'default', name: 'db-alias'}, spec: {type: 'ExternalName', externalName: 'db.example.com'}},
	{metadata: {namespace: 'default', name: 'pods-dns'}, spec: {type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{name: 'http', port: 80, protocol: 'TCP'}]}},
	{metadata: {namespace: 'default', name: 'unsynced'}, spec: {type: 'ClusterIP', clusterIP: '10.96.77.77', clusterIPs: ['10.96.77.77'], ports: [{name: 'http', port: 80, protocol: 'TCP'}]}},
	{metadata: {namespace: 'default', name: 'no-pods'}, spec: {type: 'ClusterIP', clusterIP: '10.96.77.78', clusterIPs: ['10.96.77.78'], ports: [{name: 'http', port: 80, protocol: 'TCP'}]}},
	{metadata: {namespace: 'default', name: 'six-only'}, spec: {type: 'ClusterIP', clusterIP: 'fd00::77', clusterIPs: ['fd00::77'], ports: [{name: 'http', port: 80, protocol: 'TCP'}]}},
];
// default/unsynced has a ready endpoint, so kube-proxy would write it nat rules; default/no-pods has none.
const unsyncedSlice = {
	addressType: 'IPv4',
	metadata: {namespace: 'default', name: 'unsynced-x1', labels: {'kubernetes.io/service-name': 'unsynced'}},
	ports: [{name: 'http', port: 8080, protocol: 'TCP'}],
	endpoints: [{addresses: ['10.244.7.7'], nodeName: 'node-b', conditions: {ready: true, serving: true, terminating: false}}],
};
const api = {services: [...fixtureApi.services, ...extra], endpointSlices: [...fixtureApi.endpointSlices, unsyncedSlice]};
const table = crossCheckNat(decodeNatDump(dump), api);
const wholeDump = readFileSync(join(import.meta.dirname, '../../fixtures/nat/kernel/iptables-1.28-save.txt'), 'utf8');

/** Whether the cross-check calls Service port `port` (`ns/name:port`) ruleless on this node. */
function calledRuleless(checked: NatFlowTable, port: string): boolean {
	return checked.problems.some(problem => problem.message.startsWith(port) && problem.message.endsWith('Service has no rules on this node'));
}

/** Whether the cross-check's note names `port` as not checked, its REJECT or DROP being in the filter table the dump lacks. */
function notedUnchecked(checked: NatFlowTable, port: string): boolean {
	return checked.notes?.some(note => note.includes(port) && note.endsWith('which this dump lacks (iptables-save -t nat): not checked')) ?? false;
}

describe('why a Service has no rules', () => {
	test('the Services of this check have no flow in the dump (what the verdicts below are about)', () => {
		for (const key of ['default/db-alias', 'default/pods-dns', 'default/unsynced', 'default/no-pods', 'default/six-only', 'default/nothing']) {
			assert.deepEqual(filterNatServices(table, key).services, [], key);
		}
	});

	test('ExternalName and headless Services: kube-proxy writes nothing for them, as expected, and the text says what answers instead', () => {
		const alias = whyNoRules('default/db-alias', table, api, undefined);
		assert.equal(alias.expected, true);
		assert.match(alias.text, /^default\/db-alias is an ExternalName Service: DNS answers its name with a CNAME to db\.example\.com/);
		const headless = whyNoRules('default/pods-dns', table, api, undefined);
		assert.equal(headless.expected, true);
		assert.match(headless.text, /headless \(clusterIP None\).*pods' own addresses/);
	});

	test('a Service with an IPv4 ClusterIP and no rules in an IPv4 dump is a finding naming its address', () => {
		const verdict = whyNoRules('default/unsynced', table, api, undefined);
		assert.equal(verdict.expected, false);
		assert.match(verdict.text, /ClusterIP 10\.96\.77\.77: kube-proxy here has not written its rules/);
		// The cross-check says the same in the table's problems.
		assert.ok(calledRuleless(table, 'default/unsynced:http'));
	});

	test('a Service without endpoints has no nat rules, only a filter-table REJECT: as expected in a nat-only dump', () => {
		const natOnly = whyNoRules('default/no-pods', table, api, undefined);
		assert.equal(natOnly.expected, true);
		assert.equal(natOnly.text, 'default/no-pods has no endpoints, so kube-proxy writes it no nat rules, only a REJECT in the filter table, which this dump lacks (iptables-save -t nat)');
		// The cross-check does not call it missing either: a note names it.
		assert.ok(!table.problems.some(problem => problem.message.startsWith('default/no-pods')));
		assert.ok(notedUnchecked(table, 'default/no-pods:http'));
	});

	test('internalTrafficPolicy Local in a nat-only dump: endpoints elsewhere only leave this node without nat rules too, so nothing is concluded', () => {
		const local = {...api, services: api.services.map(each => (each.metadata?.name === 'unsynced' ? {...each, spec: {...each.spec, internalTrafficPolicy: 'Local'}} : each))};
		const localTable = crossCheckNat(decodeNatDump(dump), local);
		assert.ok(!localTable.problems.some(problem => problem.message.startsWith('default/unsynced')));
		assert.deepEqual(whyNoRules('default/unsynced', localTable, local, undefined), {expected: false, text: `not checked: ${noFilterTable}`});
	});

	test('EndpointSlices not listed, in a nat-only dump: every Service looks endpoint-less, so neither verdict is drawn', () => {
		const unlisted = {...api, endpointSlices: [], endpointSlicesListed: false};
		const unlistedTable = crossCheckNat(decodeNatDump(dump), unlisted);
		const reason = 'endpoints not checked against the API: its EndpointSlices were not listed when the rules were read (forbidden)';
		const unknown = whyNoRules('default/no-pods', unlistedTable, unlisted, reason);
		assert.equal(unknown.expected, false);
		// Why the endpoints are unknown comes first (qa9 F9), then why that matters in this dump.
		assert.equal(unknown.text.startsWith(`${reason}, and kube-proxy writes none for a Service without endpoints`), true, unknown.text);
		assert.ok(!unlistedTable.problems.some(problem => problem.message.startsWith('default/unsynced')));
		assert.ok(notedUnchecked(unlistedTable, 'default/unsynced:http'));
	});

	test('a Service without endpoints in a whole dump (the filter table read) and no REJECT for it: a finding', () => {
		const whole = crossCheckNat(decodeNatDump(wholeDump), api);
		assert.equal(whole.filterTable, undefined);
		const verdict = whyNoRules('default/no-pods', whole, api, undefined);
		assert.equal(verdict.expected, false);
		assert.match(verdict.text, /ClusterIP 10\.96\.77\.78: kube-proxy here has not written its rules/);
		assert.ok(calledRuleless(whole, 'default/no-pods:http'));
	});

	test('an IPv6-only Service against an IPv4 dump: nothing concluded, the families are named', () => {
		const verdict = whyNoRules('default/six-only', table, api, undefined);
		assert.equal(verdict.expected, false);
		assert.equal(verdict.text, 'the API gives default/six-only only IPv6 ClusterIPs, and these rules are IPv4 only');
	});

	test('against a dual-stack node\'s rules (iptables-save and ip6tables-save joined) an IPv4 Service without rules is still a finding', () => {
		const both = crossCheckNat(decodeNatDump(`${dump}${generateIptablesSave(ipv6Input, {family: 'IPv6', form: 'save'})}`), {services: [...api.services, ...ipv6Input.services], endpointSlices: [...api.endpointSlices, ...ipv6Input.endpointSlices]});
		assert.ok(both.services.some(flow => flow.service === 'six/web'), 'the IPv6 dump was read');
		assert.match(whyNoRules('default/unsynced', both, api, undefined).text, /ClusterIP 10\.96\.77\.77: kube-proxy here has not written its rules/);
		assert.match(whyNoRules('default/six-only', both, api, undefined).text, /ClusterIP fd00::77: kube-proxy here has not written its rules/);
	});

	test('a name the API does not have, a port the Service does not have', () => {
		assert.deepEqual(whyNoRules('default/nothing', table, api, undefined), {expected: false, text: 'the API has no Service default/nothing either'});
		assert.deepEqual(whyNoRules('default/unsynced:grpc', table, api, undefined), {expected: false, text: 'the Service default/unsynced has no port named grpc'});
		// Asked first: a headless Service's port that does not exist is no "as expected".
		assert.deepEqual(whyNoRules('default/pods-dns:grpc', table, api, undefined), {expected: false, text: 'the Service default/pods-dns has no port named grpc'});
	});

	test('without the API, or with another namespace listed, nothing is concluded: not even an ExternalName is called expected', () => {
		const reason = 'not checked against the API: its Services were not listed when the rules were read (services is forbidden)';
		assert.deepEqual(whyNoRules('default/db-alias', table, undefined, reason), {expected: false, text: reason});
		assert.deepEqual(whyNoRules('default/db-alias', table, undefined, undefined), {expected: false, text: 'not checked against the API (no cluster to ask)'});
		assert.deepEqual(whyNoRules('default/db-alias', table, {...api, namespace: 'shop'}, undefined), {expected: false, text: 'not checked against the API: it was listed for namespace shop only'});
	});
});
