import {test, describe, before} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Readable} from 'node:stream';
import {runNat} from '../../../source/commands/nat.js';
import type {CommandResult} from '../../../source/node/nat/read-dump.js';
import {ensureBuilt, svctopBin} from '../../helpers/built-cli.js';

/*
 * `svctop nat` on input that never ends or is not a dump: one line on stderr, a non-zero exit,
 * within a time limit (the CLI as a user runs it, so start-up is included).
 */

type Run = {code: number | null; stderr: string; stdout: string; ms: number};

/** Runs the built CLI; `feed` writes to its stdin until it exits. Killed after `limitMs`. */
async function svctop(args: string[], options: {stdinFile?: string; feed?: Buffer; limitMs?: number} = {}): Promise<Run> {
	const started = Date.now();
	const stdinFd = options.stdinFile ? openSync(options.stdinFile, 'r') : undefined;
	const child = spawn(process.execPath, [svctopBin, 'nat', ...args], {
		stdio: [stdinFd ?? (options.feed ? 'pipe' : 'ignore'), 'pipe', 'pipe'],
		// No cluster to look for: the rules are decoded alone.
		env: {...process.env, KUBECONFIG: '/nonexistent/kubeconfig'},
	});
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
	child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
	const killer = setTimeout(() => child.kill('SIGKILL'), options.limitMs ?? 15_000);
	if (options.feed && child.stdin) {
		// An endless writer: the same part again and again until the CLI stops reading.
		const feed = options.feed;
		child.stdin.on('error', () => undefined);
		const write = () => {
			while (!child.stdin!.destroyed && child.stdin!.write(feed)) { /* keep the pipe full */ }
		};

		child.stdin.on('drain', write);
		write();
	}

	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	clearTimeout(killer);
	if (stdinFd !== undefined) {
		closeSync(stdinFd);
	}

	return {code, stderr, stdout, ms: Date.now() - started};
}

/** One line, no stack trace. */
function assertOneLine(run: Run, pattern: RegExp) {
	assert.equal(run.stdout, '');
	assert.match(run.stderr, pattern);
	assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
	assert.doesNotMatch(run.stderr, /\n\s+at /);
}

describe('svctop nat on unbounded or bad input', () => {
	let directory = '';
	before(() => {
		ensureBuilt();
		directory = mkdtempSync(join(tmpdir(), 'svtnat-input-'));
		process.on('exit', () => rmSync(directory, {recursive: true, force: true}));
	});

	// Generous for 2 shared cores; the failure itself comes after the first 64 KiB or 1 MiB.
	const limitMs = 5000;

	test('--file /dev/zero', async t => {
		if (!existsSync('/dev/zero')) {
			t.skip('no /dev/zero here');
			return;
		}

		const run = await svctop(['--file', '/dev/zero'], {limitMs});
		assert.equal(run.code, 1);
		assertOneLine(run, /^svctop: \/dev\/zero is binary data \(a NUL byte at offset 0\), not a rule dump\n$/);
		assert.ok(run.ms < limitMs, `${run.ms} ms`);
	});

	test('--file /dev/stdin < /dev/zero', async t => {
		if (!existsSync('/dev/stdin')) {
			t.skip('no /dev/stdin here');
			return;
		}

		const run = await svctop(['--file', '/dev/stdin'], {stdinFile: '/dev/zero', limitMs});
		assert.equal(run.code, 1);
		assertOneLine(run, /^svctop: \/dev\/stdin is binary data/);
	});

	test('--file - < /dev/zero', async () => {
		const run = await svctop(['--file', '-'], {stdinFile: '/dev/zero', limitMs});
		assert.equal(run.code, 1);
		assertOneLine(run, /^svctop: stdin is binary data/);
	});

	test('a line that never ends on stdin (a 1 GB line) stops at the 1 MiB line limit', async () => {
		const run = await svctop(['--file', '-'], {feed: Buffer.alloc(64 * 1024, 'a'), limitMs});
		assert.equal(run.code, 1);
		assertOneLine(run, /^svctop: stdin: the line at byte 0 is longer than 1 MiB, the limit for one line of a rule dump\n$/);
		assert.ok(run.ms < limitMs, `${run.ms} ms`);
	});

	test('a file over --max-bytes is refused before it is read', async () => {
		const file = join(directory, 'big.txt');
		writeFileSync(file, '-A KUBE-SERVICES -j RETURN\n'.repeat(100_000));
		const run = await svctop(['--file', file, '--max-bytes', '1M'], {limitMs});
		assert.equal(run.code, 1);
		assertOneLine(run, /is 2\.6 MiB, over 1 MiB, the limit for a rule dump \(raise it with --max-bytes\)\n$/);
	});

	test('a bad --max-bytes is one line', async () => {
		const run = await svctop(['--file', '/dev/null', '--max-bytes', 'lots'], {limitMs});
		assert.equal(run.code, 2);
		assertOneLine(run, /^svctop: --max-bytes: "lots" is not a size/);
	});

	test('an empty file, binary garbage and a non-node dump: no kube-proxy rules, exit 1, no "0 service ports"', async () => {
		const empty = join(directory, 'empty.txt');
		writeFileSync(empty, '');
		const garbage = join(directory, 'garbage.bin');
		writeFileSync(garbage, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]));
		const firewall = join(directory, 'firewall.txt');
		const firewallRules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n';
		writeFileSync(firewall, firewallRules);
		for (const [file, pattern] of [
			[empty, /^svctop: no kube-proxy rules found in \S+empty\.txt: it is empty \(0 bytes\)\n$/],
			[garbage, /^svctop: \S+garbage\.bin is binary data \(a NUL byte at offset 7\), not a rule dump\n$/],
			[firewall, new RegExp(`^svctop: no kube-proxy rules found in \\S+firewall\\.txt: read ${firewallRules.length} bytes in 4 lines, none from kube-proxy`)],
		] as const) {
			// eslint-disable-next-line no-await-in-loop
			const run = await svctop(['--file', file], {limitMs});
			assert.equal(run.code, 1, file);
			assertOneLine(run, pattern);
			assert.doesNotMatch(run.stderr, /service ports|kube-proxy mode/);
		}
	});

	test('--node must be a node name, so it never reaches ssh as an option', async () => {
		const marker = join(directory, 'ran');
		const run = await svctop([`--node=-oProxyCommand=touch ${marker}`, '--node-cmd', 'ssh {node} sudo iptables-save'], {limitMs});
		assert.equal(run.code, 2, "a usage error");
		assertOneLine(run, /^svctop: --node "-oProxyCommand=touch \S+" is not a DNS-1123 subdomain/);
		assert.equal(existsSync(marker), false);
	});
});

describe('runNat connects to the API only after the rules are read', () => {
	test('bad input fails without waiting for a cluster', async () => {
		let connects = 0;
		const io = {
			stdin: Readable.from([Buffer.alloc(1024)]),
			stdout: {write: () => true} as unknown as NodeJS.WritableStream,
			stderr: {write: () => true} as unknown as NodeJS.WritableStream,
		};
		const code = await runNat({json: false, file: '-', connect: async () => {
			connects++;
			return {unreadable: 'not asked'};
		}}, io);
		assert.equal(code, 1);
		assert.equal(connects, 0);
	});
});

describe('--file - at a terminal', () => {
	test('says once that the dump is awaited on standard input; from a pipe it says nothing', async () => {
		const dump = '*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n';
		for (const isTTY of [true, false]) {
			const said: string[] = [];
			const stdin = Object.assign(Readable.from([Buffer.from(dump)]), isTTY ? {isTTY} : {});
			// eslint-disable-next-line no-await-in-loop
			await runNat({json: true, file: '-'}, {stdin, stdout: {write: () => true} as unknown as NodeJS.WritableStream, stderr: {write: (text: string) => said.push(text)} as unknown as NodeJS.WritableStream});
			assert.deepEqual(said.filter(text => text.includes('standard input')), isTTY ? ['svctop: reading the rules from standard input; paste the dump, then Ctrl-D\n'] : []);
		}
	});
});

describe('runNat on a node without kube-proxy rules', () => {
	test('says which tools were tried and exits 1', async () => {
		const answers: Record<string, CommandResult> = {
			'iptables-save': {stdout: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', stderr: '', code: 0, timedOut: false},
			'ipvsadm -S -n': {stdout: '', stderr: '', code: null, errorCode: 'ENOENT', timedOut: false},
		};
		let stderr = '';
		let stdout = '';
		const io = {
			stdin: Readable.from([]),
			stdout: {write: (text: string) => { stdout += text; return true; }} as unknown as NodeJS.WritableStream,
			stderr: {write: (text: string) => { stderr += text; return true; }} as unknown as NodeJS.WritableStream,
		};
		const code = await runNat({json: false, platform: 'linux', runner: async argv => answers[argv.join(' ')] ?? {stdout: '', stderr: 'Error: No such file or directory', code: 1, timedOut: false}}, io);
		assert.equal(code, 1);
		assert.equal(stdout, '');
		assert.equal(stderr, 'svctop: no kube-proxy rules found in iptables-save: read 35 bytes in 3 lines, none from kube-proxy (no KUBE- chain, no kube-proxy nftables table, no IPVS virtual service)'
			+ ' (also tried nft: no kube-proxy table; ipvsadm: ipvsadm is not installed or not on PATH (pass the dump with --file instead))\n');
	});

	test('a kernel without IPVS and no nft table: each said in a few words, iptables-save once', async () => {
		const answers: Record<string, CommandResult> = {
			'iptables-save': {stdout: '', stderr: '', code: 0, timedOut: false},
			'ipvsadm -S -n': {stdout: '', stderr: 'Can\'t initialize ipvs: Protocol not available\n', code: 2, timedOut: false},
		};
		let stderr = '';
		const io = {
			stdin: Readable.from([]),
			stdout: {write: () => true} as unknown as NodeJS.WritableStream,
			stderr: {write: (text: string) => { stderr += text; return true; }} as unknown as NodeJS.WritableStream,
		};
		assert.equal(await runNat({json: false, platform: 'linux', runner: async argv => answers[argv.join(' ')] ?? {stdout: '', stderr: 'Error: No such file or directory', code: 1, timedOut: false}}, io), 1);
		assert.equal(stderr, 'svctop: no kube-proxy rules found in iptables-save: it is empty (0 bytes) (also tried nft: no kube-proxy table; ipvsadm: IPVS is not in this kernel)\n');
	});
});
