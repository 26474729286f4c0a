import {test} from 'node:test';
import assert from 'node:assert/strict';
import {runSchedule, runScheduleWithCallbacks, type Timers} from '../../../source/node/probe/scheduler.js';

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

test('rounds start every interval while they overlap up to `concurrency`', async () => {
	const clock = fakeTimers();
	const starts: number[] = [];
	let inFlight = 0;
	let maxSeen = 0;
	const running = runSchedule({intervalMs: 100, count: 10, concurrency: 12, timers: clock.timers}, async () => {
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

test('concurrency 1: never two rounds in flight; a tick during one waits for its end, further ticks are skipped; the count is still reached', async () => {
	const clock = fakeTimers();
	const starts: number[] = [];
	let inFlight = 0;
	let maxSeen = 0;
	// Every round takes 25 ms against a 10 ms interval.
	const running = runScheduleWithCallbacks({intervalMs: 10, count: 4, concurrency: 1, timers: clock.timers}, (_round, roundDone) => {
		starts.push(clock.timers.now());
		inFlight++;
		maxSeen = Math.max(maxSeen, inFlight);
		clock.timers.setTimeout(() => {
			inFlight--;
			roundDone();
		}, 25);
	});
	await clock.advance(1000);
	const result = await running;
	assert.equal(maxSeen, 1);
	// 0 ends at 25 (the tick at 10 waits for it, 20 is skipped); 25 ends at 50 (30 waits, 40 skipped);
	// 50 ends at 75 (the tick at 50 waits, 60 and 70 skipped), which launches the last.
	assert.deepEqual(starts, [0, 25, 50, 75]);
	assert.deepEqual(result, {launched: 4, skipped: 4});
});

test('a round shorter than the interval: one per tick, nothing owed or skipped', async () => {
	const clock = fakeTimers();
	const starts: number[] = [];
	const running = runScheduleWithCallbacks({intervalMs: 10, count: 3, concurrency: 1, timers: clock.timers}, (_round, roundDone) => {
		starts.push(clock.timers.now());
		clock.timers.setTimeout(roundDone, 4);
	});
	await clock.advance(1000);
	assert.deepEqual(await running, {launched: 3, skipped: 0});
	assert.deepEqual(starts, [0, 10, 20]);
});

test('abort stops scheduling and resolves once rounds in flight settle', async () => {
	const clock = fakeTimers();
	const controller = new AbortController();
	let launched = 0;
	const running = runSchedule({intervalMs: 100, concurrency: 2, signal: controller.signal, timers: clock.timers}, async () => {
		launched++;
	});
	await clock.advance(250);
	controller.abort();
	await clock.advance(1000);
	const result = await running;
	assert.equal(launched, 3, 'ticks at 0, 100, 200');
	assert.equal(result.launched, 3);
});

test('interval 0 runs back to back with `concurrency` workers', async () => {
	let active = 0;
	let peak = 0;
	const result = await runSchedule({intervalMs: 0, count: 20, concurrency: 3}, async () => {
		active++;
		peak = Math.max(peak, active);
		await new Promise(resolve => setImmediate(resolve));
		active--;
	});
	assert.deepEqual([result.launched, peak], [20, 3]);
});

test('a round ended by the abort itself launches no owed round, though the schedule hears of the abort after it', async () => {
	const clock = fakeTimers();
	const controller = new AbortController();
	const ends: Array<() => void> = [];
	// Registered before the schedule's own listener, as the engine's sweep of probes in flight is.
	controller.signal.addEventListener('abort', () => {
		for (const end of ends.splice(0)) {
			end();
		}
	});
	let launched = 0;
	const running = runScheduleWithCallbacks({intervalMs: 10, concurrency: 1, signal: controller.signal, timers: clock.timers}, (_round, roundDone) => {
		launched++;
		ends.push(roundDone);
	});
	// The round at 0 hangs; the tick at 10 is owed.
	await clock.advance(15);
	assert.equal(launched, 1);
	controller.abort();
	await clock.advance(100);
	const extra = launched - 1;
	// A round launched after the abort would hang here: end it, so that a failure fails rather than hangs.
	for (const end of ends.splice(0)) {
		end();
	}

	assert.equal(extra, 0, 'no round launched after the abort');
	assert.deepEqual(await running, {launched: 1, skipped: 0});
});
