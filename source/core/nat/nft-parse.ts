import {Buffer, isAscii} from 'node:buffer';
import type {NatProblem} from './types.js';

/** A set or map element: the parts of its key (`1.2.3.4 . tcp . 80`), its comment, a map element's value (`goto x`, `drop`). */
export type NftElement = {readonly line: number; readonly key: string[]; readonly comment: string | null; readonly value: string | null};

/** A set or map: what the decoder reads of it (an affinity set's timeout and the elements). */
export type NftSet = {readonly name: string; readonly map: boolean; timeoutSeconds: number | null; readonly elements: NftElement[]};

/** A rule: its line, the line as written, and the statement without `;`, a trailing `comment "…"` or `# handle N`. */
export type NftRule = {readonly line: number; readonly raw: string; readonly text: string};

export type NftTable = {readonly family: string; readonly name: string; readonly sets: Map<string, NftSet>; readonly chains: Map<string, NftRule[]>};

export type NftDump = {readonly tables: NftTable[]; readonly problems: NatProblem[]};

/**
 * Asked at each `chain NAME {` block: a function given each of that chain's statements (text and line) as
 * they are read keeps the chain out of the table (the decoder folds endpoint chains this way).
 */
export type NftChainTaker = (table: NftTable, name: string) => RuleSink | undefined;

type RuleSink = (text: string, line: number) => void;

/** An element list being read; `part` (from `partLine`) is the element cut so far, which may span lines. */
type PendingElements = {set: NftSet; startLine: number; depth: number; part: string; partLine: number; elementCount: number; problemCount: number};

/** A rule with an anonymous set or verdict map that nft wrapped over lines. */
type PendingRule = {line: number; raw: string; parts: string[]; balance: number};

/** What an element list's reader stops at: quotes, braces and commas. */
const specialCharacters = /[",{}]/g;

/** How much of a dump is made into text at a time: the dump is never one string. */
const partBytes = 1 << 20;

/**
 * Parse `nft list table …` / `nft list ruleset` text or bytes, and the `add table/chain/rule/element …`
 * form that `nft -f` reads. Never throws; problems name their line. `take` may keep chains out of the result.
 */
export function parseNft(dump: string | Uint8Array, take?: NftChainTaker): NftDump {
	const parser = new NftParser(take);
	if (typeof dump === 'string') {
		eachLine(dump.length, from => dump.indexOf('\n', from), (start, end) => dump.slice(start, end), parser);
	} else {
		const bytes = Buffer.from(dump.buffer, dump.byteOffset, dump.length);
		// Latin-1 is a plain copy, many times faster than UTF-8 and the same for ASCII: asked a part at a time.
		let asciiTo = 0;
		let encoding: 'latin1' | 'utf8' = 'latin1';
		eachLine(bytes.length, from => bytes.indexOf(10, from), (start, end) => {
			if (end > asciiTo) {
				asciiTo = Math.max(end, start + partBytes);
				encoding = isAscii(bytes.subarray(start, asciiTo)) ? 'latin1' : 'utf8';
			}

			return bytes.toString(encoding, start, end);
		}, parser);
	}

	return parser.end();
}

/** Each line of a text or bytes as its own small string: nothing kept holds on to the rest of the dump. */
function eachLine(length: number, newline: (from: number) => number, text: (start: number, end: number) => string, parser: NftParser): void {
	for (let start = 0; ;) {
		const end = newline(start);
		parser.line(text(start, end === -1 ? length : end));
		if (end === -1) {
			return;
		}

		start = end + 1;
	}
}

/** The line state machine: top level, inside a table, a set or a chain; element lists and rules may span lines. */
class NftParser {
	private readonly tables: NftTable[] = [];
	private readonly problems: NatProblem[] = [];
	private context: 'top' | 'table' | 'set' | 'chain' = 'top';
	private table: NftTable | null = null;
	private set: NftSet | null = null;
	/** The chain being read: its kept rules, or the function it was taken with. */
	private rules: NftRule[] | null = null;
	private sink: RuleSink | undefined;
	private pendingElements: PendingElements | null = null;
	private pendingRule: PendingRule | null = null;
	private lineNumber = 0;
	/** The line being read, as written (without a trailing CR). */
	private raw = '';

	constructor(private readonly take?: NftChainTaker) {}

	/** One line, without a trailing CR, a `# handle N` comment and surrounding white space. */
	line(whole: string): void {
		const line = ++this.lineNumber;
		this.raw = whole.charCodeAt(whole.length - 1) === 13 ? whole.slice(0, -1) : whole;
		const trimmed = stripHandle(this.raw).trim();
		if (this.pendingElements) {
			this.elementLine(trimmed, line);
		} else if (this.pendingRule) {
			this.ruleLine(trimmed);
		} else if (trimmed !== '' && trimmed.charCodeAt(0) !== 35) {
			this.statement(line, trimmed);
		}
	}

	end(): NftDump {
		const {lineNumber, pendingElements, pendingRule, context} = this;
		if (pendingRule) {
			this.problem(pendingRule.line, pendingRule.raw, 'unbalanced braces');
		}

		if (pendingElements) {
			this.dropPendingElements(pendingElements);
			this.problems.push({line: pendingElements.startLine, message: `line ${pendingElements.startLine}: elements of ${pendingElements.set.name} are not closed`});
		}

		if (context !== 'top') {
			this.problems.push({line: lineNumber, message: `line ${lineNumber}: input ends inside a ${context} (missing \`}\`)`});
		}

		return {tables: this.tables, problems: this.problems};
	}

	private problem(line: number, raw: string, message: string) {
		this.problems.push({line, message: `line ${line}: ${message}: ${raw.length > 200 ? `${raw.slice(0, 200)}…` : raw}`});
	}

	private tableFor(family: string, name: string): NftTable {
		let table = this.tables.find(each => each.family === family && each.name === name);
		if (!table) {
			table = {family, name, sets: new Map(), chains: new Map()};
			this.tables.push(table);
		}

		return table;
	}

	private statement(line: number, trimmed: string): void {
		switch (this.context) {
			case 'top': {
				this.topLine(line, trimmed);
				return;
			}

			case 'table': {
				this.tableLine(line, trimmed);
				return;
			}

			case 'set': {
				this.setLine(line, trimmed);
				return;
			}

			case 'chain': {
				this.chainLine(line, trimmed);
			}
		}
	}

	private topLine(line: number, trimmed: string): void {
		let match = /^table\s+(ip|ip6|inet|arp|bridge|netdev)\s+(\S+)\s*\{$/.exec(trimmed);
		if (match) {
			this.table = this.tableFor(match[1]!, match[2]!);
			this.context = 'table';
			return;
		}

		match = /^add\s+(\S+)\s+(ip|ip6|inet)\s+(\S+)\s*(.*)$/.exec(trimmed);
		if (match) {
			this.addCommand(match[1]!, this.tableFor(match[2]!, match[3]!), match[4]!, line);
		} else if (!/^(flush|delete|destroy)\s/.test(trimmed)) {
			this.problem(line, this.raw, 'expected `table <family> <name> {`');
		}
	}

	private tableLine(line: number, trimmed: string): void {
		if (trimmed === '}') {
			this.context = 'top';
			return;
		}

		const declared = /^(set|map|chain)\s+(\S+)\s*\{\s*(.*)$/.exec(trimmed);
		if (!declared) {
			if (!/^(comment|flags)\s/.test(trimmed)) {
				this.problem(line, this.raw, 'expected a set, map or chain');
			}

			return;
		}

		const [, kind, name, rest] = declared as unknown as [string, string, string, string];
		const table = this.table!;
		if (kind === 'chain') {
			this.sink = this.take?.(table, name);
			this.rules = this.sink ? null : [];
			if (this.rules) {
				table.chains.set(name, this.rules);
			}

			this.context = rest === '}' ? 'table' : 'chain';
			if (rest && rest !== '}') {
				this.problem(line, this.raw, 'unexpected text after `{`');
			}

			return;
		}

		const set: NftSet = {name, map: kind === 'map', timeoutSeconds: null, elements: []};
		table.sets.set(name, set);
		if (rest.endsWith('}')) {
			this.setProperties(set, rest.slice(0, -1), line);
		} else {
			this.set = set;
			this.context = 'set';
		}
	}

	private setLine(line: number, trimmed: string): void {
		if (trimmed === '}') {
			this.context = 'table';
			return;
		}

		const elements = /^elements\s*=\s*(\{.*)$/.exec(trimmed);
		if (elements) {
			this.pendingElements = {set: this.set!, startLine: line, depth: 0, part: '', partLine: line, elementCount: this.set!.elements.length, problemCount: this.problems.length};
			this.elementLine(elements[1]!, line);
		} else {
			this.setProperties(this.set!, trimmed, line);
		}
	}

	/**
	 * One line of an element list: each element is cut out at its comma and added to the set at once;
	 * a list that never closes is taken back with its problems.
	 */
	private elementLine(text: string, line: number): void {
		const pending = this.pendingElements!;
		// nft never wraps inside a quoted comment: a quote left open is closed by the line's end.
		let quoted = false;
		let start = 0;
		specialCharacters.lastIndex = 0;
		for (let found = specialCharacters.exec(text); found; found = specialCharacters.exec(text)) {
			const index = found.index;
			const code = text.charCodeAt(index);
			if (code === 34) {
				quoted = text.charCodeAt(index - 1) === 92 ? quoted : !quoted;
			} else if (quoted) {
				continue;
			} else if (code === 123) {
				start = ++pending.depth === 1 ? index + 1 : start;
			} else if (code === 125 && pending.depth > 0 && --pending.depth === 0) {
				this.endElement(pending, text.slice(start, index), line);
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
		const element = parseElement(pending.set, pending.part, pending.partLine, this.problems);
		if (element) {
			pending.set.elements.push(element);
		}

		pending.part = '';
	}

	private dropPendingElements(pending: PendingElements): void {
		pending.set.elements.length = pending.elementCount;
		this.problems.length = pending.problemCount;
		this.pendingElements = null;
	}

	private chainLine(line: number, trimmed: string): void {
		if (trimmed === '}') {
			this.context = 'table';
			return;
		}

		if (trimmed.startsWith('type') && /^type\s+\S+\s+hook\s/.test(trimmed)) {
			return;
		}

		if ((this.rules?.length ?? 0) === 0 && /^(comment\s+"[^"]*"\s*;?|policy\s+\w+;?)$/.test(trimmed)) {
			return;
		}

		const balance = braceBalance(trimmed);
		if (balance > 0) {
			this.pendingRule = {line, raw: this.raw, parts: [trimmed], balance};
		} else if (balance < 0) {
			this.problem(line, this.raw, 'unbalanced braces');
		} else {
			this.addRule(line, trimmed, null);
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
			this.addRule(pending.line, pending.parts.join(' '), pending.raw);
		}
	}

	private addRule(line: number, statement: string, raw: string | null): void {
		const text = statementText(statement);
		if (this.sink) {
			this.sink(text, line);
		} else {
			this.rules!.push({line, raw: raw ?? this.raw, text});
		}
	}

	/** The `add …` transaction form: one object per line. */
	private addCommand(object: string, table: NftTable, rest: string, line: number) {
		const nameMatch = object === 'table' ? null : /^(\S+)\s*(.*)$/.exec(rest);
		if (!nameMatch) {
			if (object !== 'table') {
				this.problem(line, this.raw, `add ${object} without a name`);
			}

			return;
		}

		const [, name, body] = nameMatch as unknown as [string, string, string];
		if (object === 'chain' && !table.chains.has(name)) {
			table.chains.set(name, []);
		} else if (object === 'rule') {
			let rules = table.chains.get(name);
			if (!rules) {
				this.problem(line, this.raw, `rule for unknown chain ${name}`);
				rules = [];
				table.chains.set(name, rules);
			}

			rules.push({line, raw: this.raw, text: statementText(body)});
		} else if (object === 'set' || object === 'map') {
			const set = table.sets.get(name) ?? {name, map: object === 'map', timeoutSeconds: null, elements: []};
			table.sets.set(name, set);
			const properties = /^\{(.*)\}$/.exec(body.trim());
			if (properties) {
				this.setProperties(set, properties[1]!, line);
			}
		} else if (object === 'element') {
			this.addElements(table.sets.get(name), name, body, line);
		} else if (object !== 'chain') {
			this.problem(line, this.raw, `unknown object ${object}`);
		}
	}

	/** `add element … { a, b }`: the whole list on one line. */
	private addElements(set: NftSet | undefined, name: string, body: string, line: number) {
		const open = body.indexOf('{');
		if (!set) {
			this.problem(line, this.raw, `element for unknown set ${name}`);
		} else if (open === -1 || body.lastIndexOf('}') < open) {
			this.problems.push({line, message: `line ${line}: bad element list for ${set.name}: ${body.slice(0, 200)}`});
		} else {
			this.pendingElements = {set, startLine: line, depth: 0, part: '', partLine: line, elementCount: set.elements.length, problemCount: this.problems.length};
			this.elementLine(body, line);
			if (this.pendingElements) {
				this.dropPendingElements(this.pendingElements);
			}
		}
	}

	/** `type …; flags …; timeout 3h; comment "…"`, one per line or `;`-separated: the decoder needs only a timeout. */
	private setProperties(set: NftSet, text: string, line: number) {
		for (const part of splitOutsideQuotes(text)) {
			const property = part.trim();
			const match = /^(\w+)\s+(.*)$/.exec(property);
			if (property !== '' && !match) {
				this.problems.push({line, message: `line ${line}: bad set property: ${property}`});
			} else if (match?.[1] === 'timeout') {
				const seconds = parseNftDuration(match[2]!);
				if (seconds === null) {
					this.problems.push({line, message: `line ${line}: bad timeout ${match[2]!}`});
				} else {
					set.timeoutSeconds = seconds;
				}
			}
		}
	}
}

function stripHandle(raw: string): string {
	// A single-character search first: a longer pattern costs V8 a search table per call.
	const at = raw.indexOf('#') === -1 ? -1 : raw.lastIndexOf('# handle ');
	return at === -1 ? raw : raw.slice(0, at);
}

/** A rule's statement without a trailing `;` or `comment "…"`. */
function statementText(statement: string): string {
	let text = statement.trim();
	text = text.endsWith(';') ? text.slice(0, -1).trim() : text;
	const match = text.endsWith('"') ? /\s*comment\s+"((?:[^"\\]|\\.)*)"\s*$/.exec(text) : null;
	return match ? text.slice(0, match.index).trim() : text;
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

/** nft durations: `3h`, `10800s`, `1d2h3m4s`, `250ms`. */
function parseNftDuration(text: string): number | null {
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

function splitOutsideQuotes(text: string): string[] {
	const parts: string[] = [];
	let quoted = false;
	let start = 0;
	for (let index = 0; index < text.length; index++) {
		const code = text.charCodeAt(index);
		quoted = code === 34 && text.charCodeAt(index - 1) !== 92 ? !quoted : quoted;
		if (!quoted && code === 59) {
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
	if (piece !== '' && pending.part === '') {
		pending.part = piece;
		pending.partLine = line;
	} else if (piece !== '') {
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
	} else if (set.map) {
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
