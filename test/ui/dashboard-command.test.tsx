import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {EventEmitter} from 'node:events';
import {fileURLToPath} from 'node:url';
import {describe, test} from 'node:test';
import {isInteractive, runDashboard} from '../../source/commands/dashboard.js';
import type {ServiceScreenProps} from '../../source/ui/screens.js';
import {FakeClusterSource, seedNow, seededSource} from './fake-source.js';
import {Keyboard, Sink} from './terminal-streams.js';

function io() {
	const stdin = new Keyboard();
	const stdout = new Sink(false);
	const stderr = new Sink(false);
	const signals = new EventEmitter();
	return {
		stdin,
		stdout,
		stderr,
		signals,
		streams: {
			stdin: stdin as unknown as NodeJS.ReadStream,
			stdout: stdout as unknown as NodeJS.WriteStream,
			stderr: stderr as unknown as NodeJS.WritableStream,
			signals,
		},
	};
}

const tick = async () =>
	new Promise<void>(resolve => {
		setTimeout(resolve, 30);
	});

function source() {
	return seededSource();
}

describe('runDashboard', () => {
	test('q quits with 0 and leaves no listener behind', async () => {
		const {stdin, signals, streams} = io();
		const running = runDashboard(source(), {clusterDomain: 'cluster.local', clock: () => seedNow}, streams);
		await tick();
		assert.equal(signals.listenerCount('SIGINT'), 1);
		stdin.type('q');
		assert.equal(await running, 0);
		for (const event of ['SIGINT', 'SIGTERM', 'uncaughtException', 'unhandledRejection']) {
			assert.equal(signals.listenerCount(event), 0, event);
		}
	});

	test('SIGTERM unmounts and returns 143, SIGINT 130', async () => {
		for (const [signal, code] of [
			['SIGTERM', 143],
			['SIGINT', 130],
		] as const) {
			const {signals, streams} = io();
			const running = runDashboard(source(), {clusterDomain: 'cluster.local'}, streams);
			await tick();
			signals.emit(signal, signal);
			assert.equal(await running, code);
		}
	});

	test('an uncaught error ends the dashboard with one line on stderr', async () => {
		const {signals, stderr, streams} = io();
		const running = runDashboard(source(), {clusterDomain: 'cluster.local'}, streams);
		await tick();
		signals.emit('uncaughtException', new Error('watch stream exploded\n    at Somewhere (file.js:1:1)'));
		assert.equal(await running, 1);
		assert.equal(stderr.text, 'svctop: watch stream exploded\n');
	});

	test('a screen that throws ends the dashboard with one line, no stack trace', async () => {
		function Broken(_props: ServiceScreenProps): never {
			throw new Error('the NAT view broke\n    at a stack line');
		}

		const {stdin, stdout, stderr, streams} = io();
		const running = runDashboard(source(), {clusterDomain: 'cluster.local', screens: {nat: Broken}}, streams);
		await tick();
		stdin.type('t');
		assert.equal(await running, 1);
		assert.equal(stderr.text, 'svctop: the NAT view broke\n');
		assert.doesNotMatch(stdout.text, /stack line/);
	});

	test(':ctx NAME connects the other context, shows it, and stops the old source; the new one is stopped at the end', async () => {
		const {stdin, stdout, signals, streams} = io();
		// A terminal, so that ink draws every frame rather than the last one only.
		stdout.isTTY = true;
		const first = source();
		const connected: FakeClusterSource[] = [];
		const contexts = {
			list: [
				{name: 'kind-myk8s', cluster: 'kind-myk8s', user: 'kind-myk8s', namespace: ''},
				{name: 'prod-eu', cluster: 'eu-1', user: 'admin', namespace: 'shop'},
				{name: 'broken', cluster: 'gone', user: 'admin', namespace: ''},
			],
			async connect(context: string, allNamespaces: boolean) {
				if (context === 'broken') {
					throw new Error('Get "https://gone:6443/version": dial tcp: lookup gone: no such host');
				}

				const next = seededSource({context, namespace: allNamespaces ? undefined : 'shop'});
				connected.push(next);
				return next;
			},
		};
		const running = runDashboard(first, {clusterDomain: 'cluster.local', clock: () => seedNow, contexts, alternateScreen: false}, streams);
		const waitFor = async (pattern: RegExp) => {
			for (let round = 0; round < 100 && !pattern.test(stdout.text); round++) {
				await tick();
			}

			assert.match(stdout.text, pattern);
		};

		try {
			await waitFor(/7\/7 services/);
			stdin.type(':ctx broken\r');
			await waitFor(/cannot switch to context broken: Get "https:\/\/gone:6443\/version": dial tcp/);
			assert.equal(first.stopped, false, 'a failed switch keeps the source');
			stdin.type(':ctx prod-eu\r');
			await waitFor(/prod-eu {2}namespace all/);
			assert.equal(connected.length, 1);
			assert.equal(first.stopped, true);
			stdin.type('q');
			assert.equal(await running, 0);
			assert.equal(connected[0]!.stopped, true);
		} finally {
			signals.emit('SIGTERM', 'SIGTERM');
		}
	});

	test('isInteractive is true only for a terminal', () => {
		assert.equal(isInteractive({isTTY: true}), true);
		assert.equal(isInteractive({isTTY: false}), false);
		assert.equal(isInteractive({}), false);
	});
});

const fixture = fileURLToPath(new URL('fixtures/dashboard-app.tsx', import.meta.url));

/**
 * Runs the fixture in a pseudo-terminal (util-linux `script`), types `keys` once the first frame is
 * drawn, and returns everything the terminal received, including what `stty -a` says afterwards.
 */
async function inPseudoTerminal(keys: readonly string[]): Promise<string> {
	const command = `stty rows 24 cols 100; '${process.execPath}' --import tsx '${fixture}'; stty -a`;
	// NODE_TEST_CONTEXT would make the fixture report to this test runner instead of drawing; CI
	// would make ink draw non-interactively.
	const {NODE_TEST_CONTEXT: _, CI: __, ...environment} = process.env;
	const child = spawn('script', ['-qfec', command, '/dev/null'], {
		env: {...environment, TERM: 'xterm-256color'},
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	const closed = new Promise(resolve => {
		child.on('close', resolve);
	});
	let output = '';
	child.stdout.setEncoding('utf8');
	child.stdout.on('data', (chunk: string) => {
		output += chunk;
	});
	const waitFor = async (pattern: RegExp) => {
		const deadline = Date.now() + 20_000;
		while (!pattern.test(output)) {
			if (Date.now() > deadline) {
				throw new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(output.slice(-500))}`);
			}

			await tick();
		}
	};

	try {
		await waitFor(/7\/7 services/);
		for (const key of keys) {
			child.stdin.write(key);
			await tick();
		}

		await waitFor(/exit \d+[\s\S]*(?:-?icanon)/);
		await closed;
		return output;
	} finally {
		child.kill();
	}
}

function scriptUsable(): boolean {
	return process.platform === 'linux';
}

describe('in a pseudo-terminal', () => {
	test('Ctrl-C leaves the alternate screen, shows the cursor and turns raw mode off', async t => {
		if (!scriptUsable()) {
			t.skip('needs util-linux script (Linux)');
			return;
		}

		const output = await inPseudoTerminal(['j', '\u0003']);
		const exit = output.indexOf('exit 0');
		assert.ok(exit > 0, 'runDashboard returned 0');
		const beforeExit = output.slice(0, exit);
		assert.ok(beforeExit.includes('\u001B[?1049h'), 'entered the alternate screen');
		assert.ok(beforeExit.lastIndexOf('\u001B[?1049l') > beforeExit.lastIndexOf('\u001B[?1049h'), 'left the alternate screen');
		assert.ok(beforeExit.lastIndexOf('\u001B[?25h') > beforeExit.lastIndexOf('\u001B[?25l'), 'cursor shown again');
		const stty = output.slice(exit);
		assert.match(stty, /(?:^|\s)icanon(?:\s|$)/m, 'canonical mode back on');
		assert.match(stty, /(?:^|\s)echo(?:\s|$)/m, 'echo back on');
		if (beforeExit.includes('\u001B[?2004h')) {
			assert.ok(beforeExit.lastIndexOf('\u001B[?2004l') > beforeExit.lastIndexOf('\u001B[?2004h'), 'bracketed paste off again');
		}
	});

	test('a screen that throws restores the terminal too and prints one line', async t => {
		if (!scriptUsable()) {
			t.skip('needs util-linux script (Linux)');
			return;
		}

		const output = await inPseudoTerminal(['t']);
		const exit = output.indexOf('exit 1');
		assert.ok(exit > 0, 'runDashboard returned 1');
		assert.match(output, /svctop: the NAT view broke\r?\n/);
		assert.doesNotMatch(output, /stack line nobody should see/);
		const beforeExit = output.slice(0, exit);
		assert.ok(beforeExit.lastIndexOf('\u001B[?25h') > beforeExit.lastIndexOf('\u001B[?25l'), 'cursor shown again');
		assert.match(output.slice(exit), /(?:^|\s)icanon(?:\s|$)/m);
	});
});
