import assert from 'node:assert/strict';
import http from 'node:http';
import type {AddressInfo, Socket} from 'node:net';
import {after, before, describe, test} from 'node:test';
import {setTimeout as delay} from 'node:timers/promises';
import {startConntrackTableGuard} from '../../../source/node/probe/conntrack-table.js';
import {ProbeSession} from '../../../source/node/probe/probe-session.js';
import {echoPods, echoSlice, nodePortService} from '../../core/probe/fixtures.js';
import {echoSource, type FakeClusterSource} from '../../ui/fake-source.js';

async function until(check: () => boolean, what: () => string, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		assert.ok(Date.now() < deadline, what());
		// eslint-disable-next-line no-await-in-loop
		await delay(10);
	}
}

describe('ProbeSession (the probe view\'s and svctop probe\'s store)', () => {
	let echo: http.Server;
	let echoPort: number;
	let hang: http.Server;
	let hangPort: number;
	let served = 0;
	const hanging = new Set<Socket>();
	let opened = 0;
	before(async () => {
		echo = http.createServer((_request, response) => {
			response.end(`${echoPods[served++ % 3]![0]}\n`);
		});
		echoPort = await new Promise(resolve => echo.listen(0, '127.0.0.1', () => resolve((echo.address() as AddressInfo).port)));
		hang = http.createServer(() => undefined);
		hang.on('connection', socket => {
			opened++;
			hanging.add(socket);
			socket.on('close', () => hanging.delete(socket));
		});
		hangPort = await new Promise(resolve => hang.listen(0, '127.0.0.1', () => resolve((hang.address() as AddressInfo).port)));
	});
	after(async () => {
		echo.closeAllConnections();
		hang.closeAllConnections();
		await Promise.all([new Promise(resolve => echo.close(resolve)), new Promise(resolve => hang.close(resolve))]);
	});

	const cluster = () => echoSource();
	const session = (source: FakeClusterSource, port: number, options: {count?: number; intervalMs?: number; timeoutMs?: number; running?: boolean} = {}) => new ProbeSession({
		target: {kind: 'service', source, serviceKey: 'default/svc-nodeport', via: 'clusterip'},
		intervalMs: options.intervalMs ?? 10,
		running: options.running,
		config: {resolveAddress: () => ({host: '127.0.0.1', port}), count: options.count, timeoutMs: options.timeoutMs ?? 1000, refreshMs: 10, conntrack: 'off'},
	});

	test('snapshots: the same frozen object per version; each command shows at once as a new version', () => {
		const probe = session(cluster(), echoPort, {running: false});
		try {
			const first = probe.snapshot();
			assert.equal(probe.snapshot(), first);
			assert.ok(Object.isFrozen(first));
			assert.equal(first.state, 'stopped');
			assert.equal(first.description, 'default/svc-nodeport:svc-webport (clusterIP 10.200.1.60:9000)');
			let told = 0;
			const unsubscribe = probe.subscribe(() => told++);
			probe.setInterval(500);
			const slower = probe.snapshot();
			assert.notEqual(slower, first);
			assert.equal(slower.version, first.version + 1);
			assert.equal(slower.intervalMs, 500);
			assert.equal(first.intervalMs, 10, 'an older snapshot never changes');
			probe.setInterval(500);
			assert.equal(probe.snapshot(), slower, 'a command that changes nothing makes no version');
			probe.freeze(true);
			assert.equal(probe.snapshot().frozen, true);
			probe.retarget({via: 'nodeport'});
			assert.match(probe.snapshot().description ?? '', /nodePort 4 addresses/);
			assert.equal(told, 3);
			unsubscribe();
		} finally {
			probe.close();
		}
	});

	test('counts survive stop, start and a new interval; a new target or a clear starts from zero', async () => {
		const probe = session(cluster(), echoPort, {count: 3});
		try {
			await until(() => probe.snapshot().state === 'finished', () => JSON.stringify(probe.snapshot().state));
			assert.equal(probe.snapshot().stats?.count, 3);
			// Space after a finished counted run: a new run from zero.
			probe.start();
			assert.equal(probe.snapshot().stats?.count, 0);
			await until(() => probe.snapshot().state === 'finished', () => probe.snapshot().state);
			probe.stop();
			probe.setInterval(20);
			assert.equal(probe.snapshot().stats?.count, 3);
			probe.start();
			await until(() => probe.snapshot().stats?.count === 6, () => String(probe.snapshot().stats?.count));
			probe.clear();
			assert.equal(probe.snapshot().stats?.count, 0);
		} finally {
			probe.close();
		}
	});

	test('a tick while the probe before it is in flight is dropped, not queued', async () => {
		opened = 0;
		// Every 10 ms, each probe hanging for 300 ms: one probe at a time, not 30 piling up.
		const probe = session(cluster(), hangPort, {intervalMs: 10, timeoutMs: 300});
		try {
			await until(() => opened >= 1, () => `${opened} connections`);
			await delay(200);
			assert.equal(opened, 1, 'no second probe while the first is in flight');
			await until(() => (probe.snapshot().stats?.count ?? 0) >= 2, () => `${probe.snapshot().stats?.count} samples`);
			// The ticks missed meanwhile are not made up: at most one was owed.
			assert.ok(opened <= 3, `${opened} connections after two timeouts`);
			assert.equal(probe.snapshot().stats?.failed, probe.snapshot().stats?.count);
		} finally {
			probe.close();
		}

		await until(() => hanging.size === 0, () => `${hanging.size} connections left open after close`);
	});

	test('a Service that shows up after the session started is planned then', async () => {
		const source = echoSource({services: [], endpointSlices: []});
		const probe = session(source, echoPort, {count: 2});
		try {
			assert.equal(probe.snapshot().error, 'service default/svc-nodeport not found');
			assert.equal(probe.snapshot().state, 'stopped');
			source.update({services: [nodePortService('Cluster')], endpointSlices: [echoSlice()]});
			await until(() => probe.snapshot().state === 'finished', () => `${probe.snapshot().state} ${probe.snapshot().error}`);
			assert.equal(probe.snapshot().error, undefined);
			assert.equal(probe.snapshot().stats?.ok, 2);
		} finally {
			probe.close();
		}
	});

	test('EndpointSlices not read: the plan expects nothing and says why; once they are read it is made again with them', async () => {
		const forbidden = {phase: 'forbidden', since: 0, message: 'endpointslices is forbidden'} as const;
		const source = echoSource({endpointSlices: []});
		source.update({states: {...source.current.states, endpointslices: forbidden}});
		const probe = session(source, echoPort, {running: false});
		try {
			const unread = probe.snapshot().plan;
			assert.deepEqual(unread?.unknown, [{resource: 'endpointslices', reason: 'endpointslices is forbidden'}]);
			assert.equal(unread?.series[0]?.expectation, undefined);
			source.update({endpointSlices: [echoSlice()], states: {...source.current.states, endpointslices: {phase: 'synced', since: 1}}});
			await until(() => probe.snapshot().plan !== unread, () => 'not planned again');
			assert.equal(probe.snapshot().plan?.unknown, undefined);
			assert.equal(Object.keys(probe.snapshot().plan?.series[0]?.expectation?.shares ?? {}).length, 3);
		} finally {
			probe.close();
		}
	});

	test('keepPlan (svctop probe): the Service going away mid-run does not end the run; its expectation does', async () => {
		const source = echoSource();
		const probe = new ProbeSession({
			target: {kind: 'service', source, serviceKey: 'default/svc-nodeport', via: 'clusterip'},
			intervalMs: 10,
			keepPlan: true,
			config: {resolveAddress: () => ({host: '127.0.0.1', port: echoPort}), refreshMs: 10, conntrack: 'off'},
		});
		try {
			await until(() => (probe.snapshot().stats?.count ?? 0) >= 2, () => String(probe.snapshot().stats?.count));
			source.update({services: []});
			await delay(50);
			const after = probe.snapshot();
			assert.equal(after.error, undefined);
			assert.equal(after.state, 'running');
			const count = after.stats?.count ?? 0;
			await until(() => (probe.snapshot().stats?.count ?? 0) > count, () => 'no probes after the Service went');
		} finally {
			probe.close();
		}

		// Without keepPlan (the view) the Service going away is said at once.
		const shown = echoSource();
		const view = session(shown, echoPort);
		try {
			shown.update({services: []});
			await until(() => view.snapshot().error === 'service default/svc-nodeport not found', () => String(view.snapshot().error));
			assert.equal(view.snapshot().state, 'stopped');
		} finally {
			view.close();
		}
	});
});

test('ProbeSession: a loop held by the conntrack table says why in its snapshot, and stops saying it when it goes on', async () => {
	const echo = http.createServer((_request, response) => response.end(`${echoPods[0]![0]}\n`));
	const port = await new Promise<number>(resolve => echo.listen(0, '127.0.0.1', () => resolve((echo.address() as AddressInfo).port)));
	let count = 900;
	const guard = startConntrackTableGuard({protocol: 'tcp', read: () => ({count, max: 1000}), lifetimeS: 60, everyMs: 60_000})!;
	const probe = new ProbeSession({
		target: {kind: 'service', source: echoSource(), serviceKey: 'default/svc-nodeport', via: 'clusterip'},
		intervalMs: 10,
		config: {resolveAddress: () => ({host: '127.0.0.1', port}), timeoutMs: 1000, refreshMs: 10, conntrack: 'off', tableGuard: guard},
	});
	try {
		for (let i = 0; i < 1500; i++) {
			guard.noteProbe();
		}

		guard.check();
		assert.match(probe.snapshot().held ?? '', /^this node's conntrack table is 90% full \(900 of 1,000 entries\)/);
		// What was in flight at the hold ends and is published (every 10 ms): the count stops moving, and stays.
		const probed = () => probe.snapshot().stats?.count ?? 0;
		let counted = -1;
		for (let tries = 0; tries < 50 && probed() !== counted; tries++) {
			counted = probed();
			// eslint-disable-next-line no-await-in-loop -- until the count holds still over 100 ms.
			await delay(100);
		}

		await delay(300);
		assert.equal(probed(), counted, 'nothing probed while held');
		count = 100;
		guard.check();
		assert.equal(probe.snapshot().held, undefined);
		await until(() => (probe.snapshot().stats?.count ?? 0) > counted, () => 'probing went on');
	} finally {
		probe.close();
		guard.close();
		echo.closeAllConnections();
		await new Promise(resolve => echo.close(resolve));
	}
});
