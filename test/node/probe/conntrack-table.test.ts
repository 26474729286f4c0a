import {test} from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import {planAddressProbe} from '../../../source/core/probe/plan.js';
import type {ProbeSample} from '../../../source/core/probe/types.js';
import {readConntrackTable, startConntrackTableGuard, type ConntrackTableGuard} from '../../../source/node/probe/conntrack-table.js';
import {startProbeEngine} from '../../../source/node/probe/engine.js';

const max = 1000;

/** A guard over a table whose fill the test sets; entries live 1 s, counted in periods of 500 ms. */
function guardOver(initial: number) {
	let count = initial;
	const changes: Array<string | undefined> = [];
	const guard = startConntrackTableGuard({protocol: 'tcp', read: () => ({count, max}), lifetimeS: 1, everyMs: 500})!;
	guard.subscribe(reason => changes.push(reason));
	return {guard, changes, setCount(value: number) {
		count = value;
	}};
}

function noteProbes(guard: ConntrackTableGuard, probes: number): void {
	for (let i = 0; i < probes; i++) {
		guard.noteProbe();
	}
}

test('guard: holds once the table is nearly full of its probes, queues rounds, and lets them go when it has room', () => {
	const {guard, changes, setCount} = guardOver(900);
	try {
		noteProbes(guard, 1500);
		guard.check();
		assert.equal(guard.held, true);
		assert.match(guard.reason!, /^this node's conntrack table is 90% full \(900 of 1,000 entries\), 900 of them left by these probes within 1 s/);
		const ran: string[] = [];
		guard.whenClear(() => ran.push('round 1'), () => ran.push('cancelled 1'));
		guard.whenClear(() => ran.push('round 2'), () => ran.push('cancelled 2'));
		assert.deepEqual([...ran], [], 'nothing goes out while held');
		setCount(650);
		guard.check();
		assert.equal(guard.held, true, 'still held above the resume share');
		setCount(500);
		guard.check();
		assert.equal(guard.held, false);
		assert.deepEqual([...ran], ['round 1', 'round 2']);
		assert.equal(changes.at(-1), undefined);
		assert.ok(changes.length >= 2 && changes[0] !== undefined);
		guard.whenClear(() => ran.push('round 3'), () => ran.push('cancelled 3'));
		assert.deepEqual(ran.at(-1), 'round 3', 'not held: at once');
	} finally {
		guard.close();
	}
});

test('guard: its own entries expire after their lifetime, and then a full table is not theirs to wait for', () => {
	const {guard} = guardOver(950);
	try {
		noteProbes(guard, 1200);
		guard.check();
		assert.equal(guard.held, true);
		// Two periods of 500 ms later the 1 s lifetime has passed: the 1,200 probes' entries are gone from the count.
		guard.check();
		assert.equal(guard.held, true);
		guard.check();
		assert.equal(guard.held, false);
	} finally {
		guard.close();
	}
});

test('guard: a waiting round is cancelled when its run stops or the guard closes, never left hanging', () => {
	const {guard} = guardOver(900);
	noteProbes(guard, 2000);
	guard.check();
	const ran: string[] = [];
	const stop = new AbortController();
	guard.whenClear(() => ran.push('go a'), () => ran.push('cancel a'), stop.signal);
	guard.whenClear(() => ran.push('go b'), () => ran.push('cancel b'));
	stop.abort();
	assert.deepEqual([...ran], ['cancel a']);
	guard.close();
	assert.deepEqual([...ran], ['cancel a', 'cancel b']);
	guard.whenClear(() => ran.push('go c'), () => ran.push('cancel c'), stop.signal);
	assert.equal(ran.at(-1), 'cancel c');
});

test('guard: none where the table cannot be read', () => {
	assert.equal(startConntrackTableGuard({protocol: 'tcp', read: () => undefined}), undefined);
	const table = readConntrackTable();
	if (table !== undefined) {
		assert.ok(table.max > 0 && table.count >= 0, JSON.stringify(table));
	}
});

test('engine: no probe goes out while the table holds the loop; they go once it has room; a stop while held ends at once', async () => {
	const server = http.createServer((_request, response) => response.end('ok'));
	const port = await new Promise<number>(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
	const {guard, setCount} = guardOver(900);
	try {
		noteProbes(guard, 2000);
		guard.check();
		const plan = planAddressProbe({kind: 'address', host: '127.0.0.1', port, label: `127.0.0.1:${port}`});
		const samples: ProbeSample[] = [];
		const engine = startProbeEngine({series: plan.series, mode: 'http', path: '/', intervalMs: 10, count: 3, timeoutMs: 1000, concurrency: 1, conntrack: 'off', tableGuard: guard, onSample: sample => samples.push(sample)});
		await new Promise(resolve => setTimeout(resolve, 100));
		assert.equal(samples.length, 0, 'held: nothing probed');
		setCount(100);
		guard.check();
		await engine.done;
		assert.equal(samples.length, 3);
		assert.ok(samples.every(sample => sample.ok));

		setCount(900);
		noteProbes(guard, 2000);
		guard.check();
		const held = startProbeEngine({series: plan.series, mode: 'http', path: '/', intervalMs: 0, timeoutMs: 1000, concurrency: 1, conntrack: 'off', tableGuard: guard, onSample: sample => samples.push(sample)});
		await new Promise(resolve => setTimeout(resolve, 50));
		const stopped = performance.now();
		const result = await held.stop();
		assert.ok(performance.now() - stopped < 3000, 'the stop waits for no held round (held, it would wait for ever)');
		assert.equal(result.cancelled, 0);
		assert.equal(samples.length, 3, 'nothing probed by the held run');
	} finally {
		guard.close();
		await new Promise(resolve => server.close(resolve));
	}
});
