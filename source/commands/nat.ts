import process from 'node:process';
import v8 from 'node:v8';
import type {ClusterSource} from '../kube/types.js';
import type {NatFlowTable, NatMode} from '../core/nat/types.js';
import {natApiOf} from '../core/nat/api-of.js';
import {crossCheckNat, type NatApiObjects} from '../core/nat/cross-check.js';
import {defaultDumpLimits} from '../core/nat/dump-limits.js';
import {invalidNodeName} from '../node/access/node-name.js';
import {filterNatServices, natJsonParts, renderNatText} from '../core/nat/render.js';
import {whyNoRules} from '../core/nat/why-no-rules.js';
import {NatSource} from '../node/nat/nat-source.js';
import {type CommandRunner, type NatDump, readLocalNatDump, readNatDumpFile, readNatDumpStream, readNodeNatDump} from '../node/nat/read-dump.js';

export type NatCommandOptions = {
	/** Dump file; `-` reads stdin. */
	readonly file?: string;
	/** Overrides format detection. */
	readonly mode?: NatMode;
	readonly json: boolean;
	/** `ns/name` or `ns/name:port`; a bare `name[:port]` is in `defaultNamespace`. */
	readonly service?: string;
	/** `-n`: only this namespace's Services (the rules are node-wide; without it all are shown). */
	readonly namespace?: string;
	/** The namespace of a bare --service name: -n, else the context's. Default `default`. */
	readonly defaultNamespace?: string;
	/** Template such as `ssh {node} sudo iptables-save`; needs `node`. */
	readonly nodeCmd?: string;
	readonly node?: string;
	/** When connected: names for chains and endpoints, and the cross-check. */
	readonly source?: ClusterSource;
	/** Connects when there is no `source`, after the rules are read: the cluster, or why there is none to check against. */
	readonly connect?: () => Promise<ClusterSource | {readonly unreadable: string}>;
	/** A dump already in hand (the demo serves its own). */
	readonly dump?: string;
	readonly timeoutMs?: number;
	/** Largest dump read from --file or stdin, in bytes (default 512 MiB). */
	readonly maxBytes?: number;
	/** Injected command runner (tests). */
	readonly runner?: CommandRunner;
	/** Platform, injected in tests; default process.platform. */
	readonly platform?: string;
};

export type NatIo = {
	readonly stdin: NodeJS.ReadableStream;
	readonly stdout: NodeJS.WritableStream;
	readonly stderr: NodeJS.WritableStream;
};

/** Where the rules come from: a dump in hand (demo), a file or stdin, another node's command, or this node's tools. */
export async function obtainDump(options: NatCommandOptions, io: NatIo): Promise<NatDump> {
	// The name goes into a command line as one argument; it must never be read as an option there.
	const badNode = options.node === undefined ? null : invalidNodeName(options.node);
	if (badNode) {
		return {ok: false, error: `--node ${JSON.stringify(options.node)} ${badNode}`};
	}

	if (options.dump !== undefined && options.file === undefined) {
		return {ok: true, text: options.dump, mode: undefined, source: 'demo'};
	}

	const limits = {...defaultDumpLimits, ...(options.maxBytes === undefined ? {} : {maxBytes: options.maxBytes})};
	if (options.file === '-') {
		// Typed at a terminal, the dump would seem to hang without a word: say what is awaited.
		if ((io.stdin as {isTTY?: boolean}).isTTY) {
			io.stderr.write('svctop: reading the rules from standard input; paste the dump, then Ctrl-D\n');
		}

		return readNatDumpStream(io.stdin, 'stdin', limits);
	}

	if (options.file !== undefined) {
		return readNatDumpFile(options.file, limits);
	}

	if (options.nodeCmd !== undefined) {
		if (!options.node) {
			return {ok: false, error: '--node-cmd needs --node NAME (the value for {node})'};
		}

		return readNodeNatDump(options.nodeCmd, options.node, {timeoutMs: options.timeoutMs, runner: options.runner});
	}

	if ((options.platform ?? process.platform) !== 'linux') {
		return {ok: false, error: 'reading the local rules needs Linux: pass a dump with --file FILE (or - for stdin), or --node-cmd'};
	}

	return readLocalNatDump({mode: options.mode, timeoutMs: options.timeoutMs, runner: options.runner});
}

/**
 * For the one-shot `svctop nat` process, before it reads: V8 grows the young generation while a
 * large dump makes short-lived garbage, and that growth, not the table, was most of the peak RSS
 * (5,000 Services x 10 endpoints: mixed iptables 256 -> 175 MB, nft 202 -> 145 MB, with 15-20% less
 * CPU). Left at V8's default for the long-running dashboard, whose GC trade-off (more, smaller
 * scavenges) is another question; runNat leaves it alone, so tests and the demo keep the default.
 */
export function keepYoungGenerationSmall(): void {
	v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/** `svctop nat`: decode kube-proxy's rules into one flow tree per Service port. Returns the exit code. */
export async function runNat(options: NatCommandOptions, io: NatIo): Promise<number> {
	// The dashboard's NAT view reads through the same store; here it decodes in this thread.
	const nat = new NatSource({load: async () => obtainDump(options, io), mode: options.mode, inlineBytes: Number.POSITIVE_INFINITY});
	const read = await nat.reload();
	nat.close();
	if (read.error !== undefined || !read.table) {
		io.stderr.write(`svctop: ${read.error ?? 'no rules read'}\n`);
		return 1;
	}

	let {table} = read;
	let unchecked: string | undefined;
	let api: NatApiObjects | undefined;
	const source = options.source ?? await options.connect?.();
	if (source && 'unreadable' in source) {
		unchecked = `not checked against the API: ${source.unreadable}`;
	} else if (source) {
		await source.ready();
		// Unlisted Services or EndpointSlices would make every rule or endpoint look stale: leave them out, and say so.
		({api, unchecked} = natApiOf(source.snapshot()));
		table = api ? crossCheckNat(table, api) : table;
	}

	if (options.service) {
		const service = options.service.includes('/') ? options.service : `${options.defaultNamespace ?? 'default'}/${options.service}`;
		const view = serviceView(table, service, api, unchecked);
		if ('error' in view) {
			io.stderr.write(`svctop: no kube-proxy rules for ${service} in ${read.origin}: ${view.error}\n`);
			return 1;
		}

		table = view.table;
	} else if (options.namespace !== undefined) {
		table = inNamespace(table, options.namespace);
	}

	if (unchecked) {
		table = {...table, notes: [...(table.notes ?? []), unchecked]};
	}

	// A large table's JSON is written in parts, never made into one string.
	for (const part of options.json ? natJsonParts(table) : [renderNatText(table)]) {
		io.stdout.write(part);
	}

	return 0;
}

/**
 * The flows of one Service (`NS/NAME` names its namespace: -n then only scopes what the API was asked
 * for), or why it has none: a note when that is kube-proxy's answer (ExternalName, headless), an error when not.
 */
function serviceView(table: NatFlowTable, service: string, api: NatApiObjects | undefined, unchecked: string | undefined): {table: NatFlowTable} | {error: string} {
	const shown = filterNatServices(table, service);
	if (shown.services.length === 0) {
		const why = whyNoRules(service, table, api, unchecked);
		return why.expected ? {table: {...shown, notes: [...(shown.notes ?? []), why.text]}} : {error: why.text};
	}

	const outside = api?.namespace !== undefined && !service.startsWith(`${api.namespace}/`);
	return {table: outside ? {...shown, notes: [...(shown.notes ?? []), `not checked against the API: it was asked for namespace ${api.namespace} only (-n)`]} : shown};
}

/** The flows of one namespace's Services; rules that name no Service cannot be placed, and a note says so. */
function inNamespace(table: NatFlowTable, namespace: string): NatFlowTable {
	const services = table.services.filter(flow => flow.identified && flow.service.startsWith(`${namespace}/`));
	const anonymous = table.services.filter(flow => !flow.identified).length;
	const note = anonymous > 0 ? [`${anonymous} Service port${anonymous === 1 ? '' : 's'} whose rules name no Service ${anonymous === 1 ? 'is' : 'are'} not shown with -n (no namespace to match)`] : [];
	return {...table, services, notes: [...(table.notes ?? []), ...note]};
}
