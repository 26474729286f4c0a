import type {NatProblem} from './types.js';

/**
 * One `-A`/`-I` rule of an iptables-save (or `iptables -S`) dump. Only the parameters kube-proxy
 * uses get their own field; anything else lands in `other` so nothing is silently lost.
 */
export type IptablesRule = {
	/** 1-based line number in the dump. */
	readonly line: number;
	/** The rule line as written. */
	readonly raw: string;
	readonly table: string;
	readonly chain: string;
	source: string | null;
	sourceNegated: boolean;
	destination: string | null;
	destinationNegated: boolean;
	protocol: string | null;
	destinationPort: string | null;
	comment: string | null;
	/** `-j` or `-g` target; null for a rule without one (kube-proxy's "will be dropped" FW rule). */
	target: string | null;
	/** True for `-g` (goto). */
	goto: boolean;
	/** `-m statistic --probability`, as a number and as written. */
	probability: number | null;
	probabilityText: string | null;
	toDestination: string | null;
	/** `-m recent`: `--set`, `--rcheck`, `--update` and friends. */
	recent: IptablesRecent | null;
	srcType: string | null;
	srcTypeNegated: boolean;
	dstType: string | null;
	dstTypeNegated: boolean;
	/** `--mark` of `-m mark` (a match); `--or-mark`/`--set-xmark`/`--set-mark` of `-j MARK` (an action). */
	markMatch: string | null;
	markMatchNegated: boolean;
	setMark: string | null;
	/** Names given to `-m`. */
	modules: string[];
	/** Options this parser has no field for, with their values, in order. */
	other: string[] | null;
};

export type IptablesRecent = {
	name: string | null;
	action: 'set' | 'rcheck' | 'update' | 'remove' | null;
	seconds: number | null;
	reap: boolean;
};

/**
 * A rule as stored by the parser: its line, raw text and chain. The options are parsed on first
 * use by `ruleDetails` (a 200,000-rule dump is mostly read by fast paths that never need them).
 */
export type IptablesRuleLine = {
	readonly line: number;
	readonly raw: string;
	readonly table: string;
	readonly chain: string;
	/** Cache for ruleDetails: undefined before, null when the rule could not be parsed. */
	details?: IptablesRule | null;
};

export type IptablesChain = {
	readonly name: string;
	/** Built-in policy (`ACCEPT`, `DROP`) or `-` for user chains; null when declared by `-N`. */
	readonly policy: string | null;
	/** `[packets:bytes]` as written, or null. */
	readonly counters: string | null;
	/** Line of the declaration, null when the chain was only seen in a rule. */
	readonly line: number | null;
	readonly rules: IptablesRuleLine[];
};

export type IptablesTable = {
	readonly name: string;
	readonly line: number | null;
	readonly chains: Map<string, IptablesChain>;
};

export type IptablesDump = {
	/** Tables in the order seen. A chain may appear in several tables (KUBE-SERVICES is in nat and filter). */
	readonly tables: Map<string, IptablesTable>;
	readonly ruleCount: number;
	readonly problems: NatProblem[];
};

export type IptablesParseOptions = {
	/** Table for rules that come before any `*table` line (`iptables -t nat -S` output). Default `nat`. */
	readonly defaultTable?: string;
	/** Parse every rule's options now, so `problems` covers every line. Default false (parsed on use). */
	readonly eager?: boolean;
};

/** The parsed options of a rule, parsed once; problems go to `problems`. Null when the line is not a rule. */
export function ruleDetails(rule: IptablesRuleLine, problems: NatProblem[]): IptablesRule | null {
	if (rule.details === undefined) {
		rule.details = parseRuleLine(rule.raw, rule.line, rule.table, problems);
	}

	return rule.details;
}

const flagsWithoutValue = new Set([
	'--rcheck', '--set', '--update', '--remove', '--reap', '--rsource', '--rdest', '--random',
	'--random-fully', '--physdev-is-in', '--physdev-is-out', '--physdev-is-bridged', '-f', '--fragment',
	'--syn', '--persistent',
]);

/**
 * A chain in the index: its rules are a linked list of rule ids (`first`, then `next[id]`), so
 * a 200,000-rule dump costs a few integer arrays instead of an object per rule.
 */
export type IndexedChain = {
	/** Position in declaration order over the whole dump (0, 1, …), for per-chain arrays. */
	readonly id: number;
	readonly name: string;
	readonly table: string;
	readonly policy: string | null;
	readonly counters: string | null;
	readonly line: number | null;
	/** First and last rule id, -1 when the chain is empty. */
	first: number;
	last: number;
};

export type IndexedTable = {
	readonly name: string;
	readonly line: number | null;
	readonly chains: Map<string, IndexedChain>;
};

/** Parser state of a table: chains in declaration order, and those only seen in rules so far. */
type TableState = {
	readonly table: IndexedTable;
	readonly declared: IndexedChain[];
	/** Where the last rule block's chain sits in `declared`. */
	cursor: number;
	/** Live chains created by a rule before (or without) any declaration. */
	readonly undeclared: Map<string, IndexedChain>;
	/** Deletions and second declarations seen: while zero, `declared` holds only live chains. */
	changes: number;
};

/**
 * The dump as offsets into its text: rule `id` is `text.slice(starts[id], ends[id])` on line
 * `lines[id]`. Rule options are parsed on use (`indexedRuleDetails`) and cached in `details`.
 */
export type IptablesIndex = {
	readonly text: string;
	readonly tables: Map<string, IndexedTable>;
	readonly ruleCount: number;
	readonly problems: NatProblem[];
	readonly starts: Int32Array;
	readonly ends: Int32Array;
	readonly lines: Int32Array;
	/** Next rule id in the same chain, -1 at the end. */
	readonly next: Int32Array;
	/** Parsed options by rule id (absent before, null when the rule could not be parsed). */
	readonly details: Map<number, IptablesRule | null>;
	/** How many chain ids were handed out (an upper bound for `IndexedChain.id`). */
	readonly chainIds: number;
	/** True when every rule was parsed while indexing (`IptablesParseOptions.eager`). */
	readonly eager: boolean;
};

/** The raw text of an indexed rule. */
export function indexedRuleRaw(index: IptablesIndex, id: number): string {
	return index.text.slice(index.starts[id], index.ends[id]);
}

/** The parsed options of an indexed rule, parsed once; problems go to `problems`. */
export function indexedRuleDetails(index: IptablesIndex, id: number, table: string, problems: NatProblem[]): IptablesRule | null {
	let details = index.details.get(id);
	if (details === undefined) {
		// Plain rules are read again when asked again: cheaper than keeping 20,000 parsed rules alive.
		const plain = parsePlainRule(index.text, index.starts[id]!, index.ends[id]!, index.lines[id]!, table);
		if (plain) {
			return plain;
		}

		details = parseRuleLine(indexedRuleRaw(index, id), index.lines[id]!, table, problems);
		index.details.set(id, details);
	}

	return details;
}

/** A rule with nothing matched yet; both the fast path and the tokenizer fill it in. */
function emptyRule(line: number, raw: string, table: string, chain: string): IptablesRule {
	return {
		line,
		raw,
		table,
		chain,
		source: null,
		sourceNegated: false,
		destination: null,
		destinationNegated: false,
		protocol: null,
		destinationPort: null,
		comment: null,
		target: null,
		goto: false,
		probability: null,
		probabilityText: null,
		toDestination: null,
		recent: null,
		srcType: null,
		srcTypeNegated: false,
		dstType: null,
		dstTypeNegated: false,
		markMatch: null,
		markMatchNegated: false,
		setMark: null,
		modules: [],
		other: null,
	};
}

/*
 * Where scanPlainRule leaves each option's value: [start, end) pairs of offsets into the text,
 * -1 when the option is absent, and 1 for a negated -s, -d, --src-type or --dst-type.
 */
export const plainChain = 0;
export const plainSource = 2;
export const plainSourceNegated = 4;
export const plainDestination = 5;
export const plainDestinationNegated = 7;
export const plainProtocol = 8;
export const plainComment = 10;
export const plainDport = 12;
export const plainProbability = 14;
export const plainTarget = 16;
export const plainToDestination = 18;
export const plainSrcType = 20;
export const plainSrcTypeNegated = 22;
export const plainDstType = 23;
export const plainDstTypeNegated = 25;

/** Scratch space for scanPlainRule: offsets of the values, `-m` names in order, the probability. */
export type PlainScan = {fields: Int32Array; modules: number[]; probability: number};

export function newPlainScan(): PlainScan {
	return {fields: new Int32Array(26), modules: [], probability: 0};
}

/**
 * `parseRuleLine` for the rules kube-proxy writes by the ten thousand, read straight from the
 * text: single spaces, plain words, one double-quoted comment without escapes, and only the
 * options -s -d (either negated), -p -m --comment --dport --mode --probability -j
 * --to-destination --src-type --dst-type. Anything else, and anything parseRuleLine would
 * report as a problem, returns null so the caller takes the full parser; when it returns a
 * rule, that rule is what parseRuleLine returns for the same line.
 */
export function parsePlainRule(text: string, start: number, end: number, line: number, table: string): IptablesRule | null {
	if (!scanPlainRule(text, start, end, sharedScan)) {
		return null;
	}

	const {fields, modules} = sharedScan;
	const value = (at: number): string | null => (fields[at] === -1 ? null : text.slice(fields[at], fields[at + 1]));
	const rule = emptyRule(line, text.slice(start, end), table, value(plainChain)!);
	rule.source = value(plainSource);
	rule.sourceNegated = fields[plainSourceNegated] === 1;
	rule.destination = value(plainDestination);
	rule.destinationNegated = fields[plainDestinationNegated] === 1;
	rule.protocol = value(plainProtocol)?.toLowerCase() ?? null;
	rule.destinationPort = value(plainDport);
	rule.comment = value(plainComment);
	rule.target = value(plainTarget);
	if (fields[plainProbability] !== -1) {
		rule.probability = sharedScan.probability;
		rule.probabilityText = value(plainProbability);
	}

	rule.toDestination = value(plainToDestination);
	rule.srcType = value(plainSrcType);
	rule.srcTypeNegated = fields[plainSrcTypeNegated] === 1;
	rule.dstType = value(plainDstType);
	rule.dstTypeNegated = fields[plainDstTypeNegated] === 1;
	for (let index = 0; index < modules.length; index += 2) {
		rule.modules.push(text.slice(modules[index], modules[index + 1]));
	}

	return rule;
}

const sharedScan = newPlainScan();

/**
 * parsePlainRule without the rule object: the offsets of each value go to `scan`, so a caller
 * that needs two fields of a rule slices only those. False when parsePlainRule would return null.
 */
export function scanPlainRule(text: string, start: number, end: number, scan: PlainScan): boolean {
	if (!text.startsWith('-A ', start)) {
		return false;
	}

	const {fields, modules} = scan;
	fields.fill(-1);
	fields[plainSourceNegated] = 0;
	fields[plainDestinationNegated] = 0;
	fields[plainSrcTypeNegated] = 0;
	fields[plainDstTypeNegated] = 0;
	modules.length = 0;
	let at = start + 3;
	let wordEnd = plainWordEnd(text, at, end);
	if (wordEnd === at || text.charCodeAt(at) === 45 || (wordEnd === at + 1 && text.charCodeAt(at) === 33)) {
		return false;
	}

	fields[plainChain] = at;
	fields[plainChain + 1] = wordEnd;
	let negate = false;
	at = wordEnd;
	while (at < end) {
		// One space, then an option word.
		if (text.charCodeAt(at) !== 32) {
			return false;
		}

		at++;
		wordEnd = plainWordEnd(text, at, end);
		if (wordEnd === at || text.charCodeAt(at) !== 45) {
			if (wordEnd === at + 1 && text.charCodeAt(at) === 33 && !negate) {
				negate = true;
				at = wordEnd;
				continue;
			}

			return false;
		}

		const option = optionCode(text, at, wordEnd);
		if (option === 0 || (negate && option !== optionSource && option !== optionDestination && option !== optionSrcType && option !== optionDstType)) {
			return false;
		}

		// The value: a quoted comment or a plain word.
		at = wordEnd;
		if (at >= end || text.charCodeAt(at) !== 32) {
			return false;
		}

		at++;
		let valueStart = at;
		let valueEnd: number;
		if (option === optionComment && text.charCodeAt(at) === 34) {
			const close = quotedEnd(text, at + 1, end);
			if (close === -1) {
				return false;
			}

			valueStart = at + 1;
			valueEnd = close;
			at = close + 1;
			// parseRuleLine would add the following words to the comment unless an option follows.
			if (at < end && !(text.charCodeAt(at) === 32 && startsOption(text, at + 1, end))) {
				return false;
			}
		} else {
			wordEnd = plainWordEnd(text, at, end);
			if (wordEnd === at) {
				return false;
			}

			valueEnd = wordEnd;
			at = wordEnd;
			if (option === optionComment && at < end && !(text.charCodeAt(at) === 32 && startsOption(text, at + 1, end))) {
				return false;
			}
		}

		const slot = optionField[option]!;
		if (slot === -2) {
			modules.push(valueStart, valueEnd);
		} else if (slot >= 0) {
			fields[slot] = valueStart;
			fields[slot + 1] = valueEnd;
			const negatedAt = optionNegatedField[option]!;
			if (negatedAt >= 0) {
				fields[negatedAt] = negate ? 1 : 0;
			}

			if (option === optionProbability) {
				const probability = Number(text.slice(valueStart, valueEnd));
				if (!Number.isFinite(probability) || probability < 0 || probability > 1) {
					return false;
				}

				scan.probability = probability;
			}
		}

		negate = false;
	}

	return !negate;
}

const optionSource = 1;
const optionDestination = 2;
const optionProtocol = 3;
const optionMatch = 4;
const optionComment = 5;
const optionDport = 6;
const optionMode = 7;
const optionProbability = 8;
const optionJump = 9;
const optionToDestination = 10;
const optionSrcType = 11;
const optionDstType = 12;

// Field of each option code in PlainScan.fields; -2 for -m (kept in order), -1 for --mode (ignored).
const optionField = [-1, plainSource, plainDestination, plainProtocol, -2, plainComment, plainDport, -1, plainProbability, plainTarget, plainToDestination, plainSrcType, plainDstType];
const optionNegatedField = [-1, plainSourceNegated, plainDestinationNegated, -1, -1, -1, -1, -1, -1, -1, -1, plainSrcTypeNegated, plainDstTypeNegated];

/** Which of the plain options text[from, to) is, 0 for any other. */
function optionCode(text: string, from: number, to: number): number {
	const length = to - from;
	if (length === 2) {
		switch (text.charCodeAt(from + 1)) {
			case 115: {
				return optionSource;
			}

			case 100: {
				return optionDestination;
			}

			case 112: {
				return optionProtocol;
			}

			case 109: {
				return optionMatch;
			}

			case 106: {
				return optionJump;
			}

			default: {
				return 0;
			}
		}
	}

	if (text.charCodeAt(from + 1) !== 45) {
		return 0;
	}

	switch (length) {
		case 6: {
			return text.startsWith('--mode', from) ? optionMode : 0;
		}

		case 7: {
			return text.startsWith('--dport', from) ? optionDport : 0;
		}

		case 9: {
			return text.startsWith('--comment', from) ? optionComment : 0;
		}

		case 10: {
			return text.startsWith('--src-type', from) ? optionSrcType : (text.startsWith('--dst-type', from) ? optionDstType : 0);
		}

		case 13: {
			return text.startsWith('--probability', from) ? optionProbability : 0;
		}

		case 16: {
			return text.startsWith('--to-destination', from) ? optionToDestination : 0;
		}

		default: {
			return 0;
		}
	}
}

/** End of a word of printable ASCII other than quotes and backslashes starting at `from`. */
function plainWordEnd(text: string, from: number, to: number): number {
	let at = from;
	while (at < to) {
		const code = text.charCodeAt(at);
		if (code <= 32 || code >= 127 || code === 34 || code === 92) {
			break;
		}

		at++;
	}

	return at;
}

/** Closing quote of a quoted word without escapes, followed by a space or the end; else -1. */
function quotedEnd(text: string, from: number, to: number): number {
	for (let at = from; at < to; at++) {
		const code = text.charCodeAt(at);
		if (code === 34) {
			return at + 1 === to || text.charCodeAt(at + 1) === 32 ? at : -1;
		}

		if (code === 92) {
			return -1;
		}
	}

	return -1;
}

/** Whether the plain word at `from` is one parseRuleLine takes for an option (`-x`, `--word`, `!`). */
function startsOption(text: string, from: number, to: number): boolean {
	const wordEnd = plainWordEnd(text, from, to);
	if (wordEnd === to || text.charCodeAt(wordEnd) === 32) {
		const length = wordEnd - from;
		if (length === 1) {
			return text.charCodeAt(from) === 33;
		}

		if (length >= 2 && text.charCodeAt(from) === 45) {
			const second = text.charCodeAt(from + 1);
			return second === 45 ? length > 2 && isLetter(text.charCodeAt(from + 2)) : length === 2 && isLetter(second);
		}
	}

	return false;
}

/** Parse iptables-save / ip6tables-save / `iptables -S` text. Never throws; problems name their line. */
export function parseIptablesSave(text: string, options: IptablesParseOptions = {}): IptablesDump {
	const index = indexIptablesSave(text, options);
	const tables = new Map<string, IptablesTable>();
	for (const table of index.tables.values()) {
		const chains = new Map<string, IptablesChain>();
		for (const [key, chain] of table.chains) {
			const rules: IptablesRuleLine[] = [];
			for (let id = chain.first; id !== -1; id = index.next[id]!) {
				const rule: IptablesRuleLine = {line: index.lines[id]!, raw: indexedRuleRaw(index, id), table: chain.table, chain: chain.name};
				const details = index.details.get(id);
				if (details !== undefined) {
					rule.details = details;
				}

				rules.push(rule);
			}

			chains.set(key, {name: chain.name, policy: chain.policy, counters: chain.counters, line: chain.line, rules});
		}

		tables.set(table.name, {name: table.name, line: table.line, chains});
	}

	return {tables, ruleCount: index.ruleCount, problems: index.problems};
}

/**
 * The dump indexed (see buildIndex). Without `eager` the pass runs on first use of anything but
 * `text`, so a decoder that reads an ordinary kube-proxy dump straight from the text never pays
 * for it.
 */
export function indexIptablesSave(text: string, options: IptablesParseOptions = {}): IptablesIndex {
	if (options.eager) {
		return buildIndex(text, options);
	}

	let built: IptablesIndex | undefined;
	const index = (): IptablesIndex => {
		built ??= buildIndex(text, options);
		return built;
	};

	return {
		text,
		eager: false,
		get tables() {
			return index().tables;
		},
		get ruleCount() {
			return index().ruleCount;
		},
		get problems() {
			return index().problems;
		},
		get starts() {
			return index().starts;
		},
		get ends() {
			return index().ends;
		},
		get lines() {
			return index().lines;
		},
		get next() {
			return index().next;
		},
		get details() {
			return index().details;
		},
		get chainIds() {
			return index().chainIds;
		},
	};
}

/**
 * One pass over the text: tables, chains and the offsets of every rule. Only lines that are not
 * plain `-A` rules (declarations, `-N`/`-X`/`-I`, odd spacing) are tokenized here.
 */
function buildIndex(text: string, options: IptablesParseOptions): IptablesIndex {
	const tables = new Map<string, IndexedTable>();
	const problems: NatProblem[] = [];
	const defaultTable = options.defaultTable ?? 'nat';
	const details = new Map<number, IptablesRule | null>();
	let capacity = Math.max(1024, Math.ceil(text.length / 96));
	let starts = new Int32Array(capacity);
	let ends = new Int32Array(capacity);
	let lines = new Int32Array(capacity);
	let next = new Int32Array(capacity);
	let ruleIds = 0;
	let current: IndexedTable | undefined;
	let state: TableState | undefined;
	const states = new Map<string, TableState>();
	/** Position of each chain id in its table's `declared`, -1 for chains created by a rule. */
	const declaredAt: number[] = [];
	let chainIds = 0;
	let inSaveSection = false;
	let ruleCount = 0;
	let lineNumber = 0;
	let lastChain: IndexedChain | undefined;
	let lastTable: IndexedTable | undefined;
	let start = 0;
	const length = text.length;

	/** Make `name` the current table (creating it) and return it. */
	const tableNamed = (name: string, line: number | null): IndexedTable => {
		let table = tables.get(name);
		if (!table) {
			table = {name, line, chains: new Map()};
			tables.set(name, table);
			states.set(name, {table, declared: [], cursor: -1, undeclared: new Map(), changes: 0});
		}

		state = states.get(name);
		return table;
	};

	const newChain = (name: string, table: string, policy: string | null, counters: string | null, line: number | null, first: number, last: number, position: number): IndexedChain => {
		declaredAt.push(position);
		return {id: chainIds++, name, table, policy, counters, line, first, last};
	};

	/** A chain only seen in a rule so far. */
	const undeclaredChain = (table: IndexedTable, name: string): IndexedChain => {
		const chain = newChain(name, table.name, null, null, null, -1, -1, -1);
		table.chains.set(name, chain);
		state!.undeclared.set(name, chain);
		return chain;
	};

	/**
	 * iptables-save prints the rule blocks in the order it declared the chains (skipping empty
	 * ones): the next few declared chains are compared before any map lookup.
	 */
	const predictedChain = (from: number, length: number): IndexedChain | undefined => {
		const tableState = state!;
		if (tableState.changes > 0) {
			return undefined;
		}

		const {declared} = tableState;
		const stop = Math.min(declared.length, tableState.cursor + 9);
		for (let position = tableState.cursor + 1; position < stop; position++) {
			const chain = declared[position]!;
			if (chain.name.length === length && text.startsWith(chain.name, from)) {
				tableState.cursor = position;
				return chain;
			}
		}

		return undefined;
	};

	const problem = (line: number, raw: string, message: string) => {
		problems.push({line, message: `line ${line}: ${message}: ${clip(raw)}`});
	};

	/** A new rule id for text[from, to) on `line`; the arrays grow by doubling. */
	const newRule = (from: number, to: number, line: number): number => {
		if (ruleIds === capacity) {
			capacity *= 2;
			starts = grow(starts, capacity);
			ends = grow(ends, capacity);
			lines = grow(lines, capacity);
			next = grow(next, capacity);
		}

		starts[ruleIds] = from;
		ends[ruleIds] = to;
		lines[ruleIds] = line;
		next[ruleIds] = -1;
		return ruleIds++;
	};

	const append = (chain: IndexedChain, id: number) => {
		if (chain.last === -1) {
			chain.first = id;
		} else {
			next[chain.last] = id;
		}

		chain.last = id;
	};

	const view = (): IptablesIndex => ({text, tables, ruleCount, problems, starts, ends, lines, next, details, chainIds, eager: options.eager ?? false});

	while (start <= length) {
		let end = text.indexOf('\n', start);
		if (end === -1) {
			end = length;
		}

		lineNumber++;
		const lineStart = start;
		start = end + 1;
		if (end > lineStart && text.charCodeAt(end - 1) === 13) {
			end--;
		}

		const first = text.charCodeAt(lineStart);
		// '-' : the hot path, a rule line.
		if (first === 45) {
			if (text.charCodeAt(lineStart + 1) === 65 && text.charCodeAt(lineStart + 2) === 32 && lineStart + 2 < end) {
				current ??= tableNamed(defaultTable, null);
				let chainEnd = text.indexOf(' ', lineStart + 3);
				if (chainEnd === -1 || chainEnd > end) {
					chainEnd = end;
				}

				// iptables-save groups rules by chain: most lines continue the previous chain.
				let chain = lastChain;
				if (!chain || lastTable !== current || chainEnd - lineStart - 3 !== chain.name.length || !text.startsWith(chain.name, lineStart + 3)) {
					chain = chainEnd > lineStart + 3 ? predictedChain(lineStart + 3, chainEnd - lineStart - 3) : undefined;
					if (!chain) {
						const name = text.slice(lineStart + 3, chainEnd);
						if (name === '' || name.charCodeAt(0) === 45) {
							problem(lineNumber, text.slice(lineStart, end), 'rule without a chain name');
							continue;
						}

						chain = current.chains.get(name);
						if (chain) {
							if (declaredAt[chain.id]! >= 0) {
								state!.cursor = declaredAt[chain.id]!;
							}
						} else {
							if (inSaveSection) {
								problem(lineNumber, text.slice(lineStart, end), `rule for undeclared chain ${name}`);
							}

							chain = undeclaredChain(current, name);
						}
					}

					lastChain = chain;
					lastTable = current;
				}

				const id = newRule(lineStart, end, lineNumber);
				if (options.eager) {
					indexedRuleDetails(view(), id, current.name, problems);
				}

				append(chain, id);
				ruleCount++;
				continue;
			}

			handleCommandLine(text.slice(lineStart, end), lineStart, end, lineNumber);
			continue;
		}

		// ':' a chain declaration as iptables-save writes it: `:NAME POLICY [p:b]`.
		if (first === 58) {
			const declaration = quickDeclaration(lineStart, end);
			if (declaration) {
				continue;
			}
		}

		const raw = text.slice(lineStart, end);
		const trimmed = raw.trim();
		if (trimmed === '' || trimmed.startsWith('#')) {
			continue;
		}

		if (trimmed.startsWith('*')) {
			if (inSaveSection && current) {
				problem(lineNumber, raw, `table ${current.name} was not closed with COMMIT`);
			}

			const name = trimmed.slice(1).trim();
			if (!/^[a-z_]+$/.test(name)) {
				problem(lineNumber, raw, 'bad table name');
			}

			current = tableNamed(name, lineNumber);
			inSaveSection = true;
			continue;
		}

		if (trimmed === 'COMMIT') {
			if (!inSaveSection) {
				problem(lineNumber, raw, 'COMMIT without a table');
			}

			inSaveSection = false;
			current = undefined;
			continue;
		}

		if (trimmed.startsWith(':')) {
			const match = /^:(\S+)\s+(\S+)(?:\s+(\[\d+:\d+\]))?\s*$/.exec(trimmed);
			if (!match) {
				problem(lineNumber, raw, 'bad chain declaration');
				continue;
			}

			if (!inSaveSection) {
				problem(lineNumber, raw, 'chain declaration outside a table');
			}

			current ??= tableNamed(defaultTable, null);
			declareChain(current, match[1]!, match[2]!, match[3] ?? null, lineNumber);
			continue;
		}

		if (trimmed.startsWith('-')) {
			const from = lineStart + (raw.length - raw.trimStart().length);
			handleCommandLine(trimmed, from, from + trimmed.length, lineNumber);
			continue;
		}

		problem(lineNumber, raw, 'not an iptables-save line');
	}

	if (inSaveSection && current) {
		problems.push({line: lineNumber, message: `line ${lineNumber}: table ${current.name} was not closed with COMMIT`});
	}

	return view();

	/**
	 * `:NAME POLICY [p:b]` or `:NAME POLICY` inside a table, with single spaces and nothing odd:
	 * declared without a regex. False sends the line through the general path (which also
	 * reports the problems).
	 */
	function quickDeclaration(from: number, to: number): boolean {
		if (!inSaveSection || !current) {
			return false;
		}

		const nameEnd = text.indexOf(' ', from + 1);
		if (nameEnd === -1 || nameEnd >= to || nameEnd === from + 1) {
			return false;
		}

		let policyEnd = text.indexOf(' ', nameEnd + 1);
		if (policyEnd === -1 || policyEnd > to) {
			policyEnd = to;
		}

		if (policyEnd === nameEnd + 1 || !plainWord(from + 1, nameEnd) || !plainWord(nameEnd + 1, policyEnd)) {
			return false;
		}

		let counters: string | null = null;
		if (policyEnd < to) {
			// `[digits:digits]` and nothing after it.
			if (text.charCodeAt(policyEnd + 1) !== 91 || text.charCodeAt(to - 1) !== 93) {
				return false;
			}

			let colon = -1;
			for (let at = policyEnd + 2; at < to - 1; at++) {
				const code = text.charCodeAt(at);
				if (code === 58 && colon === -1) {
					colon = at;
				} else if (code < 48 || code > 57) {
					return false;
				}
			}

			if (colon === -1 || colon === policyEnd + 2 || colon === to - 2) {
				return false;
			}

			// Nearly every chain of a dump reads `[0:0]`: one shared string instead of 60,000 copies.
			counters = to - policyEnd === 6 && text.startsWith('[0:0]', policyEnd + 1) ? '[0:0]' : text.slice(policyEnd + 1, to);
		}

		declareChain(current, text.slice(from + 1, nameEnd), text.slice(nameEnd + 1, policyEnd), counters, lineNumber);
		return true;
	}

	/** Non-empty, no whitespace of any kind (what `\S+` accepts, restricted to printable ASCII). */
	function plainWord(from: number, to: number): boolean {
		for (let at = from; at < to; at++) {
			const code = text.charCodeAt(at);
			if (code <= 32 || code >= 127) {
				return false;
			}
		}

		return to > from;
	}

	function declareChain(table: IndexedTable, name: string, policy: string | null, counters: string | null, line: number) {
		const tableState = state!;
		lastChain = undefined;
		const chain = newChain(name, table.name, policy, counters, line, -1, -1, tableState.declared.length);
		tableState.declared.push(chain);
		const size = table.chains.size;
		table.chains.set(name, chain);
		if (table.chains.size === size) {
			// Declared again: that flushes the chain, as iptables-restore does, unless it was only
			// seen in rules so far.
			tableState.changes++;
			const existing = tableState.undeclared.get(name);
			if (existing) {
				chain.first = existing.first;
				chain.last = existing.last;
				tableState.undeclared.delete(name);
			}
		}
	}

	// `-N`, `-P`, `-X`, `-F`, `-A`/`-I` with odd spacing: the `iptables -S` commands.
	function handleCommandLine(raw: string, from: number, to: number, line: number) {
		const tokens = tokenize(raw);
		const command = tokens[0];
		current ??= tableNamed(defaultTable, null);
		switch (command) {
			case '-A':
			case '--append':
			case '-I':
			case '--insert': {
				const insert = command === '-I' || command === '--insert';
				const withoutPosition = insert && tokens[2] !== undefined && /^\d+$/.test(tokens[2]) ? [tokens[1]!, ...tokens.slice(3)] : tokens.slice(1);
				const parsed = parseRuleLine(`-A ${withoutPosition.map(quoteIfNeeded).join(' ')}`, line, current.name, problems, raw);
				if (parsed) {
					let chain = current.chains.get(parsed.chain);
					if (!chain) {
						if (inSaveSection) {
							problem(line, raw, `rule for undeclared chain ${parsed.chain}`);
						}

						chain = undeclaredChain(current, parsed.chain);
					}

					const id = newRule(from, to, line);
					details.set(id, parsed);
					if (insert) {
						next[id] = chain.first;
						chain.first = id;
						if (chain.last === -1) {
							chain.last = id;
						}
					} else {
						append(chain, id);
					}

					lastChain = undefined;
					ruleCount++;
				}

				return;
			}

			case '-N':
			case '--new-chain': {
				if (tokens.length !== 2) {
					problem(line, raw, '-N needs exactly one chain name');
					return;
				}

				declareChain(current, tokens[1]!, null, null, line);
				return;
			}

			case '-P':
			case '--policy': {
				if (tokens.length < 3) {
					problem(line, raw, '-P needs a chain and a policy');
					return;
				}

				declareChain(current, tokens[1]!, tokens[2]!, null, line);
				return;
			}

			case '-X':
			case '--delete-chain': {
				if (tokens.length === 1) {
					for (const [name, chain] of current.chains) {
						if (chain.policy === '-' || chain.policy === null) {
							current.chains.delete(name);
							state!.undeclared.delete(name);
						}
					}

					state!.changes++;
					return;
				}

				if (current.chains.delete(tokens[1]!)) {
					state!.undeclared.delete(tokens[1]!);
					state!.changes++;
				} else {
					problem(line, raw, `-X of unknown chain ${tokens[1]!}`);
				}

				return;
			}

			case '-F':
			case '--flush': {
				const chain = tokens[1] ? current.chains.get(tokens[1]) : undefined;
				if (chain) {
					chain.first = -1;
					chain.last = -1;
				} else if (!tokens[1]) {
					for (const each of current.chains.values()) {
						each.first = -1;
						each.last = -1;
					}
				}

				return;
			}

			default: {
				problem(line, raw, `unknown command ${command ?? ''}`);
			}
		}
	}
}

function grow(array: Int32Array, capacity: number): Int32Array<ArrayBuffer> {
	const bigger = new Int32Array(capacity);
	bigger.set(array);
	return bigger;
}

function clip(raw: string): string {
	return raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
}

function quoteIfNeeded(token: string): string {
	return /[\s"\\]/.test(token) || token === '' ? `"${token.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"` : token;
}

/**
 * Split a rule line into words. Double quotes group words; inside them `\"` and `\\` are escapes,
 * as iptables-save writes them.
 */
export function tokenize(line: string): string[] {
	if (!line.includes('"') && !line.includes('\\') && !line.includes('\t') && !line.includes('  ')) {
		const words = line.split(' ');
		if (words.at(-1) === '') {
			words.pop();
		}

		if (words[0] === '') {
			words.shift();
		}

		return words;
	}

	if (!line.includes('\\')) {
		return tokenizeWithoutEscapes(line);
	}

	const tokens: string[] = [];
	let index = 0;
	const length = line.length;
	while (index < length) {
		let code = line.charCodeAt(index);
		if (code === 32 || code === 9) {
			index++;
			continue;
		}

		let token = '';
		let quoted = false;
		while (index < length) {
			code = line.charCodeAt(index);
			if (!quoted && (code === 32 || code === 9)) {
				break;
			}

			if (code === 34) {
				quoted = !quoted;
				index++;
				continue;
			}

			if (code === 92 && index + 1 < length) {
				const next = line.charCodeAt(index + 1);
				if (next === 34 || next === 92 || (!quoted && next === 32)) {
					token += line[index + 1];
					index += 2;
					continue;
				}
			}

			token += line[index];
			index++;
		}

		tokens.push(token);
	}

	return tokens;
}

/** Quotes but no backslashes (the common case): whole slices instead of character by character. */
function tokenizeWithoutEscapes(line: string): string[] {
	const tokens: string[] = [];
	const length = line.length;
	let index = 0;
	while (index < length) {
		const code = line.charCodeAt(index);
		if (code === 32 || code === 9) {
			index++;
			continue;
		}

		let token = '';
		while (index < length) {
			const char = line.charCodeAt(index);
			if (char === 32 || char === 9) {
				break;
			}

			if (char === 34) {
				let close = line.indexOf('"', index + 1);
				if (close === -1) {
					close = length;
				}

				token += line.slice(index + 1, close);
				index = close + 1;
				continue;
			}

			let end = index + 1;
			while (end < length) {
				const next = line.charCodeAt(end);
				if (next === 32 || next === 9 || next === 34) {
					break;
				}

				end++;
			}

			token += line.slice(index, end);
			index = end;
		}

		tokens.push(token);
	}

	return tokens;
}

function looksLikeOption(token: string | undefined): boolean {
	if (token === undefined) {
		return true;
	}

	if (token === '!') {
		return true;
	}

	if (token.length < 2 || token.charCodeAt(0) !== 45) {
		return false;
	}

	const second = token.charCodeAt(1);
	// `-x` (a letter) or `--word`; `->` in a comment is not an option.
	if (second === 45) {
		return token.length > 2 && isLetter(token.charCodeAt(2));
	}

	return token.length === 2 && isLetter(second);
}

function isLetter(code: number): boolean {
	return (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
}

/**
 * Parse one `-A CHAIN …` line. Returns null (and records a problem) when the line cannot be a rule.
 * `raw` overrides the text kept on the rule when the line was normalised first.
 */
export function parseRuleLine(line: string, lineNumber: number, table: string, problems: NatProblem[], raw: string = line): IptablesRule | null {
	const tokens = tokenize(line);
	const chainName = tokens[1];
	if (chainName === undefined || chainName === '' || looksLikeOption(chainName)) {
		problems.push({line: lineNumber, message: `line ${lineNumber}: rule without a chain name: ${clip(raw)}`});
		return null;
	}

	const rule = emptyRule(lineNumber, raw, table, chainName);

	let index = 2;
	// `-I CHAIN 3 …` carries a position.
	if (tokens[0] === '-I' && tokens[2] !== undefined && /^\d+$/.test(tokens[2])) {
		index = 3;
	}

	let negate = false;
	const count = tokens.length;
	const bad = (message: string) => {
		problems.push({line: lineNumber, message: `line ${lineNumber}: ${message}: ${clip(raw)}`});
	};

	while (index < count) {
		const option = tokens[index++]!;
		if (option === '!') {
			negate = true;
			continue;
		}

		if (option === '') {
			continue;
		}

		if (option.charCodeAt(0) !== 45) {
			bad(`unexpected word "${option}"`);
			negate = false;
			continue;
		}

		const takesValue = !flagsWithoutValue.has(option);
		let value: string | undefined;
		if (takesValue) {
			value = tokens[index];
			if (value === undefined) {
				bad(`option ${option} needs a value`);
				break;
			}

			index++;
		}

		switch (option) {
			case '-s':
			case '--source':
			case '--src': {
				rule.source = value!;
				rule.sourceNegated = negate;
				break;
			}

			case '-d':
			case '--destination':
			case '--dst': {
				rule.destination = value!;
				rule.destinationNegated = negate;
				break;
			}

			case '-p':
			case '--protocol': {
				rule.protocol = value!.toLowerCase();
				break;
			}

			case '--dport':
			case '--destination-port': {
				rule.destinationPort = value!;
				break;
			}

			case '-j':
			case '--jump': {
				rule.target = value!;
				break;
			}

			case '-g':
			case '--goto': {
				rule.target = value!;
				rule.goto = true;
				break;
			}

			case '-m':
			case '--match': {
				rule.modules.push(value!);
				break;
			}

			case '--comment': {
				// kube-proxy quotes comments with spaces, but dumps edited by hand (and some tools)
				// leave them bare: take words up to the next option.
				let comment = value!;
				while (index < count && !looksLikeOption(tokens[index])) {
					comment += ` ${tokens[index++]!}`;
				}

				rule.comment = comment;
				break;
			}

			case '--probability': {
				const probability = Number(value);
				if (!Number.isFinite(probability) || probability < 0 || probability > 1) {
					bad(`bad probability ${value!}`);
				} else {
					rule.probability = probability;
					rule.probabilityText = value!;
				}

				break;
			}

			case '--to-destination': {
				rule.toDestination = value!;
				break;
			}

			case '--name': {
				recentOf(rule).name = value!;
				break;
			}

			case '--set': {
				// `--set` belongs to -m recent; `-m set` uses --match-set instead.
				recentOf(rule).action = 'set';
				break;
			}

			case '--rcheck':
			case '--update':
			case '--remove': {
				recentOf(rule).action = option.slice(2) as 'rcheck' | 'update' | 'remove';
				break;
			}

			case '--seconds': {
				const seconds = Number(value);
				if (!Number.isInteger(seconds) || seconds < 0) {
					bad(`bad --seconds ${value!}`);
				} else {
					recentOf(rule).seconds = seconds;
				}

				break;
			}

			case '--reap': {
				recentOf(rule).reap = true;
				break;
			}

			case '--src-type': {
				rule.srcType = value!;
				rule.srcTypeNegated = negate;
				break;
			}

			case '--dst-type': {
				rule.dstType = value!;
				rule.dstTypeNegated = negate;
				break;
			}

			case '--mark': {
				if (rule.target === 'MARK') {
					rule.setMark = value!;
				} else {
					rule.markMatch = value!;
					rule.markMatchNegated = negate;
				}

				break;
			}

			case '--or-mark':
			case '--set-xmark':
			case '--set-mark':
			case '--xor-mark':
			case '--and-mark': {
				rule.setMark = `${option.slice(2)} ${value!}`;
				break;
			}

			case '--mode':
			case '--mask':
			case '--rsource':
			case '--rdest': {
				break;
			}

			default: {
				rule.other ??= [];
				if (negate) {
					rule.other.push('!');
				}

				rule.other.push(option);
				if (value !== undefined) {
					rule.other.push(value);
				}

				// Unknown options may take more than one word (`--to-ports 1-2` does not, `--set-counters a b` does).
				while (index < count && !looksLikeOption(tokens[index])) {
					rule.other.push(tokens[index++]!);
				}
			}
		}

		negate = false;
	}

	return rule;
}

function recentOf(rule: IptablesRule): IptablesRecent {
	rule.recent ??= {name: null, action: null, seconds: null, reap: false};
	return rule.recent;
}
