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

/** Parse iptables-save / ip6tables-save / `iptables -S` text. Never throws; problems name their line. */
export function parseIptablesSave(text: string, options: IptablesParseOptions = {}): IptablesDump {
	const tables = new Map<string, IptablesTable>();
	const problems: NatProblem[] = [];
	let current: IptablesTable | undefined;
	let inSaveSection = false;
	let ruleCount = 0;
	let lineNumber = 0;
	let lastChain: IptablesChain | undefined;
	let lastTable: IptablesTable | undefined;
	let start = 0;
	const length = text.length;

	const tableNamed = (name: string, line: number | null): IptablesTable => {
		let table = tables.get(name);
		if (!table) {
			table = {name, line, chains: new Map()};
			tables.set(name, table);
		}

		return table;
	};

	const problem = (line: number, raw: string, message: string) => {
		problems.push({line, message: `line ${line}: ${message}: ${clip(raw)}`});
	};

	while (start <= length) {
		let end = text.indexOf('\n', start);
		if (end === -1) {
			end = length;
		}

		lineNumber++;
		let raw = text.slice(start, end);
		start = end + 1;
		if (raw.length > 0 && raw.charCodeAt(raw.length - 1) === 13) {
			raw = raw.slice(0, -1);
		}

		const first = raw.charCodeAt(0);
		// '-' : the hot path, a rule line.
		if (first === 45) {
			const op = raw.charCodeAt(1);
			if (op === 65 && raw.charCodeAt(2) === 32) {
				current ??= tableNamed(options.defaultTable ?? 'nat', null);
				let chainEnd = raw.indexOf(' ', 3);
				if (chainEnd === -1) {
					chainEnd = raw.length;
				}

				// iptables-save groups rules by chain: most lines continue the previous chain.
				let chain = lastChain;
				if (!chain || chainEnd - 3 !== chain.name.length || !raw.startsWith(chain.name, 3) || lastTable !== current) {
					const name = raw.slice(3, chainEnd);
					if (name === '' || name.startsWith('-')) {
						problem(lineNumber, raw, 'rule without a chain name');
						continue;
					}

					chain = current.chains.get(name);
					if (!chain) {
						if (inSaveSection) {
							problem(lineNumber, raw, `rule for undeclared chain ${name}`);
						}

						chain = {name, policy: null, counters: null, line: null, rules: []};
						current.chains.set(name, chain);
					}

					lastChain = chain;
					lastTable = current;
				}

				const rule: IptablesRuleLine = {line: lineNumber, raw, table: current.name, chain: chain.name};
				if (options.eager) {
					ruleDetails(rule, problems);
				}

				chain.rules.push(rule);
				ruleCount++;
				continue;
			}

			handleCommandLine(raw, lineNumber);
			continue;
		}

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

			current ??= tableNamed(options.defaultTable ?? 'nat', null);
			declareChain(current, match[1]!, match[2]!, match[3] ?? null, lineNumber);
			continue;
		}

		if (trimmed.startsWith('-')) {
			handleCommandLine(trimmed, lineNumber);
			continue;
		}

		problem(lineNumber, raw, 'not an iptables-save line');
	}

	if (inSaveSection && current) {
		problems.push({line: lineNumber, message: `line ${lineNumber}: table ${current.name} was not closed with COMMIT`});
	}

	return {tables, ruleCount, problems};

	function declareChain(table: IptablesTable, name: string, policy: string | null, counters: string | null, line: number) {
		const existing = table.chains.get(name);
		lastChain = undefined;
		// A second declaration flushes the chain, as iptables-restore does.
		table.chains.set(name, {name, policy, counters, line, rules: existing && existing.line === null ? existing.rules : []});
	}

	// `-N`, `-P`, `-X`, `-F`, `-A`/`-I` with odd spacing: the `iptables -S` commands.
	function handleCommandLine(raw: string, line: number) {
		const tokens = tokenize(raw);
		const command = tokens[0];
		current ??= tableNamed(options.defaultTable ?? 'nat', null);
		switch (command) {
			case '-A':
			case '--append':
			case '-I':
			case '--insert': {
				const insert = command === '-I' || command === '--insert';
				const withoutPosition = insert && tokens[2] !== undefined && /^\d+$/.test(tokens[2]) ? [tokens[1]!, ...tokens.slice(3)] : tokens.slice(1);
				const details = parseRuleLine(`-A ${withoutPosition.map(quoteIfNeeded).join(' ')}`, line, current.name, problems, raw);
				if (details) {
					let chain = current.chains.get(details.chain);
					if (!chain) {
						if (inSaveSection) {
							problem(line, raw, `rule for undeclared chain ${details.chain}`);
						}

						chain = {name: details.chain, policy: null, counters: null, line: null, rules: []};
						current.chains.set(details.chain, chain);
					}

					const rule: IptablesRuleLine = {line, raw, table: current.name, chain: details.chain, details};
					if (insert) {
						chain.rules.unshift(rule);
					} else {
						chain.rules.push(rule);
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
						}
					}

					return;
				}

				if (!current.chains.delete(tokens[1]!)) {
					problem(line, raw, `-X of unknown chain ${tokens[1]!}`);
				}

				return;
			}

			case '-F':
			case '--flush': {
				const chain = tokens[1] ? current.chains.get(tokens[1]) : undefined;
				if (chain) {
					chain.rules.length = 0;
				} else if (!tokens[1]) {
					for (const each of current.chains.values()) {
						each.rules.length = 0;
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

	const rule: IptablesRule = {
		line: lineNumber,
		raw,
		table,
		chain: chainName,
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
