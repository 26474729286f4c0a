import assert from 'node:assert/strict';
import {test} from 'node:test';
import {crossCheckNat} from '../../../source/core/nat/cross-check.js';
import {compareNodes, renderCrossNodeText} from '../../../source/core/nat/cross-node.js';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
import {internalOnlyApi, policyApi, policyCases, policyDump} from '../../fixtures/nat/local-policies.js';
import {labApi, labDump, labNodes, staleNode} from '../../node/access/three-nodes.js';

const tables = labNodes.map(node => ({node: node.name, table: crossCheckNat(decodeNatDump(labDump(node.name)), labApi)}));

test('the node written from an older API is stale, and only on the Service that changed', () => {
	const report = compareNodes(tables, labApi);
	assert.deepEqual(report.staleNodes, [staleNode]);
	const changed = report.ports.find(port => port.service === 'default/svc-nodeport')!;
	assert.equal(changed.agree, false);
	assert.deepEqual(changed.stale, [{node: 'node-c', missing: ['10.10.3.4:8080'], extra: ['10.10.9.9:8080']}]);
	assert.deepEqual(changed.variants.map(variant => variant.nodes), [['node-a', 'node-b'], ['node-c']]);
	assert.deepEqual(changed.variants[0]!.shares.map(share => share.probability), [0.3333, 0.3333, 0.3333]);
	assert.equal(report.disagreements, 1);
	assert.ok(report.ports.filter(port => port.service !== 'default/svc-nodeport').every(port => port.agree && port.stale.length === 0));
});

test('Local Services: which nodes hold local endpoints', () => {
	const report = compareNodes(tables, labApi);
	const local = report.ports.find(port => port.service === 'default/svc-local')!;
	assert.deepEqual(local.local, {traffic: 'external', kinds: ['nodePort'], withEndpoints: ['node-a', 'node-b'], without: ['node-c']});
	assert.equal(report.ports.find(port => port.service === 'default/kubernetes')!.local, null);
});

// qa10 F4: which traffic a Local policy holds to local endpoints, per policy, as each mode's rules say it.
/** The service names listed under the text's heading that starts with `heading`. */
function listedUnder(text: string, heading: string): string[] {
	const section = text.split('\n\n').find(each => each.startsWith(heading));
	return section === undefined ? [] : section.split('\n').slice(1).map(line => line.trim().split(':')[0]!);
}

for (const mode of ['iptables', 'nftables', 'ipvs'] as const) {
	test(`Local policies (${mode}): the traffic each holds to local endpoints, and where they are`, async t => {
		const rules = labNodes.map(node => ({node: node.name, table: crossCheckNat(decodeNatDump(policyDump(mode, policyApi, node.name, node.ip), mode), policyApi)}));
		const report = compareNodes(rules, policyApi);
		const text = renderCrossNodeText(report, 0);
		for (const each of policyCases) {
			await t.test(each.name, () => {
				const local = report.ports.find(port => port.service === `pol/${each.name}`)!.local;
				assert.deepEqual(local, {traffic: each.traffic, kinds: each.kinds, withEndpoints: each.on, without: labNodes.map(node => node.name).filter(node => !(each.on as readonly string[]).includes(node))});
				assert.equal(listedUnder(text, 'LOCAL EXTERNAL TRAFFIC').includes(`pol/${each.name}`), each.traffic !== 'internal', text);
				assert.equal(listedUnder(text, 'LOCAL INTERNAL TRAFFIC').includes(`pol/${each.name}`), each.traffic !== 'external', text);
				// Read only where it has no endpoints: the rules there (a drop) still say which traffic is local-only.
				const bare = rules.filter(rule => !(each.on as readonly string[]).includes(rule.node));
				const there = compareNodes(bare, policyApi).ports.find(port => port.service === `pol/${each.name}`)!.local;
				assert.deepEqual(there, {traffic: each.traffic, kinds: each.kinds, withEndpoints: [], without: bare.map(rule => rule.node)});
			});
		}

		assert.match(text, /^LOCAL EXTERNAL TRAFFIC {2}\(externalTrafficPolicy Local: traffic from outside the cluster to a NodePort, load balancer or external IP only reaches endpoints on the node it arrives at; a node without them drops it, as expected\)$/m);
		assert.match(text, /^LOCAL INTERNAL TRAFFIC {2}\(internalTrafficPolicy Local: traffic to the ClusterIP from a node's pods or the node itself only reaches endpoints on that node; a node without them drops it, as expected\)$/m);
		assert.match(text, /^ {2}pol\/int-local:http\/TCP {2}local endpoints on: node-b; none on: node-a, node-c$/m);
		// No node is stale: the API wrote every node's rules. Only IPVS with both policies Local holds no cluster-wide list to judge.
		assert.deepEqual(report.staleNodes, [], text);
		const unchecked = mode === 'ipvs' ? ['pol/both-local'] : [];
		assert.deepEqual(report.ports.filter(port => !port.checked).map(port => port.service), unchecked);
		assert.equal(text.includes('Note: stale not judged for pol/both-local:http/TCP: every path is Local'), mode === 'ipvs', text);
	});

	test(`internalTrafficPolicy Local without outside access (${mode}): no cluster-wide list, so not judged stale, never STALE`, () => {
		const rules = labNodes.map(node => ({node: node.name, table: crossCheckNat(decodeNatDump(policyDump(mode, internalOnlyApi, node.name, node.ip), mode), internalOnlyApi)}));
		// One node alone does not call the local list's absent endpoints missing either.
		assert.deepEqual(rules.flatMap(rule => rule.table.problems), []);
		const report = compareNodes(rules, internalOnlyApi);
		const port = report.ports.find(each => each.service === 'pol/int-only')!;
		assert.deepEqual(port.local, {traffic: 'internal', kinds: ['clusterIP'], withEndpoints: ['node-a', 'node-b'], without: ['node-c']});
		assert.deepEqual([port.checked, port.stale, report.staleNodes], [false, [], null]);
		const text = renderCrossNodeText(report, 0);
		assert.doesNotMatch(text, /STALE/);
		assert.match(text, /; stale nodes: not checked \(the API was not read, has none of these Services, or every path of theirs is Local\)$/m);
		assert.match(text, /^Note: stale not judged for pol\/int-only:http\/TCP: every path is Local/m);
	});
}

test('an unreadable node is unknown: named with its reason, never agreeing or stale', () => {
	const report = compareNodes([...tables.slice(0, 2), {node: 'node-c', error: 'pods/exec is forbidden'}], labApi);
	assert.deepEqual(report.staleNodes, []);
	assert.deepEqual(report.nodes.at(-1), {node: 'node-c', error: 'pods/exec is forbidden'});
	assert.equal(report.disagreements, 0);
	const text = renderCrossNodeText(report, 0);
	assert.match(text, /NODES {2}2 read, 1 unknown/);
	assert.match(text, /node-c {2}unknown: pods\/exec is forbidden/);
});

test('without the API nothing is called stale, nor "none" stale: not checked', () => {
	const report = compareNodes(tables, undefined);
	assert.equal(report.staleNodes, null);
	assert.equal(report.disagreements, 1);
	assert.match(renderCrossNodeText(report, 0), /; stale nodes: not checked \(the API was not read, has none of these Services, or every path of theirs is Local\)$/m);
});

test('the API asked about another namespace only (-n): no "none" for ports it was not asked about', () => {
	const otherNamespace = {services: [], endpointSlices: []};
	const outside = compareNodes(tables, otherNamespace);
	assert.equal(outside.staleNodes, null);
	assert.match(renderCrossNodeText(outside, 0), /; stale nodes: not checked \(the API was not read, has none of these Services, or every path of theirs is Local\)$/m);
	// Some asked about: the verdict says of how many.
	const some = {services: labApi.services.filter(service => service.metadata?.name === 'kubernetes'), endpointSlices: labApi.endpointSlices};
	const text = renderCrossNodeText(compareNodes(tables, some), 0);
	assert.match(text, /; stale nodes: none \(of the 1 port checked against the API\)$/m);
});

test('no node read (qa4 F13): the Service ports are unknown, no count and no "stale nodes: none"', () => {
	const report = compareNodes([{node: 'node-a', error: 'could not read the rules in pod p'}, {node: 'node-b', error: 'could not read the rules in pod q'}], labApi);
	assert.equal(report.staleNodes, null);
	const text = renderCrossNodeText(report, 0);
	assert.match(text, /^NODES {2}0 read, 2 unknown$/m);
	assert.match(text, /^SERVICE PORTS {2}unknown: no node's rules could be read$/m);
	assert.doesNotMatch(text, /none/);
});

test('the text names the stale node and its missing and extra endpoints', () => {
	const text = renderCrossNodeText(compareNodes(tables, labApi), 0);
	assert.match(text, /default\/svc-nodeport:svc-webport\/TCP {2}DIFFERS between nodes/);
	assert.match(text, /STALE on node-c: missing 10\.10\.3\.4:8080 \(in the API\); extra 10\.10\.9\.9:8080 \(not in the API\)/);
	assert.match(text, /stale nodes: node-c/);
});

test('kube-proxy\'s sync record: how long ago, and a queued change not yet written', () => {
	const synced = [{...tables[0]!, sync: {lastSync: 1000, lastQueued: 990}}, {...tables[1]!, sync: {lastSync: 1000, lastQueued: 1030}}, tables[2]!];
	const text = renderCrossNodeText(compareNodes(synced, labApi), 1_042_000);
	assert.match(text, /node-a {2}iptables {2}8 service ports {2}synced 42s ago\n/);
	assert.match(text, /node-b {2}iptables {2}8 service ports {2}synced 42s ago; a change queued 12s ago is not written yet\n/);
	assert.match(text, /node-c {2}iptables {2}8 service ports {2}last sync unknown \(kube-proxy metrics did not answer\)/);
});
