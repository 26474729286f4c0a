import {
	type IptablesRule, newPlainScan, parsePlainRule, parseRuleLine, plainComment, plainDestination, plainDestinationNegated, plainDport,
	plainProtocol, plainSource, plainSourceNegated, plainSrcType, plainSrcTypeNegated, plainTarget, scanPlainRule,
} from './iptables-parse.js';
import type {NatEndpoint, NatEntryKind, NatFlowTable, NatProblem} from './types.js';
import {iptablesChainHash} from './chain-names.js';
import {
	addEntry, addMasquerade, compareFlows, type EntryRule, finishFlow, type FlowDraft, hostAddress, identifyFlow, newDraft, splitHostPort,
} from './flow-builder.js';

/*
 * The dump kube-proxy (1.24+) writes for ordinary Services, decoded in one pass over the text
 * without an index: hashed chains (KUBE-SVC-, KUBE-SEP-, KUBE-EXT- plus 16 base32 characters) are
 * found by their hash in typed arrays, endpoint chains are read as their lines go by, and only
 * the few rules the flows are built from get a rule object. It answers only when the general
 * decoder would give the same table without a problem from parsing or walking; on anything else
 * (odd spacing, escapes, other chain kinds, deletions, filter REJECT rules, a dump that is not
 * iptables-save's) it returns null and the caller takes the general path.
 */

const kindSvc = 1;
const kindSep = 2;
const kindExt = 3;

const tableBits = 17;

// One scratch for every plain rule the fast path reads without a rule object.
const scan = newPlainScan();

/**
 * Decode kube-proxy's iptables-save text through the fast path; null when the general decoder
 * must decide (see above).
 */
export function decodeIptablesFast(text: string): NatFlowTable | null {
	// Escaped quotes and carriage returns are for the general tokenizer.
	if (text.indexOf('\\') !== -1 || text.indexOf('\r') !== -1) {
		return null;
	}

	// Hashed chains: open addressing on the two 40-bit halves of the hash.
	let bits = tableBits;
	while ((1 << bits) < text.length / 200) {
		bits++;
	}

	const size = 1 << bits;
	const mask = size - 1;
	// Slot: kind (0 = empty), the two halves, the chain's id (declaration order), side by side.
	const slots = new Float64Array(size * 4);
	// Per chain id: rules kept for later (SVC/EXT), whether its block was seen, endpoint data (SEP).
	const chainCapacity = size / 2;
	const chainKind = new Uint8Array(chainCapacity);
	const chainFirst = new Int32Array(chainCapacity);
	const chainRules = new Int32Array(chainCapacity);
	const chainSeen = new Uint8Array(chainCapacity);
	// Per endpoint chain, together: DNAT port + 1 (0 = no DNAT, -1 = a bad destination), hairpin mark,
	// odd rule; the address apart. Read while the chain's lines go by, not when a KUBE-SVC- jumps to it.
	const endpointData = new Int32Array(chainCapacity * 4);
	const endpointIps = new Array<string>(chainCapacity);
	let destinationIp = '';
	// Each hashed chain's name, in declaration order: iptables-save writes the rule blocks in that order.
	const names = new Array<string>(chainCapacity);
	let lastBlock = -1;

	let ruleCapacity = 4096;
	let ruleStarts = new Int32Array(ruleCapacity);
	let ruleEnds = new Int32Array(ruleCapacity);
	let ruleLines = new Int32Array(ruleCapacity);
	let ruleBang = new Uint8Array(ruleCapacity);
	let rules = 0;

	let high = 0;
	let low = 0;
	/** Kind of the hashed chain named text[from, to) (setting high/low), 0 when not one, -1 when odd. */
	const hashedName = (from: number, to: number): number => {
		if (to - from < 9 || text.charCodeAt(from) !== 75 || text.charCodeAt(from + 1) !== 85 || text.charCodeAt(from + 2) !== 66 || text.charCodeAt(from + 3) !== 69 || text.charCodeAt(from + 4) !== 45) {
			return 0;
		}

		// SVC-, SEP-, EXT- are read; SVL-, FW-, XLB- and KUBE-MARK-DROP are the general path's.
		const a = text.charCodeAt(from + 5);
		const b = text.charCodeAt(from + 6);
		const c = text.charCodeAt(from + 7);
		let kind = 0;
		if (text.charCodeAt(from + 8) === 45) {
			if (a === 83 && b === 86 && c === 67) {
				kind = kindSvc;
			} else if (a === 83 && b === 69 && c === 80) {
				kind = kindSep;
			} else if (a === 69 && b === 88 && c === 84) {
				kind = kindExt;
			} else if ((a === 83 && b === 86 && c === 76) || (a === 88 && b === 76 && c === 66)) {
				return -1;
			} else {
				return 0;
			}
		} else if ((a === 70 && b === 87 && c === 45) || text.startsWith('MARK-DROP', from + 5)) {
			return -1;
		} else {
			return 0;
		}

		if (to - from !== 25) {
			return -1;
		}

		const g0 = base32Group(text, from + 9);
		const g1 = base32Group(text, from + 13);
		const g2 = base32Group(text, from + 17);
		const g3 = base32Group(text, from + 21);
		if ((g0 | g1 | g2 | g3) < 0) {
			return -1;
		}

		const h = (g0 * 1_048_576) + g1;
		const l = (g2 * 1_048_576) + g3;
		high = h;
		low = l;
		return kind;
	};

	/** Slot (index / 4) of the chain hashed into high/low, or of the empty slot where it would go. */
	const slotFor = (kind: number): number => {
		let slot = (((low & 0xF_FF_FF) * 31) ^ (high & 0xF_FF_FF) ^ kind) & mask;
		for (;;) {
			const at = slot * 4;
			const found = slots[at]!;
			if (found === 0 || (found === kind && slots[at + 1] === high && slots[at + 2] === low)) {
				return at;
			}

			slot = (slot + 1) & mask;
		}
	};

	/** Id of a declared hashed chain of `kind` named source[from, to), -1 when there is none. */
	const declared = (from: number, to: number, kind: number): number => {
		if (hashedName(from, to) !== kind) {
			return -1;
		}

		const at = slotFor(kind);
		return slots[at] === kind ? slots[at + 3]! : -1;
	};

	type PlainChain = {name: string; first: number; count: number; seen: boolean; keep: boolean};
	const natChains = new Map<string, PlainChain>();
	const filterChains = new Map<string, PlainChain>();
	const tablesSeen = new Set<string>();
	let chains: Map<string, PlainChain> | undefined;
	let inNat = false;
	let hashedCount = 0;

	// Cursors to the next `!` and ` -s ` so a check on one line never scans the rest of the text.
	let nextBang = -2;
	let nextSource = -2;
	const hasBang = (from: number, to: number): boolean => {
		if (nextBang !== -1 && nextBang < from) {
			nextBang = text.indexOf('!', from);
		}

		return nextBang !== -1 && nextBang < to;
	};

	const hasSource = (from: number, to: number): boolean => {
		if (nextSource !== -1 && nextSource < from) {
			nextSource = text.indexOf(' -s ', from);
		}

		return nextSource !== -1 && nextSource + 4 <= to;
	};

	// The chain of the previous rule line: most lines continue it.
	let previousName = '';
	let previousSlot = -1;
	let previousPlain: PlainChain | undefined;
	let lineNumber = 0;
	let start = 0;
	const length = text.length;
	while (start < length) {
		let end = text.indexOf('\n', start);
		if (end === -1) {
			end = length;
		}

		lineNumber++;
		const lineStart = start;
		start = end + 1;
		const first = text.charCodeAt(lineStart);
		if (first === 45) {
			if (!chains || text.charCodeAt(lineStart + 1) !== 65 || text.charCodeAt(lineStart + 2) !== 32) {
				return null;
			}

			const nameStart = lineStart + 3;
			let slot: number;
			let plain: PlainChain | undefined;
			if (previousName !== '' && text.charCodeAt(nameStart + previousName.length) === 32 && text.startsWith(previousName, nameStart)) {
				slot = previousSlot;
				plain = previousPlain;
			} else {
				const nameEnd = text.indexOf(' ', nameStart);
				if (nameEnd === -1 || nameEnd >= end || nameEnd === nameStart) {
					return null;
				}

				const predicted = lastBlock + 1;
				const hit = predicted < hashedCount && nameEnd - nameStart === 25 && text.startsWith(names[predicted]!, nameStart);
				const kind = hit ? chainKind[predicted]! : hashedName(nameStart, nameEnd);
				if (kind < 0) {
					return null;
				}

				if (kind > 0) {
					if (hit) {
						slot = predicted;
					} else {
						const at = slotFor(kind);
						if (slots[at] !== kind) {
							return null;
						}

						slot = slots[at + 3]!;
					}

					if (!inNat || chainSeen[slot] === 1) {
						return null;
					}

					lastBlock = slot;

					chainSeen[slot] = 1;
					chainFirst[slot] = rules;
					plain = undefined;
				} else {
					slot = -1;
					plain = chains.get(text.slice(nameStart, nameEnd));
					if (!plain || plain.seen) {
						return null;
					}

					plain.seen = true;
					plain.first = rules;
				}

				previousName = slot >= 0 ? names[slot]! : plain!.name;
				previousSlot = slot;
				previousPlain = plain;
			}

			if (slot >= 0 && chainKind[slot] === kindSep) {
				if (!endpointRule(slot, lineStart, end)) {
					endpointData[(slot * 4) + 3] = 1;
				}

				continue;
			}

			if (plain && !plain.keep) {
				plain.count++;
				continue;
			}

			// SVC and EXT rules, and the entry chains: kept for the walk.
			if (rules === ruleCapacity) {
				ruleCapacity *= 2;
				ruleStarts = grow(ruleStarts, ruleCapacity);
				ruleEnds = grow(ruleEnds, ruleCapacity);
				ruleLines = grow(ruleLines, ruleCapacity);
				const bigger = new Uint8Array(ruleCapacity);
				bigger.set(ruleBang);
				ruleBang = bigger;
			}

			ruleBang[rules] = hasBang(lineStart, end) ? 1 : 0;

			ruleStarts[rules] = lineStart;
			ruleEnds[rules] = end;
			ruleLines[rules] = lineNumber;
			rules++;
			if (plain) {
				plain.count++;
			} else {
				chainRules[slot]++;
			}

			continue;
		}

		if (first === 58) {
			if (!chains) {
				return null;
			}

			const nameEnd = text.indexOf(' ', lineStart + 1);
			if (nameEnd === -1 || nameEnd >= end) {
				return null;
			}

			const kind = hashedName(lineStart + 1, nameEnd);
			if (kind < 0) {
				return null;
			}

			if (kind > 0) {
				// `:KUBE-SVC-… - [0:0]`, once, in the nat table.
				if (!inNat || end - nameEnd !== 8 || !literalAt(text, nameEnd, ' - [0:0]')) {
					return null;
				}

				const at = slotFor(kind);
				if (slots[at] !== 0 || hashedCount === chainCapacity) {
					return null;
				}

				slots[at] = kind;
				slots[at + 1] = high;
				slots[at + 2] = low;
				slots[at + 3] = hashedCount;
				names[hashedCount] = text.slice(lineStart + 1, nameEnd);
				chainKind[hashedCount++] = kind;

				continue;
			}

			const match = /^:([!-~]+) ([!-~]+) \[\d+:\d+\]$/.exec(text.slice(lineStart, end));
			if (!match || match[1]!.startsWith('-') || chains.has(match[1]!) || iptablesChainHash(match[1]!)) {
				return null;
			}

			const name = match[1]!;
			chains.set(name, {name, first: 0, count: 0, seen: false, keep: inNat && (name === 'KUBE-SERVICES' || name === 'KUBE-NODEPORTS' || name === 'KUBE-MARK-MASQ')});
			continue;
		}

		if (first === 42) {
			const name = text.slice(lineStart + 1, end);
			if (chains || tablesSeen.has(name) || (name !== 'nat' && name !== 'filter')) {
				return null;
			}

			tablesSeen.add(name);
			inNat = name === 'nat';
			chains = inNat ? natChains : filterChains;
			continue;
		}

		if (end - lineStart === 6 && text.startsWith('COMMIT', lineStart)) {
			if (!chains) {
				return null;
			}

			chains = undefined;
			previousName = '';
			continue;
		}

		if (end === lineStart || first === 35) {
			continue;
		}

		return null;
	}

	if (chains || !tablesSeen.has('nat')) {
		return null;
	}

	// The filter table's REJECT/DROP rules for Services without endpoints need the general path.
	for (const name of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS']) {
		if ((filterChains.get(name)?.count ?? 0) > 0) {
			return null;
		}
	}

	const problems: NatProblem[] = [];
	/** Rule `index` of the kept rules as the general decoder parses it; null when that could report a problem. */
	const ruleAt = (index: number): IptablesRule | null => {
		const plain = parsePlainRule(text, ruleStarts[index]!, ruleEnds[index]!, ruleLines[index]!, 'nat');
		if (plain) {
			return plain;
		}

		const parsed = parseRuleLine(text.slice(ruleStarts[index], ruleEnds[index]), ruleLines[index]!, 'nat', problems);
		return problems.length > 0 ? null : parsed;
	};

	/** Indexes [first, stop) of the kept rules of a plain nat chain; empty when the dump has none. */
	const keptRules = (name: string): [number, number] => {
		const chain = natChains.get(name);
		return chain?.seen ? [chain.first, chain.first + chain.count] : [0, 0];
	};

	const markRules: IptablesRule[] = [];
	for (let [index, stop] = keptRules('KUBE-MARK-MASQ'); index < stop; index++) {
		const rule = ruleAt(index);
		if (!rule) {
			return null;
		}

		markRules.push(rule);
	}

	const masqueradeMark = findMark(markRules);
	const {fields} = scan;
	const field = (at: number): string | null => (fields[at] === -1 ? null : text.slice(fields[at], fields[at + 1]));
	/** The fields of a kept rule the entries and marks are read from, without a full rule object when it is plain. */
	const readRule = (index: number): EntryRule | null => {
		if (scanPlainRule(text, ruleStarts[index]!, ruleEnds[index]!, scan)) {
			return {
				line: ruleLines[index]!,
				target: field(plainTarget),
				source: field(plainSource),
				sourceNegated: fields[plainSourceNegated] === 1,
				srcType: field(plainSrcType),
				srcTypeNegated: fields[plainSrcTypeNegated] === 1,
				destination: field(plainDestination),
				destinationNegated: fields[plainDestinationNegated] === 1,
				destinationPort: field(plainDport),
				protocol: field(plainProtocol)?.toLowerCase() ?? null,
				comment: field(plainComment),
				other: null,
			};
		}

		return ruleAt(index);
	};

	/** Slot of the declared hashed chain `name` of `kind` (found where the rule wrote it), -1 when none. */
	const slotOfName = (index: number, name: string, kind: number): number => {
		const from = ruleStarts[index]!;
		const at = text.lastIndexOf(name, ruleEnds[index]! - name.length);
		return at < from ? -1 : declared(at, at + name.length, kind);
	};

	// Flows by chain hash, in the order the entry rules name them, with the slot of their KUBE-SVC- chain.
	const drafts = new Map<string, number>();
	const draftList: FlowDraft[] = [];
	const draftChainSlot: number[] = [];
	const draftFor = (hash: string): number => {
		let index = drafts.get(hash);
		if (index === undefined) {
			index = draftList.length;
			drafts.set(hash, index);
			draftList.push(newDraft(hash));
			draftChainSlot.push(-1);
		}

		return index;
	};

	// Entries to walk: the draft, the entry's index in it, the slot of the chain it jumps to.
	const entryDrafts: number[] = [];
	const entryIndexes: number[] = [];
	const entrySlots: number[] = [];
	const addEntryStart = (draftIndex: number, kind: NatEntryKind, ip: string | null, port: number, rule: EntryRule, slot: number) => {
		const draft = draftList[draftIndex]!;
		const before = draft.entries.length;
		addEntry(draft, {kind, ip, port, sourceRanges: [], localOnly: false, path: [], target: 'none', line: rule.line});
		if (draft.entries.length > before) {
			entryDrafts.push(draftIndex);
			entryIndexes.push(before);
			entrySlots.push(slot);
		}
	};

	/** The draft and chain slot of an entry rule's jump; undefined to skip the rule, null to give up. */
	const entryTarget = (index: number, rule: EntryRule): {draft: number; slot: number; kind: 'SVC' | 'EXT'} | undefined | null => {
		const target = rule.target;
		const chain = target ? iptablesChainHash(target) : null;
		if (target === 'KUBE-MARK-MASQ' || (chain && chain.kind !== 'SVC' && chain.kind !== 'EXT')) {
			return null;
		}

		if (!chain || !target) {
			return undefined;
		}

		const slot = slotOfName(index, target, chain.kind === 'SVC' ? kindSvc : kindExt);
		return slot === -1 ? null : {draft: draftFor(chain.hash), slot, kind: chain.kind as 'SVC' | 'EXT'};
	};

	/** An entry rule and its jump (undefined when it jumps to no Service chain); null to give up. */
	const readEntry = (index: number): {rule: EntryRule; jump: ReturnType<typeof entryTarget>} | null => {
		const rule = readRule(index);
		const jump = rule ? entryTarget(index, rule) : null;
		return rule && jump !== null ? {rule, jump} : null;
	};

	const nodePortAddresses: Array<string | null> = [];
	for (let [index, stop] = keptRules('KUBE-SERVICES'); index < stop; index++) {
		const entry = readEntry(index);
		if (!entry) {
			return null;
		}

		const {rule, jump} = entry;
		if (rule.target === 'KUBE-NODEPORTS') {
			nodePortAddresses.push(rule.destination && !rule.destinationNegated ? hostAddress(rule.destination) : null);
			continue;
		}

		if (!jump) {
			continue;
		}

		const port = Number(rule.destinationPort);
		if (!rule.destination || !Number.isInteger(port)) {
			return null;
		}

		identifyFlow(draftList[jump.draft]!, rule);
		const kind = kindFromComment(rule.comment) ?? (jump.kind === 'SVC' ? 'clusterIP' : 'externalIP');
		addEntryStart(jump.draft, kind, hostAddress(rule.destination), port, rule, jump.slot);
	}

	for (let [index, stop] = keptRules('KUBE-NODEPORTS'); index < stop; index++) {
		const entry = readEntry(index);
		if (!entry) {
			return null;
		}

		const {rule, jump} = entry;
		if (!jump) {
			continue;
		}

		const port = Number(rule.destinationPort);
		if (!Number.isInteger(port)) {
			return null;
		}

		identifyFlow(draftList[jump.draft]!, rule);
		if (rule.destination) {
			addEntryStart(jump.draft, 'nodePort', hostAddress(rule.destination), port, rule, jump.slot);
		} else if (nodePortAddresses.length > 0 && nodePortAddresses.every(address => address !== null)) {
			for (const address of nodePortAddresses) {
				addEntryStart(jump.draft, 'nodePort', address, port, rule, jump.slot);
			}
		} else {
			addEntryStart(jump.draft, 'nodePort', null, port, rule, jump.slot);
		}
	}

	// Later rules identify a flow only when its entry rule did not: that is the general path's work.
	for (const draft of draftList) {
		if (!draft.identified || draft.protocol === null) {
			return null;
		}
	}

	/**
	 * `-A KUBE-EXT-… -m comment --comment "…" -j KUBE-MARK-MASQ`: kube-proxy's unconditional mark,
	 * which parsePlainRule reads as a rule with no condition.
	 */
	const plainMark = (index: number): boolean => {
		const from = ruleStarts[index]! + 28;
		const end = ruleEnds[index]!;
		return end - from > 41 && literalAt(text, from, ' -m comment --comment "') && literalAt(text, end - 19, '" -j KUBE-MARK-MASQ') && text.indexOf('"', from + 23) === end - 19;
	};

	// Masquerade rules of each kept chain, as collectMasquerade reads them (once per chain).
	const masqueradeBySlot = new Array<Array<{line: number; condition: string}> | undefined>(hashedCount);
	const collectMasquerade = (draft: FlowDraft, slot: number): boolean => {
		let marks = masqueradeBySlot[slot];
		if (!marks) {
			marks = [];
			for (let index = chainFirst[slot]!, stop = index + chainRules[slot]!; index < stop; index++) {
				const end = ruleEnds[index]!;
				if (end - ruleStarts[index]! < 18 || !literalAt(text, end - 18, ' -j KUBE-MARK-MASQ')) {
					continue;
				}

				if (plainMark(index)) {
					marks.push({line: ruleLines[index]!, condition: 'always'});
					continue;
				}

				const rule = readRule(index);
				if (rule?.target !== 'KUBE-MARK-MASQ') {
					return false;
				}

				marks.push({line: rule.line, condition: masqueradeCondition(rule)});
			}

			masqueradeBySlot[slot] = marks;
		}

		if (marks.length > 0) {
			const chain = names[slot]!;
			for (const {line, condition} of marks) {
				addMasquerade(draft, {chain, condition, line});
			}
		}

		return true;
	};

	/** The KUBE-SVC- chain a KUBE-EXT- chain jumps to (its first such jump): its slot, -1 for none, -2 to give up. */
	const externalNext = (slot: number): number => {
		let next = -1;
		for (let rule = chainFirst[slot]!, stop = rule + chainRules[slot]!; rule < stop; rule++) {
			// `-A KUBE-EXT-… -j KUBE-SVC-…` and the mark, read from the text.
			const end = ruleEnds[rule]!;
			if (end - ruleStarts[rule]! === 57 && literalAt(text, end - 29, ' -j KUBE-SVC-') && hashedName(end - 25, end) === kindSvc) {
				if (next === -1) {
					next = declared(end - 25, end, kindSvc);
					if (next === -1) {
						return -2;
					}
				}

				continue;
			}

			if (plainMark(rule)) {
				continue;
			}

			const parsed = ruleAt(rule);
			if (!parsed) {
				return -2;
			}

			const targetKind = parsed.target ? iptablesChainHash(parsed.target)?.kind : undefined;
			if (targetKind === 'SVL' || targetKind === 'EXT' || targetKind === 'FW' || targetKind === 'XLB') {
				return -2;
			}

			if (targetKind === 'SVC') {
				if (parsed.source || parsed.srcType) {
					return -2;
				}

				if (next === -1) {
					next = slotOfName(rule, parsed.target!, kindSvc);
					if (next === -1) {
						return -2;
					}
				}
			}
		}

		return next;
	};

	// Walk each entry: straight to KUBE-SVC-, or KUBE-EXT- then KUBE-SVC-.
	const nextBySlot = new Map<number, number>();
	for (let entry = 0; entry < entryDrafts.length; entry++) {
		const draftIndex = entryDrafts[entry]!;
		const draft = draftList[draftIndex]!;
		let slot = entrySlots[entry]!;
		const path: string[] = [];
		let target: 'cluster' | 'none' = 'none';
		for (;;) {
			path.push(names[slot]!);
			if (!collectMasquerade(draft, slot)) {
				return null;
			}

			if (chainKind[slot] === kindSvc) {
				if (draftChainSlot[draftIndex] === -1) {
					draftChainSlot[draftIndex] = slot;
					draft.chain = names[slot]!;
				}

				target = 'cluster';
				break;
			}

			let next = nextBySlot.get(slot);
			if (next === undefined) {
				next = externalNext(slot);
				nextBySlot.set(slot, next);
			}

			if (next === -2) {
				return null;
			}

			if (next === -1) {
				break;
			}

			slot = next;
		}

		const index = entryIndexes[entry]!;
		const entryNow = draft.entries[index]!;
		draft.entries[index] = {...entryNow, path, target, sourceRanges: [], localOnly: false};
	}

	for (let index = 0; index < draftList.length; index++) {
		const slot = draftChainSlot[index]!;
		if (slot !== -1) {
			const endpoints = dispatch(slot);
			if (!endpoints) {
				return null;
			}

			draftList[index]!.endpoints = endpoints;
		}
	}

	const services = draftList.map(draft => finishFlow(draft, problems)).sort(compareFlows);
	return {
		mode: 'iptables',
		variant: 'iptables-new',
		services,
		problems,
		masqueradeMark,
	};

	/** A KUBE-SEP- rule as quickEndpointRule reads it into the chain's data; false when it is not one. */
	function endpointRule(slot: number, from: number, to: number): boolean {
		if (hasBang(from, to)) {
			return false;
		}

		// The last ` -j ` is where one of the two shapes starts: nothing after it holds another.
		if (to - 18 >= from && text.charCodeAt(to - 1) === 81 && literalAt(text, to - 18, ' -j KUBE-MARK-MASQ')) {
			if (hasSource(from, to)) {
				endpointData[(slot * 4) + 2] = 1;
			}

			return true;
		}

		let space = to - 1;
		while (space >= from && text.charCodeAt(space) !== 32) {
			space--;
		}

		const jumpAt = space - 25;
		if (jumpAt < from || space === to - 1 || !literalAt(text, jumpAt, ' -j DNAT --to-destination ')) {
			return false;
		}

		const port = splitDestination(jumpAt + 26, to);
		endpointData[slot * 4] = port + 1;
		if (port >= 0) {
			endpointIps[slot] = destinationIp;
		}

		return true;
	}

	/** The endpoints of a KUBE-SVC- chain, as the general dispatch gives them; null on anything it would report. */
	function dispatch(slot: number): NatEndpoint[] | null {
		const endpoints: NatEndpoint[] = [];
		let remaining = 1;
		let sawUnconditional = false;
		for (let index = chainFirst[slot]!, stop = index + chainRules[slot]!; index < stop; index++) {
			const from = ruleStarts[index]!;
			const to = ruleEnds[index]!;
			let jumpAt: number;
			let target: number;
			if (ruleBang[index] === 0 && to - from > 29 && literalAt(text, to - 29, ' -j KUBE-SEP-')) {
				// kube-proxy's jump to an endpoint chain: its name is the line's last 25 characters.
				jumpAt = to - 29;
				target = declared(to - 25, to, kindSep);
				if (target === -1) {
					return null;
				}
			} else {
				// quickJump: no `!`, a plain target after the last ` -j `.
				if (ruleBang[index] === 1) {
					if (to - from >= 18 && literalAt(text, to - 18, ' -j KUBE-MARK-MASQ')) {
						// Read in full by collectMasquerade already: a mark, not a jump.
						continue;
					}

					return null;
				}

				jumpAt = text.lastIndexOf(' -j ', to - 4);
				if (jumpAt < from || jumpAt + 4 === to) {
					return null;
				}

				// A declared KUBE-SEP- name is plain base32; any other target must be one word to be a jump.
				target = literalAt(text, jumpAt + 4, 'KUBE-SEP-') ? declared(jumpAt + 4, to, kindSep) : -1;
				if (target === -1) {
					if (probabilityBefore(from, jumpAt, to) === -2) {
						return null;
					}

					for (let at = jumpAt + 4; at < to; at++) {
						const code = text.charCodeAt(at);
						if (code === 32 || code === 34) {
							return null;
						}
					}

					if (literalAt(text, jumpAt + 4, 'KUBE-SEP-') || (to === jumpAt + 18 && literalAt(text, jumpAt + 4, 'KUBE-MARK-DROP'))) {
						return null;
					}

					continue;
				}
			}

			const written = probabilityBefore(from, jumpAt, to);
			if (written === -2 || sawUnconditional) {
				return null;
			}

			if (endpointData[(target * 4) + 3] === 1 || endpointData[target * 4]! <= 0) {
				return null;
			}

			const probability = written === -1 ? null : written;
			sawUnconditional = probability === null;
			// chainShares, one rule at a time.
			const share = probability === null ? remaining : remaining * probability;
			remaining = probability === null ? 0 : remaining - share;
			endpoints.push({
				ip: endpointIps[target]!,
				port: endpointData[target * 4]! - 1,
				probability: share,
				chain: names[target]!,
				written: probability,
				line: ruleLines[index]!,
				hairpinMasquerade: endpointData[(target * 4) + 2] === 1,
			});
		}

		if (endpoints.length > 0 && !sawUnconditional) {
			return null;
		}

		return endpoints;
	}

	/**
	 * The `--probability` written just before the ` -j ` at `jumpAt` of the rule text[from, to): the
	 * number, -1 when the rule has none (and no other statistic, recent or goto word anywhere in the
	 * line, target included), -2 when the general path must decide.
	 */
	function probabilityBefore(from: number, jumpAt: number, to: number): number {
		let wordStart = jumpAt - 1;
		while (wordStart >= from && text.charCodeAt(wordStart) !== 32) {
			wordStart--;
		}

		if (wordStart - from > 14 && literalAt(text, wordStart - 14, ' --probability')) {
			const probability = decimalAt(wordStart + 1, jumpAt);
			return probability >= 0 && probability <= 1 ? probability : -2;
		}

		const raw = text.slice(from, to);
		return raw.includes('statistic') || raw.includes('recent') || raw.includes(' -g ') ? -2 : -1;
	}

	/** Number(text[from, to)); `0.` and up to 15 digits are read without a string (m / 10^k is exact). */
	function decimalAt(from: number, to: number): number {
		const digits = to - from - 2;
		if (digits < 1 || digits > 15 || text.charCodeAt(from) !== 48 || text.charCodeAt(from + 1) !== 46) {
			return Number(text.slice(from, to));
		}

		let value = 0;
		for (let at = from + 2; at < to; at++) {
			const code = text.charCodeAt(at) - 48;
			if (code < 0 || code > 9) {
				return Number(text.slice(from, to));
			}

			value = (value * 10) + code;
		}

		return value / powersOfTen[digits]!;
	}

	/** splitHostPort of text[from, to): the port (address in destinationIp), -1 when malformed. */
	function splitDestination(from: number, to: number): number {
		const colon = text.indexOf(':', from);
		if (text.charCodeAt(from) === 91 || colon === -1 || colon >= to) {
			return splitSlow(from, to);
		}

		let port = 0;
		for (let at = colon + 1; at < to; at++) {
			const code = text.charCodeAt(at);
			if (code < 48 || code > 57) {
				return splitSlow(from, to);
			}

			port = (port * 10) + code - 48;
		}

		if (colon === from || colon + 1 === to || port > 65_535) {
			return -1;
		}

		destinationIp = text.slice(from, colon);
		return port;
	}

	function splitSlow(from: number, to: number): number {
		const split = splitHostPort(text.slice(from, to));
		if (!split) {
			return -1;
		}

		destinationIp = split.ip;
		return split.port;
	}
}

/** Whether `literal` is written at `at` (a char loop: cheaper than startsWith for short literals). */
function literalAt(source: string, at: number, literal: string): boolean {
	const length = literal.length;
	if (at < 0 || at + length > source.length) {
		return false;
	}

	for (let index = 0; index < length; index++) {
		if (source.charCodeAt(at + index) !== literal.charCodeAt(index)) {
			return false;
		}
	}

	return true;
}

const base32Digits = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 32; digit++) {
	base32Digits['ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.charCodeAt(digit)] = digit;
}

/** Four base32 characters at `at` as a 20-bit number, negative when one is not base32. */
function base32Group(source: string, at: number): number {
	const a = source.charCodeAt(at);
	const b = source.charCodeAt(at + 1);
	const c = source.charCodeAt(at + 2);
	const d = source.charCodeAt(at + 3);
	if ((a | b | c | d) > 127) {
		return -1;
	}

	const da = base32Digits[a]!;
	const db = base32Digits[b]!;
	const dc = base32Digits[c]!;
	const dd = base32Digits[d]!;
	return (da | db | dc | dd) < 0 ? -1 : (da << 15) | (db << 10) | (dc << 5) | dd;
}

const powersOfTen = Array.from({length: 16}, (_, digits) => Number(`1e${digits}`));

function grow(array: Int32Array, capacity: number): Int32Array<ArrayBuffer> {
	const bigger = new Int32Array(capacity);
	bigger.set(array);
	return bigger;
}

export function kindFromComment(comment: string | null): NatEntryKind | null {
	if (!comment) {
		return null;
	}

	if (comment.endsWith(' cluster IP')) {
		return 'clusterIP';
	}

	if (comment.endsWith(' external IP')) {
		return 'externalIP';
	}

	if (comment.endsWith(' loadbalancer IP')) {
		return 'loadBalancer';
	}

	return null;
}

export function findMark(rules: IptablesRule[]): string | null {
	for (const rule of rules) {
		if (rule.target === 'MARK' && rule.setMark) {
			// `or-mark 0x4000`, `set-xmark 0x4000/0x4000`: the bit is the value before any mask.
			const value = rule.setMark.split(' ').at(-1)!;
			return value.split('/')[0]!;
		}
	}

	return null;
}

/** Human wording of a KUBE-MARK-MASQ rule's conditions. */
export function masqueradeCondition(rule: Pick<IptablesRule, 'source' | 'sourceNegated' | 'srcType' | 'srcTypeNegated' | 'other'>): string {
	const parts: string[] = [];
	if (rule.source) {
		parts.push(`${rule.sourceNegated ? 'source not in' : 'source'} ${rule.source}`);
	}

	if (rule.srcType) {
		parts.push(`source ${rule.srcTypeNegated ? 'is not' : 'is'} ${rule.srcType === 'LOCAL' ? 'a local address' : rule.srcType}`);
	}

	if (rule.other?.includes('--physdev-is-in')) {
		parts.push('bridged');
	}

	return parts.length > 0 ? parts.join(', ') : 'always';
}
