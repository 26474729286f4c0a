import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {ensureBuilt, svctopBin} from '../helpers/built-cli.js';

/*
 * `--help`, `-h` and `svctop help COMMAND` as a user runs them, from the build, where nothing else can
 * answer: no kubeconfig (KUBECONFIG names a missing file, HOME is empty), and on PATH the node's rule
 * tools, ssh and kubectl replaced by tripwires that record any call. A second run points the kubeconfig
 * at a local socket that counts connections. Help must touch none of them.
 */

const commands = ['list', 'describe', 'nat', 'probe'];
const tools = ['iptables-save', 'iptables-legacy-save', 'iptables-nft-save', 'nft', 'ipvsadm', 'conntrack', 'ssh', 'kubectl', 'ip', 'sudo'];

let directory: string;
let trapLog: string;
let fakeBin: string;
let home: string;
let listener: Server;
let connections = 0;
let tripwireKubeconfig: string;

type Run = {code: number | null; stdout: string; stderr: string};

function svctop(args: readonly string[], env: Record<string, string>): Promise<Run> {
	const child = spawn(process.execPath, [svctopBin, ...args], {
		cwd: home,
		env: {PATH: `${fakeBin}:${process.env.PATH}`, HOME: home, NO_COLOR: '1', ...env},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', chunk => {
		stdout += chunk;
	});
	child.stderr.setEncoding('utf8').on('data', chunk => {
		stderr += chunk;
	});
	const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
	return new Promise((resolve, reject) => {
		child.on('error', reject);
		child.on('close', code => {
			clearTimeout(timer);
			resolve({code, stdout, stderr});
		});
	});
}

function trapped(): string {
	return existsSync(trapLog) ? readFileSync(trapLog, 'utf8') : '';
}

before(async () => {
	ensureBuilt();
	directory = mkdtempSync(path.join(os.tmpdir(), `svctop-help-${process.pid}-`));
	home = path.join(directory, 'home');
	fakeBin = path.join(directory, 'bin');
	trapLog = path.join(directory, 'called');
	mkdirSync(home);
	mkdirSync(fakeBin);
	for (const tool of tools) {
		const file = path.join(fakeBin, tool);
		writeFileSync(file, `#!/bin/sh\necho "${tool} $*" >> '${trapLog}'\nexit 97\n`);
		chmodSync(file, 0o755);
	}

	listener = createServer(socket => {
		connections++;
		socket.destroy();
	});
	await new Promise<void>(resolve => listener.listen(0, '127.0.0.1', resolve));
	const {port} = listener.address() as {port: number};
	tripwireKubeconfig = path.join(directory, 'tripwire-kubeconfig');
	writeFileSync(tripwireKubeconfig, [
		'apiVersion: v1',
		'kind: Config',
		'clusters: [{name: trap, cluster: {server: "https://127.0.0.1:' + port + '", insecure-skip-tls-verify: true}}]',
		'users: [{name: trap, user: {token: t}}]',
		'contexts: [{name: trap, context: {cluster: trap, user: trap, namespace: default}}]',
		'current-context: trap',
		'',
	].join('\n'));
});

after(async () => {
	await new Promise(resolve => listener?.close(resolve));
	if (directory) {
		rmSync(directory, {recursive: true, force: true});
	}
});

const noKubeconfig = () => ({KUBECONFIG: path.join(directory, 'missing', 'kubeconfig')});

describe('every command\'s help needs no kubeconfig, node tools or network', () => {
	for (const command of commands) {
		for (const argv of [[command, '--help'], [command, '-h'], ['help', command]]) {
			test(`svctop ${argv.join(' ')}`, async () => {
				const before = connections;
				for (const env of [noKubeconfig(), {KUBECONFIG: tripwireKubeconfig}]) {
					const result = await svctop(argv, env);
					assert.equal(result.code, 0, result.stderr);
					assert.equal(result.stderr, '');
					assert.match(result.stdout, new RegExp(`^ {2}Usage\\n {4}\\$ svctop ${command}\\b`, 'm'));
					assert.match(result.stdout, /^ {2}Options$/m);
					assert.match(result.stdout, /^ {2}Examples$/m);
				}

				assert.equal(trapped(), '', 'no rule tool, ssh or kubectl was run');
				assert.equal(connections, before, 'no connection to the API server');
			});
		}
	}

	test('svctop --help, -h and help list every command', async () => {
		for (const argv of [['--help'], ['-h'], ['help']]) {
			const result = await svctop(argv, noKubeconfig());
			assert.equal(result.code, 0, result.stderr);
			for (const command of commands) {
				assert.match(result.stdout, new RegExp(`^ {4}${command} `, 'm'), `${argv.join(' ')} lists ${command}`);
			}
		}

		assert.equal(trapped(), '');
	});

	test('the tripwires are armed: without --help, nat runs iptables-save and list connects', async t => {
		const list = await svctop(['list'], {KUBECONFIG: tripwireKubeconfig});
		assert.notEqual(list.code, 0);
		assert.ok(connections > 0, 'list reached the tripwire API server');
		if (process.getuid?.() !== 0) {
			t.skip('svctop reads the node\'s rules only as root');
			return;
		}

		await svctop(['nat', '--mode', 'iptables'], noKubeconfig());
		assert.match(trapped(), /^iptables-save/m);
		rmSync(trapLog);
	});
});

describe('usage errors through the built CLI: one line, exit 2, no stack trace', () => {
	const cases: Array<[string[], RegExp]> = [
		[['list', '-o', 'json', '-o', 'wide'], /^svctop: --output is given 2 times \(-o json, -o wide\); give it once$/m],
		[['probe', '1.2.3.4:80', '--interval', '-5ms'], /^svctop: --interval must be a duration from 1ms to 1h/],
		[['probe', '1.2.3.4:80', '--interval', '0'], /^svctop: --interval must be a duration from 1ms to 1h/],
		[['nat', '--file', '-', '--file', 'x'], /^svctop: --file is given 2 times/],
		[['list', '--bogus'], /^svctop: unknown flag --bogus/],
	];
	for (const [argv, pattern] of cases) {
		test(`svctop ${argv.join(' ')}`, async () => {
			const result = await svctop(argv, noKubeconfig());
			assert.equal(result.code, 2);
			assert.equal(result.stdout, '');
			assert.match(result.stderr, pattern);
			assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
			assert.doesNotMatch(result.stderr, /^\s+at /m);
		});
	}
});
