import assert from 'node:assert/strict';
import {test} from 'node:test';
import {describeService} from '../../../source/core/detail/describe-service.js';
import {demoNodes, endpointSlicesFor, initialDemoState, nodeObject} from '../../../source/builtin-cluster/demo/cluster.js';
import {type DetailLine, detailLines, wrapLine} from '../../../source/ui/views/service-detail-lines.js';
import {echoPods, nodes, now, svcNodeport, svcNodeportSlices} from '../../fixtures/services/kind-cluster.js';

const finding: DetailLine = {
	key: 'finding-lb-pending',
	text: '  ! LoadBalancer still <pending> 4h58m after creation: no controller has provisioned a load balancer [lb-pending]',
	tone: 'warn',
};

test('a long finding wraps at spaces, continuation lines under the text after the marker', () => {
	assert.deepEqual(
		wrapLine(finding, 40).map(line => line.text),
		[
			'  ! LoadBalancer still <pending> 4h58m',
			'    after creation: no controller has',
			'    provisioned a load balancer',
			'    [lb-pending]',
		],
	);
});

test('every wrapped line keeps the tone and gets its own key', () => {
	const lines = wrapLine(finding, 40);
	assert.deepEqual(new Set(lines.map(line => line.tone)), new Set(['warn']));
	assert.equal(new Set(lines.map(line => line.key)).size, lines.length);
});

test('a line that fits is left alone', () => {
	assert.deepEqual(wrapLine(finding, 200), [finding]);
});

test('a word longer than the width stays whole on its own line', () => {
	const long: DetailLine = {key: 'x', text: `  ! see ${'a'.repeat(30)} now`, tone: 'warn'};
	assert.deepEqual(
		wrapLine(long, 20).map(line => line.text),
		['  ! see', `    ${'a'.repeat(30)}`, '    now'],
	);
});

test('the demo\'s svc-zonal at 80 columns: trafficDistribution, each endpoint\'s hints, and which endpoints each node uses', () => {
	const now = Date.parse('2026-11-23T00:00:00Z');
	const state = initialDemoState(now);
	const service = state.services.find(item => item.metadata?.name === 'svc-zonal')!;
	const slices = endpointSlicesFor(state).filter(slice => slice.metadata?.labels?.['kubernetes.io/service-name'] === 'svc-zonal');
	const detail = describeService({service, slices, nodes: demoNodes.map(node => nodeObject(node, now)), pods: undefined, now, events: {ok: true, items: []}});
	const lines = detailLines(detail, 80).map(line => line.text);
	const start = lines.findIndex(line => line.startsWith('Topology:'));
	assert.deepEqual(lines.slice(start, start + 10), [
		'Topology: trafficDistribution PreferSameZone',
		'  nodes prefer endpoints in their own zone',
		'  hints: zone on 2 of 2 ready endpoints, node on 0 (used only if all have one)',
		'    zonal-echo-6d8f7b9c4-k2m7p  forZones=zone-b',
		'    zonal-echo-6d8f7b9c4-w9t4x  forZones=zone-c',
		'  per node, for in-cluster traffic (internalTrafficPolicy Cluster):',
		'    myk8s-control-plane  zone-a  all 2 (no endpoint hinted for zone-a)',
		'    myk8s-worker         zone-a  all 2 (no endpoint hinted for zone-a)',
		'    myk8s-worker2        zone-b  zonal-echo-6d8f7b9c4-k2m7p (zone hint)',
		'    myk8s-worker3        zone-c  zonal-echo-6d8f7b9c4-w9t4x (zone hint)',
	]);
	assert.ok(lines.slice(start, start + 10).every(line => line.length <= 80), 'the topology section fits 80 columns');
	assert.ok(lines.includes('  Traffic Distribution:     PreferSameZone'));
	assert.ok(lines.includes('  Events:                   <none>'));
});

test('endpointslices unreadable: the findings line names what was not checked and why, never a bare "none"', () => {
	const reason = 'endpointslices.discovery.k8s.io is forbidden: User "me" cannot list resource "endpointslices"';
	const known = describeService({service: svcNodeport, slices: svcNodeportSlices, nodes, pods: echoPods, now, events: {ok: true, items: []}});
	const detail = describeService({service: svcNodeport, slices: svcNodeportSlices, nodes, pods: echoPods, now, events: {ok: true, items: []}, unknown: [{resource: 'endpointslices', reason}]});
	assert.deepEqual(detail.findings, []);
	const lines = detailLines(detail, 400);
	const findings = lines.find(line => line.key === 'findings')!;
	assert.equal(findings.text, `Findings: none from what could be read; not checked: endpointslices (${reason})`);
	assert.equal(findings.tone, 'warn');
	assert.ok(!lines.some(line => line.text === 'Findings: none'));
	// With findings drawn from what was read, the note follows them.
	const withFindings = detailLines({...known, unknown: [{resource: 'pods', reason: 'pods is forbidden'}]}, 400).map(line => line.text);
	assert.deepEqual(withFindings.slice(1, 4), ['Findings', withFindings[2]!, '  ! not checked: pods (pods is forbidden)']);
	assert.equal(detailLines(known, 400).find(line => line.key === 'findings-not-checked'), undefined);
});

test('nodes unreadable: each node\'s InternalIP is unknown, not "no InternalIP"', () => {
	const detail = describeService({service: svcNodeport, slices: svcNodeportSlices, nodes, pods: echoPods, now, events: {ok: true, items: []}, unknown: [{resource: 'nodes', reason: 'nodes is forbidden'}]});
	const texts = detailLines(detail, 400).map(line => line.text);
	assert.ok(!texts.some(text => text.includes('no InternalIP')));
	assert.ok(texts.includes('  myk8s-worker2  InternalIP unknown (nodes could not be read)  zone zone-b (from the EndpointSlice)'));
	const known = detailLines(describeService({service: svcNodeport, slices: svcNodeportSlices, nodes, pods: echoPods, now, events: {ok: true, items: []}}), 400).map(line => line.text);
	assert.ok(known.includes('  myk8s-worker2  172.18.0.2  zone zone-b'));
});

test('every line of the view has its own key, also when two findings share a code and wrap alike', () => {
	const service = {...svcNodeport, spec: {...svcNodeport.spec, ports: [{name: 'a', port: 80, targetPort: 8081 as never, protocol: 'TCP'}, {name: 'b', port: 81, targetPort: 8082 as never, protocol: 'TCP'}]}};
	const detail = describeService({service, slices: svcNodeportSlices, nodes, pods: echoPods, now, events: {ok: true, items: []}});
	assert.equal(detail.findings.filter(item => item.code === 'target-port-not-exposed').length, 2);
	const lines = detailLines(detail, 60);
	assert.equal(new Set(lines.map(line => line.key)).size, lines.length);
});
