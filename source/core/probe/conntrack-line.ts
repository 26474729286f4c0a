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
 * One line of `conntrack -L` or `conntrack -E` (default output format), e.g.
 * `[NEW] tcp 6 120 SYN_SENT src=A dst=B sport=1 dport=2 [UNREPLIED] src=C dst=A sport=3 dport=1`.
 * The first src/dst/sport/dport group is the original direction, the second the reply.
 * Returns undefined for lines that are not flow entries (summaries, ICMP without ports).
 */
export function parseConntrackLine(line: string): ConntrackEntry | undefined {
	const words = line.trim().split(/\s+/);
	let at = 0;
	let event: string | undefined;
	const eventWord = /^\[([A-Z]+)\]$/.exec(words[0] ?? '');
	if (eventWord) {
		event = eventWord[1];
		at = 1;
	}

	const protocol = words[at];
	if (protocol === undefined || !/^[a-z][a-z0-9]*$/.test(protocol)) {
		return undefined;
	}

	const groups: Array<Partial<Record<'src' | 'dst' | 'sport' | 'dport', string>>> = [{}, {}];
	let group = 0;
	for (const word of words.slice(at + 1)) {
		const pair = /^(src|dst|sport|dport)=(.+)$/.exec(word);
		if (!pair) {
			continue;
		}

		const key = pair[1] as 'src' | 'dst' | 'sport' | 'dport';
		if (groups[group]![key] !== undefined) {
			group++;
			if (group > 1) {
				break;
			}
		}

		groups[group]![key] = pair[2];
	}

	const tuple = (fields: Partial<Record<'src' | 'dst' | 'sport' | 'dport', string>>): ConntrackTuple | undefined => {
		if (fields.src === undefined || fields.dst === undefined || fields.sport === undefined || fields.dport === undefined) {
			return undefined;
		}

		return {src: fields.src, dst: fields.dst, sport: Number(fields.sport), dport: Number(fields.dport)};
	};

	const original = tuple(groups[0]!);
	const reply = tuple(groups[1]!);
	return original && reply ? {event, protocol, original, reply} : undefined;
}
