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

type Context =
	| {kind: 'top'}
	| {kind: 'table'; table: NftTable}
	| {kind: 'set'; table: NftTable; set: NftSet}
	| {kind: 'chain'; table: NftTable; chain: NftChain};

/**
 * Parse `nft list table …` / `nft list ruleset` text, and also the `add table/chain/rule/element …`
 * transaction form that `nft -f` reads. Never throws; problems name their line.
 */
export function parseNft(text: string): NftDump {
	return new NftParser(text.split('\n')).parse();
}

/** The line state machine: top level, inside a table, a set or a chain; element lists may span lines. */
class NftParser {
	private readonly tables: NftTable[] = [];
	private readonly problems: NatProblem[] = [];
	private context: Context = {kind: 'top'};
	// Parts are joined and braces counted line by line: a 5,000-element set is thousands of lines.
	private pendingElements: {set: NftSet; parts: string[]; balance: number; startLine: number} | null = null;
	private index = 0;

	constructor(private readonly lines: string[]) {}

	parse(): NftDump {
		for (; this.index < this.lines.length; this.index++) {
			this.line();
		}

		const {lines, pendingElements, context} = this;
		if (pendingElements) {
			this.problems.push({line: pendingElements.startLine, message: `line ${pendingElements.startLine}: elements of ${pendingElements.set.name} are not closed`});
		}

		if (context.kind !== 'top') {
			this.problems.push({line: lines.length, message: `line ${lines.length}: input ends inside a ${context.kind} (missing \`}\`)`});
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

	private line(): void {
		const line = this.index + 1;
		const whole = this.lines[this.index]!;
		const raw = whole.charCodeAt(whole.length - 1) === 13 ? whole.slice(0, -1) : whole;
		const trimmed = stripHandle(raw).trim();
		const pending = this.pendingElements;
		if (pending) {
			pending.parts.push(trimmed);
			pending.balance += braceBalance(trimmed);
			if (pending.balance <= 0) {
				addElements(pending.set, pending.parts.join('\n'), pending.startLine, this.problems);
				this.pendingElements = null;
			}

			return;
		}

		if (trimmed === '' || trimmed.startsWith('#')) {
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
				this.chainLine(context.table, context.chain, line, raw, trimmed);
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

		const match = /^(set|map|chain)\s+(\S+)\s*\{\s*(.*)$/.exec(trimmed);
		if (!match) {
			if (!/^(comment|flags)\s/.test(trimmed)) {
				this.problem(line, raw, 'expected a set, map or chain');
			}

			return;
		}

		const [, kind, name, rest] = match;
		if (kind === 'chain') {
			const chain: NftChain = {name: name!, line, hook: null, rules: []};
			table.chains.set(name!, chain);
			this.context = rest === '}' ? {kind: 'table', table} : {kind: 'chain', table, chain};
			if (rest && rest !== '}') {
				this.problem(line, raw, 'unexpected text after `{`');
			}

			return;
		}

		const set = newSet(name!, kind as 'set' | 'map', line);
		table.sets.set(name!, set);
		if (rest?.endsWith('}')) {
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
		if (!elements) {
			setProperties(set, trimmed, line, this.problems);
			return;
		}

		const body = elements[1]!;
		const balance = braceBalance(body);
		if (balance <= 0) {
			addElements(set, body, line, this.problems);
		} else {
			this.pendingElements = {set, parts: [body], balance, startLine: line};
		}
	}

	private chainLine(table: NftTable, chain: NftChain, line: number, raw: string, trimmed: string): void {
		if (trimmed === '}') {
			this.context = {kind: 'table', table};
			return;
		}

		if (trimmed.startsWith('type') && /^type\s+\S+\s+hook\s/.test(trimmed)) {
			chain.hook = trimmed;
			return;
		}

		if (chain.rules.length === 0 && /^(policy|comment)\s/.test(trimmed) && /^comment\s+"[^"]*"\s*;?$|^policy\s+\w+;?$/.test(trimmed)) {
			return;
		}

		let statement = trimmed;
		let balance = braceBalance(trimmed);
		if (balance !== 0) {
			// A rule with an anonymous set or verdict map that nft wrapped over lines.
			const parts = [trimmed];
			while (balance > 0 && this.index + 1 < this.lines.length) {
				this.index++;
				parts.push(stripHandle(this.lines[this.index]!).trim());
				balance += braceBalance(parts.at(-1)!);
			}

			if (balance !== 0) {
				this.problem(line, raw, 'unbalanced braces');
				return;
			}

			statement = parts.join(' ');
		}

		chain.rules.push(makeRule(line, raw, statement));
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
				const set = table.sets.get(name);
				if (set) {
					addElements(set, body, line, this.problems);
				} else {
					this.problem(line, raw, `element for unknown set ${name}`);
				}

				return;
			}

			default: {
				this.problem(line, raw, `unknown object ${object}`);
			}
		}
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

/** `{ a . b : goto x, c . d comment "…" : drop }` possibly over several lines starting at `startLine`. */
function addElements(set: NftSet, body: string, startLine: number, problems: NatProblem[]) {
	const open = body.indexOf('{');
	const close = body.lastIndexOf('}');
	if (open === -1 || close < open) {
		problems.push({line: startLine, message: `line ${startLine}: bad element list for ${set.name}: ${body.slice(0, 200)}`});
		return;
	}

	const inner = body.slice(open + 1, close);
	let lineOffset = body.slice(0, open + 1).split('\n').length - 1;
	for (const part of splitOutsideQuotes(inner, ',')) {
		const elementLine = startLine + lineOffset;
		lineOffset += part.split('\n').length - 1;
		const text = part.replaceAll('\n', ' ').trim();
		if (text === '') {
			continue;
		}

		let key = text;
		let value: string | null = null;
		// A map element is `key : value`; ` : ` never appears inside a key (IPv6 has no spaces).
		const colon = text.lastIndexOf(' : ');
		if (colon !== -1) {
			key = text.slice(0, colon);
			value = text.slice(colon + 3).trim();
		} else if (set.kind === 'map') {
			problems.push({line: elementLine, message: `line ${elementLine}: map element without a value in ${set.name}: ${text}`});
			continue;
		}

		let comment: string | null = null;
		const commentMatch = /\s+comment\s+"((?:[^"\\]|\\.)*)"/.exec(key);
		if (commentMatch) {
			comment = commentMatch[1]!;
			key = key.slice(0, commentMatch.index) + key.slice(commentMatch.index + commentMatch[0].length);
		}

		// Element options such as `timeout 1h expires 30m` follow the key.
		key = key.replace(/\s+(timeout|expires)\s+\S+/g, '').trim();
		set.elements.push({line: elementLine, key: key.split(' . ').map(each => each.trim()), comment, value});
	}
}
