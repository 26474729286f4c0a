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

/** Parses a selector string; the error text follows apimachinery's wording closely enough for one line. */
export function parseLabelSelector(input: string): ParseResult<LabelSelector> {
	const tokens = tokenize(input);
	if (typeof tokens === 'string') {
		return {ok: false, error: tokens};
	}

	const requirements: LabelRequirement[] = [];
	let position = 0;
	const peek = (): Token | undefined => tokens[position];
	const fail = (message: string): ParseResult<LabelSelector> => ({ok: false, error: `unable to parse requirement: ${message}`});

	while (position < tokens.length) {
		let negated = false;
		if (peek()?.kind === 'not') {
			negated = true;
			position++;
		}

		const keyToken = peek();
		if (keyToken?.kind !== 'word') {
			return fail(`found '${keyToken?.text ?? ''}', expected: identifier`);
		}

		position++;
		const key = keyToken.text;
		if (!keyPattern.test(key)) {
			return fail(`invalid label key "${key}"`);
		}

		const next = peek();
		if (negated) {
			if (next !== undefined && next.kind !== 'comma') {
				return fail(`found '${next.text}', expected: ',' or 'end of string'`);
			}

			requirements.push({key, operator: 'notExists', values: []});
		} else if (next === undefined || next.kind === 'comma') {
			requirements.push({key, operator: 'exists', values: []});
		} else if (next.kind === 'op') {
			position++;
			const valueToken = peek();
			let value = '';
			if (valueToken?.kind === 'word') {
				value = valueToken.text;
				position++;
			} else if (valueToken !== undefined && valueToken.kind !== 'comma') {
				return fail(`found '${valueToken.text}', expected: identifier`);
			}

			if (!valuePattern.test(value) || value.length > 63) {
				return fail(`invalid label value: "${value}"`);
			}

			const operator: LabelOperator = next.text === '!=' ? 'notEquals' : next.text === '>' ? 'greaterThan' : next.text === '<' ? 'lessThan' : 'equals';
			if ((operator === 'greaterThan' || operator === 'lessThan') && !/^-?\d+$/.test(value)) {
				return fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
			}

			requirements.push({key, operator, values: [value]});
		} else if (next.kind === 'word' && (next.text === 'in' || next.text === 'notin')) {
			position++;
			if (peek()?.kind !== 'open') {
				return fail(`found '${peek()?.text ?? ''}', expected: '('`);
			}

			position++;
			const values: string[] = [];
			for (;;) {
				const token = peek();
				if (token === undefined) {
					return fail(`found '', expected: ')'`);
				}

				if (token.kind === 'close') {
					position++;
					break;
				}

				if (token.kind === 'comma') {
					position++;
					continue;
				}

				if (token.kind !== 'word' || !valuePattern.test(token.text)) {
					return fail(`found '${token.text}', expected: ',', ')' or identifier`);
				}

				values.push(token.text);
				position++;
			}

			if (values.length === 0) {
				return fail(`for 'in', 'notin' operators, values set can't be empty`);
			}

			requirements.push({key, operator: next.text === 'in' ? 'in' : 'notIn', values});
		} else {
			return fail(`found '${next.text}', expected: in, notin, =, ==, !=, gt, lt`);
		}

		const separator = peek();
		if (separator !== undefined) {
			if (separator.kind !== 'comma') {
				return fail(`found '${separator.text}', expected: ',' or 'end of string'`);
			}

			position++;
			if (position === tokens.length) {
				return fail(`found '', expected: identifier`);
			}
		}
	}

	return {ok: true, value: requirements};
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
