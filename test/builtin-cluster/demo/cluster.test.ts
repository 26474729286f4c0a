import {test} from 'node:test';
import assert from 'node:assert/strict';
import type {V1EndpointSlice} from '@kubernetes/client-node';
import {endpointSlicesFor, initialDemoState} from '../../../source/builtin-cluster/demo/cluster.js';
import {advanceDemo, demoStepCount} from '../../../source/builtin-cluster/demo/timeline.js';

const now = Date.parse('2026-11-23T00:00:00Z');

function sliceOf(slices: V1EndpointSlice[], namespace: string, service: string, family = 'IPv4'): V1EndpointSlice | undefined {
	return slices.find(s => s.metadata?.namespace === namespace && s.metadata?.labels?.['kubernetes.io/service-name'] === service && s.addressType === family);
}

test('svc-nodeport has one ready endpoint on each worker and none on the control plane', () => {
	const slice = sliceOf(endpointSlicesFor(initialDemoState(now)), 'default', 'svc-nodeport');
	assert.ok(slice);
	assert.deepEqual(
		(slice.endpoints ?? []).map(e => [e.nodeName, e.addresses[0], e.conditions?.ready]).sort(),
		[
			['myk8s-worker', '10.10.1.3', true],
			['myk8s-worker2', '10.10.2.3', true],
			['myk8s-worker3', '10.10.3.4', true],
		],
	);
	assert.deepEqual(slice.ports, [{name: 'svc-webport', port: 8080, protocol: 'TCP'}]);
});

test('a named targetPort resolves to each pod\'s container port', () => {
	const slice = sliceOf(endpointSlicesFor(initialDemoState(now)), 'default', 'svc-clusterip');
	assert.deepEqual(slice?.ports, [{name: 'svc-webport', port: 80, protocol: 'TCP'}]);
});

test('the selectorless my-service gets a mirrored slice of its manual Endpoints', () => {
	const slice = sliceOf(endpointSlicesFor(initialDemoState(now)), 'default', 'my-service');
	assert.equal(slice?.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslicemirroring-controller.k8s.io');
	assert.deepEqual(slice?.endpoints?.map(e => e.addresses), [['192.0.2.42']]);
	assert.equal(slice?.ports?.[0]?.port, 9376);
});

test('the dual-stack Service has an IPv6 slice, the ExternalName none, orphan-svc an empty one', () => {
	const slices = endpointSlicesFor(initialDemoState(now));
	assert.deepEqual(sliceOf(slices, 'default', 'svc-dualstack', 'IPv6')?.endpoints?.map(e => e.addresses[0]).sort(), ['fd00:10:10:1::2', 'fd00:10:10:2::2']);
	assert.equal(sliceOf(slices, 'default', 'my-database'), undefined);
	assert.deepEqual(sliceOf(slices, 'default', 'orphan-svc')?.endpoints, []);
	assert.equal(sliceOf(slices, 'default', 'legacy-db'), undefined);
});

test('the timeline flaps a pod\'s readiness and rolls a pod over, then returns to the same shape', () => {
	let state = initialDemoState(now);
	const readiness = () => sliceOf(endpointSlicesFor(state), 'default', 'svc-nodeport')?.endpoints?.find(e => e.targetRef?.name === 'deploy-echo-5c689d5454-cjpfp')?.conditions?.ready;
	const npConditions = () => sliceOf(endpointSlicesFor(state), 'default', 'np-svc')?.endpoints?.map(e => `${e.conditions?.ready}/${e.conditions?.terminating}`).sort();
	assert.equal(readiness(), true);
	state = advanceDemo(state, 0, now + 5000);
	assert.equal(readiness(), false);
	state = advanceDemo(state, 1, now + 10_000);
	assert.equal(readiness(), true);
	state = advanceDemo(state, 2, now + 15_000);
	assert.deepEqual(npConditions(), ['false/false', 'false/true', 'true/false', 'true/false']);
	state = advanceDemo(state, 3, now + 20_000);
	assert.deepEqual(npConditions(), ['false/true', 'true/false', 'true/false', 'true/false']);
	state = advanceDemo(state, 4, now + 25_000);
	assert.deepEqual(npConditions(), ['true/false', 'true/false', 'true/false']);
	for (let step = 5; step < 5 + 300 * demoStepCount; step++) {
		state = advanceDemo(state, step, now + step * 5000);
	}

	assert.equal(state.pods.filter(p => p.labels['app'] === 'np-pods').length, 3);
	assert.equal(new Set(state.pods.map(p => `${p.namespace}/${p.name}`)).size, state.pods.length, 'pod names stay unique');
	assert.equal(new Set(state.pods.map(p => p.ip)).size, state.pods.length, 'pod IPs stay unique');
});

test('svc-zonal: PreferSameZone, each endpoint hinted for its own zone, and zone-a has none of them', () => {
	const state = initialDemoState(now);
	const zonal = state.services.find(s => s.metadata?.name === 'svc-zonal');
	assert.equal(zonal?.spec?.trafficDistribution, 'PreferSameZone');
	const slice = sliceOf(endpointSlicesFor(state), 'default', 'svc-zonal');
	assert.deepEqual(
		(slice?.endpoints ?? []).map(e => [e.nodeName, e.zone, e.hints?.forZones?.map(z => z.name), e.hints?.forNodes]),
		[
			['myk8s-worker2', 'zone-b', ['zone-b'], undefined],
			['myk8s-worker3', 'zone-c', ['zone-c'], undefined],
		],
	);
	// Other Services carry no hints: the controller writes them only for a trafficDistribution.
	assert.equal(sliceOf(endpointSlicesFor(state), 'default', 'svc-nodeport')?.endpoints?.some(e => e.hints), false);
});

test('Service events name their Service by uid; the stuck load balancer\'s failures add up over the timeline', () => {
	let state = initialDemoState(now);
	const whms = state.services.find(s => s.metadata?.name === 'whms-loadbalancer')!;
	const failures = () => state.events.find(e => e.reason === 'SyncLoadBalancerFailed')!;
	assert.equal(failures().involvedObject.uid, whms.metadata?.uid);
	assert.ok(whms.metadata?.uid);
	assert.ok(state.events.every(e => e.involvedObject.kind === 'Service' && state.services.some(s => s.metadata?.uid === e.involvedObject.uid)));
	const before = failures().count!;
	for (let step = 0; step < demoStepCount; step++) {
		state = advanceDemo(state, step, now + (step + 1) * 5000);
	}

	assert.equal(failures().count, before + 1);
	assert.equal(String(failures().lastTimestamp), new Date(now + demoStepCount * 5000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
});
