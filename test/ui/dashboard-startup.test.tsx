import assert from 'node:assert/strict';
import {EventEmitter} from 'node:events';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, test} from 'node:test';
import {startApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import {runDashboard} from '../../source/commands/dashboard.js';
import {connectCluster} from '../../source/kube/connect.js';
import {formatConnection} from '../../source/ui/format.js';
import {node, service} from '../builtin-cluster/apiserver/fixtures.js';
import {Keyboard, Sink} from './terminal-streams.js';
import type {ClusterSource} from '../../source/kube/types.js';

/** Polls the terminal output until it matches, so the test waits on what the user would see. */
async function screenShows(sink: Sink, pattern: RegExp, what: string, timeoutMs = 8000): Promise<void> {
	const started = Date.now();
	while (!pattern.test(sink.text)) {
		if (Date.now() - started > timeoutMs) {
			throw new Error(`the screen never showed ${what}; last output: ${JSON.stringify(sink.text.slice(-600))}`);
		}

		await new Promise(resolve => {
			setTimeout(resolve, 25);
		});
	}
}

/** The dashboard on a 200-column terminal of our own, until `q` is typed. */
function startDashboard(source: ClusterSource) {
	const stdin = new Keyboard();
	const stdout = new Sink(true, 200);
	const stderr = new Sink(false);
	const running = runDashboard(source, {clusterDomain: 'cluster.local', alternateScreen: false}, {
		stdin: stdin as unknown as NodeJS.ReadStream,
		stdout: stdout as unknown as NodeJS.WriteStream,
		stderr: stderr as unknown as NodeJS.WritableStream,
		signals: new EventEmitter(),
	});
	return {stdin, stdout, stderr, running};
}

describe('dashboard start-up against a failing API server', () => {
	test('500 on every request at start-up: the dashboard comes up, says retrying with the cause, then syncs', async () => {
		const directory = await mkdtemp(path.join(tmpdir(), 'svtstartup-'));
		const api = await startApiServer({objects: [node('worker1', '192.168.56.11'), service('default', 'echo')]});
		api.setFault('*', {kind: 'status', code: 500});
		const kubeconfig = await api.writeKubeconfig(directory);
		const source = await connectCluster({kubeconfig, env: {}, backoff: {initialMs: 200, maxMs: 400}});
		const {stdin, stdout, stderr, running} = startDashboard(source);
		try {
			// Ink rewrites only the changed part of a line, so match the parts.
			await screenShows(stdout, /answered 500 to list services: Internal error occurred: injected fault/, 'the 500 as the cause');
			assert.match(stdout.text, /retrying in \d+s/);
			assert.doesNotMatch(stdout.text, /No Services\./, 'services that could not be listed are not "none"');
			assert.doesNotMatch(stdout.text, /synced/);
			api.setFault('*', undefined);
			await screenShows(stdout, /synced/, 'synced after the server recovered');
			await screenShows(stdout, /echo/, 'the Service once listed');
			stdin.type('q');
			assert.equal(await running, 0);
			assert.equal(stderr.text, '');
		} finally {
			stdin.type('q');
			await running;
			await source.stop();
			await api.close();
			await rm(directory, {recursive: true, force: true});
		}
	});
});

describe('dashboard with -A while only Services fail', () => {
	for (const fault of [{kind: 'status', code: 500}, {kind: 'hang'}] as const) {
		test(`services ${fault.kind}: the footer says ? services (unknown), not 0/0, and the header claims no update`, async () => {
			const directory = await mkdtemp(path.join(tmpdir(), 'svtstartup-'));
			const api = await startApiServer({objects: [node('worker1', '192.168.56.11'), service('default', 'echo')]});
			api.setFault('services', fault);
			const kubeconfig = await api.writeKubeconfig(directory);
			const source = await connectCluster({kubeconfig, env: {}, allNamespaces: true, backoff: {initialMs: 200, maxMs: 400}, requestTimeoutMs: 300, readyTimeoutMs: 2000});
			const {stdin, stdout, stderr, running} = startDashboard(source);
			try {
				await screenShows(stdout, /nodes synced/, 'the nodes listed');
				await screenShows(stdout, /\? services \(unknown\)/, 'the Service count as unknown');
				assert.match(stdout.text, /services never listed/);
				assert.doesNotMatch(stdout.text, /0\/0 services/);
				assert.doesNotMatch(stdout.text, /updated (just now|\d+s ago)/);
			} finally {
				stdin.type('q');
				await running;
				await source.stop();
				await api.close();
				await rm(directory, {recursive: true, force: true});
			}
		});
	}
});

describe('the status line', () => {
	const now = Date.UTC(2026, 11, 7, 10, 42, 10);
	test('each state in words, never synced unless synced', () => {
		process.env.TZ = 'UTC';
		assert.equal(formatConnection('services', {phase: 'synced', since: now}, now), 'services synced');
		assert.equal(formatConnection('services', {phase: 'retrying', since: now, message: 'the API server at https://k answered 500', retryAt: now + 4200}, now), 'services retrying in 5s (the API server at https://k answered 500)');
		assert.equal(
			formatConnection('endpointslices', {phase: 'retrying', since: now, message: 'watch expired (410 Gone); relisting', retryAt: now + 8000, staleSince: now - 7000}, now),
			'endpointslices stale since 10:42:03, retrying in 8s (watch expired (410 Gone); relisting)',
		);
		assert.equal(formatConnection('nodes', {phase: 'retrying', since: now, message: 'x', retryAt: now - 10}, now), 'nodes retrying now (x)');
		assert.equal(formatConnection('nodes', {phase: 'forbidden', since: now, message: 'nodes is forbidden: User "dev" cannot list resource "nodes"'}, now), 'nodes forbidden: nodes is forbidden: User "dev" cannot list resource "nodes"');
		assert.equal(
			formatConnection('nodes', {phase: 'forbidden', since: now, message: 'nodes is forbidden', retryAt: now + 29_100}, now),
			'nodes forbidden, retrying in 30s: nodes is forbidden',
		);
		// Refused mid-session: the rows still shown date from the last sync, as when retrying.
		assert.equal(
			formatConnection('services', {phase: 'forbidden', since: now, message: 'services is forbidden', retryAt: now + 8000, staleSince: now - 7000}, now),
			'services forbidden, stale since 10:42:03, retrying in 8s: services is forbidden',
		);
	});
});
