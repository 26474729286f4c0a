import {Buffer} from 'node:buffer';
import type {NatEndpoint, NatEntryKind, NatFlowTable, NatProblem} from './types.js';
import {addMasquerade, compareFlows, finishFlow, type FlowDraft, hasEntry, identifyFlow, newDraft} from './flow-builder.js';
import {kindFromComment, masqueradeCondition} from './decode-iptables-fast.js';
import {iptablesTemplatesWasm} from './assembly/iptables-templates.wasm.js';

/*
 * The template tier: kube-proxy's iptables-save text read by the WebAssembly scanner in
 * assembly/iptables-templates.as.ts, which files each rule into flat records when the whole dump
 * is written the way kube-proxy 1.24+ writes ordinary Services (policy Cluster, no affinity, no
 * firewall). The flows are built here from those records with the same steps and helpers as the
 * JavaScript fast path (decode-iptables-fast.ts), so both give the general decoder's table; a dump
 * the scanner does not take goes back to the caller for those decoders.
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
/** Lines per call into the scanner: between calls V8 may swap in optimized code (WebAssembly has no on-stack replacement). */
const linesPerCall = 2048;

type TemplateExports = {
	begin(length: number): void;
	scan(lines: number): number;
	scanArrived(available: number, lines: number): number;
	failed(): number;
	chainTable(): number;
	jumpTable(): number;
	markTable(): number;
	entryTable(): number;
	flowTotal(): number;
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
	const session = trySession(length);
	if (!session) {
		// No memory for a scanner (a dump of gigabytes): a plain buffer, for the JavaScript decoders.
		return new Uint8Array(length);
	}

	sessions.set(session.memory.buffer, session);
	return new Uint8Array(session.memory.buffer, inputOffset, length);
}

function trySession(length: number): Session | undefined {
	try {
		return newSession(length);
	} catch {
		return undefined;
	}
}

/** The first `available` bytes of a buffer from templateInput are in: scan their whole lines now. */
export function templateArrived(bytes: Uint8Array, available: number): void {
	const session = sessions.get(bytes.buffer as ArrayBuffer);
	if (session?.open && bytes.byteOffset === inputOffset) {
		const limit = Math.min(available, session.length);
		let read = scanSafely(() => session.scanner.scanArrived(limit, linesPerCall));
		while (read > 0) {
			read = scanSafely(() => session.scanner.scanArrived(limit, linesPerCall));
		}

		session.open = read === 0;
	}
}

/**
 * What decodeIptablesTemplates gives: the table, or the dump (where it now lies) for the other
 * decoders with the line the scanner stopped at (0 when the lines were fine but the flows they
 * make are not the template's, such as a Service without a name or an endpoint without a DNAT).
 */
export type TemplateResult = {readonly table: NatFlowTable} | {readonly table: null; readonly bytes: Uint8Array; readonly declinedAt: number};

/** The flow table of a dump the template scanner takes, or the dump back when the JavaScript decoders must read it. */
export function decodeIptablesTemplates(bytes: Uint8Array): TemplateResult {
	let session = bytes.byteOffset === inputOffset ? sessions.get(bytes.buffer as ArrayBuffer) : undefined;
	if (session && session.length === bytes.length) {
		// Scanned once: the scanner's tables only ever start empty.
		sessions.delete(bytes.buffer as ArrayBuffer);
	} else {
		session = trySession(bytes.length);
		if (!session) {
			return {table: null, bytes, declinedAt: 0};
		}

		new Uint8Array(session.memory.buffer, inputOffset, bytes.length).set(bytes);
	}

	const table = session.open ? finishScan(session) : null;
	// The scanner may have grown its memory, which moves the dump to a new buffer.
	return table ? {table} : {table: null, bytes: new Uint8Array(session.memory.buffer, inputOffset, session.length), declinedAt: session.scanner.failed()};
}

/** A scanner call's status; -1 (decline) when it traps, as it would if the memory could not grow. */
function scanSafely(call: () => number): number {
	try {
		return call();
	} catch {
		return -1;
	}
}

function finishScan(session: Session): NatFlowTable | null {
	const {memory, scanner} = session;
	let status = scanSafely(() => scanner.scan(linesPerCall));
	while (status > 0) {
		status = scanSafely(() => scanner.scan(linesPerCall));
	}

	if (status < 0) {
		return null;
	}

	// Views only now: the scanner may have grown the memory.
	const {buffer} = memory;
	const stringStart = scanner.stringTable();
	const records: Records = {
		int32: new Int32Array(buffer),
		uint8: new Uint8Array(buffer),
		float64: new Float64Array(buffer),
		bytes: Buffer.from(buffer),
		strings: Buffer.from(buffer, stringStart, Math.max(0, scanner.stringTableEnd() - stringStart - 1)).toString('latin1').split('\n'),
		chains: scanner.chainTable(),
		jumps: scanner.jumpTable(),
		marks: scanner.markTable(),
		entries: scanner.entryTable(),
	};
	const flows = entryFlows(records, scanner.flowTotal(), scanner.entryTotal());
	if (!flows || !addEndpoints(records, flows)) {
		return null;
	}

	const problems: NatProblem[] = [];
	const services = flows.drafts.map(draft => finishFlow(draft, problems)).sort(compareFlows);
	const mark = scanner.mark();
	return {
		mode: 'iptables',
		variant: 'iptables-new',
		services,
		problems,
		masqueradeMark: mark === -1 ? null : records.strings[mark]!,
	};
}

/** The scanner's records: views of its memory and its strings. */
type Records = {
	readonly int32: Int32Array;
	readonly uint8: Uint8Array;
	readonly float64: Float64Array;
	readonly bytes: Buffer;
	readonly strings: readonly string[];
	readonly chains: number;
	readonly jumps: number;
	readonly marks: number;
	readonly entries: number;
};

/** The flows, in the order the entry rules name them, and the KUBE-SVC- chain of each (-1 for none). */
type Flows = {drafts: FlowDraft[]; serviceChains: number[]};

function chainField(records: Records, id: number, offset: number): number {
	return records.int32[(records.chains + (id * chainSize) + offset) >> 2]!;
}

function chainKind(records: Records, id: number): number {
	return records.uint8[records.chains + (id * chainSize)]!;
}

function chainName(records: Records, id: number): string {
	return records.strings[chainField(records, id, 4)]!;
}

/**
 * Each entry rule, walked as it is read, with the fast path's steps in the fast path's order:
 * KUBE-SERVICES first, then KUBE-NODEPORTS, whatever order the dump wrote the two chains in.
 * Null when a flow is left without a name (the general path's work).
 */
function entryFlows(records: Records, flowTotal: number, entryTotal: number): Flows | null {
	const {int32, strings, bytes} = records;
	const flows: Flows = {drafts: [], serviceChains: []};
	// The draft of each of the scanner's flows, numbered here as this loop meets them.
	const draftOf = new Int32Array(flowTotal).fill(-1);
	const conditions = new Map<number, string>();
	for (const rule of [entryServices, entryNodePorts]) {
		for (let index = 0; index < entryTotal; index++) {
			const at = (records.entries + (index * entrySize)) >> 2;
			// The KUBE-SERVICES jump to KUBE-NODEPORTS (rule 3) says NodePorts are on every local address: an entry with no address.
			if ((int32[at]! & 0xFF) !== rule) {
				continue;
			}

			const target = int32[at + 6]!;
			let flow = draftOf[int32[at + 1]!]!;
			if (flow === -1) {
				flow = flows.drafts.length;
				draftOf[int32[at + 1]!] = flow;
				flows.drafts.push(newDraft(chainName(records, target).slice(9)));
				flows.serviceChains.push(-1);
			}

			const draft = flows.drafts[flow]!;
			// The comment names the Service; a KUBE-NODEPORTS rule's is only read when no earlier rule named it.
			const comment = rule === entryServices || !draft.identified ? bytes.toString('latin1', int32[at + 4]!, int32[at + 5]!) : null;
			identifyFlow(draft, {protocol: protocolNames[int32[at]! >> 8]!, comment});
			const kind: NatEntryKind = rule === entryNodePorts ? 'nodePort' : (kindFromComment(comment) ?? (chainKind(records, target) === kindSvc ? 'clusterIP' : 'externalIP'));
			const ip = rule === entryNodePorts ? null : strings[int32[at + 2]!]!;
			const port = int32[at + 3]!;
			if (hasEntry(draft, kind, ip, port)) {
				continue;
			}

			// Straight to KUBE-SVC-, or KUBE-EXT- then the KUBE-SVC- chain it jumps to, taking each chain's marks.
			const path: string[] = [];
			let reached: 'cluster' | 'none' = 'none';
			for (let id = target; id !== -1;) {
				path.push(chainName(records, id));
				addMarks(records, draft, id, conditions);
				if (chainKind(records, id) === kindSvc) {
					if (flows.serviceChains[flow] === -1) {
						flows.serviceChains[flow] = id;
						draft.chain = chainName(records, id);
					}

					reached = 'cluster';
					break;
				}

				id = chainKind(records, id) === kindExt ? chainField(records, id, 12) : -1;
			}

			draft.entries.push({kind, ip, port, sourceRanges: [], localOnly: false, path, target: reached, line: int32[at + 7]!});
		}
	}

	for (const draft of flows.drafts) {
		if (!draft.identified || draft.protocol === null) {
			return null;
		}
	}

	return flows;
}

/** A chain's masquerade marks, added to the flow (addMasquerade skips the ones it has). */
function addMarks(records: Records, draft: FlowDraft, id: number, conditions: Map<number, string>): void {
	const {int32, strings} = records;
	const first = chainField(records, id, 24);
	const stop = first + chainField(records, id, 28);
	for (let index = first; index < stop; index++) {
		const at = (records.marks + (index * markSize)) >> 2;
		// kube-proxy writes one cluster CIDR, so the scanner hands over one string and this words it once.
		const source = int32[at + 1]!;
		let condition = conditions.get(source);
		if (condition === undefined) {
			condition = source === -1 ? 'always' : masqueradeCondition({source: strings[source]!, sourceNegated: true, srcType: null, srcTypeNegated: false, other: null});
			conditions.set(source, condition);
		}

		addMasquerade(draft, {chain: chainName(records, id), condition, line: int32[at]!});
	}
}

/**
 * Each flow's endpoints from its KUBE-SVC- chain's jumps, with their shares (chainShares, one rule
 * at a time). False when one would need the general path: a jump to an endpoint chain without its
 * DNAT, a jump after the unconditional one, or no unconditional one at the end.
 */
function addEndpoints(records: Records, flows: Flows): boolean {
	const {int32, uint8, float64, strings, chains, jumps} = records;
	for (let flow = 0; flow < flows.drafts.length; flow++) {
		const id = flows.serviceChains[flow]!;
		if (id === -1) {
			continue;
		}

		const first = chainField(records, id, 16);
		const count = chainField(records, id, 20);
		const endpoints = new Array<NatEndpoint>(count);
		let remaining = 1;
		let sawUnconditional = false;
		for (let index = 0; index < count; index++) {
			const at = jumps + ((first + index) * jumpSize);
			const endpoint = chains + (int32[(at >> 2) + 2]! * chainSize);
			if (sawUnconditional || uint8[endpoint + 3] !== 1) {
				return false;
			}

			const written = float64[at >> 3]!;
			const probability = written < 0 ? null : written;
			sawUnconditional = probability === null;
			const share = probability === null ? remaining : remaining * probability;
			remaining = probability === null ? 0 : remaining - share;
			endpoints[index] = {
				ip: strings[int32[(endpoint + 8) >> 2]!]!,
				port: int32[(endpoint + 12) >> 2]!,
				probability: share,
				chain: strings[int32[(endpoint + 4) >> 2]!]!,
				written: probability,
				line: int32[(at >> 2) + 3]!,
				hairpinMasquerade: uint8[endpoint + 1] === 1,
			};
		}

		if (count > 0 && !sawUnconditional) {
			return false;
		}

		flows.drafts[flow]!.endpoints = endpoints;
	}

	return true;
}
