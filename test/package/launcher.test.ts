import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {ensureBuilt, repositoryRoot, svctopBin} from '../helpers/built-cli.js';

/*
 * bin/svctop.js run by a node older than 22 (this machine's own, where it is one): inside the
 * repository it hands over to the project's Node in node_modules; elsewhere it refuses in one line.
 */

const projectNode = path.join(repositoryRoot, 'node_modules/node/bin/node');
const machineNode = spawnSync('sh', ['-c', 'command -v node'], {env: {PATH: '/usr/local/bin:/usr/bin:/bin'}, encoding: 'utf8'}).stdout.trim();
const machineVersion = machineNode ? spawnSync(machineNode, ['--version'], {encoding: 'utf8'}).stdout.trim() : '';
const oldNode = machineVersion && Number(machineVersion.slice(1).split('.')[0]) < 22 ? machineNode : undefined;
const skipReason = oldNode ? undefined : `this machine's node (${machineVersion || 'none'} in /usr/local/bin:/usr/bin:/bin) is not older than 22: nothing to hand over`;

let directory: string;
const environment = {PATH: '/usr/local/bin:/usr/bin:/bin', HOME: os.tmpdir(), LANG: 'C.UTF-8'};

/** Runs until the first output, sends SIGTERM, and returns how it ended and which children it had. */
async function terminated(node: string, args: readonly string[]) {
	const child = spawn(node, args, {env: environment, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
		stdout += chunk;
	});
	const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>(resolve => {
		child.on('exit', (code, signal) => resolve({code, signal}));
	});
	await new Promise<void>(resolve => {
		child.stdout.once('data', () => resolve());
	});
	const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], {encoding: 'utf8'}).stdout.trim().split(/\s+/).filter(Boolean).map(Number);
	child.kill('SIGTERM');
	const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
	const ending = await exited;
	clearTimeout(timer);
	return {ending, children, stdout};
}

describe('bin/svctop.js on a node older than 22', () => {
	before(() => {
		ensureBuilt();
		directory = mkdtempSync(path.join(os.tmpdir(), 'svctop-launcher-'));
	});

	after(() => {
		rmSync(directory, {recursive: true, force: true});
	});

	test('hands over to the project\'s own Node: its version, a clean stdout, the exit code', t => {
		if (!oldNode) {
			t.skip(skipReason);
			return;
		}

		assert.ok(existsSync(projectNode), 'npm ci installed the project\'s node');
		const projectVersion = spawnSync(projectNode, ['--version'], {encoding: 'utf8'}).stdout.trim();
		const version = spawnSync(oldNode, [svctopBin, '--version'], {env: environment, encoding: 'utf8'});
		assert.equal(version.status, 0, version.stderr);
		assert.match(version.stdout, new RegExp(`Node\\.js ${projectVersion.replaceAll('.', '\\.')}\\)\\n$`));
		assert.equal(version.stderr, '');

		const list = spawnSync(oldNode, [svctopBin, 'list', '--demo', '--json'], {env: environment, encoding: 'utf8'});
		assert.equal(list.status, 0, list.stderr);
		assert.equal(JSON.parse(list.stdout).context, 'kind-myk8s');

		const bad = spawnSync(oldNode, [svctopBin, '--no-such-flag'], {env: environment, encoding: 'utf8'});
		assert.equal(bad.status, 2);
		assert.equal(bad.stderr, 'svctop: unknown flag --no-such-flag (see svctop --help)\n');
	});

	test('without a project Node beside it, refuses in one line', t => {
		if (!oldNode) {
			t.skip(skipReason);
			return;
		}

		mkdirSync(path.join(directory, 'alone/bin'), {recursive: true});
		const lonely = path.join(directory, 'alone/bin/svctop.js');
		copyFileSync(svctopBin, lonely);
		const result = spawnSync(oldNode, [lonely, '--version'], {env: environment, encoding: 'utf8'});
		assert.equal(result.status, 1);
		assert.equal(result.stdout, '');
		assert.match(result.stderr, /^svctop: needs Node\.js 22 or newer, this is v\d+\.\d+\.\d+; [^\n]+\n$/);
	});

	test('SIGTERM to the launcher reaches svctop, which ends as it does when run directly', async t => {
		if (!oldNode) {
			t.skip(skipReason);
			return;
		}

		const args = [svctopBin, 'probe', '--demo', 'default/svc-clusterip', '--interval', '200ms'];
		const direct = await terminated(projectNode, args);
		const handedOver = await terminated(oldNode, args);
		assert.equal(handedOver.children.length, 1, 'one child: svctop on the project\'s Node');
		assert.deepEqual(handedOver.ending, direct.ending);
		assert.match(handedOver.stdout, /webpod/, 'the probe printed its samples and summary');
		await new Promise(resolve => setTimeout(resolve, 200));
		assert.throws(() => process.kill(handedOver.children[0]!, 0), /ESRCH/, 'svctop is gone');
	});

	test('Ctrl-C in the dashboard, in a pseudo-terminal: exit 0, the terminal restored', async t => {
		if (!oldNode) {
			t.skip(skipReason);
			return;
		}

		const command = `stty rows 24 cols 100; '${oldNode}' '${svctopBin}' --demo; echo "exit $?"; stty -a`;
		const child = spawn('script', ['-qfec', command, '/dev/null'], {env: {...environment, TERM: 'xterm-256color'}, stdio: ['pipe', 'pipe', 'pipe']});
		let output = '';
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
			output += chunk;
		});
		const closed = new Promise(resolve => {
			child.on('close', resolve);
		});
		const waitFor = async (pattern: RegExp) => {
			const deadline = Date.now() + 30_000;
			while (!pattern.test(output)) {
				assert.ok(Date.now() < deadline, `timed out waiting for ${pattern}; got ${JSON.stringify(output.slice(-500))}`);
				await new Promise(resolve => setTimeout(resolve, 50));
			}
		};

		try {
			await waitFor(/svc-nodeport/);
			child.stdin.write('\u0003');
			await waitFor(/exit \d+[\s\S]*icanon/);
			await closed;
		} finally {
			child.kill();
		}

		const exit = output.indexOf('exit 0');
		assert.ok(exit > 0, `exit 0: ${JSON.stringify(output.slice(-300))}`);
		const beforeExit = output.slice(0, exit);
		assert.ok(beforeExit.lastIndexOf('\u001B[?1049l') > beforeExit.lastIndexOf('\u001B[?1049h'), 'left the alternate screen');
		assert.ok(beforeExit.lastIndexOf('\u001B[?25h') > beforeExit.lastIndexOf('\u001B[?25l'), 'cursor shown again');
		const stty = output.slice(exit);
		assert.match(stty, /(?:^|\s)icanon(?:\s|$)/m, 'canonical mode back on');
		assert.match(stty, /(?:^|\s)echo(?:\s|$)/m, 'echo back on');
	});
});
