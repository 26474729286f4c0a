import assert from 'node:assert/strict';
import {test} from 'node:test';
import {crossCheckNat} from '../../../source/core/nat/cross-check.js';
import {compareNodes, renderCrossNodeText} from '../../../source/core/nat/cross-node.js';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
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
	assert.deepEqual(local.local, {withEndpoints: ['node-a', 'node-b'], without: ['node-c']});
	assert.equal(report.ports.find(port => port.service === 'default/kubernetes')!.local, null);
});

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
	assert.match(renderCrossNodeText(report, 0), /; stale nodes: not checked \(the API was not read, or has none of these Services\)$/m);
});

test('the API asked about another namespace only (-n): no "none" for ports it was not asked about', () => {
	const otherNamespace = {services: [], endpointSlices: []};
	const outside = compareNodes(tables, otherNamespace);
	assert.equal(outside.staleNodes, null);
	assert.match(renderCrossNodeText(outside, 0), /; stale nodes: not checked \(the API was not read, or has none of these Services\)$/m);
	// Some asked about: the verdict says of how many.
	const some = {services: labApi.services.filter(service => service.metadata?.name === 'kubernetes'), endpointSlices: labApi.endpointSlices};
	const text = renderCrossNodeText(compareNodes(tables, some), 0);
	assert.match(text, /; stale nodes: none \(of the 1 port the API was asked about\)$/m);
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
