import {Buffer} from 'node:buffer';
import type {NatEndpoint, NatEntryKind, NatFlowTable, NatMasquerade, NatProblem} from './types.js';
import {compareFlows, finishFlow, type FlowDraft, identifyFlow, newDraft} from './flow-builder.js';
import {kindFromComment, masqueradeCondition} from './decode-iptables-fast.js';
import {iptablesTemplatesWasm} from './assembly/iptables-templates.wasm.js';

/*
 * The template tier: kube-proxy's iptables-save text read by the WebAssembly scanner in
 * assembly/iptables-templates.as.ts, which files each rule into flat records when the whole dump
 * is written the way kube-proxy 1.24+ writes ordinary Services (policy Cluster, no affinity, no
 * firewall). The flows are built here from those records with the same steps and helpers as the
 * JavaScript fast path (decode-iptables-fast.ts), so both give the general decoder's table; on
 * any dump the scanner does not take, this returns null and those decoders read it.
 */

// Must match iptables-templates.as.ts: where the dump goes and the record layouts.
const inputOffset = 65_536;
const chainSize = 40;
const jumpSize = 16;
const markSize = 8;
const entrySize = 32;
const kindSvc = 1;
const kindExt = 3;
const entryServices = 1;
const entryNodePorts = 2;
const protocolNames = ['', 'tcp', 'udp', 'sctp'];
/** Lines per call into the scanner: between calls V8 may swap in optimized code. */
const linesPerCall = 4096;

type TemplateExports = {
	begin(length: number): void;
	scan(lines: number): number;
	scanArrived(available: number): number;
	failed(): number;
	chainTable(): number;
	chainTotal(): number;
	jumpTable(): number;
	markTable(): number;
	entryTable(): number;
	entryTotal(): number;
	stringTable(): number;
	stringTableEnd(): number;
	mark(): number;
};

// The part of WebAssembly used here: Node has it, ES2023's lib does not describe it.
declare const WebAssembly: {
	Module: new (bytes: Uint8Array) => object;
	Memory: new (descriptor: {initial: number}) => ScannerMemory;
	Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => {readonly exports: unknown};
};

type ScannerMemory = {readonly buffer: ArrayBuffer};

/** A dump being read into a scanner's memory, scanned as it arrives. */
type Session = {
	readonly memory: ScannerMemory;
	readonly scanner: TemplateExports;
	readonly length: number;
	/** False once the scanner has turned the dump down. */
	open: boolean;
};

let compiled: object | undefined;
/** Sessions of the buffers templateInput handed out, by buffer, until they are decoded. */
const sessions = new WeakMap<ArrayBuffer, Session>();

/**
 * A fresh scanner: memory for a dump of `length` bytes and room for its tables, as much again as
 * the dump (a kube-proxy dump needs about 0.8 of it). Untouched pages cost nothing, while growing
 * the memory midway costs the engine tens of milliseconds.
 */
function newSession(length: number): Session {
	compiled ??= new WebAssembly.Module(Buffer.from(iptablesTemplatesWasm, 'base64'));
	const memory = new WebAssembly.Memory({initial: Math.ceil((inputOffset + (2 * length) + (1 << 20)) / 65_536)});
	const instance = new WebAssembly.Instance(compiled, {
		env: {
			memory,
			abort() {
				throw new Error('iptables template scanner aborted');
			},
		},
	});
	const scanner = instance.exports as unknown as TemplateExports;
	scanner.begin(length);
	return {memory, scanner, length, open: true};
}

/**
 * Room for a dump of `length` bytes inside a fresh scanner: a caller that reads the dump into it
 * spares the decoder a copy of the whole dump, and may call templateArrived as parts of it come in.
 */
export function templateInput(length: number): Uint8Array {
	const session = newSession(length);
	sessions.set(session.memory.buffer, session);
	return new Uint8Array(session.memory.buffer, inputOffset, length);
}

/** The first `available` bytes of a buffer from templateInput are in: scan their whole lines now. */
export function templateArrived(bytes: Uint8Array, available: number): void {
	const session = sessions.get(bytes.buffer as ArrayBuffer);
	if (session?.open && bytes.byteOffset === inputOffset) {
		session.open = session.scanner.scanArrived(Math.min(available, session.length)) === 0;
	}
}

/** What decodeIptablesTemplates gives: the table, or the dump (where it now lies) for the other decoders. */
export type TemplateResult = {readonly table: NatFlowTable} | {readonly table: null; readonly bytes: Uint8Array};

/** The flow table of a dump the template scanner takes, or the dump back when the JavaScript decoders must read it. */
export function decodeIptablesTemplates(bytes: Uint8Array): TemplateResult {
	let session = bytes.byteOffset === inputOffset ? sessions.get(bytes.buffer as ArrayBuffer) : undefined;
	if (session && session.length === bytes.length) {
		// Scanned once: the scanner's tables only ever start empty.
		sessions.delete(bytes.buffer as ArrayBuffer);
	} else {
		session = newSession(bytes.length);
		new Uint8Array(session.memory.buffer, inputOffset, bytes.length).set(bytes);
	}

	const table = session.open ? finishScan(session) : null;
	// The scanner may have grown its memory, which moves the dump to a new buffer.
	return table ? {table} : {table: null, bytes: new Uint8Array(session.memory.buffer, inputOffset, session.length)};
}

function finishScan(session: Session): NatFlowTable | null {
	const {memory, scanner} = session;
	let status = scanner.scan(linesPerCall);
	while (status > 0) {
		status = scanner.scan(linesPerCall);
	}

	if (status < 0) {
		return null;
	}

	// The scanner grew the memory: views only now.
	const {buffer} = memory;
	const int32 = new Int32Array(buffer);
	const uint8 = new Uint8Array(buffer);
	const float64 = new Float64Array(buffer);
	const stringStart = scanner.stringTable();
	const strings = Buffer.from(buffer, stringStart, Math.max(0, scanner.stringTableEnd() - stringStart - 1)).toString('latin1').split('\n');
	const chainBase = scanner.chainTable();
	const jumpBase = scanner.jumpTable();
	const markBase = scanner.markTable();
	const entryBase = scanner.entryTable();

	const chainField = (id: number, offset: number): number => int32[(chainBase + (id * chainSize) + offset) >> 2]!;
	const chainKind = (id: number): number => uint8[chainBase + (id * chainSize)]!;
	const chainName = (id: number): string => strings[chainField(id, 4)]!;

	const memoryBytes = Buffer.from(buffer);

	// Flows by chain hash, in the order the entry rules name them, with the id of their KUBE-SVC- chain.
	const drafts = new Map<string, number>();
	const draftList: FlowDraft[] = [];
	const draftChain: number[] = [];
	const draftFor = (hash: string): number => {
		let index = drafts.get(hash);
		if (index === undefined) {
			index = draftList.length;
			drafts.set(hash, index);
			draftList.push(newDraft(hash));
			draftChain.push(-1);
		}

		return index;
	};

	// The wording of each `! -s CIDR` mark (kube-proxy writes one cluster CIDR, so one string).
	const conditions = new Map<number, string>();
	const conditionOf = (source: number): string => {
		let condition = conditions.get(source);
		if (condition === undefined) {
			condition = source === -1 ? 'always' : masqueradeCondition({source: strings[source]!, sourceNegated: true, srcType: null, srcTypeNegated: false, other: null});
			conditions.set(source, condition);
		}

		return condition;
	};

	/** The chain's masquerade marks, added to the flow unless it has them (by line) already. */
	const collectMasquerade = (draft: FlowDraft, id: number) => {
		const first = chainField(id, 24);
		const stop = first + chainField(id, 28);
		for (let index = first; index < stop; index++) {
			const at = (markBase + (index * markSize)) >> 2;
			const line = int32[at]!;
			if (!draft.masquerade.some(each => each.line === line)) {
				draft.masquerade.push({chain: chainName(id), condition: conditionOf(int32[at + 1]!), line} satisfies NatMasquerade);
			}
		}
	};

	/** The chains from an entry's first to its KUBE-SVC- chain (through a KUBE-EXT-), collecting their marks. */
	const walk = (draftIndex: number, first: number): {path: string[]; target: 'cluster' | 'none'} => {
		const draft = draftList[draftIndex]!;
		const path: string[] = [];
		for (let id = first; ;) {
			path.push(chainName(id));
			collectMasquerade(draft, id);
			if (chainKind(id) === kindSvc) {
				if (draftChain[draftIndex] === -1) {
					draftChain[draftIndex] = id;
					draft.chain = chainName(id);
				}

				return {path, target: 'cluster'};
			}

			// A KUBE-EXT- chain: on to the KUBE-SVC- chain it jumps to, if any.
			id = chainKind(id) === kindExt ? chainField(id, 12) : -1;
			if (id === -1) {
				return {path, target: 'none'};
			}
		}
	};

	// Each entry rule, walked as it is read (the steps and their order are the fast path's): KUBE-SERVICES
	// first, then KUBE-NODEPORTS, whatever order the dump wrote the two chains in.
	const entryTotal = scanner.entryTotal();
	for (const rule of [entryServices, entryNodePorts]) {
		for (let index = 0; index < entryTotal; index++) {
			const at = (entryBase + (index * entrySize)) >> 2;
			// The KUBE-SERVICES jump to KUBE-NODEPORTS (rule 3) says NodePorts are on every local address: an entry with no address.
			if (int32[at] !== rule) {
				continue;
			}

			const target = int32[at + 6]!;
			const draftIndex = draftFor(chainName(target).slice(9));
			const draft = draftList[draftIndex]!;
			// The comment names the Service; a KUBE-NODEPORTS rule's is only read when no earlier rule named it.
			const comment = rule === entryServices || !draft.identified ? memoryBytes.toString('latin1', int32[at + 4]!, int32[at + 5]!) : null;
			identifyFlow(draft, {protocol: protocolNames[int32[at + 1]!]!, comment});
			const kind: NatEntryKind = rule === entryNodePorts ? 'nodePort' : (kindFromComment(comment) ?? (chainKind(target) === kindSvc ? 'clusterIP' : 'externalIP'));
			const ip = rule === entryNodePorts ? null : strings[int32[at + 2]!]!;
			const port = int32[at + 3]!;
			if (draft.entries.some(each => each.kind === kind && each.ip === ip && each.port === port)) {
				continue;
			}

			const {path, target: reached} = walk(draftIndex, target);
			draft.entries.push({kind, ip, port, sourceRanges: [], localOnly: false, path, target: reached, line: int32[at + 7]!});
		}
	}

	// Later rules identify a flow only when its entry rule did not: that is the general path's work.
	for (const draft of draftList) {
		if (!draft.identified || draft.protocol === null) {
			return null;
		}
	}

	for (let index = 0; index < draftList.length; index++) {
		const id = draftChain[index]!;
		if (id !== -1) {
			const endpoints = dispatch(id);
			if (!endpoints) {
				return null;
			}

			draftList[index]!.endpoints = endpoints;
		}
	}

	const problems: NatProblem[] = [];
	const services = draftList.map(draft => finishFlow(draft, problems)).sort(compareFlows);
	const mark = scanner.mark();
	return {
		mode: 'iptables',
		variant: 'iptables-new',
		services,
		problems,
		masqueradeMark: mark === -1 ? null : strings[mark]!,
	};

	/** The endpoints of a KUBE-SVC- chain with their shares; null when the general path must decide. */
	function dispatch(id: number): NatEndpoint[] | null {
		const endpoints: NatEndpoint[] = [];
		let remaining = 1;
		let sawUnconditional = false;
		const first = chainField(id, 16);
		for (let index = first, stop = first + chainField(id, 20); index < stop; index++) {
			const at = jumpBase + (index * jumpSize);
			const written = float64[at >> 3]!;
			const endpoint = int32[(at >> 2) + 2]!;
			// An endpoint chain without its DNAT, or a jump after the unconditional one.
			if (sawUnconditional || uint8[chainBase + (endpoint * chainSize) + 3] !== 1) {
				return null;
			}

			const probability = written < 0 ? null : written;
			sawUnconditional = probability === null;
			// chainShares, one rule at a time.
			const share = probability === null ? remaining : remaining * probability;
			remaining = probability === null ? 0 : remaining - share;
			endpoints.push({
				ip: strings[chainField(endpoint, 8)]!,
				port: chainField(endpoint, 12),
				probability: share,
				chain: chainName(endpoint),
				written: probability,
				line: int32[(at >> 2) + 3]!,
				hairpinMasquerade: uint8[chainBase + (endpoint * chainSize) + 1] === 1,
			});
		}

		return endpoints.length > 0 && !sawUnconditional ? null : endpoints;
	}
}
