import assert from 'node:assert/strict';
import {afterEach, beforeEach, mock, test} from 'node:test';
import {Text} from 'ink';
import {useStore} from '../../../source/ui/hooks/use-store.js';
import Dashboard from '../../../source/ui/Dashboard.js';
import type {ClusterSource} from '../../../source/kube/types.js';
import {FakeClusterSource, service, seedNow} from '../fake-source.js';
import {type Rendered, renderAt, settle} from '../render-at.js';

const rendered: Rendered[] = [];

beforeEach(() => {
	mock.timers.enable({apis: ['setInterval', 'setTimeout']});
});

afterEach(() => {
	for (const view of rendered.splice(0)) {
		view.unmount();
	}

	mock.timers.reset();
});

let probeRenders = 0;
function Probe({source}: {readonly source: ClusterSource}) {
	const snapshot = useStore(source, 200);
	probeRenders++;
	return <Text>{`version ${snapshot.version}: ${snapshot.services.length} services`}</Text>;
}

test('a burst of 1,000 changes costs one render, on the next tick', async () => {
	const source = new FakeClusterSource();
	probeRenders = 0;
	const view = renderAt(<Probe source={source} />, {columns: 80, rows: 5});
	rendered.push(view);
	await settle();
	const before = probeRenders;
	for (let index = 0; index < 1000; index++) {
		source.update({services: [...source.current.services, service({name: `svc-${index}`})]});
	}

	await settle();
	assert.equal(probeRenders, before, 'no render before the tick');
	mock.timers.tick(200);
	await settle();
	assert.equal(probeRenders, before + 1);
	assert.equal(view.frame(), 'version 1001: 1000 services');
	// Quiet ticks render nothing, and read no snapshot.
	const reads = source.snapshotCalls;
	mock.timers.tick(2000);
	await settle();
	assert.equal(probeRenders, before + 1);
	assert.equal(source.snapshotCalls, reads);
});

test('a burst spread over a second renders at most once per tick', async () => {
	const source = new FakeClusterSource();
	probeRenders = 0;
	const view = renderAt(<Probe source={source} />, {columns: 80, rows: 5});
	rendered.push(view);
	await settle();
	const before = probeRenders;
	for (let index = 0; index < 1000; index++) {
		source.update({services: [service({name: `svc-${index}`})]});
		// One event per millisecond: 1,000 events over one second, five ticks.
		mock.timers.tick(1);
	}

	await settle();
	assert.ok(probeRenders - before <= 5, `${probeRenders - before} renders`);
	assert.equal(view.frame(), 'version 1001: 1 services');
});

test('a change notification without a new version renders nothing', async () => {
	const source = new FakeClusterSource();
	probeRenders = 0;
	const view = renderAt(<Probe source={source} />, {columns: 80, rows: 5});
	rendered.push(view);
	await settle();
	const before = probeRenders;
	source.subscribe(() => undefined);
	(source as unknown as {listeners: Set<() => void>}).listeners.forEach(listener => {
		listener();
	});
	mock.timers.tick(200);
	await settle();
	assert.equal(probeRenders, before);
});

test('the whole dashboard: 1,000 watch events cost no more than a handful of frames', async () => {
	const source = new FakeClusterSource({lastUpdate: seedNow});
	const view = renderAt(<Dashboard source={source} clock={() => seedNow} />, {columns: 120, rows: 30});
	rendered.push(view);
	await settle();
	const before = view.renders();
	for (let index = 0; index < 1000; index++) {
		source.update({services: [...source.current.services, service({name: `svc-${index}`, clusterIP: `10.0.${index >> 8}.${index & 255}`})]});
	}

	mock.timers.tick(200);
	await settle();
	const frames = view.renders() - before;
	assert.ok(frames >= 1 && frames <= 3, `${frames} frames`);
	assert.match(view.frame(), /1000\/1000 services/);
});

test('unmounting unsubscribes and stops the timer', async () => {
	const source = new FakeClusterSource();
	const view = renderAt(<Probe source={source} />, {columns: 80, rows: 5});
	await settle();
	assert.equal(source.listenerCount, 1);
	view.unmount();
	await settle();
	assert.equal(source.listenerCount, 0);
	const reads = source.snapshotCalls;
	source.update({});
	mock.timers.tick(1000);
	assert.equal(source.snapshotCalls, reads);
});
