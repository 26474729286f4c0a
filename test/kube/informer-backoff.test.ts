import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, afterEach, before, describe, test} from 'node:test';
import {type ApiServer, type Fault, startApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import {KubeHttp} from '../../source/kube/http.js';
import {Informer} from '../../source/kube/informer.js';
import {resolveKubeConfig} from '../../source/kube/kubeconfig.js';
import type {ConnectionPhase} from '../../source/kube/types.js';
import {endpointSlice, node, service} from '../builtin-cluster/apiserver/fixtures.js';

/*
 * The real informer and HTTP client against the in-process API server with a fault switched on.
 * Time is virtual: the injected sleep advances a clock instead of waiting, so "15 s" of retries
 * run in milliseconds, and the server's counters say how many requests those 15 s cost.
 */

let directory: string;
let api: ApiServer | undefined;
let informer: Informer | undefined;

before(async () => {
	directory = await mkdtemp(path.join(tmpdir(), 'svtbackoff-'));
});

after(async () => {
	await rm(directory, {recursive: true, force: true});
});

afterEach(async () => {
	await informer?.stop();
	informer = undefined;
	await api?.close();
	api = undefined;
});

const objects = [node('worker1', '192.168.56.11'), service('default', 'echo'), endpointSlice('default', 'echo', 'x7k2p', ['10.244.1.2'])];

type Run = {
	/** Every retry wait, in order. */
	readonly delays: number[];
	readonly lists: number;
	readonly watches: number;
	/** Phases reported after the first failure. */
	readonly phasesAfterFailure: ConnectionPhase[];
	readonly lastMessage: string | undefined;
};

/** Runs one services informer for `seconds` of virtual time with `fault` on every services request. */
async function runFor(seconds: number, fault: Fault | undefined, setUp?: (server: ApiServer, clock: {now: number; delays: number[]; synced: () => Promise<void>}) => void): Promise<Run> {
	api = await startApiServer({objects});
	if (fault !== undefined) {
		api.setFault('services', fault);
	}

	const kubeconfig = await api.writeKubeconfig(path.join(directory, String(Math.random()).slice(2)));
	const http = new KubeHttp(resolveKubeConfig({kubeconfig, env: {}}).kubeConfig);
	const delays: number[] = [];
	const phasesAfterFailure: ConnectionPhase[] = [];
	const syncedWaiters: Array<() => void> = [];
	/** Resolves when the informer next reports `synced` (its watch is open and holding). */
	const synced = async (): Promise<void> => new Promise(resolve => {
		syncedWaiters.push(resolve);
	});
	const clock = {now: 0, delays, synced};
	let failed = false;
	let lastMessage: string | undefined;
	let finish!: () => void;
	const finished = new Promise<void>(resolve => {
		finish = resolve;
	});
	setUp?.(api, clock);
	informer = new Informer({
		http,
		path: '/api/v1/namespaces/default/services',
		random: () => 0.5,
		now: () => clock.now,
		async sleep(ms, signal) {
			delays.push(ms);
			clock.now += ms;
			if (clock.now >= seconds * 1000) {
				finish();
				await new Promise(resolve => signal.addEventListener('abort', resolve, {once: true}));
				return;
			}

			await new Promise(resolve => setImmediate(resolve));
		},
		sink: {
			replace() {},
			event() {},
			state(phase, message) {
				failed ||= phase === 'retrying';
				if (phase === 'synced') {
					for (const resolve of syncedWaiters.splice(0)) {
						resolve();
					}
				}

				if (failed) {
					phasesAfterFailure.push(phase);
				}

				lastMessage = message;
			},
			settled() {},
		},
	});
	informer.start();
	await finished;
	const counters = api.counters();
	return {delays, lists: counters.list.services, watches: counters.watch.services, phasesAfterFailure, lastMessage};
}

/** The delays double (jitter fixed at the middle) from about 1 s up to the 30 s cap. */
function assertExponential(delays: readonly number[]): void {
	assert.ok(delays.length >= 3, `only ${delays.length} waits`);
	assert.ok(delays[0]! >= 800 && delays[0]! <= 1200, `first wait ${delays[0]} ms`);
	for (let index = 1; index < delays.length; index++) {
		const expected = Math.min(30_000, delays[index - 1]! * 2);
		assert.ok(delays[index]! >= expected * 0.99 && delays[index]! <= 30_000 * 1.2, `wait ${index}: ${delays[index]} ms after ${delays[index - 1]} ms`);
	}
}

describe('every retry waits its backoff', () => {
	test('HTTP 410 on every watch: a few relists in 15 s, never synced again', async () => {
		const run = await runFor(15, {kind: 'watch-410'});
		assertExponential(run.delays);
		// 1 s, 2 s, 4 s, 8 s fill 15 s: the first list and watch, then one relist and watch per wait.
		assert.ok(run.lists <= 5 && run.watches <= 5, `lists ${run.lists}, watches ${run.watches}`);
		assert.ok(run.lists >= 3, `lists ${run.lists}: the informer must keep trying`);
		assert.ok(!run.phasesAfterFailure.includes('synced'), `phases ${run.phasesAfterFailure.join(',')}`);
		assert.match(run.lastMessage ?? '', /410/);
	});

	test('an ERROR event with 410 in every watch stream: same backoff', async () => {
		const run = await runFor(15, {kind: 'watch-error-410'});
		assertExponential(run.delays);
		assert.ok(run.lists <= 5 && run.watches <= 5, `lists ${run.lists}, watches ${run.watches}`);
		assert.ok(!run.phasesAfterFailure.includes('synced'), `phases ${run.phasesAfterFailure.join(',')}`);
	});

	test('an empty 200 on every watch: re-watches wait too, and one list is enough', async () => {
		const run = await runFor(15, {kind: 'empty-watch'});
		assertExponential(run.delays);
		assert.equal(run.lists, 1, 'the resourceVersion is still good: no relist');
		assert.ok(run.watches <= 5, `watches ${run.watches}`);
		assert.equal(run.lastMessage, 'watch closed at once with no events');
	});

	test('500 on every request: lists back off, the state says retrying with the Status message', async () => {
		const run = await runFor(15, {kind: 'status', code: 500});
		assertExponential(run.delays);
		assert.ok(run.lists <= 5, `lists ${run.lists}`);
		assert.equal(run.watches, 0);
		assert.match(run.lastMessage ?? '', /answered 500 to list services: Internal error occurred: injected fault$/);
	});

	test('429 with Retry-After: no attempt sooner than the server asked', async () => {
		const run = await runFor(60, {kind: 'status', code: 429, retryAfterSeconds: 7});
		assert.ok(run.delays.every(delay => delay >= 7000), `waits ${run.delays.join(', ')}`);
		assert.ok(run.lists <= 60 / 7 + 1, `lists ${run.lists}`);
		assert.match(run.lastMessage ?? '', /answered 429 to list services: Too many requests, please try again later\. \(retry after 7s\)$/);
	});

	test('the backoff resets only after a watch stayed up; a watch that held is renewed at once', async () => {
		let waitsBeforeCut = -1;
		const run = await runFor(120, {kind: 'watch-410'}, (server, clock) => {
			// After three failures the watch works; 40 virtual seconds later it is cut, and failing again.
			void server.waitForRequests('list', 'services', 4).then(async () => {
				server.setFault('services', undefined);
				await clock.synced();
				clock.now += 40_000;
				waitsBeforeCut = clock.delays.length;
				server.setFault('services', {kind: 'watch-410'});
				server.cutWatches();
			});
		});
		assert.ok(waitsBeforeCut >= 3, `waits before the cut: ${waitsBeforeCut}`);
		assert.ok(run.delays[waitsBeforeCut - 1]! >= 3200, `the waits grew before: ${run.delays.join(', ')}`);
		assertExponential(run.delays.slice(waitsBeforeCut));
	});
});

/** Polls `condition` every 10 ms; rejects naming `what` after `ms` of real time. */
async function until(what: string, condition: () => boolean, ms = 5000): Promise<void> {
	const deadline = performance.now() + ms;
	while (!condition()) {
		if (performance.now() > deadline) {
			throw new Error(`timed out waiting for ${what}`);
		}

		await new Promise(resolve => setTimeout(resolve, 10));
	}
}

describe('a watch that gets no answer', () => {
	test('is abandoned after the header bound, said, retried with backoff, and recovers once the server answers', async () => {
		api = await startApiServer({objects});
		const server = api;
		const kubeconfig = await server.writeKubeconfig(path.join(directory, String(Math.random()).slice(2)));
		const http = new KubeHttp(resolveKubeConfig({kubeconfig, env: {}}).kubeConfig);
		const states: Array<{phase: ConnectionPhase; message: string | undefined}> = [];
		const delays: number[] = [];
		const boundMs = 300;
		informer = new Informer({
			http,
			path: '/api/v1/namespaces/default/services',
			random: () => 0.5,
			requestTimeoutMs: boundMs,
			async sleep(ms) {
				delays.push(ms);
				await new Promise(resolve => setImmediate(resolve));
			},
			sink: {
				replace() {},
				event() {},
				state(phase, message) {
					states.push({phase, message});
				},
				settled() {},
			},
		});
		informer.start();
		await until('the first sync', () => states.at(-1)?.phase === 'synced');

		// The server now accepts watches and never answers them.
		server.setFault('services', {kind: 'hang'});
		const watchesBefore = server.counters().watch.services;
		server.cutWatches();
		await until('a hung watch', () => server.counters().watch.services > watchesBefore);
		const hungAt = performance.now();
		const timedOut = (state: {message: string | undefined}): boolean => /did not answer in time/.test(state.message ?? '');
		await until('the hung watch to be abandoned', () => states.some(state => timedOut(state)));
		const waited = performance.now() - hungAt;
		assert.ok(waited >= boundMs * 0.8 && waited < boundMs + 1500, `abandoned after ${Math.round(waited)} ms`);
		const failure = states.find(state => timedOut(state))!;
		assert.equal(failure.phase, 'retrying');
		assert.match(failure.message!, /^the API server at http:\/\/127\.0\.0\.1:\d+ did not answer in time$/);

		// It keeps retrying, each time after a longer wait, and holds no hung request open for long.
		await until('two more hung watches', () => states.filter(state => timedOut(state)).length >= 3);
		assert.ok(delays.length >= 3 && delays.at(-1)! > delays.at(-2)!, `waits ${delays.join(', ')}`);

		server.setFault('services', undefined);
		const failuresSoFar = states.length;
		await until('a sync after the server answers again', () => states.slice(failuresSoFar).some(state => state.phase === 'synced'));
		assert.equal(server.counters().list.services, 1, 'the resourceVersion stayed good: no relist');
	});
});
