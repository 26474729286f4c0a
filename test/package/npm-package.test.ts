import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {initialDemoState} from '../../source/builtin-cluster/demo/cluster.js';
import {ensureBuilt, repositoryRoot} from '../helpers/built-cli.js';

/*
 * The npm package as a laptop gets it: `npm pack`, then `npm install -g` of the tarball into a temporary
 * prefix, offline and with an empty cache (the bundle has every run-time dependency inside, so there is
 * nothing to fetch), then `svctop` and `kubectl-svctop` from that prefix's bin on the Node running this test.
 */

let directory: string;
let tarball: string;
let prefix: string;
let environment: Record<string, string>;

function run(command: string, args: readonly string[], options: {env?: Record<string, string>; cwd?: string} = {}) {
	return spawnSync(command, args, {cwd: options.cwd ?? directory, env: options.env ?? environment, encoding: 'utf8', timeout: 120_000});
}

describe('the npm package', {timeout: 5 * 60_000}, () => {
	before(() => {
		ensureBuilt();
		directory = mkdtempSync(path.join(os.tmpdir(), 'svctop-npm-'));
		prefix = path.join(directory, 'prefix');
		// The npm scripts' PATH (the project's node first), but nothing of the repository's node_modules/.bin but node.
		environment = {PATH: [path.join(prefix, 'bin'), path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'), HOME: path.join(directory, 'home'), LANG: 'C.UTF-8'};
		// The build is fresh (ensureBuilt); `prepare` would build it again.
		const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', directory], {cwd: repositoryRoot});
		assert.equal(packed.status, 0, packed.stderr);
		tarball = path.join(directory, (JSON.parse(packed.stdout) as Array<{filename: string}>)[0]!.filename);
	});

	after(() => {
		if (directory) {
			rmSync(directory, {recursive: true, force: true});
		}
	});

	test('the tarball holds the launcher and the bundle, no sources, and needs no dependencies', t => {
		const files = run('tar', ['-tzf', tarball]).stdout.split('\n').filter(Boolean);
		assert.ok(files.includes('package/bin/svctop.js'));
		assert.ok(files.includes('package/build/bundle/cli.js'));
		assert.deepEqual(files.filter(file => /^package\/(source|test|bench|packaging|node_modules|dist)\//.test(file)), []);
		const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json']).stdout) as {dependencies?: object; bin: Record<string, string>};
		assert.deepEqual(Object.keys(manifest.dependencies ?? {}), [], 'everything run-time is in the bundle');
		assert.deepEqual(Object.keys(manifest.bin).sort(), ['kubectl-svctop', 'svctop']);
		t.diagnostic(`${path.basename(tarball)}: ${(statSync(tarball).size / 1e6).toFixed(2)} MB, ${files.length} files`);
	});

	test('npm install -g installs it offline from the tarball, building nothing', () => {
		const installed = run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--cache', path.join(directory, 'cache'), '--foreground-scripts', '--no-audit', '--no-fund', tarball]);
		assert.equal(installed.status, 0, installed.stderr);
		assert.doesNotMatch(installed.stdout + installed.stderr, /> svctop@[^ ]+ (prepare|preinstall|install|postinstall)/, 'no lifecycle script ran');
		assert.doesNotMatch(installed.stderr, /EBADENGINE/);
	});

	test('svctop and kubectl-svctop are on PATH and run', () => {
		const {version} = JSON.parse(readFileSync(path.join(repositoryRoot, 'package.json'), 'utf8')) as {version: string};
		for (const command of ['svctop', 'kubectl-svctop']) {
			const result = run(command, ['--version']);
			assert.equal(result.status, 0, result.stderr);
			assert.ok(result.stdout.startsWith(`svctop ${version} (commit `), result.stdout);
			assert.ok(result.stdout.endsWith(`Node.js ${process.version})\n`), result.stdout);
		}

		const list = run('svctop', ['list', '--demo', '-A', '--json']);
		assert.equal(list.status, 0, list.stderr);
		const listed = (JSON.parse(list.stdout) as {services: Array<{namespace: string; name: string}>}).services.map(entry => `${entry.namespace}/${entry.name}`).sort();
		assert.deepEqual(listed, initialDemoState(Date.now()).services.map(service => `${service.metadata!.namespace}/${service.metadata!.name}`).sort());
	});

	test('kubectl svctop runs the installed plugin', t => {
		if (run('kubectl', ['version', '--client']).status !== 0) {
			t.skip('kubectl is not installed');
			return;
		}

		const plugins = run('kubectl', ['plugin', 'list']);
		assert.match(plugins.stdout, new RegExp(`${path.join(prefix, 'bin', 'kubectl-svctop')}`));
		const result = run('kubectl', ['svctop', 'list', '--demo', '--json']);
		assert.equal(result.status, 0, result.stderr);
		assert.equal(JSON.parse(result.stdout).context, 'kind-myk8s');
	});
});
