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
	const tables: NftTable[] = [];
	const problems: NatProblem[] = [];
	const lines = text.split('\n');
	let context: Context = {kind: 'top'};
	// Open `elements = { …` spanning lines.
	// Parts are joined and braces counted line by line: a 5,000-element set is thousands of lines.
	let pendingElements: {set: NftSet; parts: string[]; balance: number; startLine: number} | null = null;

	const problem = (line: number, raw: string, message: string) => {
		problems.push({line, message: `line ${line}: ${message}: ${raw.length > 200 ? `${raw.slice(0, 200)}…` : raw}`});
	};

	const tableFor = (family: string, name: string, line: number): NftTable => {
		let table = tables.find(each => each.family === family && each.name === name);
		if (!table) {
			table = {family, name, line, sets: new Map(), chains: new Map()};
			tables.push(table);
		}

		return table;
	};

	for (let index = 0; index < lines.length; index++) {
		const line = index + 1;
		const whole = lines[index]!;
		const raw = whole.charCodeAt(whole.length - 1) === 13 ? whole.slice(0, -1) : whole;
		let trimmed = stripHandle(raw).trim();

		if (pendingElements) {
			pendingElements.parts.push(trimmed);
			pendingElements.balance += braceBalance(trimmed);
			if (pendingElements.balance <= 0) {
				addElements(pendingElements.set, pendingElements.parts.join('\n'), pendingElements.startLine, problems);
				pendingElements = null;
			}

			continue;
		}

		if (trimmed === '' || trimmed.startsWith('#')) {
			continue;
		}

		switch (context.kind) {
			case 'top': {
				let match = /^table\s+(ip|ip6|inet|arp|bridge|netdev)\s+(\S+)\s*\{$/.exec(trimmed);
				if (match) {
					context = {kind: 'table', table: tableFor(match[1]!, match[2]!, line)};
					break;
				}

				match = /^add\s+(\S+)\s+(ip|ip6|inet)\s+(\S+)\s*(.*)$/.exec(trimmed);
				if (match) {
					addCommand(match[1]!, match[2]!, match[3]!, match[4]!, line, raw);
					break;
				}

				if (/^(flush|delete|destroy)\s/.test(trimmed)) {
					break;
				}

				problem(line, raw, 'expected `table <family> <name> {`');
				break;
			}

			case 'table': {
				if (trimmed === '}') {
					context = {kind: 'top'};
					break;
				}

				const match = /^(set|map|chain)\s+(\S+)\s*\{\s*(.*)$/.exec(trimmed);
				if (match) {
					const [, kind, name, rest] = match;
					if (kind === 'chain') {
						const chain: NftChain = {name: name!, line, hook: null, rules: []};
						context.table.chains.set(name!, chain);
						context = {kind: 'chain', table: context.table, chain};
						if (rest && rest !== '}') {
							problem(line, raw, 'unexpected text after `{`');
						} else if (rest === '}') {
							context = {kind: 'table', table: context.table};
						}
					} else {
						const set = newSet(name!, kind as 'set' | 'map', line);
						context.table.sets.set(name!, set);
						if (rest?.endsWith('}')) {
							setProperties(set, rest.slice(0, -1), line, problems);
						} else {
							context = {kind: 'set', table: context.table, set};
						}
					}

					break;
				}

				if (/^(comment|flags)\s/.test(trimmed)) {
					break;
				}

				problem(line, raw, 'expected a set, map or chain');
				break;
			}

			case 'set': {
				if (trimmed === '}') {
					context = {kind: 'table', table: context.table};
					break;
				}

				const elements = /^elements\s*=\s*(\{.*)$/.exec(trimmed);
				if (elements) {
					const body = elements[1]!;
					if (braceBalance(body) <= 0) {
						addElements(context.set, body, line, problems);
					} else {
						pendingElements = {set: context.set, parts: [body], balance: braceBalance(body), startLine: line};
					}

					break;
				}

				setProperties(context.set, trimmed, line, problems);
				break;
			}

			case 'chain': {
				if (trimmed === '}') {
					context = {kind: 'table', table: context.table};
					break;
				}

				if (trimmed.startsWith('type') && /^type\s+\S+\s+hook\s/.test(trimmed)) {
					context.chain.hook = trimmed;
					break;
				}

				if (context.chain.rules.length === 0 && /^(policy|comment)\s/.test(trimmed) && /^comment\s+"[^"]*"\s*;?$|^policy\s+\w+;?$/.test(trimmed)) {
					break;
				}

				if (braceBalance(trimmed) !== 0) {
					// A rule with an anonymous set or verdict map that nft wrapped over lines.
					const parts = [trimmed];
					let balance = braceBalance(trimmed);
					let end = index;
					while (balance > 0 && end + 1 < lines.length) {
						end++;
						parts.push(stripHandle(lines[end]!).trim());
						balance += braceBalance(parts.at(-1)!);
					}

					const joined = parts.join(' ');
					if (balance !== 0) {
						problem(line, raw, 'unbalanced braces');
						index = end;
						break;
					}

					trimmed = joined;
					index = end;
				}

				context.chain.rules.push(makeRule(line, raw, trimmed));
				break;
			}
		}
	}

	if (pendingElements) {
		problems.push({line: pendingElements.startLine, message: `line ${pendingElements.startLine}: elements of ${pendingElements.set.name} are not closed`});
	}

	if (context.kind !== 'top') {
		problems.push({line: lines.length, message: `line ${lines.length}: input ends inside a ${context.kind} (missing \`}\`)`});
	}

	return {tables, problems};

	// The `add …` transaction form: one object per line.
	function addCommand(object: string, family: string, tableName: string, rest: string, line: number, raw: string) {
		const table = tableFor(family, tableName, line);
		if (object === 'table') {
			return;
		}

		const nameMatch = /^(\S+)\s*(.*)$/.exec(rest);
		if (!nameMatch) {
			problem(line, raw, `add ${object} without a name`);
			return;
		}

		const [, name, body] = nameMatch;
		switch (object) {
			case 'chain': {
				const chain = table.chains.get(name!) ?? {name: name!, line, hook: null, rules: []};
				table.chains.set(name!, chain);
				const hook = /\{\s*(type\s[^}]*?)\s*;?\s*\}/.exec(body!);
				if (hook) {
					chain.hook = hook[1]!;
				}

				return;
			}

			case 'rule': {
				const chain = table.chains.get(name!);
				if (!chain) {
					problem(line, raw, `rule for unknown chain ${name!}`);
					const created: NftChain = {name: name!, line, hook: null, rules: []};
					table.chains.set(name!, created);
					created.rules.push(makeRule(line, raw, body!));
					return;
				}

				chain.rules.push(makeRule(line, raw, body!));
				return;
			}

			case 'set':
			case 'map': {
				const set = table.sets.get(name!) ?? newSet(name!, object, line);
				table.sets.set(name!, set);
				const properties = /^\{(.*)\}$/.exec(body!.trim());
				if (properties) {
					setProperties(set, properties[1]!, line, problems);
				}

				return;
			}

			case 'element': {
				const set = table.sets.get(name!);
				if (!set) {
					problem(line, raw, `element for unknown set ${name!}`);
					return;
				}

				addElements(set, body!, line, problems);
				return;
			}

			default: {
				problem(line, raw, `unknown object ${object}`);
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
