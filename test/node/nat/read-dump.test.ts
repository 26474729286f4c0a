import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
import {generateIptablesSave} from '../../../source/builtin-cluster/generate/iptables.js';
import {type CommandResult, type CommandRunner, readLocalNatDump, readNatDumpFile, readNodeNatDump, splitCommandTemplate} from '../../../source/node/nat/read-dump.js';
import {decodeNatFile} from '../../../source/node/nat/dump-file.js';
import {NatDecoder} from '../../../source/node/nat/nat-decoder.js';
import {nodePortCluster} from '../../fixtures/nat/plain-services.js';

const ok = (stdout: string): CommandResult => ({stdout, stderr: '', code: 0, timedOut: false});
/** kube-proxy's metrics address not answering, as on a machine without kube-proxy. */
const noMetrics = async () => null;

function fakeRunner(answers: Record<string, CommandResult>): {runner: CommandRunner; calls: string[][]} {
	const calls: string[][] = [];
	return {
		calls,
		runner: async argv => {
			calls.push([...argv]);
			return answers[argv.join(' ')] ?? {stdout: '', stderr: 'Error: No such file or directory', code: 1, timedOut: false};
		},
	};
}

describe('splitCommandTemplate', () => {
	const cases: Array<[string, string, string[]]> = [
		['ssh {node} sudo iptables-save', 'worker-1', ['ssh', 'worker-1', 'sudo', 'iptables-save']],
		['ssh {node} sudo iptables-save', 'a;rm -rf /', ['ssh', 'a;rm -rf /', 'sudo', 'iptables-save']],
		['ssh {node} sudo iptables-save', '$(touch x) `id` | cat', ['ssh', '$(touch x) `id` | cat', 'sudo', 'iptables-save']],
		['docker exec {node}-control iptables-save', 'kind', ['docker', 'exec', 'kind-control', 'iptables-save']],
		['sh -c "echo {node}"', 'n1', ['sh', '-c', 'echo n1']],
		['kubectl debug node/{node} -it --image \'busybox:1.36\'', 'n 2', ['kubectl', 'debug', 'node/n 2', '-it', '--image', 'busybox:1.36']],
	];
	for (const [template, node, expected] of cases) {
		test(`${template} with ${JSON.stringify(node)}`, () => {
			assert.deepEqual(splitCommandTemplate(template, node), expected);
		});
	}

	test('errors are values', () => {
		assert.deepEqual(splitCommandTemplate('ssh "{node}', 'x'), {error: '--node-cmd has an unclosed " quote'});
		assert.deepEqual(splitCommandTemplate('   ', 'x'), {error: '--node-cmd is empty'});
	});

	test('a hostile node name reaches the real process literally and runs nothing', async () => {
		const directory = mkdtempSync(join(tmpdir(), 'svtnat-'));
		const marker = join(directory, 'pwned');
		try {
			const node = `a;touch ${marker} $(touch ${marker}) \`touch ${marker}\``;
			const dump = await readNodeNatDump('printf %s {node}', node, {timeoutMs: 5000});
			assert.deepEqual(dump, {ok: true, text: node, mode: undefined, source: `printf %s ${node}`});
			assert.equal(existsSync(marker), false);
		} finally {
			rmSync(directory, {recursive: true, force: true});
		}
	});
});

describe('readLocalNatDump', () => {
	test('auto-detection prefers the nftables table', async () => {
		const {runner, calls} = fakeRunner({'nft list table ip kube-proxy': ok('table ip kube-proxy {\n}\n')});
		const dump = await readLocalNatDump({runner, proxyMode: noMetrics});
		assert.ok(dump.ok);
		assert.equal(dump.mode, 'nftables');
		assert.match(dump.source, /found the kube-proxy table/);
		assert.deepEqual(calls, [['nft', 'list', 'table', 'ip', 'kube-proxy'], ['nft', 'list', 'table', 'ip6', 'kube-proxy']]);
	});

	test('kube-proxy\'s metrics address decides the mode when it answers, and the source says so', async () => {
		const {runner, calls} = fakeRunner({'nft list table ip kube-proxy': ok('table ip kube-proxy {\n}\n'), 'iptables-save': ok('*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n')});
		const dump = await readLocalNatDump({runner, proxyMode: async () => 'iptables'});
		assert.ok(dump.ok);
		assert.equal(dump.mode, 'iptables');
		assert.match(dump.source, /^iptables-save \(mode iptables from kube-proxy's http:\/\/127\.0\.0\.1:10249\/proxyMode\)$/);
		assert.deepEqual(calls, [['iptables-save']]);
	});

	test('with both iptables backends, the one holding kube-proxy\'s chains is read', async () => {
		const {runner, calls} = fakeRunner({'iptables-save': ok('*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n'), 'iptables-legacy-save': ok('*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-X - [0:0]\nCOMMIT\n')});
		const dump = await readLocalNatDump({runner, proxyMode: noMetrics});
		assert.ok(dump.ok);
		assert.equal(dump.mode, 'iptables');
		assert.match(dump.source, /^iptables-legacy-save \(the iptables backend holding kube-proxy's chains\)/);
		assert.deepEqual(calls.map(call => call[0]), ['nft', 'nft', 'iptables-save', 'iptables-nft-save', 'iptables-legacy-save']);
	});

	test('then iptables-save when it has KUBE-SVC- chains', async () => {
		const {runner} = fakeRunner({'iptables-save': ok('*nat\n:KUBE-SVC-X - [0:0]\nCOMMIT\n')});
		const dump = await readLocalNatDump({runner, proxyMode: noMetrics});
		assert.ok(dump.ok && dump.mode === 'iptables');
	});

	test('then ipvsadm', async () => {
		const {runner} = fakeRunner({'iptables-save': ok('*nat\nCOMMIT\n'), 'ipvsadm -S -n': ok('-A -t 10.0.0.1:80 -s rr\n')});
		const dump = await readLocalNatDump({runner, proxyMode: noMetrics});
		assert.ok(dump.ok && dump.mode === 'ipvs');
	});

	const failures: Array<[string, CommandResult, RegExp]> = [
		['missing tool', {stdout: '', stderr: '', code: null, errorCode: 'ENOENT', timedOut: false}, /^iptables-save is not installed or not on PATH/],
		['not root', {stdout: '', stderr: 'iptables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n', code: 4, timedOut: false}, /^iptables-save needs root: run svctop nat with sudo/],
		['timeout', {stdout: '', stderr: '', code: null, timedOut: true}, /^iptables-save did not finish within 3s$/],
		['other failure', {stdout: '', stderr: 'boom\nmore', code: 2, timedOut: false}, /^iptables-save failed with exit code 2: boom$/],
	];
	for (const [name, result, expected] of failures) {
		test(`${name} is one clear line`, async () => {
			const dump = await readLocalNatDump({mode: 'iptables', timeoutMs: 3000, runner: async () => result});
			assert.equal(dump.ok, false);
			assert.ok(!dump.ok);
			assert.match(dump.error, expected);
			assert.equal(dump.error.includes('\n'), false);
		});
	}

	test('the real runner times out', async () => {
		const dump = await readNodeNatDump('sleep 5', 'x', {timeoutMs: 200});
		assert.ok(!dump.ok);
		assert.match(dump.error, /did not finish within 0s|did not finish/);
	});
});

describe('readNatDumpFile', () => {
	const dump = generateIptablesSave({...nodePortCluster(40, 3), nodeName: 'node-0', nodeIPs: ['10.0.0.1']}, {form: 'save'});

	test('a regular file is handed on unread, then decodes as it is read (in parts, inline and in the worker) to what its text does', async () => {
		const directory = mkdtempSync(join(tmpdir(), 'svtnat-read-'));
		try {
			const file = join(directory, 'iptables-save.txt');
			// Several read parts (1 MiB each), so lines and the COMMIT frame cross part boundaries.
			const big = dump.replace('*nat\n', `*nat\n${'# padding\n'.repeat(300_000)}`);
			writeFileSync(file, big);
			const read = await readNatDumpFile(file);
			assert.ok(read.ok && 'file' in read);
			assert.deepEqual([read.file, read.size], [file, Buffer.byteLength(big)]);
			const progress: number[] = [];
			const inline = decodeNatFile({...read, mode: undefined}, done => progress.push(done));
			assert.ok('table' in inline);
			assert.deepEqual(inline.table, decodeNatDump(big));
			assert.equal(inline.table.services.length, 40);
			assert.deepEqual(progress, [1, 2, 3].map(parts => Math.min(parts * 1024 * 1024, read.size)));
			const decoder = new NatDecoder(0);
			try {
				const inWorker = await decoder.decode({...read, mode: undefined});
				assert.deepEqual(inWorker, inline);
			} finally {
				decoder.close();
			}

			// Cut short, it is refused once read; with binary data, at its first part.
			writeFileSync(file, big.slice(0, big.lastIndexOf('COMMIT')));
			assert.match((decodeNatFile({...read, size: 0, mode: undefined}) as {error: string}).error, /looks cut short: .*not closed with COMMIT/);
			writeFileSync(file, Buffer.alloc(3 * 1024 * 1024));
			assert.match((decodeNatFile({...read, mode: undefined}) as {error: string}).error, /is binary data/);
		} finally {
			rmSync(directory, {recursive: true, force: true});
		}
	});

	test('reads what is not a regular file whole', async () => {
		const read = await readNatDumpFile('/dev/null');
		assert.ok(read.ok && 'text' in read);
		assert.equal(read.text.length, 0);
	});

	test('a missing file and a directory are one clear line each', async () => {
		assert.deepEqual(await readNatDumpFile('/nonexistent/dump.txt'), {ok: false, error: 'cannot read /nonexistent/dump.txt: no such file'});
		const directory = mkdtempSync(join(tmpdir(), 'svtnat-read-'));
		try {
			assert.deepEqual(await readNatDumpFile(directory), {ok: false, error: `cannot read ${directory}: is a directory`});
		} finally {
			rmSync(directory, {recursive: true, force: true});
		}
	});
});
