const unitMs: Readonly<Record<string, number>> = {
	us: 0.001,
	µs: 0.001,
	ms: 1,
	s: 1000,
	m: 60_000,
	h: 3_600_000,
};

/**
 * Parses `5ms`, `1s`, `2m`, `1.5s`, `1m30s`; a bare number means milliseconds.
 * Returns the problem as a string rather than throwing.
 */
export function parseDuration(text: string): {ms: number} | {error: string} {
	const trimmed = text.trim();
	if (/^\d+(\.\d+)?$/.test(trimmed)) {
		return {ms: Number(trimmed)};
	}

	const part = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/gy;
	let total = 0;
	let consumed = 0;
	let match: RegExpExecArray | null;
	while ((match = part.exec(trimmed)) !== null) {
		total += Number(match[1]) * unitMs[match[2]!]!;
		consumed = part.lastIndex;
	}

	if (consumed === 0 || consumed !== trimmed.length) {
		return {error: `invalid duration "${text}" (use e.g. 5ms, 1s, 2m)`};
	}

	return {ms: total};
}

/** A duration in its largest whole unit, as it is typed: `1h`, `2m`, `1s`, `500ms`. */
export function formatDuration(ms: number): string {
	for (const unit of ['h', 'm', 's'] as const) {
		if (ms >= unitMs[unit]! && ms % unitMs[unit]! === 0) {
			return `${ms / unitMs[unit]!}${unit}`;
		}
	}

	return `${ms}ms`;
}
