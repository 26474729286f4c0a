/**
 * Label selectors as kube-apiserver parses them (k8s.io/apimachinery/pkg/labels): comma-separated
 * requirements `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k>n`, `k<n`.
 */

export type LabelOperator = 'exists' | 'notExists' | 'equals' | 'notEquals' | 'in' | 'notIn' | 'greaterThan' | 'lessThan';

export type LabelRequirement = {
	readonly key: string;
	readonly operator: LabelOperator;
	readonly values: readonly string[];
};

export type LabelSelector = readonly LabelRequirement[];

export type ParseResult<T> = {ok: true; value: T} | {ok: false; error: string};

type Token = {kind: 'word' | 'op' | 'comma' | 'open' | 'close' | 'not'; text: string};

function tokenize(input: string): Token[] | string {
	const tokens: Token[] = [];
	let index = 0;
	while (index < input.length) {
		const char = input[index];
		if (char === ' ' || char === '\t') {
			index++;
			continue;
		}

		if (char === ',') {
			tokens.push({kind: 'comma', text: ','});
			index++;
		} else if (char === '(') {
			tokens.push({kind: 'open', text: '('});
			index++;
		} else if (char === ')') {
			tokens.push({kind: 'close', text: ')'});
			index++;
		} else if (input.startsWith('==', index) || input.startsWith('!=', index)) {
			tokens.push({kind: 'op', text: input.slice(index, index + 2)});
			index += 2;
		} else if (char === '=' || char === '>' || char === '<') {
			tokens.push({kind: 'op', text: char});
			index++;
		} else if (char === '!') {
			tokens.push({kind: 'not', text: '!'});
			index++;
		} else {
			let end = index;
			while (end < input.length && !' \t,()=!<>'.includes(input[end])) {
				end++;
			}

			tokens.push({kind: 'word', text: input.slice(index, end)});
			index = end;
		}
	}

	return tokens;
}

const keyPattern = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const valuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/**
 * A recursive-descent reader over the tokens: requirements separated by commas. Each step returns its
 * result or the problem as a string, worded as apimachinery words it.
 */
class SelectorParser {
	private position = 0;

	constructor(private readonly tokens: readonly Token[]) {}

	parse(): ParseResult<LabelSelector> {
		const requirements: LabelRequirement[] = [];
		while (this.position < this.tokens.length) {
			const requirement = this.requirement();
			const problem = typeof requirement === 'string' ? requirement : this.separator();
			if (problem !== undefined) {
				return {ok: false, error: `unable to parse requirement: ${problem}`};
			}

			requirements.push(requirement as LabelRequirement);
		}

		return {ok: true, value: requirements};
	}

	private peek(): Token | undefined {
		return this.tokens[this.position];
	}

	/** `!key`, `key`, `key OP value` or `key in|notin (values)`. */
	private requirement(): LabelRequirement | string {
		const negated = this.peek()?.kind === 'not';
		if (negated) {
			this.position++;
		}

		const keyToken = this.peek();
		if (keyToken?.kind !== 'word') {
			return `found '${keyToken?.text ?? ''}', expected: identifier`;
		}

		this.position++;
		const key = keyToken.text;
		if (!keyPattern.test(key)) {
			return `invalid label key "${key}"`;
		}

		const next = this.peek();
		if (negated) {
			return next !== undefined && next.kind !== 'comma' ? `found '${next.text}', expected: ',' or 'end of string'` : {key, operator: 'notExists', values: []};
		}

		if (next === undefined || next.kind === 'comma') {
			return {key, operator: 'exists', values: []};
		}

		if (next.kind === 'op') {
			this.position++;
			return this.comparison(key, next.text);
		}

		if (next.kind === 'word' && (next.text === 'in' || next.text === 'notin')) {
			this.position++;
			return this.valueSet(key, next.text === 'in' ? 'in' : 'notIn');
		}

		return `found '${next.text}', expected: in, notin, =, ==, !=, gt, lt`;
	}

	/** `=`, `==`, `!=`, `>` or `<` and one value (which may be empty). */
	private comparison(key: string, operatorText: string): LabelRequirement | string {
		const valueToken = this.peek();
		let value = '';
		if (valueToken?.kind === 'word') {
			value = valueToken.text;
			this.position++;
		} else if (valueToken !== undefined && valueToken.kind !== 'comma') {
			return `found '${valueToken.text}', expected: identifier`;
		}

		if (!valuePattern.test(value) || value.length > 63) {
			return `invalid label value: "${value}"`;
		}

		const operator: LabelOperator = operatorText === '!=' ? 'notEquals' : operatorText === '>' ? 'greaterThan' : operatorText === '<' ? 'lessThan' : 'equals';
		if ((operator === 'greaterThan' || operator === 'lessThan') && !/^-?\d+$/.test(value)) {
			return `for 'Gt', 'Lt' operators, the value must be an integer`;
		}

		return {key, operator, values: [value]};
	}

	/** `(v1, v2, ...)` after in or notin: at least one value. */
	private valueSet(key: string, operator: 'in' | 'notIn'): LabelRequirement | string {
		if (this.peek()?.kind !== 'open') {
			return `found '${this.peek()?.text ?? ''}', expected: '('`;
		}

		this.position++;
		const values: string[] = [];
		for (let token = this.peek(); token?.kind !== 'close'; token = this.peek()) {
			if (token === undefined) {
				return `found '', expected: ')'`;
			}

			if (token.kind !== 'comma') {
				if (token.kind !== 'word' || !valuePattern.test(token.text)) {
					return `found '${token.text}', expected: ',', ')' or identifier`;
				}

				values.push(token.text);
			}

			this.position++;
		}

		this.position++;
		return values.length === 0 ? `for 'in', 'notin' operators, values set can't be empty` : {key, operator, values};
	}

	/** After a requirement: the end, or a comma followed by another requirement. */
	private separator(): string | undefined {
		const separator = this.peek();
		if (separator === undefined) {
			return undefined;
		}

		if (separator.kind !== 'comma') {
			return `found '${separator.text}', expected: ',' or 'end of string'`;
		}

		this.position++;
		return this.position === this.tokens.length ? `found '', expected: identifier` : undefined;
	}
}

/** Parses a selector string; the error text follows apimachinery's wording closely enough for one line. */
export function parseLabelSelector(input: string): ParseResult<LabelSelector> {
	const tokens = tokenize(input);
	return typeof tokens === 'string' ? {ok: false, error: tokens} : new SelectorParser(tokens).parse();
}

/** Whether a label map satisfies every requirement (an empty selector matches everything). */
export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
	for (const requirement of selector) {
		const has = labels !== undefined && Object.hasOwn(labels, requirement.key);
		const value = has ? labels[requirement.key] : undefined;
		switch (requirement.operator) {
			case 'exists': {
				if (!has) {
					return false;
				}

				break;
			}

			case 'notExists': {
				if (has) {
					return false;
				}

				break;
			}

			case 'equals':
			case 'in': {
				if (!has || !requirement.values.includes(value!)) {
					return false;
				}

				break;
			}

			case 'notEquals':
			case 'notIn': {
				if (has && requirement.values.includes(value!)) {
					return false;
				}

				break;
			}

			case 'greaterThan':
			case 'lessThan': {
				if (!has || !/^-?\d+$/.test(value!)) {
					return false;
				}

				const actual = Number(value);
				const bound = Number(requirement.values[0]);
				if (requirement.operator === 'greaterThan' ? !(actual > bound) : !(actual < bound)) {
					return false;
				}

				break;
			}
		}
	}

	return true;
}

/** `{app: 'x', tier: 'web'}` -> `app=x,tier=web`, keys sorted, the way kubectl prints a selector. */
export function formatLabelSelector(labels: Readonly<Record<string, string>>): string {
	return Object.keys(labels)
		.sort()
		.map(key => `${key}=${labels[key]}`)
		.join(',');
}
