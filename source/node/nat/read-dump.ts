import {Buffer} from 'node:buffer';
import {type FileHandle, open} from 'node:fs/promises';
import {defaultDumpLimits, type DumpLimits, dumpChecker} from '../../core/nat/dump-limits.js';
import {formatBytes} from '../../util/format-bytes.js';
import type {NatMode} from '../../core/nat/types.js';

/** Result of running one command: never throws, errors are values. */
export type CommandResult = {
	readonly stdout: string;
	readonly stderr: string;
	/** Exit code, null when the process could not start or was killed. */
	readonly code: number | null;
	/** errno-style code when the process could not start (`ENOENT`, `EACCES`). */
	readonly errorCode?: string;
	readonly timedOut: boolean;
};

/** Runs argv without a shell. Injected in tests. */
export type CommandRunner = (argv: readonly string[], timeoutMs: number) => Promise<CommandResult>;

/** A dump as text or bytes in hand (decodeNatDump takes both). */
export type NatDumpText = {
	readonly ok: true;
	readonly text: string | Uint8Array;
	readonly mode: NatMode | undefined;
	readonly source: string;
	/** On a node, each tool asked and what it answered, when none of them had kube-proxy's rules. */
	readonly tried?: readonly string[];
};

/** A regular file within the size limit, decoded as it is read (never held whole; see node/nat/dump-file.ts). */
export type NatDumpFile = {
	readonly ok: true;
	readonly file: string;
	readonly size: number;
	readonly limits: DumpLimits;
	readonly mode: undefined;
	readonly source: string;
	readonly tried?: undefined;
};

/** A dump in hand, or why none could be read: what tools, streams and other nodes give. */
export type NatTextDump = NatDumpText | {readonly ok: false; readonly error: string};

export type NatDump = NatTextDump | NatDumpFile;

/** What the node's own tools print. */
type ToolDump = Exclude<NatTextDump, {ok: true}> | {readonly ok: true; readonly text: string; readonly mode: NatMode | undefined; readonly source: string};

export const defaultTimeoutMs = 20_000;

/** The real runner: execFile (no shell), output up to 512 MB. */
export const runCommand: CommandRunner = async (argv, timeoutMs) => {
	const [file, ...args] = argv;
	if (!file) {
		return {stdout: '', stderr: 'empty command', code: null, timedOut: false};
	}

	// Loaded when a command runs, so `svctop nat --file` never loads child_process (and net).
	const {execFile} = await import('node:child_process');
	return new Promise(resolve => {
		execFile(file, args, {timeout: timeoutMs, maxBuffer: 512 * 1024 * 1024, encoding: 'utf8', killSignal: 'SIGKILL'}, (error, stdout, stderr) => {
			if (!error) {
				resolve({stdout, stderr, code: 0, timedOut: false});
				return;
			}

			const failure = error as NodeJS.ErrnoException & {killed?: boolean; signal?: string | null; code?: number | string};
			resolve({
				stdout: stdout ?? '',
				stderr: stderr ?? '',
				code: typeof failure.code === 'number' ? failure.code : null,
				errorCode: typeof failure.code === 'string' ? failure.code : undefined,
				timedOut: Boolean(failure.killed) && failure.signal === 'SIGKILL',
			});
		});
	});
};

/**
 * Split a `--node-cmd` template into argv without a shell: words are separated by blanks,
 * single and double quotes group words, and `{node}` is replaced inside its word, so a node name
 * is always exactly one argument (or part of one) whatever characters it holds.
 */
export function splitCommandTemplate(template: string, node: string): string[] | {error: string} {
	const words: string[] = [];
	let current = '';
	let inWord = false;
	let quote: '"' | '\'' | null = null;
	for (let index = 0; index < template.length; index++) {
		const char = template[index]!;
		if (quote) {
			if (char === quote) {
				quote = null;
			} else if (char === '\\' && quote === '"' && (template[index + 1] === '"' || template[index + 1] === '\\')) {
				current += template[++index];
			} else {
				current += char;
			}

			continue;
		}

		if (char === '"' || char === '\'') {
			quote = char;
			inWord = true;
			continue;
		}

		if (char === ' ' || char === '\t' || char === '\n') {
			if (inWord) {
				words.push(current);
				current = '';
				inWord = false;
			}

			continue;
		}

		current += char;
		inWord = true;
	}

	if (quote) {
		return {error: `--node-cmd has an unclosed ${quote} quote`};
	}

	if (inWord) {
		words.push(current);
	}

	if (words.length === 0) {
		return {error: '--node-cmd is empty'};
	}

	// Substitute after splitting: the node name never becomes more than one word.
	return words.map(word => word.replaceAll('{node}', node));
}

function describeFailure(argv: readonly string[], result: CommandResult, timeoutMs: number): string {
	const name = argv[0] ?? '';
	if (result.errorCode === 'ENOENT') {
		return `${name} is not installed or not on PATH (pass the dump with --file instead)`;
	}

	if (result.errorCode === 'EACCES') {
		return `${name} cannot be executed (permission denied)`;
	}

	if (result.timedOut) {
		return `${argv.join(' ')} did not finish within ${Math.round(timeoutMs / 1000)}s`;
	}

	const stderr = result.stderr.trim().split('\n')[0] ?? '';
	if (/permission denied|operation not permitted|must be root|you must be root/i.test(result.stderr)) {
		return `${argv.join(' ')} needs root: run svctop nat with sudo, or pass a dump with --file (${stderr})`;
	}

	return `${argv.join(' ')} failed${result.code === null ? '' : ` with exit code ${result.code}`}${stderr ? `: ${stderr}` : ''}`;
}

async function run(argv: readonly string[], runner: CommandRunner, timeoutMs: number): Promise<ToolDump> {
	const result = await runner(argv, timeoutMs);
	if (result.code !== 0) {
		return {ok: false, error: describeFailure(argv, result, timeoutMs)};
	}

	return {ok: true, text: result.stdout, mode: undefined, source: argv.join(' ')};
}

/** kube-proxy's mode as its metrics server reports it, or null when it does not answer. Injected in tests. */
export type ProxyModeProbe = () => Promise<NatMode | null>;

/** kube-proxy's metrics address: loopback only (never a remote host), and a short timeout. */
export const kubeProxyModeUrl = 'http://127.0.0.1:10249/proxyMode';

export const askKubeProxyMode: ProxyModeProbe = async () => {
	try {
		const response = await fetch(kubeProxyModeUrl, {signal: AbortSignal.timeout(500), redirect: 'error'});
		const text = (await response.text()).trim();
		return response.ok && (text === 'iptables' || text === 'nftables' || text === 'ipvs') ? text : null;
	} catch {
		return null;
	}
};

/**
 * Read this machine's kube-proxy rules with its own tools. With a mode, run that mode's tool.
 * Without, take the mode from kube-proxy's metrics address when it answers; otherwise look for
 * the nftables table first, then iptables KUBE-SVC- chains, then IPVS virtual services. The
 * dump's `source` says which tool was read and how the mode was found.
 */
export async function readLocalNatDump(options: {mode?: NatMode; timeoutMs?: number; runner?: CommandRunner; proxyMode?: ProxyModeProbe} = {}): Promise<NatTextDump> {
	const runner = options.runner ?? runCommand;
	const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
	const readers = localReaders(runner, timeoutMs);
	if (options.mode) {
		return readers[options.mode]();
	}

	const reported = await (options.proxyMode ?? askKubeProxyMode)();
	if (reported) {
		const dump = await readers[reported]();
		return dump.ok ? {...dump, source: `${dump.source} (mode ${reported} from kube-proxy's ${kubeProxyModeUrl})`} : dump;
	}

	return detectLocalDump(readers);
}

type LocalReaders = Record<NatMode, () => Promise<ToolDump>>;

function localReaders(runner: CommandRunner, timeoutMs: number): LocalReaders {
	return {
		async nftables() {
			const v4 = await run(['nft', 'list', 'table', 'ip', 'kube-proxy'], runner, timeoutMs);
			const v6 = await run(['nft', 'list', 'table', 'ip6', 'kube-proxy'], runner, timeoutMs);
			if (!v4.ok && !v6.ok) {
				return v4;
			}

			return {ok: true, text: [v4, v6].map(each => (each.ok ? each.text : '')).join('\n'), mode: 'nftables', source: 'nft list table ip/ip6 kube-proxy'};
		},
		async iptables() {
			// Both iptables backends may exist: read the one holding kube-proxy's chains, as kube-proxy's own wrapper does.
			const dump = await run(['iptables-save'], runner, timeoutMs);
			if (dump.ok && dump.text.includes(':KUBE-SERVICES')) {
				return {...dump, mode: 'iptables'};
			}

			for (const tool of ['iptables-nft-save', 'iptables-legacy-save']) {
				// eslint-disable-next-line no-await-in-loop
				const other = await run([tool], runner, timeoutMs);
				if (other.ok && other.text.includes(':KUBE-SERVICES')) {
					return {...other, mode: 'iptables', source: `${tool} (the iptables backend holding kube-proxy's chains)`};
				}
			}

			return dump.ok ? {...dump, mode: 'iptables'} : dump;
		},
		async ipvs() {
			const dump = await run(['ipvsadm', '-S', '-n'], runner, timeoutMs);
			return dump.ok ? {...dump, mode: 'ipvs'} : dump;
		},
	};
}

/** No mode given and none reported: the first mode whose rules are present, each tool's answer kept for the error. */
async function detectLocalDump(readers: LocalReaders): Promise<NatTextDump> {
	const fromNft = await readers.nftables();
	// nft says "No such file or directory" for a table that is not there: the usual answer off nftables mode.
	const nft = `nft: ${fromNft.ok || /No such file or directory/.test(fromNft.error) ? 'no kube-proxy table' : fromNft.error}`;
	if (fromNft.ok && fromNft.text.includes('table ')) {
		return {...fromNft, source: `${fromNft.source} (found the kube-proxy table)`};
	}

	const fromIptables = await readers.iptables();
	if (fromIptables.ok && fromIptables.text.includes('KUBE-SVC-')) {
		return {...fromIptables, source: `${fromIptables.source} (found KUBE-SVC- chains)`};
	}

	const fromIpvs = await readers.ipvs();
	if (fromIpvs.ok && fromIpvs.text.trim() !== '') {
		return {...fromIpvs, source: `${fromIpvs.source} (found IPVS virtual services)`};
	}

	const ipvs = `ipvsadm: ${fromIpvs.ok ? 'no virtual service' : (/Protocol not available/.test(fromIpvs.error) ? 'IPVS is not in this kernel' : fromIpvs.error)}`;
	// iptables-save's own dump is then described by what reads it (empty, no KUBE- chain): the others are named beside it.
	if (fromIptables.ok) {
		return {...fromIptables, tried: [nft, ipvs]};
	}

	return {ok: false, error: `no kube-proxy rules found on this node (tried ${[nft, `iptables-save: ${fromIptables.error}`, ipvs].join('; ')})`};
}

/**
 * A dump file, within `limits`: a regular file over the size limit is refused before it is read,
 * any other is handed on to be decoded as it is read. A device or pipe such as /dev/zero is read
 * here in parts and fails at its first bad part.
 */
export async function readNatDumpFile(path: string, limits: DumpLimits = defaultDumpLimits): Promise<NatDump> {
	let handle: Awaited<ReturnType<typeof open>> | undefined;
	try {
		handle = await open(path, 'r');
		const stats = await handle.stat();
		if (!stats.isFile()) {
			return await readUnsized(handle, path, dumpChecker(path, limits));
		}

		if (stats.size > limits.maxBytes) {
			return {ok: false, error: `${path} is ${formatBytes(stats.size)}, over ${formatBytes(limits.maxBytes)}, the limit for a rule dump (raise it with --max-bytes)`};
		}

		return {ok: true, file: path, size: stats.size, limits, mode: undefined, source: path};
	} catch (error) {
		return {ok: false, error: cannotRead(path, error)};
	} finally {
		await handle?.close();
	}
}

/** `cannot read F: no such file`, and the like. */
export function cannotRead(path: string, error: unknown): string {
	const code = (error as NodeJS.ErrnoException).code;
	const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String((error as Error).message);
	return `cannot read ${path}: ${reason}`;
}

/** A device, pipe or socket, read part by part until it ends or a part breaks a limit. */
async function readUnsized(handle: FileHandle, source: string, check: (part: Uint8Array) => string | null): Promise<NatTextDump> {
	const parts: Uint8Array[] = [];
	for (;;) {
		const part = new Uint8Array(64 * 1024);
		// eslint-disable-next-line no-await-in-loop
		const {bytesRead} = await handle.read(part, 0, part.length, null);
		if (bytesRead === 0) {
			return {ok: true, text: Buffer.concat(parts), mode: undefined, source};
		}

		const error = check(part.subarray(0, bytesRead));
		if (error) {
			return {ok: false, error};
		}

		parts.push(part.subarray(0, bytesRead));
	}
}

/** Read a dump from a stream (stdin) within `limits`; the stream is closed at the first bad part. */
export async function readNatDumpStream(stream: NodeJS.ReadableStream, source: string, limits: DumpLimits = defaultDumpLimits): Promise<NatTextDump> {
	const check = dumpChecker(source, limits);
	const parts: Uint8Array[] = [];
	try {
		for await (const chunk of stream) {
			const part = typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Uint8Array;
			const error = check(part);
			if (error) {
				// Leaving the loop destroys the stream, so /dev/zero on stdin is not read on.
				return {ok: false, error};
			}

			parts.push(part);
		}
	} catch (error) {
		return {ok: false, error: `cannot read ${source}: ${(error as Error).message.split('\n')[0]!}`};
	}

	return {ok: true, text: Buffer.concat(parts), mode: undefined, source};
}

/** Run `--node-cmd` for one node (`{node}` substituted as one argument, no shell). */
export async function readNodeNatDump(template: string, node: string, options: {timeoutMs?: number; runner?: CommandRunner} = {}): Promise<NatTextDump> {
	const argv = splitCommandTemplate(template, node);
	if (!Array.isArray(argv)) {
		return {ok: false, error: argv.error};
	}

	return run(argv, options.runner ?? runCommand, options.timeoutMs ?? defaultTimeoutMs);
}
