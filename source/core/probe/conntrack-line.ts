export type ConntrackTuple = {
	readonly src: string;
	readonly dst: string;
	readonly sport: number;
	readonly dport: number;
};

export type ConntrackEntry = {
	/** `NEW`, `UPDATE`, `DESTROY` for event lines; undefined for listings. */
	readonly event: string | undefined;
	readonly protocol: string;
	readonly original: ConntrackTuple;
	readonly reply: ConntrackTuple;
};

/**
 * Where the fields of one scanned line are, as offsets into its bytes (end exclusive), and its ports
 * as numbers. Filled in place by `scanConntrackLine`, so the event stream allocates nothing per line
 * but the strings it keeps.
 */
export class ConntrackSpans {
	/** `[EVENT]` without the brackets; start -1 for a listing line. */
	eventStart = -1;
	eventEnd = -1;
	protocolStart = 0;
	protocolEnd = 0;
	/** Per direction (0 original, 1 reply): src start, src end, dst start, dst end, sport, dport; -1 when absent. */
	readonly tuples = new Int32Array(12);
}

const space = 32;
const tab = 9;
const newline = 10;
const carriageReturn = 13;
const equals = 61;

function isSpace(code: number): boolean {
	return code === space || code === tab || code === newline || code === carriageReturn;
}

function isLowerOrDigit(code: number): boolean {
	return (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
}

/** Which slot of a tuple the word at `at` fills (0 src, 1 dst, 2 sport, 3 dport) and where its value starts, or -1. */
function keyAt(bytes: Uint8Array, at: number, wordEnd: number): {slot: number; valueAt: number} | undefined {
	// src= dst= sport= dport=: the first letter and the `=` decide; the letters between are checked.
	const first = bytes[at];
	const isPort = bytes[at + 1] === 112 && bytes[at + 2] === 111 && bytes[at + 3] === 114 && bytes[at + 4] === 116 && bytes[at + 5] === equals;
	const isAddress = !isPort && bytes[at + 3] === equals;
	let slot = -1;
	if (first === 115) {
		slot = isPort ? 2 : (isAddress && bytes[at + 1] === 114 && bytes[at + 2] === 99 ? 0 : -1);
	} else if (first === 100) {
		slot = isPort ? 3 : (isAddress && bytes[at + 1] === 115 && bytes[at + 2] === 116 ? 1 : -1);
	}

	const valueAt = at + (isPort ? 6 : 4);
	return slot === -1 || valueAt >= wordEnd ? undefined : {slot, valueAt};
}

/** A decimal port, or -2 when the value is not one (the line is then not a flow entry). */
function portOf(bytes: Uint8Array, start: number, end: number): number {
	let value = 0;
	for (let i = start; i < end; i++) {
		const digit = bytes[i]! - 48;
		if (digit < 0 || digit > 9) {
			return -2;
		}

		value = (value * 10) + digit;
		if (value > 65_535) {
			return -2;
		}
	}

	return value;
}

function skipSpaces(bytes: Uint8Array, at: number, end: number): number {
	while (at < end && isSpace(bytes[at]!)) {
		at++;
	}

	return at;
}

function wordEndOf(bytes: Uint8Array, at: number, end: number): number {
	while (at < end && !isSpace(bytes[at]!)) {
		at++;
	}

	return at;
}

/** Past `[EVENT] ` (capital letters in brackets, then a space or the end), or -1 when the bracket is not that. */
function scanEvent(bytes: Uint8Array, at: number, end: number, spans: ConntrackSpans): number {
	let close = at + 1;
	while (close < end && bytes[close]! >= 65 && bytes[close]! <= 90) {
		close++;
	}

	if (close === at + 1 || bytes[close] !== 93 || !(close + 1 === end || isSpace(bytes[close + 1]!))) {
		return -1;
	}

	spans.eventStart = at + 1;
	spans.eventEnd = close;
	return close + 1;
}

/** Fills the src/dst/sport/dport groups from `at` on: a key seen twice starts the reply group. */
function scanTuples(bytes: Uint8Array, at: number, end: number, tuples: Int32Array): void {
	let group = 0;
	while (at < end) {
		at = skipSpaces(bytes, at, end);
		const wordEnd = wordEndOf(bytes, at, end);
		const key = keyAt(bytes, at, wordEnd);
		if (key !== undefined) {
			const {slot, valueAt} = key;
			const index = (group * 6) + (slot < 2 ? slot * 2 : slot + 2);
			if (tuples[index] !== -1) {
				if (++group > 1) {
					return;
				}
			}

			const base = group * 6;
			if (slot < 2) {
				tuples[base + (slot * 2)] = valueAt;
				tuples[base + (slot * 2) + 1] = wordEnd;
			} else {
				tuples[base + slot + 2] = portOf(bytes, valueAt, wordEnd);
			}
		}

		at = wordEnd;
	}
}

/**
 * One line of `conntrack -L` or `conntrack -E` (default output format) in `bytes[start, end)`, e.g.
 * `[NEW] tcp 6 120 SYN_SENT src=A dst=B sport=1 dport=2 [UNREPLIED] src=C dst=A sport=3 dport=1`.
 * The first src/dst/sport/dport group is the original direction, the second the reply. Fills
 * `spans` and returns true for a flow entry; false for other lines (summaries, ICMP without ports).
 * A byte scan without regular expressions or strings: the event stream runs it once per flow.
 */
export function scanConntrackLine(bytes: Uint8Array, start: number, end: number, spans: ConntrackSpans): boolean {
	let at = skipSpaces(bytes, start, end);
	spans.eventStart = -1;
	spans.eventEnd = -1;
	if (bytes[at] === 91) {
		at = scanEvent(bytes, at, end, spans);
		if (at === -1) {
			return false;
		}

		at = skipSpaces(bytes, at, end);
	}

	const wordEnd = wordEndOf(bytes, at, end);
	const first = bytes[at] ?? 0;
	if (wordEnd === at || !(first >= 97 && first <= 122)) {
		return false;
	}

	for (let i = at + 1; i < wordEnd; i++) {
		if (!isLowerOrDigit(bytes[i]!)) {
			return false;
		}
	}

	spans.protocolStart = at;
	spans.protocolEnd = wordEnd;
	const {tuples} = spans;
	tuples.fill(-1);
	scanTuples(bytes, wordEnd, end, tuples);
	for (let i = 0; i < 12; i++) {
		// -1 absent, -2 not a port.
		if (tuples[i]! < 0) {
			return false;
		}
	}

	return true;
}

/** The text of `bytes[start, end)`: conntrack prints ASCII. */
export function textOf(bytes: Uint8Array, start: number, end: number): string {
	let text = '';
	for (let i = start; i < end; i++) {
		text += String.fromCharCode(bytes[i]!);
	}

	return text;
}

function tupleOf(bytes: Uint8Array, tuples: Int32Array, group: number): ConntrackTuple {
	const base = group * 6;
	return {
		src: textOf(bytes, tuples[base]!, tuples[base + 1]!),
		dst: textOf(bytes, tuples[base + 2]!, tuples[base + 3]!),
		sport: tuples[base + 4]!,
		dport: tuples[base + 5]!,
	};
}

/** The bytes of a line of ASCII text (other characters become bytes that match no field). */
export function bytesOf(line: string): Uint8Array {
	const bytes = new Uint8Array(line.length);
	for (let i = 0; i < line.length; i++) {
		bytes[i] = Math.min(line.charCodeAt(i), 255);
	}

	return bytes;
}

/**
 * One line as an entry, through the same scan as the event stream; undefined for lines that are
 * not flow entries. For listings and remote probes, where a line is read once.
 */
export function parseConntrackLine(line: string): ConntrackEntry | undefined {
	const bytes = bytesOf(line);
	const spans = new ConntrackSpans();
	if (!scanConntrackLine(bytes, 0, bytes.length, spans)) {
		return undefined;
	}

	return {
		event: spans.eventStart === -1 ? undefined : textOf(bytes, spans.eventStart, spans.eventEnd),
		protocol: textOf(bytes, spans.protocolStart, spans.protocolEnd),
		original: tupleOf(bytes, spans.tuples, 0),
		reply: tupleOf(bytes, spans.tuples, 1),
	};
}
