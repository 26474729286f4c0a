import assert from 'node:assert/strict';
import {afterEach, beforeEach, mock, test} from 'node:test';
import {maxPollBackoffMs, pollDelayMs, PollStore} from '../../source/util/poll-store.js';

beforeEach(() => {
	mock.timers.enable({apis: ['setTimeout']});
});

afterEach(() => {
	mock.timers.reset();
});

/** A fetch whose answers the test gives, one per call, in any order. */
function controlledFetch() {
	const calls: Array<{resolve: (value: string) => void; reject: (error: Error) => void}> = [];
	return {
		fetch: async () => new Promise<string>((resolve, reject) => {
			calls.push({resolve, reject});
		}),
		calls,
	};
}

const flush = async () => new Promise(resolve => setImmediate(resolve));

test('a tick while a fetch is in flight is dropped; the next tick after the answer fetches again', async () => {
	const {fetch, calls} = controlledFetch();
	const store = new PollStore(fetch, 1000);
	store.refresh();
	store.startTimer();
	mock.timers.tick(1000);
	mock.timers.tick(1000);
	assert.equal(calls.length, 1, 'no tick fetched while the first fetch was out');
	calls[0]!.resolve('first');
	await flush();
	assert.equal(store.snapshot().value, 'first');
	mock.timers.tick(1000);
	assert.equal(calls.length, 2);
	store.close();
	mock.timers.tick(5000);
	assert.equal(calls.length, 2, 'closed: no more fetches');
});

test('refresh supersedes a fetch in flight: the older answer, arriving last, never shows', async () => {
	const {fetch, calls} = controlledFetch();
	const store = new PollStore(fetch, 1000);
	store.refresh();
	store.refresh();
	calls[1]!.resolve('newer');
	await flush();
	calls[0]!.resolve('older');
	await flush();
	assert.equal(store.snapshot().value, 'newer');
	store.close();
});

test('snapshots: one frozen object per version; a failure keeps the value beside its one-line error', async () => {
	const {fetch, calls} = controlledFetch();
	const store = new PollStore(fetch, 1000);
	const empty = store.snapshot();
	assert.equal(store.snapshot(), empty);
	assert.ok(Object.isFrozen(empty));
	store.refresh();
	calls[0]!.resolve('pods');
	await flush();
	const answered = store.snapshot();
	assert.notEqual(answered, empty);
	assert.equal(answered.value, 'pods');
	store.refresh();
	calls[1]!.reject(new Error('forbidden\nstack'));
	await flush();
	assert.deepEqual({value: store.snapshot().value, error: store.snapshot().error}, {value: 'pods', error: 'forbidden'});
	assert.equal(answered.error, undefined, 'an older snapshot never changes');
	store.close();
});

test('failures back off: the interval doubles per failure in a row, up to 30 s, and one answer brings it back', async () => {
	const {fetch, calls} = controlledFetch();
	const store = new PollStore(fetch, 5000);
	store.refresh();
	store.startTimer();
	const fetchesWithin = (ms: number) => {
		const before = calls.length;
		mock.timers.tick(ms);
		return calls.length - before;
	};

	// Each failure: the next fetch waits 10, 20, 30, 30 s (±20%), not 5 s.
	for (const wait of [10_000, 20_000, 30_000, 30_000]) {
		calls.at(-1)!.reject(new Error('the server answered 500'));
		// eslint-disable-next-line no-await-in-loop
		await flush();
		assert.equal(fetchesWithin((wait * 0.8) - 1), 0, `nothing before ${wait * 0.8} ms`);
		assert.equal(fetchesWithin((wait * 0.4) + 2), 1, `one fetch by ${wait * 1.2} ms`);
	}

	calls.at(-1)!.resolve('pods');
	await flush();
	assert.equal(fetchesWithin(4999), 0);
	assert.equal(fetchesWithin(1), 1, 'an answer: back to the interval');
	store.close();
});

test('a Retry-After the server asks for is waited out, longer than the backoff', async () => {
	const {fetch, calls} = controlledFetch();
	const store = new PollStore(fetch, 5000);
	store.refresh();
	store.startTimer();
	calls[0]!.reject(Object.assign(new Error('the server answered 429 Too Many Requests (retry after 30s)'), {retryAfterSeconds: 30}));
	await flush();
	mock.timers.tick(29_999);
	assert.equal(calls.length, 1, 'no fetch before the 30 s the server asked for');
	mock.timers.tick(1);
	assert.equal(calls.length, 2);
	store.close();
});

test('pollDelayMs: the interval while answers come; doubled per failure, capped, jittered, at least Retry-After', () => {
	const middle = () => 0.5;
	assert.equal(pollDelayMs(5000, 0, undefined, middle), 5000);
	assert.deepEqual([1, 2, 3, 9].map(failures => pollDelayMs(5000, failures, new Error('x'), middle)), [10_000, 20_000, maxPollBackoffMs, maxPollBackoffMs]);
	assert.equal(pollDelayMs(5000, 1, new Error('x'), () => 0), 8000);
	assert.equal(pollDelayMs(5000, 1, new Error('x'), () => 1), 12_000);
	assert.equal(pollDelayMs(60_000, 1, new Error('x'), middle), 60_000, 'a longer interval than the cap is kept');
	assert.equal(pollDelayMs(5000, 1, {retryAfterSeconds: 45}, middle), 45_000);
});

test('while the next fetch after a failure is out, the failure says it is being asked again (qa10 F7)', async () => {
	const {fetch, calls} = controlledFetch();
	const store = new PollStore(fetch, 1000);
	store.refresh();
	calls[0]!.reject(new Error('the server answered 429 Too Many Requests'));
	await flush();
	assert.equal(store.snapshot().error, 'the server answered 429 Too Many Requests');
	store.refresh();
	assert.equal(store.snapshot().error, 'the server answered 429 Too Many Requests (asking again…)');
	calls[1]!.reject(new Error('did not answer in time'));
	await flush();
	assert.equal(store.snapshot().error, 'did not answer in time');
	store.refresh();
	calls[2]!.resolve('pods');
	await flush();
	assert.deepEqual([store.snapshot().value, store.snapshot().error], ['pods', undefined]);
	store.close();
});
