import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {generateIptablesSave} from '../../source/builtin-cluster/generate/iptables.js';
import {initialDemoState} from '../../source/builtin-cluster/demo/cluster.js';
import {nodePortCluster} from '../fixtures/nat/plain-services.js';
import {builtEntry, ensureBuilt, newestMtime, repositoryRoot} from '../helpers/built-cli.js';

/*
 * The single executable (`npm run package`) as it runs on a node without Node.js: copied alone into an
 * empty directory and run with `env -i` and a PATH that has no `node`. Only this machine's architecture
 * is built and run here; building it takes a while the first time.
 */

const supported = process.platform === 'linux' && ['x64', 'arm64'].includes(process.arch);
const executableName = `svctop-linux-${process.arch}`;
const built = path.join(repositoryRoot, 'dist', executableName);
const lock = JSON.parse(readFileSync(path.join(repositoryRoot, 'package-lock.json'), 'utf8')) as {packages: Record<string, {version?: string}>};
const embeddedNode = `v${lock.packages['node_modules/node']!.version!}`;
const {version} = JSON.parse(readFileSync(path.join(repositoryRoot, 'package.json'), 'utf8')) as {version: string};

let directory: string;
let executable: string;
let environment: Record<string, string>;

/** Rebuilt when missing or older than the sources or the packaging scripts. */
function ensurePackaged(): void {
	const newest = Math.max(newestMtime(path.join(repositoryRoot, 'source')), newestMtime(path.join(repositoryRoot, 'packaging')));
	if (existsSync(built) && statSync(built).mtimeMs >= newest) {
		return;
	}

	const result = spawnSync('npm', ['run', '--silent', 'package', '--', '--arch', process.arch], {cwd: repositoryRoot, encoding: 'utf8'});
	assert.equal(result.status, 0, `npm run package failed:\n${result.stdout}${result.stderr}`);
}

/**
 * A PATH without node. /usr/bin:/bin when node is not there; this machine's own node is /usr/bin/node,
 * so then a directory of links to everything in /usr/bin and /bin except node.
 */
function pathWithoutNode(): string {
	if (!['/usr/bin', '/bin'].some(bin => existsSync(path.join(bin, 'node')) || existsSync(path.join(bin, 'nodejs')))) {
		return '/usr/bin:/bin';
	}

	const links = path.join(directory, 'path');
	mkdirSync(links);
	const linked = new Set<string>();
	for (const from of ['/usr/bin', '/bin']) {
		for (const name of readdirSync(from)) {
			if (!/^node(js)?$/.test(name) && !linked.has(name)) {
				symlinkSync(path.join(from, name), path.join(links, name));
				linked.add(name);
			}
		}
	}

	return links;
}

type Run = {code: number | null; stdout: string; stderr: string};

function run(args: readonly string[], timeoutMs = 30_000): Promise<Run> {
	const child = spawn(executable, args, {cwd: directory, env: environment, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', chunk => {
		stdout += chunk;
	});
	child.stderr.setEncoding('utf8').on('data', chunk => {
		stderr += chunk;
	});
	const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
	return new Promise((resolve, reject) => {
		child.on('error', reject);
		child.on('close', code => {
			clearTimeout(timer);
			resolve({code, stdout, stderr});
		});
	});
}

/** Median wall time of `runs` runs of a command, in milliseconds. */
function medianMs(command: string, args: readonly string[], runs = 7): number {
	const times: number[] = [];
	for (let index = 0; index < runs; index++) {
		const start = process.hrtime.bigint();
		const result = spawnSync(command, args, {cwd: directory, env: environment});
		assert.equal(result.status, 0, String(result.stderr));
		times.push(Number(process.hrtime.bigint() - start) / 1e6);
	}

	return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/** The executable in a pseudo-terminal of 24x100 (`script`), its arguments after `./svctop`, then `after` in the same shell. */
function inPty(svctopArguments: string, after = '') {
	const variables = Object.entries({...environment, TERM: 'xterm-256color'}).map(([name, value]) => `${name}='${value}'`).join(' ');
	const command = `stty rows 24 cols 100; env -i ${variables} ./svctop ${svctopArguments}; echo "exit $?"${after}`;
	const child = spawn('script', ['-qfec', command, '/dev/null'], {cwd: directory, env: {PATH: environment.PATH!, TERM: 'xterm-256color'}, stdio: ['pipe', 'pipe', 'pipe']});
	let output = '';
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
		output += chunk;
	});
	const closed = new Promise(resolve => {
		child.on('close', resolve);
	});
	return {
		output: () => output,
		type: (keys: string) => child.stdin.write(keys),
		async waitFor(pattern: RegExp, timeoutMs = 30_000) {
			const deadline = Date.now() + timeoutMs;
			while (!pattern.test(output)) {
				assert.ok(Date.now() < deadline, `timed out waiting for ${pattern}; got ${JSON.stringify(output.slice(-500))}`);
				await new Promise(resolve => setTimeout(resolve, 50));
			}
		},
		closed,
		kill: () => child.kill(),
	};
}

describe('the single executable, on a machine without Node.js', {timeout: 15 * 60_000}, () => {
	before(() => {
		if (!supported) {
			return;
		}

		ensurePackaged();
		directory = mkdtempSync(path.join(os.tmpdir(), 'svctop-sea-'));
		executable = path.join(directory, 'svctop');
		copyFileSync(built, executable);
		spawnSync('chmod', ['755', executable]);
		copyFileSync(path.join(repositoryRoot, 'test/fixtures/nat/seed-003-iptables-S.txt'), path.join(directory, 'dump.txt'));
		mkdirSync(path.join(directory, 'home'));
		environment = {PATH: pathWithoutNode(), HOME: path.join(directory, 'home'), LANG: 'C.UTF-8'};
	});

	after(() => {
		if (directory) {
			rmSync(directory, {recursive: true, force: true});
		}
	});

	test('nothing of Node.js is reachable: no node on PATH, no node_modules above the directory', t => {
		if (!supported) {
			t.skip(`single executables are built for linux-x64 and linux-arm64, this is ${process.platform}-${process.arch}`);
			return;
		}

		const lookup = spawnSync('sh', ['-c', 'command -v node nodejs'], {env: environment, encoding: 'utf8'});
		assert.notEqual(lookup.status, 0, `node found on PATH: ${lookup.stdout}`);
		for (let at = directory; at !== path.dirname(at); at = path.dirname(at)) {
			assert.ok(!existsSync(path.join(at, 'node_modules')), `${at}/node_modules exists`);
		}
	});

	test('--version: version, commit and the embedded Node.js', async t => {
		if (!supported) {
			t.skip(`single executables are built for linux-x64 and linux-arm64, this is ${process.platform}-${process.arch}`);
			return;
		}

		const result = await run(['--version']);
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, new RegExp(String.raw`^svctop ${version.replaceAll('.', String.raw`\.`)} \(commit ([0-9a-f]{7,}|unknown), Node\.js ${embeddedNode}\)\n$`));
		assert.equal(result.stderr, '', 'no experimental-feature warning');

		ensureBuilt();
		const size = statSync(executable).size;
		const single = medianMs(executable, ['--version']);
		const bundled = medianMs(process.execPath, [builtEntry, '--version']);
		t.diagnostic(`${executableName}: ${(size / 1e6).toFixed(1)} MB; --version ${single.toFixed(0)} ms vs node build/bundle/cli.js --version ${bundled.toFixed(0)} ms (Node ${process.version}; medians of 7)`);
	});

	test('--help prints the usage', async t => {
		if (!supported) {
			t.skip(`single executables are built for linux-x64 and linux-arm64, this is ${process.platform}-${process.arch}`);
			return;
		}

		const result = await run(['--help']);
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /Usage/);
		assert.match(result.stdout, /svctop list/);
	});

	test('list --demo -A --json lists every demo Service', async t => {
		if (!supported) {
			t.skip(`single executables are built for linux-x64 and linux-arm64, this is ${process.platform}-${process.arch}`);
			return;
		}

		const result = await run(['list', '--demo', '-A', '--json']);
		assert.equal(result.code, 0, result.stderr);
		const document = JSON.parse(result.stdout) as {services: Array<{namespace: string; name: string}>};
		const listed = document.services.map(entry => `${entry.namespace}/${entry.name}`).sort();
		const demo = initialDemoState(Date.now()).services.map(service => `${service.metadata!.namespace}/${service.metadata!.name}`).sort();
		assert.deepEqual(listed, demo);
	});

	test('nat --file decodes a dump exactly as the bundled CLI on Node does', async t => {
		if (!supported) {
			t.skip(`single executables are built for linux-x64 and linux-arm64, this is ${process.platform}-${process.arch}`);
			return;
		}

		const result = await run(['nat', '--file', 'dump.txt', '--json']);
		assert.equal(result.code, 0, result.stderr);
		const document = JSON.parse(result.stdout) as {services: unknown[]};
		assert.ok(document.services.length > 0, 'some Services decoded');
		ensureBuilt();
		const onNode = spawnSync(process.execPath, [builtEntry, 'nat', '--file', 'dump.txt', '--json'], {cwd: directory, env: environment, encoding: 'utf8'});
		assert.equal(onNode.status, 0, onNode.stderr);
		assert.equal(result.stdout, onNode.stdout);
	});

	test('kubectl svctop runs the executable as a plugin', async t => {
		if (!supported) {
			t.skip(`single executables are built for linux-x64 and linux-arm64, this is ${process.platform}-${process.arch}`);
			return;
		}

		if (spawnSync('kubectl', ['version', '--client'], {env: environment}).status !== 0) {
			t.skip('kubectl is not installed');
			return;
		}

		const plugins = path.join(directory, 'plugins');
		mkdirSync(plugins);
		symlinkSync(executable, path.join(plugins, 'kubectl-svctop'));
		const result = spawnSync('kubectl', ['svctop', '--version'], {cwd: directory, env: {...environment, PATH: `${plugins}:${environment.PATH!}`}, encoding: 'utf8'});
		assert.equal(result.status, 0, result.stderr);
		assert.match(result.stdout, new RegExp(String.raw`^svctop .*Node\.js ${embeddedNode}\)\n$`));
	});

	test('the dashboard in a pseudo-terminal draws a first frame and quits on q, the terminal restored', async t => {
		if (!supported) {
			t.skip(`single executables are built for linux-x64 and linux-arm64, this is ${process.platform}-${process.arch}`);
			return;
		}

		const session = inPty('--demo', '; stty -a');
		try {
			await session.waitFor(/svc-nodeport/);
			session.type('q');
			await session.waitFor(/exit \d+[\s\S]*icanon/);
			await session.closed;
		} finally {
			session.kill();
		}

		const output = session.output();
		const exit = output.indexOf('exit 0');
		assert.ok(exit > 0, `svctop exited 0: ${JSON.stringify(output.slice(-300))}`);
		const beforeExit = output.slice(0, exit);
		assert.ok(beforeExit.includes('\u001B[?1049h'), 'entered the alternate screen');
		assert.ok(beforeExit.lastIndexOf('\u001B[?1049l') > beforeExit.lastIndexOf('\u001B[?1049h'), 'left the alternate screen');
		assert.match(output.slice(exit), /(?:^|\s)icanon(?:\s|$)/m, 'canonical mode back on');
	});

	test('the NAT view decodes a large dump in its worker, which the executable carries as a script', async t => {
		if (!supported) {
			t.skip(`single executables are built for linux-x64 and linux-arm64, this is ${process.platform}-${process.arch}`);
			return;
		}

		// Well over the size below which the view decodes in its own thread, so only a worker shows progress.
		const dump = generateIptablesSave({...nodePortCluster(3000, 10), nodeName: 'node-0', nodeIPs: ['10.0.0.1']}, {form: 'save'});
		writeFileSync(path.join(directory, 'large.txt'), dump);
		const session = inPty('--demo --nat-file large.txt');
		try {
			await session.waitFor(/svc-nodeport/);
			session.type('t');
			await session.waitFor(/reading \d+% of [\d.]+ MB|decoding [\d.]+ MB…/, 60_000);
			// The title once read: `read just now  from large.txt` (redrawn from its first changed column, so after "read").
			await session.waitFor(/(?:just now|\d+s ago) {2}from large\.txt/, 60_000);
			assert.doesNotMatch(session.output(), /NAT decoder stopped/);
			session.type('qq');
			await session.waitFor(/exit \d+/);
			await session.closed;
		} finally {
			session.kill();
		}

		assert.match(session.output(), /exit 0/);
	});
});

