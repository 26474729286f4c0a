import type {NatProblem} from './types.js';

/**
 * One `-A`/`-I` rule of an iptables-save (or `iptables -S`) dump. Only the parameters kube-proxy
 * uses get their own field; options the table does not know land in `other`, so nothing is lost.
 */
export type IptablesRule = {
	/** 1-based line number in the dump. */
	readonly line: number;
	/** The rule line as written. */
	readonly raw: string;
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
	/** `-m statistic --probability`. */
	probability: number | null;
	toDestination: string | null;
	/** `-m recent`'s action (`--set`, `--rcheck`, …) and `--seconds`. */
	recentAction: 'set' | 'rcheck' | 'update' | 'remove' | null;
	recentSeconds: number | null;
	srcType: string | null;
	srcTypeNegated: boolean;
	dstType: string | null;
	dstTypeNegated: boolean;
	/** `--or-mark`/`--set-xmark`/`--set-mark` (or `--mark`) of `-j MARK`, e.g. `or-mark 0x4000`. */
	setMark: string | null;
	/** Options this parser has no field for, with their values, in order. */
	other: string[] | null;
};

/** What an option does with its value (`negated`: a `!` came before it); returns a problem message, or nothing. */
type Apply = (rule: IptablesRule, value: string, negated: boolean, option: string) => string | void;

type Field = 'source' | 'destination' | 'srcType' | 'dstType' | 'destinationPort' | 'target' | 'comment' | 'toDestination';

/** The value goes to `name`, and the `!` (if the field has one) to `negatedName`. */
const field = (name: Field, negatedName?: 'sourceNegated' | 'destinationNegated' | 'srcTypeNegated' | 'dstTypeNegated'): Apply => (rule, value, negated) => {
	rule[name] = value;
	if (negatedName) {
		rule[negatedName] = negated;
	}
};

/** The options kube-proxy writes (and iptables-save prints back), every spelling, in one table. */
const optionTable: ReadonlyArray<readonly [readonly string[], Apply]> = [
	[['-s', '--source', '--src'], field('source', 'sourceNegated')],
	[['-d', '--destination', '--dst'], field('destination', 'destinationNegated')],
	[['-p', '--protocol'], (rule, value) => {
		rule.protocol = value.toLowerCase();
	}],
	[['--dport', '--destination-port'], field('destinationPort')],
	[['-j', '--jump', '-g', '--goto'], field('target')],
	// kube-proxy quotes comments with spaces; dumps edited by hand leave them bare (parseRuleLine reads on).
	[['--comment'], field('comment')],
	[['--probability'], (rule, value) => {
		const probability = Number(value);
		if (!(probability >= 0 && probability <= 1)) {
			return `bad probability ${value}`;
		}

		rule.probability = probability;
	}],
	[['--to-destination'], field('toDestination')],
	[['--src-type'], field('srcType', 'srcTypeNegated')],
	[['--dst-type'], field('dstType', 'dstTypeNegated')],
	[['--set', '--rcheck', '--update', '--remove'], (rule, _value, _negated, option) => {
		rule.recentAction = option.slice(2) as IptablesRule['recentAction'];
	}],
	[['--seconds'], (rule, value) => {
		const seconds = Number(value);
		if (!Number.isInteger(seconds) || seconds < 0) {
			return `bad --seconds ${value}`;
		}

		rule.recentSeconds = seconds;
	}],
	// `--mark` is a match (not needed), except as the value of `-j MARK`.
	[['--mark'], (rule, value) => {
		rule.setMark = rule.target === 'MARK' ? value : rule.setMark;
	}],
	[['--or-mark', '--set-xmark', '--set-mark', '--xor-mark', '--and-mark'], (rule, value, _negated, option) => {
		rule.setMark = `${option.slice(2)} ${value}`;
	}],
	// Read but not needed: modules, statistic's `--mode random`, recent's name, mask, direction and reaping.
	[['-m', '--match', '--mode', '--name', '--mask', '--rsource', '--rdest', '--reap'], () => undefined],
];

const optionByName = new Map(optionTable.flatMap(([names, apply]) => names.map(name => [name, apply] as const)));

/** Options that never take a value, known (`--rcheck`) or not (kept in `other` as they are). */
const flags = new Set([
	'--set', '--rcheck', '--update', '--remove', '--reap', '--rsource', '--rdest',
	'--random', '--random-fully', '--physdev-is-in', '--physdev-is-out', '--physdev-is-bridged', '-f', '--fragment', '--syn', '--persistent',
]);

/** Split a rule line into words. Double quotes group words; `\"` and `\\` are escapes, as iptables-save writes them. */
export function tokenize(line: string): string[] {
	return line.includes('\\') || line.includes('\t') ? splitWords(line) : (splitQuoted(line) ?? splitWords(line));
}

/** tokenize with indexOf, for a line whose only quotes wrap whole words (kube-proxy's comments); null otherwise. */
function splitQuoted(line: string): string[] | null {
	const tokens: string[] = [];
	let quote = line.indexOf('"');
	for (let index = 0; index < line.length;) {
		if (line.charCodeAt(index) === 32) {
			index++;
			continue;
		}

		quote = quote !== -1 && quote < index ? line.indexOf('"', index) : quote;
		const quoted = quote === index;
		let end = quoted ? line.indexOf('"', index + 1) + 1 : line.indexOf(' ', index);
		end = end === -1 ? line.length : end;
		// An unclosed quote, a quote inside a word, or a word right after a closing quote.
		if (end === 0 || (end < line.length && line.charCodeAt(end) !== 32) || (!quoted && quote !== -1 && quote < end)) {
			return null;
		}

		tokens.push(quoted ? line.slice(index + 1, end - 1) : line.slice(index, end));
		index = end;
	}

	return tokens;
}

/** tokenize, character by character. */
function splitWords(line: string): string[] {
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

const isLetter = (code: number) => (code >= 97 && code <= 122) || (code >= 65 && code <= 90);

/** `-x` (a letter) or `--word`, or `!`; `->` in a comment is not an option. */
export function looksLikeOption(token: string | undefined): boolean {
	if (token === undefined || token === '!') {
		return true;
	}

	if (token.length < 2 || token.charCodeAt(0) !== 45) {
		return false;
	}

	return token.charCodeAt(1) === 45 ? token.length > 2 && isLetter(token.charCodeAt(2)) : token.length === 2 && isLetter(token.charCodeAt(1));
}

/**
 * One `-A CHAIN …` line parsed with the option table; null (and a problem) when it cannot be a rule.
 * `raw` is the text kept on the rule when the line was normalised first.
 */
export function parseRuleLine(line: string, lineNumber: number, problems: NatProblem[], raw: string = line): IptablesRule | null {
	const tokens = tokenize(line);
	const chain = tokens[1];
	if (chain === undefined || chain === '' || looksLikeOption(chain)) {
		ruleProblem(problems, lineNumber, raw, 'rule without a chain name');
		return null;
	}

	const rule: IptablesRule = {
		line: lineNumber, raw, chain, source: null, sourceNegated: false, destination: null, destinationNegated: false, protocol: null, destinationPort: null,
		comment: null, target: null, probability: null, toDestination: null, recentAction: null, recentSeconds: null, srcType: null, srcTypeNegated: false, dstType: null, dstTypeNegated: false,
		setMark: null, other: null,
	};
	// `-I CHAIN 3 …` carries a position.
	let index = (tokens[0] === '-I' || tokens[0] === '--insert') && tokens[2] !== undefined && /^\d+$/.test(tokens[2]) ? 3 : 2;
	let negated = false;
	while (index < tokens.length) {
		const option = tokens[index++]!;
		if (option === '!' || option === '') {
			negated ||= option === '!';
			continue;
		}

		const flag = flags.has(option);
		if (option.charCodeAt(0) !== 45) {
			ruleProblem(problems, lineNumber, raw, `unexpected word "${option}"`);
		} else if (!flag && index >= tokens.length) {
			ruleProblem(problems, lineNumber, raw, `option ${option} needs a value`);
			break;
		} else {
			index = readOption(rule, tokens, index, option, flag, negated, problems);
		}

		negated = false;
	}

	return rule;
}

/** A problem with the line `lineNumber` (written `raw`), quoting its first 200 characters. */
export function ruleProblem(problems: NatProblem[], lineNumber: number, raw: string, message: string): void {
	problems.push({line: lineNumber, message: `line ${lineNumber}: ${message}: ${raw.length > 200 ? `${raw.slice(0, 200)}…` : raw}`});
}

/** The option at tokens[index - 1] with its value (none for a `flag`); returns the index after them. */
function readOption(rule: IptablesRule, tokens: string[], index: number, option: string, flag: boolean, negated: boolean, problems: NatProblem[]): number {
	let value = flag ? '' : tokens[index++]!;
	const apply = optionByName.get(option);
	if (!apply) {
		// An option without a field goes to `other` with every word up to the next option (`--set-counters a b`).
		rule.other ??= [];
		if (negated) {
			rule.other.push('!');
		}

		rule.other.push(option);
		if (!flag) {
			rule.other.push(value);
		}

		while (index < tokens.length && !looksLikeOption(tokens[index])) {
			rule.other.push(tokens[index++]!);
		}

		return index;
	}

	while (option === '--comment' && index < tokens.length && !looksLikeOption(tokens[index])) {
		value += ` ${tokens[index++]!}`;
	}

	const problem = apply(rule, value, negated, option);
	if (problem) {
		ruleProblem(problems, rule.line, rule.raw, problem);
	}

	return index;
}
