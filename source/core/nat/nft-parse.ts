import {ByteLines} from './byte-lines.js';
import type {NatProblem} from './types.js';
import {ruleProblem} from './iptables-rule.js';

/** A set or map element: the parts of its key (`1.2.3.4 . tcp . 80`), its comment, a map element's value (`goto x`, `drop`). */
export type NftElement = {readonly line: number; readonly key: string[]; readonly comment: string | null; readonly value: string | null};

/** A set or map: what the decoder reads of it (an affinity set's timeout and the elements). */
export type NftSet = {readonly name: string; readonly map: boolean; timeoutSeconds: number | null; readonly elements: NftElement[]};

/** A rule: its line, its first line as written (trimmed), its statement without `;`, a trailing `comment "…"` or `# handle N`. */
export type NftRule = {readonly line: number; readonly written: string; readonly text: string};

/** A table: its sets, its kept chains, and what `take` made of the chains it kept out. */
export type NftTable<T> = {readonly family: string; readonly name: string; readonly sets: Map<string, NftSet>; readonly chains: Map<string, NftRule[]>; readonly taken: Map<string, T>};

/** Keeps chains out of the table (how the decoder folds endpoint chains): `rule` gets each statement of a chain `chain` took. */
export type NftChainTaker<T> = {
	chain(name: string): T | undefined;
	rule(taken: T, text: string, line: number): void;
};

/** An element list being read; `part` (from `partLine`) is the element cut so far, which may span lines. */
type PendingElements = {set: NftSet; startLine: number; depth: number; part: string; partLine: number; elementCount: number; problemCount: number};

/** A rule with an anonymous set or verdict map that nft wrapped over lines. */
type PendingRule = {line: number; raw: string; parts: string[]; balance: number};

/**
 * Reads what `nft list table …` / `nft list ruleset` print, as bytes in parts as they arrive (never one
 * string of the dump), with a line state machine: top level, inside a table, a set or a chain; element
 * lists and rules may span lines. Never throws; problems name their line. `take` keeps chains out.
 */
export class NftReader<T> {
	private readonly bytes = new ByteLines(text => {
		let start = 0;
		for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
			this.line(text, start, end);
			start = end + 1;
		}
	});

	private readonly tables: Array<NftTable<T>> = [];
	private readonly problems: NatProblem[] = [];
	private context: 'top' | 'table' | 'set' | 'chain' = 'top';
	private table: NftTable<T> | null = null;
	private set: NftSet | null = null;
	/** The chain being read: its kept rules, or what it was taken as. */
	private rules: NftRule[] | null = null;
	private taken: T | undefined;
	private pendingElements: PendingElements | null = null;
	private pendingRule: PendingRule | null = null;
	private lineNumber = 0;
	/** The line being read is `text` from `start` to `rawEnd` (without a trailing CR): made into a string only when asked. */
	private text = '';
	private start = 0;
	private rawEnd = 0;
	/** Whether the line being read had a `#` (its statement may differ from it trimmed by a `# handle N`). */
	private hash = false;
	private addForm = false;

	constructor(private readonly take: NftChainTaker<T>) {}

	/** More bytes, cut anywhere; the caller does not reuse `part`. */
	writeBytes(part: Uint8Array): void {
		this.bytes.write(part);
	}

	/** The line of `text` from `start` to `end`, read without a trailing CR, a `# handle N` comment and surrounding white space. */
	private line(text: string, start: number, end: number): void {
		const line = ++this.lineNumber;
		const rawEnd = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
		this.text = text;
		this.start = start;
		this.rawEnd = rawEnd;
		// Leading tabs and spaces are cut before the slice; trim() below returns a string already trimmed as it is.
		let from = start;
		while (from < rawEnd && (text.charCodeAt(from) === 9 || text.charCodeAt(from) === 32)) {
			from++;
		}

		const statement = text.slice(from, rawEnd);
		// A single-character search first: a longer pattern costs V8 a search table per call.
		this.hash = statement.includes('#');
		const handle = this.hash ? statement.lastIndexOf('# handle ') : -1;
		const trimmed = (handle === -1 ? statement : statement.slice(0, handle)).trim();
		if (this.pendingElements) {
			this.elementLine(trimmed, line);
		} else if (this.pendingRule) {
			this.ruleLine(trimmed);
		} else if (trimmed === '' || trimmed.charCodeAt(0) === 35) {
			// A blank line or a comment.
		} else if (trimmed === '}' && this.context !== 'top') {
			this.context = this.context === 'table' ? 'top' : 'table';
		} else if (this.context === 'chain') {
			this.chainLine(line, trimmed);
		} else if (this.context === 'table') {
			this.tableLine(line, trimmed);
		} else if (this.context === 'set') {
			this.setLine(line, trimmed);
		} else {
			this.topLine(line, trimmed);
		}
	}

	/** The line being read, as written (without a trailing CR). */
	private get raw(): string {
		return this.text.slice(this.start, this.rawEnd);
	}

	end(): {tables: Array<NftTable<T>>; problems: NatProblem[]} {
		const tail = this.bytes.end();
		this.line(tail, 0, tail.length);
		const {lineNumber, pendingElements, pendingRule, context} = this;
		if (pendingRule) {
			ruleProblem(this.problems, pendingRule.line, pendingRule.raw, 'unbalanced braces');
		}

		if (pendingElements) {
			// A list never closed is taken back with its problems.
			pendingElements.set.elements.length = pendingElements.elementCount;
			this.problems.length = pendingElements.problemCount;
			this.problems.push({line: pendingElements.startLine, message: `line ${pendingElements.startLine}: elements of ${pendingElements.set.name} are not closed`});
		}

		if (context !== 'top') {
			this.problems.push({line: lineNumber, message: `line ${lineNumber}: input ends inside a ${context} (missing \`}\`)`});
		}

		return {tables: this.tables, problems: this.problems};
	}

	private topLine(line: number, trimmed: string): void {
		const match = /^table\s+(ip|ip6|inet|arp|bridge|netdev)\s+(\S+)\s*\{$/.exec(trimmed);
		if (match) {
			const [, family, name] = match as unknown as [string, string, string];
			this.table = this.tables.find(each => each.family === family && each.name === name) ?? null;
			if (!this.table) {
				this.table = {family, name, sets: new Map(), chains: new Map(), taken: new Map()};
				this.tables.push(this.table);
			}

			this.context = 'table';
		} else if (/^add\s/.test(trimmed)) {
			// What `nft -f` reads (kube-proxy's transactions), not what nft prints: said once, not for every line.
			if (!this.addForm) {
				this.problems.push({line, message: `line ${line}: \`add …\` commands are not read: give what \`nft list table ip kube-proxy\` prints`});
			}

			this.addForm = true;
		} else if (!/^(flush|delete|destroy)\s/.test(trimmed)) {
			ruleProblem(this.problems, line, this.raw, 'expected `table <family> <name> {`');
		}
	}

	private tableLine(line: number, trimmed: string): void {
		// `chain NAME {`, the shape nft prints, is read without a match (a large table declares 50,000 chains).
		const simple = /^(?:set|map|chain) \S+ \{$/.test(trimmed);
		const declared = simple ? null : /^(set|map|chain)\s+(\S+)\s*\{\s*(.*)$/.exec(trimmed);
		if (!simple && !declared) {
			if (!/^(comment|flags)\s/.test(trimmed)) {
				ruleProblem(this.problems, line, this.raw, 'expected a set, map or chain');
			}

			return;
		}

		const name = declared ? declared[2]! : trimmed.slice(trimmed.indexOf(' ') + 1, -2);
		const rest = declared ? declared[3]! : '';
		const table = this.table!;
		// `set`, `map` and `chain` start with different letters.
		if (trimmed.startsWith('c')) {
			this.taken = this.take.chain(name);
			this.rules = this.taken === undefined ? [] : null;
			if (this.rules) {
				table.chains.set(name, this.rules);
			} else {
				table.taken.set(name, this.taken!);
			}

			this.context = rest === '}' ? 'table' : 'chain';
			if (rest && rest !== '}') {
				ruleProblem(this.problems, line, this.raw, 'unexpected text after `{`');
			}

			return;
		}

		const set: NftSet = {name, map: trimmed.startsWith('m'), timeoutSeconds: null, elements: []};
		table.sets.set(name, set);
		if (rest.endsWith('}')) {
			this.setProperties(set, rest.slice(0, -1), line);
		} else {
			this.set = set;
			this.context = 'set';
		}
	}

	private setLine(line: number, trimmed: string): void {
		const elements = /^elements\s*=\s*(\{.*)$/.exec(trimmed);
		if (elements) {
			this.pendingElements = {set: this.set!, startLine: line, depth: 0, part: '', partLine: line, elementCount: this.set!.elements.length, problemCount: this.problems.length};
			this.elementLine(elements[1]!, line);
		} else {
			this.setProperties(this.set!, trimmed, line);
		}
	}

	/** One line of an element list: each element is cut out at its comma and added to the set at once. */
	private elementLine(text: string, line: number): void {
		const pending = this.pendingElements!;
		// nft never wraps inside a quoted comment: a quote left open is closed by the line's end.
		let quoted = false;
		let start = 0;
		for (let index = 0; index < text.length; index++) {
			const code = text.charCodeAt(index);
			if (code === 34) {
				quoted = text.charCodeAt(index - 1) === 92 ? quoted : !quoted;
			} else if (quoted || (code !== 44 && code !== 123 && code !== 125)) {
				// Only commas and braces outside quotes cut the list.
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

	private chainLine(line: number, trimmed: string): void {
		// A base chain's `type … hook …`, and a comment or policy before the first rule, are not rules.
		if ((trimmed.startsWith('type') && /^type\s+\S+\s+hook\s/.test(trimmed)) || ((this.rules?.length ?? 0) === 0 && /^(comment\s+"[^"]*"\s*;?|policy\s+\w+;?)$/.test(trimmed))) {
			return;
		}

		const balance = braceBalance(trimmed);
		if (balance > 0) {
			this.pendingRule = {line, raw: this.raw, parts: [trimmed], balance};
		} else if (balance < 0) {
			ruleProblem(this.problems, line, this.raw, 'unbalanced braces');
		} else {
			// Without a `#`, the line trimmed is the statement.
			this.addRule(line, trimmed, this.hash ? this.raw.trim() : trimmed);
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
			ruleProblem(this.problems, pending.line, pending.raw, 'unbalanced braces');
		} else {
			this.addRule(pending.line, pending.parts.join(' '), pending.raw.trim());
		}
	}

	private addRule(line: number, statement: string, written: string): void {
		const text = statementText(statement);
		if (this.rules) {
			// Most rules are written as their statement: one copy for both.
			const copy = detached(text);
			this.rules.push({line, written: written === text ? copy : detached(written), text: copy});
		} else {
			this.take.rule(this.taken!, text, line);
		}
	}

	/** `type …; flags …; timeout 3h; comment "…"`, one per line or `;`-separated: the decoder needs only a timeout. */
	private setProperties(set: NftSet, text: string, line: number) {
		let quoted = false;
		for (let index = 0, start = 0; index <= text.length; index++) {
			const code = text.charCodeAt(index);
			quoted = code === 34 && text.charCodeAt(index - 1) !== 92 ? !quoted : quoted;
			if (index < text.length && (quoted || code !== 59)) {
				continue;
			}

			const property = text.slice(start, index).trim();
			start = index + 1;
			// Each of thousands of affinity sets has four properties: only a timeout is cut up.
			const timeout = property.startsWith('timeout') ? /^timeout\s+(.*)$/.exec(property) : null;
			if (property !== '' && !/^\w+\s+.*$/.test(property)) {
				this.problems.push({line, message: `line ${line}: bad set property: ${property}`});
			} else if (timeout) {
				const seconds = parseNftDuration(timeout[1]!);
				if (seconds === null) {
					this.problems.push({line, message: `line ${line}: bad timeout ${timeout[1]!}`});
				} else {
					set.timeoutSeconds = seconds;
				}
			}
		}
	}
}

/**
 * A copy of `text`, which may be a slice of a 512 KB piece of the dump: V8 keeps the whole piece alive as long as
 * any slice of it lives, and what the table keeps (rules, elements) lives to the end of the decode and ends up in
 * the flows (endpoint chain names, addresses). V8 copies a joined string into one before it slices it.
 */
function detached(text: string): string {
	return ` ${text}`.slice(1);
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
	const unitSeconds: Record<string, number> = {d: 86_400, h: 3600, m: 60, s: 1};
	let seconds = 0;
	for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|d|h|m|s)/g)) {
		seconds += unit === 'ms' ? Number(amount) / 1000 : Number(amount) * unitSeconds[unit!]!;
	}

	return /^(\d+(d|h|m|s|ms))+$/.test(trimmed) ? seconds : null;
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
function parseElement(set: NftSet, written: string, line: number, problems: NatProblem[]): NftElement | null {
	if (written === '') {
		return null;
	}

	const text = detached(written);
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
