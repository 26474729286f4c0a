import {Buffer} from 'node:buffer';
import type {NatEndpoint, NatEntryKind, NatFlowTable, NatMasquerade, NatProblem} from './types.js';
import {addEntry, compareFlows, finishFlow, type FlowDraft, identifyFlow, newDraft} from './flow-builder.js';
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
const chainSize = 48;
const jumpSize = 16;
const markSize = 8;
const entrySize = 32;
const kindSvc = 1;
const kindExt = 3;
const entryServices = 1;
const entryNodePorts = 2;
const whatNodePortsJump = 2;
/** Lines per call into the scanner: between calls V8 may swap in optimized code. */
const linesPerCall = 4096;

type TemplateExports = {
	begin(length: number): void;
	scan(lines: number): number;
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

let compiled: object | undefined;
/** Memories handed out by templateInput and not yet scanned, by their buffer. */
const handedOut = new WeakMap<ArrayBuffer, ScannerMemory>();

function newMemory(length: number): ScannerMemory {
	return new WebAssembly.Memory({initial: Math.ceil((inputOffset + length + 16) / 65_536)});
}

/**
 * Room for a dump of `length` bytes inside a fresh scanner memory: a caller that reads the dump
 * into it spares the decoder a copy of the whole dump (and the page faults of a second copy).
 */
export function templateInput(length: number): Uint8Array {
	const memory = newMemory(length);
	handedOut.set(memory.buffer, memory);
	return new Uint8Array(memory.buffer, inputOffset, length);
}

/** The flow table of a dump the template scanner takes; null when the JavaScript decoders must read it. */
export function decodeIptablesTemplates(bytes: Uint8Array): NatFlowTable | null {
	compiled ??= new WebAssembly.Module(Buffer.from(iptablesTemplatesWasm, 'base64'));
	let memory = bytes.byteOffset === inputOffset ? handedOut.get(bytes.buffer as ArrayBuffer) : undefined;
	if (memory) {
		// Scanned once: the scanner's tables must start in zeroed memory.
		handedOut.delete(memory.buffer);
	} else {
		memory = newMemory(bytes.length);
		new Uint8Array(memory.buffer, inputOffset, bytes.length).set(bytes);
	}

	const instance = new WebAssembly.Instance(compiled, {
		env: {
			memory,
			abort() {
				throw new Error('iptables template scanner aborted');
			},
		},
	});
	const scanner = instance.exports as unknown as TemplateExports;
	scanner.begin(bytes.length);
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

	// Entries to walk: the draft, the entry's index in it, the chain it jumps to.
	const entryDrafts: number[] = [];
	const entryIndexes: number[] = [];
	const entryChains: number[] = [];
	const entryTotal = scanner.entryTotal();
	// KUBE-SERVICES first, then KUBE-NODEPORTS, whatever order the dump wrote the two chains in.
	for (const chain of [entryServices, entryNodePorts]) {
		for (let index = 0; index < entryTotal; index++) {
			const at = (entryBase + (index * entrySize)) >> 2;
			if (int32[at] !== chain || int32[at + 1] === whatNodePortsJump) {
				// The jump to KUBE-NODEPORTS says NodePorts are on every local address, as an entry with no address.
				continue;
			}

			const target = int32[at + 6]!;
			const targetName = chainName(target);
			const draftIndex = draftFor(targetName.slice(9));
			const draft = draftList[draftIndex]!;
			const comment = strings[int32[at + 5]!]!;
			identifyFlow(draft, {protocol: strings[int32[at + 2]!]!, comment});
			const kind: NatEntryKind = chain === entryNodePorts ? 'nodePort' : (kindFromComment(comment) ?? (chainKind(target) === kindSvc ? 'clusterIP' : 'externalIP'));
			const ip = chain === entryNodePorts ? null : strings[int32[at + 3]!]!;
			const before = draft.entries.length;
			addEntry(draft, {kind, ip, port: int32[at + 4]!, sourceRanges: [], localOnly: false, path: [], target: 'none', line: int32[at + 7]!});
			if (draft.entries.length > before) {
				entryDrafts.push(draftIndex);
				entryIndexes.push(before);
				entryChains.push(target);
			}
		}
	}

	// Later rules identify a flow only when its entry rule did not: that is the general path's work.
	for (const draft of draftList) {
		if (!draft.identified || draft.protocol === null) {
			return null;
		}
	}

	// Each chain's masquerade marks, read once.
	const marksByChain = new Map<number, Array<{line: number; condition: string}>>();
	const marksOf = (id: number): Array<{line: number; condition: string}> => {
		let found = marksByChain.get(id);
		if (!found) {
			found = [];
			const first = chainField(id, 24);
			for (let index = first, stop = first + chainField(id, 28); index < stop; index++) {
				const at = (markBase + (index * markSize)) >> 2;
				const source = int32[at + 1]!;
				const condition = source === -1 ? 'always' : masqueradeCondition({source: strings[source]!, sourceNegated: true, srcType: null, srcTypeNegated: false, other: null});
				found.push({line: int32[at]!, condition});
			}

			marksByChain.set(id, found);
		}

		return found;
	};

	const collectMasquerade = (draft: FlowDraft, id: number) => {
		const found = marksOf(id);
		if (found.length === 0) {
			return;
		}

		const chain = chainName(id);
		for (const {line, condition} of found) {
			if (!draft.masquerade.some(each => each.line === line)) {
				draft.masquerade.push({chain, condition, line} satisfies NatMasquerade);
			}
		}
	};

	// Walk each entry: straight to KUBE-SVC-, or KUBE-EXT- then the KUBE-SVC- it jumps to.
	for (let entry = 0; entry < entryDrafts.length; entry++) {
		const draftIndex = entryDrafts[entry]!;
		const draft = draftList[draftIndex]!;
		let id = entryChains[entry]!;
		const path: string[] = [];
		let target: 'cluster' | 'none' = 'none';
		for (;;) {
			path.push(chainName(id));
			collectMasquerade(draft, id);
			if (chainKind(id) === kindSvc) {
				if (draftChain[draftIndex] === -1) {
					draftChain[draftIndex] = id;
					draft.chain = chainName(id);
				}

				target = 'cluster';
				break;
			}

			// A KUBE-EXT- chain: the KUBE-SVC- chain it jumps to, -1 when none.
			const next = chainKind(id) === kindExt ? chainField(id, 12) : -1;
			if (next === -1) {
				break;
			}

			id = next;
		}

		const index = entryIndexes[entry]!;
		draft.entries[index] = {...draft.entries[index]!, path, target, sourceRanges: [], localOnly: false};
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
