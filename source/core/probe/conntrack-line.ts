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

type Fields = {src?: string; dst?: string; sport?: number; dport?: number};

/** Which of src, dst, sport, dport the word at `at` assigns (its value starts after the `=`), or undefined. */
function keyAt(line: string, at: number): keyof Fields | undefined {
	if (line.startsWith('src=', at)) {
		return 'src';
	}

	if (line.startsWith('dst=', at)) {
		return 'dst';
	}

	if (line.startsWith('sport=', at)) {
		return 'sport';
	}

	return line.startsWith('dport=', at) ? 'dport' : undefined;
}

function isSpace(code: number): boolean {
	return code === 32 || code === 9 || code === 10 || code === 13;
}

function isLowerOrDigit(code: number): boolean {
	return (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
}

function tuple(fields: Fields): ConntrackTuple | undefined {
	const {src, dst, sport, dport} = fields;
	return src === undefined || dst === undefined || sport === undefined || dport === undefined || Number.isNaN(sport) || Number.isNaN(dport)
		? undefined
		: {src, dst, sport, dport};
}

/**
 * One line of `conntrack -L` or `conntrack -E` (default output format), e.g.
 * `[NEW] tcp 6 120 SYN_SENT src=A dst=B sport=1 dport=2 [UNREPLIED] src=C dst=A sport=3 dport=1`.
 * The first src/dst/sport/dport group is the original direction, the second the reply.
 * Returns undefined for lines that are not flow entries (summaries, ICMP without ports).
 * Scanned word by word without regular expressions: the event stream runs it once per flow.
 */
export function parseConntrackLine(line: string): ConntrackEntry | undefined {
	const end = line.length;
	let at = 0;
	while (at < end && isSpace(line.charCodeAt(at))) {
		at++;
	}

	let event: string | undefined;
	if (line.charCodeAt(at) === 91) {
		// `[NEW]`: capital letters in brackets, then a space.
		let close = at + 1;
		while (close < end && line.charCodeAt(close) >= 65 && line.charCodeAt(close) <= 90) {
			close++;
		}

		if (close === at + 1 || line.charCodeAt(close) !== 93 || !(close + 1 === end || isSpace(line.charCodeAt(close + 1)))) {
			return undefined;
		}

		event = line.slice(at + 1, close);
		at = close + 1;
		while (at < end && isSpace(line.charCodeAt(at))) {
			at++;
		}
	}

	let wordEnd = at;
	while (wordEnd < end && !isSpace(line.charCodeAt(wordEnd))) {
		wordEnd++;
	}

	const first = line.charCodeAt(at);
	if (wordEnd === at || !(first >= 97 && first <= 122)) {
		return undefined;
	}

	for (let i = at + 1; i < wordEnd; i++) {
		if (!isLowerOrDigit(line.charCodeAt(i))) {
			return undefined;
		}
	}

	const protocol = line.slice(at, wordEnd);
	const groups: [Fields, Fields] = [{}, {}];
	let group = 0;
	at = wordEnd;
	while (at < end) {
		while (at < end && isSpace(line.charCodeAt(at))) {
			at++;
		}

		wordEnd = at;
		while (wordEnd < end && !isSpace(line.charCodeAt(wordEnd))) {
			wordEnd++;
		}

		const key = keyAt(line, at);
		const valueAt = key === undefined ? -1 : at + key.length + 1;
		if (key !== undefined && valueAt < wordEnd) {
			// A key seen twice starts the reply group.
			if (groups[group]![key] !== undefined) {
				if (++group > 1) {
					break;
				}
			}

			const value = line.slice(valueAt, wordEnd);
			if (key === 'src' || key === 'dst') {
				groups[group]![key] = value;
			} else {
				groups[group]![key] = Number(value);
			}
		}

		at = wordEnd;
	}

	const original = tuple(groups[0]);
	const reply = tuple(groups[1]);
	return original && reply ? {event, protocol, original, reply} : undefined;
}
