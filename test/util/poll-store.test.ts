import assert from 'node:assert/strict';
import {afterEach, beforeEach, mock, test} from 'node:test';
import {PollStore} from '../../source/util/poll-store.js';

beforeEach(() => {
	mock.timers.enable({apis: ['setInterval']});
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
