/*
 * YAML exactly as kubectl prints it. kubectl marshals the object to JSON, then sigs.k8s.io/yaml turns the
 * JSON into YAML with go-yaml v2, whose emitter decides every byte: keys in its "natural" order, list
 * items at their parent key's indent, a string quoted only when it would otherwise read as something
 * else (double quotes) or cannot be plain (single quotes), `|-` blocks for multi-line strings, and long
 * lines folded at spaces past column 80. This is a port of the parts of go-yaml v2's emitter that JSON
 * values reach (emitterc.go, encode.go, resolve.go, sorter.go); pure, no I/O.
 */

const bestIndent = 2;
const bestWidth = 80;
const ascii = /^[\u0000-\u007F]*$/;
const utf8 = new TextEncoder();

type Json = null | boolean | number | string | Json[] | {[key: string]: Json};
type Style = 'plain' | 'single' | 'double' | 'literal';

/** The string's characters by code point; a plain-ASCII string indexes as it is, without a copy. */
function codePoints(value: string): ArrayLike<string> {
	return ascii.test(value) ? value : [...value];
}

const isBreak = (c: string | undefined) => c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029';
const isBlankOrEnd = (c: string | undefined) => c === undefined || c === ' ' || c === '\t' || isBreak(c);
const isLetter = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c > '\u007F' && /\p{L}/u.test(c));
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** go-yaml's is_printable, by code point (characters outside the BMP are not "printable" there). */
function isPrintable(c: string): boolean {
	const code = c.codePointAt(0)!;
	return code === 0x0A || (code >= 0x20 && code <= 0x7E) || (code >= 0xA0 && code <= 0xD7FF) || (code >= 0xE0_00 && code <= 0xFF_FD && code !== 0xFE_FF);
}

/** sorter.go's keyList.Less for string keys: letters after other characters, runs of digits by value. */
export function compareKeys(a: string, b: string): number {
	// By code point, as Go compares runes; plain strings index as they are.
	const ar = ascii.test(a) ? a : [...a];
	const br = ascii.test(b) ? b : [...b];
	for (let i = 0; i < ar.length && i < br.length; i++) {
		if (ar[i] === br[i]) {
			continue;
		}

		const al = isLetter(ar[i]!);
		const bl = isLetter(br[i]!);
		if (al && bl) {
			return ar[i]! < br[i]! ? -1 : 1;
		}

		if (al || bl) {
			return bl ? -1 : 1;
		}

		let an = 0n;
		let bn = 0n;
		if (ar[i] === '0' || br[i] === '0') {
			for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
				if (ar[j] !== '0') {
					an = 1n;
					bn = 1n;
					break;
				}
			}
		}

		let ai = i;
		for (; ai < ar.length && isDigit(ar[ai]); ai++) {
			an = (an * 10n) + BigInt(ar[ai]!);
		}

		let bi = i;
		for (; bi < br.length && isDigit(br[bi]); bi++) {
			bn = (bn * 10n) + BigInt(br[bi]!);
		}

		if (an !== bn) {
			return an < bn ? -1 : 1;
		}

		if (ai !== bi) {
			return ai < bi ? -1 : 1;
		}

		return ar[i]! < br[i]! ? -1 : 1;
	}

	return ar.length - br.length;
}

const notStrings = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF', '', '~', 'null', 'Null', 'NULL', '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF', '<<']);
const yamlStyleFloat = /^[-+]?(\.\d+|\d+(\.\d*)?)([eE][-+]?\d+)?$/;
const base60Float = /^[-+]?\d[\d_]*(?::[0-5]?\d)+(?:\.[\d_]*)?$/;

function daysIn(year: number, month: number): number {
	return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** resolve.go's parseTimestamp: the layouts go-yaml tries on a plain scalar. */
function isTimestamp(s: string): boolean {
	const match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:([Tt])| )(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(s);
	if (!match) {
		return false;
	}

	const [, year, month, day, t, hour, minute, second, zone] = match;
	// With a T the zone is required; with a space there is none.
	if (hour !== undefined && (t === undefined) !== (zone === undefined)) {
		return false;
	}

	const inRange = Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1 && Number(day) <= daysIn(Number(year), Number(month));
	return inRange && (hour === undefined || (Number(hour) < 24 && Number(minute) < 60 && Number(second) < 60));
}

/** Go's strconv.ParseInt(s, 0, 64), then ParseUint: does `s` read as an integer? */
function isGoInteger(s: string): boolean {
	const match = /^([-+]?)(0[xX][\da-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9]\d*)$/.exec(s);
	if (!match) {
		return false;
	}

	const digits = match[2]!;
	const value = /^0[oO]/.test(digits) ? BigInt(`0o${digits.slice(2)}`) : /^0\d/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
	const signed = match[1] === '-' ? -value : value;
	return (signed >= -(2n ** 63n) && signed < 2n ** 63n) || (match[1] === '' && signed < 2n ** 64n);
}

/** Would `s`, written plain, read back as something other than this string (resolve.go)? */
function readsAsNonString(s: string): boolean {
	if (notStrings.has(s)) {
		return true;
	}

	if (s.startsWith('.')) {
		return /^\.\d+([eE][-+]?\d+)?$/.test(s);
	}

	if (!/^[-+\d]/.test(s)) {
		return false;
	}

	if (isTimestamp(s)) {
		return true;
	}

	const plain = s.replaceAll('_', '');
	return isGoInteger(plain) || (yamlStyleFloat.test(plain) && Number.isFinite(Number.parseFloat(plain)));
}

type Analysis = {blockPlainAllowed: boolean; singleQuotedAllowed: boolean; blockAllowed: boolean; multiline: boolean};

/** emitterc.go's yaml_emitter_analyze_scalar, for block context. */
function analyzeScalar(value: string): Analysis {
	const chars = codePoints(value);
	if (chars.length === 0) {
		return {blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false, multiline: false};
	}

	let blockIndicators = value.startsWith('---') || value.startsWith('...');
	let [leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak] = [false, false, false, false, false, false];
	let [special, lineBreaks, previousSpace, previousBreak] = [false, false, false, false];
	let precededByWhitespace = true;
	for (let i = 0; i < chars.length; i++) {
		const c = chars[i]!;
		const followedByWhitespace = isBlankOrEnd(chars[i + 1]);
		if (i === 0) {
			if ('#,[]{}&*!|>\'"%@`'.includes(c) || ((c === '?' || c === ':' || c === '-') && followedByWhitespace)) {
				blockIndicators = true;
			}
		} else if ((c === ':' && followedByWhitespace) || (c === '#' && precededByWhitespace)) {
			blockIndicators = true;
		}

		if (!isPrintable(c)) {
			special = true;
		}

		const last = i === chars.length - 1;
		if (c === ' ') {
			leadingSpace ||= i === 0;
			trailingSpace ||= last;
			breakSpace ||= previousBreak;
			previousSpace = true;
			previousBreak = false;
		} else if (isBreak(c)) {
			lineBreaks = true;
			leadingBreak ||= i === 0;
			trailingBreak ||= last;
			spaceBreak ||= previousSpace;
			previousSpace = false;
			previousBreak = true;
		} else {
			previousSpace = false;
			previousBreak = false;
		}

		precededByWhitespace = isBlankOrEnd(c);
	}

	const analysis = {blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true, multiline: lineBreaks};
	if (leadingSpace || leadingBreak || trailingSpace || trailingBreak || lineBreaks || blockIndicators) {
		analysis.blockPlainAllowed = false;
	}

	if (trailingSpace) {
		analysis.blockAllowed = false;
	}

	if (breakSpace) {
		analysis.singleQuotedAllowed = false;
	}

	if (spaceBreak || special) {
		analysis.blockPlainAllowed = false;
		analysis.singleQuotedAllowed = false;
		analysis.blockAllowed = false;
	}

	return analysis;
}

/** encode.go's stringv plus the emitter's yaml_emitter_select_scalar_style. */
function scalarStyle(value: string, simpleKey: boolean, analysis: Analysis): Style {
	let style: Style = value.includes('\n') ? 'literal' : (!readsAsNonString(value) && !base60Float.test(value) ? 'plain' : 'double');
	if (style === 'plain' && (!analysis.blockPlainAllowed || (value === '' && simpleKey))) {
		style = 'single';
	}

	if (style === 'single' && !analysis.singleQuotedAllowed) {
		style = 'double';
	}

	if (style === 'literal' && (!analysis.blockAllowed || simpleKey)) {
		style = 'double';
	}

	return style;
}

/** strconv.FormatFloat(f, 'g', -1, 64), as go-yaml writes a float. */
function goFloat(value: number): string {
	if (Number.isNaN(value)) {
		return '.nan';
	}

	if (!Number.isFinite(value)) {
		return value > 0 ? '.inf' : '-.inf';
	}

	const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
	const exponent = Number(exponentText);
	const digits = mantissa.replace(/[-.]/g, '').length;
	if (exponent < -4 || exponent >= Math.max(digits, 21)) {
		return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
	}

	return String(value);
}

const escapes: Record<string, string> = {'\0': '0', '\u0007': 'a', '\b': 'b', '\t': 't', '\n': 'n', '\v': 'v', '\f': 'f', '\r': 'r', '\u001B': 'e', '"': '"', '\\': '\\', '\u0085': 'N', '\u00A0': '_', '\u2028': 'L', '\u2029': 'P'};

function escapeOf(c: string): string {
	if (escapes[c] !== undefined) {
		return `\\${escapes[c]}`;
	}

	const code = c.codePointAt(0)!;
	const [letter, width] = code <= 0xFF ? ['x', 2] : code <= 0xFF_FF ? ['u', 4] : ['U', 8];
	return `\\${letter}${code.toString(16).toUpperCase().padStart(width, '0')}`;
}

/** The emitter's output and cursor state, as go-yaml keeps them. */
class Emitter {
	out = '';
	column = 0;
	whitespace = true;
	indention = true;

	write(text: string): void {
		this.out += text;
		this.column += text.length === 1 || ascii.test(text) ? text.length : [...text].length;
	}

	putBreak(): void {
		this.out += '\n';
		this.column = 0;
	}

	writeIndent(indent: number): void {
		const target = Math.max(indent, 0);
		if (!this.indention || this.column > target || (this.column === target && !this.whitespace)) {
			this.putBreak();
		}

		this.write(' '.repeat(Math.max(target - this.column, 0)));
		this.whitespace = true;
		this.indention = true;
	}

	writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
		if (needWhitespace && !this.whitespace) {
			this.write(' ');
		}

		this.write(indicator);
		this.whitespace = isWhitespace;
		this.indention &&= isIndention;
	}

	/** Plain, single- or double-quoted text, folded at a space once past the width unless it is a key. */
	writeFlowScalar(value: string, style: 'plain' | 'single' | 'double', indent: number, allowBreaks: boolean): void {
		if (style === 'plain') {
			if (!this.whitespace) {
				this.write(' ');
			}
		} else {
			this.writeIndicator(style === 'single' ? '\'' : '"', true, false, false);
		}

		// Short enough that no space can come past the width, and nothing to escape: the text as it is.
		const chars = codePoints(value);
		if (this.column + chars.length <= bestWidth && (style !== 'double' || /^[\u0020\u0021\u0023-\u005B\u005D-\u007E]*$/.test(value))) {
			this.write(style === 'single' ? value.replaceAll('\'', '\'\'') : value);
			this.whitespace = false;
			this.indention = false;
			if (style !== 'plain') {
				this.writeIndicator(style === 'single' ? '\'' : '"', false, false, false);
			}

			return;
		}

		let spaces = false;
		for (let i = 0; i < chars.length; i++) {
			const c = chars[i]!;
			const inside = i !== 0 && i !== chars.length - 1;
			if (style === 'double' && (!isPrintable(c) || c === '\uFEFF' || isBreak(c) || c === '"' || c === '\\')) {
				this.write(escapeOf(c));
				spaces = false;
			} else if (c === ' ') {
				const fold = allowBreaks && !spaces && this.column > bestWidth && (style === 'double' ? inside : (style === 'plain' || inside) && chars[i + 1] !== ' ');
				if (fold) {
					this.writeIndent(indent);
					if (style === 'double' && chars[i + 1] === ' ') {
						this.write('\\');
					}
				} else {
					this.write(c);
				}

				spaces = true;
			} else {
				this.write(style === 'single' && c === '\'' ? '\'\'' : c);
				this.indention = false;
				spaces = false;
			}
		}

		if (style !== 'plain') {
			this.writeIndicator(style === 'single' ? '\'' : '"', false, false, false);
		}

		this.whitespace = false;
		this.indention = false;
	}

	/** A `|` block: indentation hint when the text starts with a space or break, then the chomping hint. */
	writeLiteral(chars: string[], indent: number): void {
		this.writeIndicator('|', true, false, false);
		if (chars[0] === ' ' || isBreak(chars[0])) {
			this.writeIndicator(String(bestIndent), false, false, false);
		}

		const last = chars.length - 1;
		if (!isBreak(chars[last])) {
			this.writeIndicator('-', false, false, false);
		} else if (last === 0 || isBreak(chars[last - 1])) {
			this.writeIndicator('+', false, false, false);
		}

		this.putBreak();
		this.indention = true;
		this.whitespace = true;
		let breaks = true;
		for (const c of chars) {
			if (isBreak(c)) {
				this.putBreak();
				this.indention = true;
				breaks = true;
			} else {
				if (breaks) {
					this.writeIndent(indent);
					this.indention = false;
					breaks = false;
				}

				this.write(c);
			}
		}
	}

	scalar(value: string, indent: number, simpleKey: boolean, style = scalarStyle(value, simpleKey, analyzeScalar(value))): void {
		// The scalar's own lines (folds, block content) sit one step in from where it starts.
		const inner = indent < 0 ? bestIndent : indent + bestIndent;
		if (style === 'literal') {
			this.writeLiteral([...value], inner);
		} else {
			this.writeFlowScalar(value, style, inner, !simpleKey);
		}
	}

	node(value: Json, indent: number, mappingContext: boolean): void {
		if (Array.isArray(value)) {
			this.sequence(value, indent, mappingContext);
		} else if (value !== null && typeof value === 'object') {
			this.mapping(value, indent);
		} else if (typeof value === 'string') {
			this.scalar(value, indent, false);
		} else {
			const text = value === null ? 'null' : typeof value === 'number' ? (Number.isInteger(value) && Math.abs(value) < 1e21 ? String(value) : goFloat(value)) : String(value);
			this.scalar(text, indent, false, 'plain');
		}
	}

	emptyFlow(open: string, close: string): void {
		this.writeIndicator(open, true, true, false);
		this.writeIndicator(close, false, false, false);
	}

	sequence(items: Json[], indent: number, mappingContext: boolean): void {
		if (items.length === 0) {
			this.emptyFlow('[', ']');
			return;
		}

		// A list that is a mapping's value starts at the key's own column.
		const inner = indent < 0 ? 0 : mappingContext && !this.indention ? indent : indent + bestIndent;
		for (const item of items) {
			this.writeIndent(inner);
			this.writeIndicator('-', true, false, true);
			this.node(item, inner, false);
		}
	}

	mapping(map: Record<string, Json>, indent: number): void {
		const keys = Object.keys(map).sort(compareKeys);
		if (keys.length === 0) {
			this.emptyFlow('{', '}');
			return;
		}

		const inner = indent < 0 ? 0 : indent + bestIndent;
		for (const key of keys) {
			this.writeIndent(inner);
			const analysis = analyzeScalar(key);
			// check_simple_key: a long or multi-line key takes the explicit `? key` / `: value` form.
			if (analysis.multiline || (key.length > 42 && utf8.encode(key).length > 128)) {
				this.writeIndicator('?', true, false, true);
				this.scalar(key, inner, false);
				this.writeIndent(inner);
				this.writeIndicator(':', true, false, true);
			} else {
				this.scalar(key, inner, true, scalarStyle(key, true, analysis));
				this.writeIndicator(':', false, false, false);
			}

			this.node(map[key]!, inner, true);
		}
	}
}

/** `value` (anything JSON can carry) as `kubectl get -o yaml` prints it: one document, ending in a newline. */
export function kubectlYaml(value: unknown): string {
	const emitter = new Emitter();
	emitter.node(JSON.parse(JSON.stringify(value) ?? 'null') as Json, -1, false);
	emitter.writeIndent(-1);
	return emitter.out;
}
