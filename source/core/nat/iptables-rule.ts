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
 * What an option does to the rule: `value` is its word (undefined for a flag), `negated` whether
 * a `!` came before it. Returns a problem message, or nothing.
 */
type Apply = (rule: IptablesRule, value: string, negated: boolean) => string | void;

type OptionSpec = {
	/** Every spelling, long and short. */
	readonly names: readonly string[];
	/** False for flags such as `--rcheck`. Default true. */
	readonly takesValue?: boolean;
	/** The value may run over several bare words (a comment written without quotes). */
	readonly words?: boolean;
	readonly apply: Apply;
};

const recentOf = (rule: IptablesRule): IptablesRecent => {
	rule.recent ??= {name: null, action: null, seconds: null, reap: false};
	return rule.recent;
};

/** An option that sets fields of the rule: `value` and `negated` say which field gets the word and the `!`. */
const sets = (value: keyof IptablesRule, negated?: keyof IptablesRule): Apply => (rule, word, isNegated) => {
	const fields = rule as Record<keyof IptablesRule, unknown>;
	fields[value] = word;
	if (negated) {
		fields[negated] = isNegated;
	}
};

const recentAction = (action: IptablesRecent['action']): OptionSpec => ({names: [`--${action!}`], takesValue: false, apply(rule) {
	recentOf(rule).action = action;
}});

/** The options kube-proxy writes (and iptables-save prints back), in one table. */
const optionTable: readonly OptionSpec[] = [
	{names: ['-s', '--source', '--src'], apply: sets('source', 'sourceNegated')},
	{names: ['-d', '--destination', '--dst'], apply: sets('destination', 'destinationNegated')},
	{names: ['-p', '--protocol'], apply(rule, value) {
		rule.protocol = value.toLowerCase();
	}},
	{names: ['--dport', '--destination-port'], apply: sets('destinationPort')},
	{names: ['-j', '--jump'], apply: sets('target')},
	{names: ['-g', '--goto'], apply(rule, value) {
		rule.target = value;
		rule.goto = true;
	}},
	{names: ['-m', '--match'], apply(rule, value) {
		rule.modules.push(value);
	}},
	// kube-proxy quotes comments with spaces; dumps edited by hand leave them bare.
	{names: ['--comment'], words: true, apply: sets('comment')},
	{names: ['--probability'], apply(rule, value) {
		const probability = Number(value);
		if (!Number.isFinite(probability) || probability < 0 || probability > 1) {
			return `bad probability ${value}`;
		}

		rule.probability = probability;
		rule.probabilityText = value;
	}},
	{names: ['--to-destination'], apply: sets('toDestination')},
	{names: ['--name'], apply(rule, value) {
		recentOf(rule).name = value;
	}},
	// `--set` belongs to -m recent; `-m set` uses --match-set instead.
	recentAction('set'),
	recentAction('rcheck'),
	recentAction('update'),
	recentAction('remove'),
	{names: ['--seconds'], apply(rule, value) {
		const seconds = Number(value);
		if (!Number.isInteger(seconds) || seconds < 0) {
			return `bad --seconds ${value}`;
		}

		recentOf(rule).seconds = seconds;
	}},
	{names: ['--reap'], takesValue: false, apply(rule) {
		recentOf(rule).reap = true;
	}},
	{names: ['--src-type'], apply: sets('srcType', 'srcTypeNegated')},
	{names: ['--dst-type'], apply: sets('dstType', 'dstTypeNegated')},
	// `--mark` is a match, except as the value of `-j MARK`.
	{names: ['--mark'], apply: (rule, value, negated) => (rule.target === 'MARK' ? sets('setMark') : sets('markMatch', 'markMatchNegated'))(rule, value, negated)},
	...['--or-mark', '--set-xmark', '--set-mark', '--xor-mark', '--and-mark'].map((name): OptionSpec => ({names: [name], apply(rule, value) {
		rule.setMark = `${name.slice(2)} ${value}`;
	}})),
	// Read but not needed: statistic's `--mode random`, recent's mask and direction.
	{names: ['--mode', '--mask'], apply() {}},
	{names: ['--rsource', '--rdest'], takesValue: false, apply() {}},
];

const optionByName = new Map(optionTable.flatMap(spec => spec.names.map(name => [name, spec] as const)));

/** Options this parser does not know that never take a value (kept in `other` as they are). */
const unknownFlags = new Set([
	'--random', '--random-fully', '--physdev-is-in', '--physdev-is-out', '--physdev-is-bridged', '-f', '--fragment', '--syn', '--persistent',
]);

/** A rule with nothing matched yet. */
function emptyRule(line: number, raw: string, table: string, chain: string): IptablesRule {
	return {
		line, raw, table, chain,
		source: null, sourceNegated: false, destination: null, destinationNegated: false,
		protocol: null, destinationPort: null, comment: null, target: null, goto: false,
		probability: null, probabilityText: null, toDestination: null, recent: null,
		srcType: null, srcTypeNegated: false, dstType: null, dstTypeNegated: false,
		markMatch: null, markMatchNegated: false, setMark: null, modules: [], other: null,
	};
}

export function clip(raw: string): string {
	return raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
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

	const tokens: string[] = [];
	const length = line.length;
	let index = 0;
	while (index < length) {
		let code = line.charCodeAt(index);
		if (code === 32 || code === 9) {
			index++;
			continue;
		}

		// The token is built from slices between quotes and escapes, not character by character.
		let token = '';
		let from = index;
		let quoted = false;
		for (; index < length; index++) {
			code = line.charCodeAt(index);
			if (!quoted && (code === 32 || code === 9)) {
				break;
			}

			if (code === 34) {
				token += line.slice(from, index);
				from = index + 1;
				quoted = !quoted;
			} else if (code === 92 && index + 1 < length && (line.charCodeAt(index + 1) === 34 || line.charCodeAt(index + 1) === 92 || (!quoted && line.charCodeAt(index + 1) === 32))) {
				// The escaped character begins the next slice and is not read as a quote or a blank.
				token += line.slice(from, index);
				from = ++index;
			}
		}

		tokens.push(token + line.slice(from, index));
	}

	return tokens;
}

/** `-x` (a letter) or `--word`, or `!`; `->` in a comment is not an option. */
export function looksLikeOption(token: string | undefined): boolean {
	if (token === undefined || token === '!') {
		return true;
	}

	if (token.length < 2 || token.charCodeAt(0) !== 45) {
		return false;
	}

	const isLetter = (code: number) => (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
	return token.charCodeAt(1) === 45 ? token.length > 2 && isLetter(token.charCodeAt(2)) : token.length === 2 && isLetter(token.charCodeAt(1));
}

/**
 * Parse one `-A CHAIN …` line with the option table. Returns null (and records a problem) when
 * the line cannot be a rule. `raw` overrides the text kept on the rule when the line was normalised first.
 */
export function parseRuleLine(line: string, lineNumber: number, table: string, problems: NatProblem[], raw: string = line): IptablesRule | null {
	const tokens = tokenize(line);
	const chainName = tokens[1];
	const bad = (message: string) => {
		problems.push({line: lineNumber, message: `line ${lineNumber}: ${message}: ${clip(raw)}`});
	};

	if (chainName === undefined || chainName === '' || looksLikeOption(chainName)) {
		bad('rule without a chain name');
		return null;
	}

	const rule = emptyRule(lineNumber, raw, table, chainName);
	// `-I CHAIN 3 …` carries a position.
	let index = tokens[0] === '-I' && tokens[2] !== undefined && /^\d+$/.test(tokens[2]) ? 3 : 2;
	let negated = false;
	while (index < tokens.length) {
		const option = tokens[index++]!;
		if (option === '!' || option === '') {
			negated ||= option === '!';
			continue;
		}

		if (option.charCodeAt(0) !== 45) {
			bad(`unexpected word "${option}"`);
			negated = false;
			continue;
		}

		const spec = optionByName.get(option);
		let value = '';
		if (spec ? spec.takesValue !== false : !unknownFlags.has(option)) {
			if (index >= tokens.length) {
				bad(`option ${option} needs a value`);
				break;
			}

			value = tokens[index++]!;
		}

		if (spec) {
			while (spec.words && index < tokens.length && !looksLikeOption(tokens[index])) {
				value += ` ${tokens[index++]!}`;
			}

			const problem = spec.apply(rule, value, negated);
			if (problem) {
				bad(problem);
			}
		} else {
			index = keepUnknown(rule, tokens, index, option, unknownFlags.has(option) ? undefined : value, negated);
		}

		negated = false;
	}

	return rule;
}

/** An option without a field goes to `other` with every word up to the next option (`--set-counters a b`). */
function keepUnknown(rule: IptablesRule, tokens: string[], index: number, option: string, value: string | undefined, negated: boolean): number {
	rule.other ??= [];
	if (negated) {
		rule.other.push('!');
	}

	rule.other.push(option);
	if (value !== undefined) {
		rule.other.push(value);
	}

	while (index < tokens.length && !looksLikeOption(tokens[index])) {
		rule.other.push(tokens[index++]!);
	}

	return index;
}
