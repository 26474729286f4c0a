import {Buffer} from 'node:buffer';
import type {NatProblem} from './types.js';

export type NftElement = {
	readonly line: number;
	/** Key parts of a concatenation (`1.2.3.4 . tcp . 80` -> [1.2.3.4, tcp, 80]). */
	readonly key: string[];
	readonly comment: string | null;
	/** Map value, e.g. `goto service-…`, `drop`; null for a plain set element. */
	readonly value: string | null;
};

export type NftSet = {
	readonly name: string;
	readonly kind: 'set' | 'map';
	readonly line: number;
	type: string;
	flags: string[];
	timeoutSeconds: number | null;
	comment: string | null;
	readonly elements: NftElement[];
};

export type NftRule = {
	readonly line: number;
	/** The line as written. */
	readonly raw: string;
	/** Statement text without a trailing `comment "…"` or `# handle N`. */
	readonly text: string;
	readonly comment: string | null;
};

export type NftChain = {
	readonly name: string;
	readonly line: number;
	/** `type nat hook prerouting priority dstnat; policy accept;` for base chains, else null. */
	hook: string | null;
	readonly rules: NftRule[];
};

export type NftTable = {
	readonly family: string;
	readonly name: string;
	readonly line: number;
	readonly sets: Map<string, NftSet>;
	readonly chains: Map<string, NftChain>;
};

export type NftDump = {
	readonly tables: NftTable[];
	readonly problems: NatProblem[];
};

/**
 * Asked at each `chain NAME {` block: a function given that chain's rules as they are read keeps the
 * chain and its rules out of the table (the decoder folds endpoint chains this way).
 */
export type NftChainTaker = (table: NftTable, name: string) => ((rule: NftRule) => void) | undefined;

type RuleSink = ((rule: NftRule) => void) | undefined;

type Context =
	| {kind: 'top'}
	| {kind: 'table'; table: NftTable}
	| {kind: 'set'; table: NftTable; set: NftSet}
	| {kind: 'chain'; table: NftTable; chain: NftChain; sink: RuleSink};

/** An element list being read, cut at commas as lines arrive and kept back until it closes; `part` (from `partLine`) may span lines. */
type PendingElements = {set: NftSet; startLine: number; depth: number; quoted: boolean; part: string; partLine: number; elements: NftElement[]; problems: NatProblem[]};

/** A rule with an anonymous set or verdict map that nft wrapped over lines. */
type PendingRule = {chain: NftChain; sink: RuleSink; line: number; raw: string; parts: string[]; balance: number};

/** What an element list's reader stops at: quotes, braces and commas. */
const specialCharacters = /[",{}]/g;

/** How much of a dump is made into text at a time: the dump is never one string. */
const partBytes = 1 << 20;

/**
 * Parse `nft list table …` / `nft list ruleset` text or bytes, and also the `add table/chain/rule/element …`
 * transaction form that `nft -f` reads. Never throws; problems name their line. `take` may keep chains
 * out of the result.
 */
export function parseNft(dump: string | Uint8Array, take?: NftChainTaker): NftDump {
	const parser = new NftParser(take);
	if (typeof dump === 'string') {
		parser.text(dump);
	} else {
		for (let from = 0; from < dump.length;) {
			// Cut after a newline: it is never inside a UTF-8 sequence.
			const cut = dump.indexOf(10, Math.min(dump.length, from + partBytes) - 1);
			const to = cut === -1 ? dump.length : cut + 1;
			parser.text(Buffer.from(dump.buffer, dump.byteOffset + from, to - from).toString('utf8'));
			from = to;
		}
	}

	return parser.end();
}

/** The line state machine: top level, inside a table, a set or a chain; element lists and rules may span lines. */
class NftParser {
	private readonly tables: NftTable[] = [];
	private readonly problems: NatProblem[] = [];
	private context: Context = {kind: 'top'};
	private pendingElements: PendingElements | null = null;
	private pendingRule: PendingRule | null = null;
	/** Line number of the last line read; the text after the last newline is one more line. */
	private lineNumber = 0;
	private rest = '';

	constructor(private readonly take?: NftChainTaker) {}

	/** Read the lines of one part (every part but the last ends with a newline); the last line waits for end(). */
	text(text: string): void {
		let start = 0;
		for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
			this.line(text.slice(start, end));
			start = end + 1;
		}

		this.rest = text.slice(start);
	}

	end(): NftDump {
		this.line(this.rest);
		const {lineNumber, pendingElements, pendingRule, context} = this;
		if (pendingRule) {
			this.problem(pendingRule.line, pendingRule.raw, 'unbalanced braces');
		}

		if (pendingElements) {
			this.problems.push({line: pendingElements.startLine, message: `line ${pendingElements.startLine}: elements of ${pendingElements.set.name} are not closed`});
		}

		if (context.kind !== 'top') {
			this.problems.push({line: lineNumber, message: `line ${lineNumber}: input ends inside a ${context.kind} (missing \`}\`)`});
		}

		return {tables: this.tables, problems: this.problems};
	}

	private problem(line: number, raw: string, message: string) {
		this.problems.push({line, message: `line ${line}: ${message}: ${raw.length > 200 ? `${raw.slice(0, 200)}…` : raw}`});
	}

	private tableFor(family: string, name: string, line: number): NftTable {
		let table = this.tables.find(each => each.family === family && each.name === name);
		if (!table) {
			table = {family, name, line, sets: new Map(), chains: new Map()};
			this.tables.push(table);
		}

		return table;
	}

	private line(whole: string): void {
		const line = ++this.lineNumber;
		const raw = whole.charCodeAt(whole.length - 1) === 13 ? whole.slice(0, -1) : whole;
		const trimmed = stripHandle(raw).trim();
		if (this.pendingElements) {
			this.elementLine(trimmed, line);
			return;
		}

		if (this.pendingRule) {
			this.ruleLine(trimmed);
			return;
		}

		if (trimmed === '' || trimmed.charCodeAt(0) === 35) {
			return;
		}

		const {context} = this;
		switch (context.kind) {
			case 'top': {
				this.topLine(line, raw, trimmed);
				return;
			}

			case 'table': {
				this.tableLine(context.table, line, raw, trimmed);
				return;
			}

			case 'set': {
				this.setLine(context.table, context.set, line, trimmed);
				return;
			}

			case 'chain': {
				this.chainLine(context, line, raw, trimmed);
			}
		}
	}

	private topLine(line: number, raw: string, trimmed: string): void {
		let match = /^table\s+(ip|ip6|inet|arp|bridge|netdev)\s+(\S+)\s*\{$/.exec(trimmed);
		if (match) {
			this.context = {kind: 'table', table: this.tableFor(match[1]!, match[2]!, line)};
			return;
		}

		match = /^add\s+(\S+)\s+(ip|ip6|inet)\s+(\S+)\s*(.*)$/.exec(trimmed);
		if (match) {
			this.addCommand(match[1]!, this.tableFor(match[2]!, match[3]!, line), match[4]!, line, raw);
			return;
		}

		if (!/^(flush|delete|destroy)\s/.test(trimmed)) {
			this.problem(line, raw, 'expected `table <family> <name> {`');
		}
	}

	private tableLine(table: NftTable, line: number, raw: string, trimmed: string): void {
		if (trimmed === '}') {
			this.context = {kind: 'top'};
			return;
		}

		const declared = /^(set|map|chain)\s+(\S+)\s*\{\s*(.*)$/.exec(trimmed) as [string, 'set' | 'map' | 'chain', string, string] | null;
		if (!declared) {
			if (!/^(comment|flags)\s/.test(trimmed)) {
				this.problem(line, raw, 'expected a set, map or chain');
			}

			return;
		}

		const [, kind, name, rest] = declared;
		if (kind === 'chain') {
			const chain: NftChain = {name, line, hook: null, rules: []};
			const sink = this.take?.(table, name);
			if (!sink) {
				table.chains.set(name, chain);
			}

			this.context = rest === '}' ? {kind: 'table', table} : {kind: 'chain', table, chain, sink};
			if (rest && rest !== '}') {
				this.problem(line, raw, 'unexpected text after `{`');
			}

			return;
		}

		const set = newSet(name, kind, line);
		table.sets.set(name, set);
		if (rest.endsWith('}')) {
			setProperties(set, rest.slice(0, -1), line, this.problems);
		} else {
			this.context = {kind: 'set', table, set};
		}
	}

	private setLine(table: NftTable, set: NftSet, line: number, trimmed: string): void {
		if (trimmed === '}') {
			this.context = {kind: 'table', table};
			return;
		}

		const elements = /^elements\s*=\s*(\{.*)$/.exec(trimmed);
		if (elements) {
			this.pendingElements = {set, startLine: line, depth: 0, quoted: false, part: '', partLine: line, elements: [], problems: []};
			this.elementLine(elements[1]!, line);
		} else {
			setProperties(set, trimmed, line, this.problems);
		}
	}

	/** One line of an element list: each element is cut out at its comma; the list is kept when its `}` is read. */
	private elementLine(text: string, line: number): void {
		const pending = this.pendingElements!;
		// nft never wraps inside a quoted comment: a quote left open is closed by the line's end.
		pending.quoted = false;
		let start = 0;
		specialCharacters.lastIndex = 0;
		for (let found = specialCharacters.exec(text); found; found = specialCharacters.exec(text)) {
			const index = found.index;
			const code = text.charCodeAt(index);
			if (code === 34) {
				pending.quoted = text.charCodeAt(index - 1) === 92 ? pending.quoted : !pending.quoted;
			} else if (pending.quoted) {
				continue;
			} else if (code === 123) {
				pending.depth++;
				start = pending.depth === 1 ? index + 1 : start;
			} else if (code === 125 && pending.depth > 0 && --pending.depth === 0) {
				this.endElement(pending, text.slice(start, index), line);
				// One by one: spreading a list of 100,000 elements into push() overflows the stack.
				for (const element of pending.elements) {
					pending.set.elements.push(element);
				}

				for (const problem of pending.problems) {
					this.problems.push(problem);
				}

				this.pendingElements = null;
				return;
			} else if (code === 44 && pending.depth > 0) {
				this.endElement(pending, text.slice(start, index), line);
				start = index + 1;
			}
		}

		if (pending.depth > 0) {
			addPart(pending, text.slice(start), line);
		}
	}

	private endElement(pending: PendingElements, text: string, line: number): void {
		addPart(pending, text, line);
		const element = parseElement(pending.set, pending.part, pending.partLine, pending.problems);
		if (element) {
			pending.elements.push(element);
		}

		pending.part = '';
	}

	private chainLine({table, chain, sink}: Context & {kind: 'chain'}, line: number, raw: string, trimmed: string): void {
		if (trimmed === '}') {
			this.context = {kind: 'table', table};
			return;
		}

		if (trimmed.startsWith('type') && /^type\s+\S+\s+hook\s/.test(trimmed)) {
			chain.hook = trimmed;
			return;
		}

		if (chain.rules.length === 0 && /^(comment\s+"[^"]*"\s*;?|policy\s+\w+;?)$/.test(trimmed)) {
			return;
		}

		const balance = braceBalance(trimmed);
		if (balance > 0) {
			this.pendingRule = {chain, sink, line, raw, parts: [trimmed], balance};
		} else if (balance < 0) {
			this.problem(line, raw, 'unbalanced braces');
		} else {
			addRule(chain, sink, makeRule(line, raw, trimmed));
		}
	}

	private ruleLine(trimmed: string): void {
		const pending = this.pendingRule!;
		pending.parts.push(trimmed);
		pending.balance += braceBalance(trimmed);
		if (pending.balance > 0) {
			return;
		}

		this.pendingRule = null;
		if (pending.balance < 0) {
			this.problem(pending.line, pending.raw, 'unbalanced braces');
		} else {
			addRule(pending.chain, pending.sink, makeRule(pending.line, pending.raw, pending.parts.join(' ')));
		}
	}

	// The `add …` transaction form: one object per line.
	private addCommand(object: string, table: NftTable, rest: string, line: number, raw: string) {
		if (object === 'table') {
			return;
		}

		const nameMatch = /^(\S+)\s*(.*)$/.exec(rest);
		if (!nameMatch) {
			this.problem(line, raw, `add ${object} without a name`);
			return;
		}

		const [, name, body] = nameMatch as unknown as [string, string, string];
		switch (object) {
			case 'chain': {
				const chain = table.chains.get(name) ?? {name, line, hook: null, rules: []};
				table.chains.set(name, chain);
				const hook = /\{\s*(type\s[^}]*?)\s*;?\s*\}/.exec(body);
				chain.hook = hook ? hook[1]! : chain.hook;
				return;
			}

			case 'rule': {
				let chain = table.chains.get(name);
				if (!chain) {
					this.problem(line, raw, `rule for unknown chain ${name}`);
					chain = {name, line, hook: null, rules: []};
					table.chains.set(name, chain);
				}

				chain.rules.push(makeRule(line, raw, body));
				return;
			}

			case 'set':
			case 'map': {
				const set = table.sets.get(name) ?? newSet(name, object, line);
				table.sets.set(name, set);
				const properties = /^\{(.*)\}$/.exec(body.trim());
				if (properties) {
					setProperties(set, properties[1]!, line, this.problems);
				}

				return;
			}

			case 'element': {
				this.addElements(table.sets.get(name), name, body, line, raw);
				return;
			}

			default: {
				this.problem(line, raw, `unknown object ${object}`);
			}
		}
	}

	/** `add element … { a, b }`: the whole list on one line. */
	private addElements(set: NftSet | undefined, name: string, body: string, line: number, raw: string) {
		if (!set) {
			this.problem(line, raw, `element for unknown set ${name}`);
			return;
		}

		const open = body.indexOf('{');
		if (open === -1 || body.lastIndexOf('}') < open) {
			this.problems.push({line, message: `line ${line}: bad element list for ${set.name}: ${body.slice(0, 200)}`});
			return;
		}

		this.pendingElements = {set, startLine: line, depth: 0, quoted: false, part: '', partLine: line, elements: [], problems: []};
		this.elementLine(body, line);
		this.pendingElements = null;
	}
}

function addRule(chain: NftChain, sink: RuleSink, rule: NftRule): void {
	if (sink) {
		sink(rule);
	} else {
		chain.rules.push(rule);
	}
}

function newSet(name: string, kind: 'set' | 'map', line: number): NftSet {
	return {name, kind, line, type: '', flags: [], timeoutSeconds: null, comment: null, elements: []};
}

function stripHandle(raw: string): string {
	// A single-character search first: a longer pattern costs V8 a search table per call.
	const at = raw.indexOf('#') === -1 ? -1 : raw.lastIndexOf('# handle ');
	return at === -1 ? raw : raw.slice(0, at);
}

function makeRule(line: number, raw: string, statement: string): NftRule {
	let text = statement.trim();
	text = text.endsWith(';') ? text.slice(0, -1).trim() : text;
	let comment: string | null = null;
	const match = text.endsWith('"') ? /\s*comment\s+"((?:[^"\\]|\\.)*)"\s*$/.exec(text) : null;
	if (match) {
		comment = match[1]!.replaceAll('\\"', '"');
		text = text.slice(0, match.index).trim();
	}

	return {line, raw, text, comment};
}

function braceBalance(text: string): number {
	if (!text.includes('{') && !text.includes('}')) {
		return 0;
	}

	let balance = 0;
	let quoted = false;
	for (let index = 0; index < text.length; index++) {
		const code = text.charCodeAt(index);
		if (code === 34 && text.charCodeAt(index - 1) !== 92) {
			quoted = !quoted;
		} else if (!quoted && code === 123) {
			balance++;
		} else if (!quoted && code === 125) {
			balance--;
		}
	}

	return balance;
}

/** `type …; flags …; timeout 3h; comment "…"` either one per line or `;`-separated. */
function setProperties(set: NftSet, text: string, line: number, problems: NatProblem[]) {
	for (const part of splitOutsideQuotes(text, ';')) {
		const property = part.trim();
		if (property === '') {
			continue;
		}

		const match = /^(\w+)\s+(.*)$/.exec(property);
		if (!match) {
			problems.push({line, message: `line ${line}: bad set property: ${property}`});
			continue;
		}

		const [, key, value] = match;
		switch (key) {
			case 'type':
			case 'typeof': {
				set.type = value!;
				break;
			}

			case 'flags': {
				set.flags = value!.split(',').map(flag => flag.trim());
				break;
			}

			case 'timeout': {
				const seconds = parseNftDuration(value!);
				if (seconds === null) {
					problems.push({line, message: `line ${line}: bad timeout ${value!}`});
				} else {
					set.timeoutSeconds = seconds;
				}

				break;
			}

			case 'comment': {
				set.comment = value!.replace(/^"|"$/g, '');
				break;
			}

			default: {
				// size, policy, auto-merge, counter, gc-interval: nothing the decoder needs.
			}
		}
	}
}

/** nft durations: `3h`, `10800s`, `1d2h3m4s`, `250ms`. */
export function parseNftDuration(text: string): number | null {
	const trimmed = text.trim();
	if (!/^(\d+(d|h|m|s|ms))+$/.test(trimmed)) {
		return null;
	}

	let seconds = 0;
	for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|d|h|m|s)/g)) {
		const value = Number(amount);
		seconds += unit === 'd' ? value * 86_400 : unit === 'h' ? value * 3600 : unit === 'm' ? value * 60 : unit === 's' ? value : value / 1000;
	}

	return seconds;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
	const parts: string[] = [];
	const separatorCode = separator.charCodeAt(0);
	let quoted = false;
	let start = 0;
	for (let index = 0; index < text.length; index++) {
		const code = text.charCodeAt(index);
		if (code === 34 && text.charCodeAt(index - 1) !== 92) {
			quoted = !quoted;
		}

		if (!quoted && code === separatorCode) {
			parts.push(text.slice(start, index));
			start = index + 1;
		}
	}

	parts.push(text.slice(start));
	return parts;
}

/** Add a line's piece of the element being read; the element's line is the one its text starts on. */
function addPart(pending: PendingElements, text: string, line: number): void {
	const piece = text.trim();
	if (piece === '') {
		return;
	}

	if (pending.part === '') {
		pending.part = piece;
		pending.partLine = line;
	} else {
		pending.part = `${pending.part} ${piece}`;
	}
}

/** `a . b : goto x` or `a . b comment "…" : drop` (a map element), `a` (a set element). */
function parseElement(set: NftSet, text: string, line: number, problems: NatProblem[]): NftElement | null {
	if (text === '') {
		return null;
	}

	let key = text;
	let value: string | null = null;
	// A map element is `key : value`; ` : ` never appears inside a key (IPv6 has no spaces).
	const colon = text.lastIndexOf(' : ');
	if (colon !== -1) {
		key = text.slice(0, colon);
		value = text.slice(colon + 3).trim();
	} else if (set.kind === 'map') {
		problems.push({line, message: `line ${line}: map element without a value in ${set.name}: ${text}`});
		return null;
	}

	let comment: string | null = null;
	const commentMatch = key.includes('comment') ? /\s+comment\s+"((?:[^"\\]|\\.)*)"/.exec(key) : null;
	if (commentMatch) {
		comment = commentMatch[1]!;
		key = key.slice(0, commentMatch.index) + key.slice(commentMatch.index + commentMatch[0].length);
	}

	// Element options such as `timeout 1h expires 30m` follow the key.
	key = key.includes('timeout') || key.includes('expires') ? key.replace(/\s+(timeout|expires)\s+\S+/g, '').trim() : key.trim();
	return {line, key: key.includes(' . ') ? key.split(' . ').map(each => each.trim()) : [key], comment, value};
}
