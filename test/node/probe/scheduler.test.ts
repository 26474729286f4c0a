import {test} from 'node:test';
import assert from 'node:assert/strict';
import {runSchedule, type Timers} from '../../../source/node/probe/scheduler.js';

/** Virtual time: timers fire in order when the test advances the clock. */
function fakeTimers() {
	let now = 0;
	let id = 0;
	const pending = new Map<number, {at: number; callback: () => void}>();
	const timers: Timers = {
		now: () => now,
		setTimeout(callback, ms) {
			pending.set(++id, {at: now + ms, callback});
			return id;
		},
		clearTimeout(handle) {
			pending.delete(handle as number);
		},
	};
	const advance = async (to: number) => {
		for (;;) {
			const next = [...pending].sort((a, b) => a[1].at - b[1].at)[0];
			if (!next || next[1].at > to) {
				break;
			}

			pending.delete(next[0]);
			now = next[1].at;
			next[1].callback();
			// eslint-disable-next-line no-await-in-loop -- let settled probes run their continuations.
			await Promise.resolve();
		}

		now = to;
	};

	return {timers, advance, started: () => now};
}

test('a hanging target does not slow the schedule: rounds start every interval, in flight bounded', async () => {
	const clock = fakeTimers();
	const starts: number[] = [];
	let inFlight = 0;
	let maxSeen = 0;
	const running = runSchedule({intervalMs: 100, count: 10, concurrency: 1, maxInFlight: 12, timers: clock.timers}, async () => {
		starts.push(clock.timers.now());
		inFlight++;
		maxSeen = Math.max(maxSeen, inFlight);
		// Each probe hangs for 1 s (its timeout) in virtual time.
		await new Promise<void>(resolve => clock.timers.setTimeout(resolve, 1000));
		inFlight--;
	});
	await clock.advance(3000);
	const result = await running;
	assert.deepEqual(starts, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
	assert.equal(maxSeen, 10);
	assert.deepEqual(result, {launched: 10, skipped: 0});
});

test('beyond maxInFlight a tick is skipped, not queued', async () => {
	const clock = fakeTimers();
	const running = runSchedule({intervalMs: 10, count: 10, concurrency: 1, maxInFlight: 3, timers: clock.timers}, async () => {
		await new Promise<void>(resolve => clock.timers.setTimeout(resolve, 1000));
	});
	await clock.advance(5000);
	assert.deepEqual(await running, {launched: 3, skipped: 7});
});

test('abort stops scheduling and resolves once rounds in flight settle', async () => {
	const clock = fakeTimers();
	const controller = new AbortController();
	let launched = 0;
	const running = runSchedule({intervalMs: 100, concurrency: 2, maxInFlight: 100, signal: controller.signal, timers: clock.timers}, async () => {
		launched++;
	});
	await clock.advance(250);
	controller.abort();
	await clock.advance(1000);
	const result = await running;
	assert.equal(launched, 6, 'ticks at 0, 100, 200 with 2 per tick');
	assert.equal(result.launched, 6);
});

test('interval 0 runs back to back with `concurrency` workers', async () => {
	let active = 0;
	let peak = 0;
	const result = await runSchedule({intervalMs: 0, count: 20, concurrency: 3, maxInFlight: 3}, async () => {
		active++;
		peak = Math.max(peak, active);
		await new Promise(resolve => setImmediate(resolve));
		active--;
	});
	assert.deepEqual([result.launched, peak], [20, 3]);
});
