import {formatBytes} from '../../util/format-bytes.js';

/** Bounds on a dump read from a file or stdin, so `/dev/zero` or a 1 GB line fails fast. */
export type DumpLimits = {
	/** Total size; the largest real dumps (a 200,000-rule node) are a few dozen MB. */
	readonly maxBytes: number;
	/** One line; kube-proxy's longest rules are a few hundred bytes. */
	readonly maxLineBytes: number;
};

export const defaultDumpLimits: DumpLimits = {maxBytes: 512 * 1024 * 1024, maxLineBytes: 1024 * 1024};

const units: Record<string, number> = {'': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3};

/** `512M`, `1G`, `100k`, `1048576` (binary units, an optional `i`/`iB`/`B`) -> bytes, or the reason it is not a size. */
export function parseByteSize(text: string): number | {error: string} {
	const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
	const bytes = match ? Math.floor(Number(match[1]) * units[match[2]!.toLowerCase()]!) : Number.NaN;
	if (!Number.isFinite(bytes) || bytes < 1) {
		return {error: `"${text}" is not a size (e.g. 512M, 1G, 1048576)`};
	}

	return bytes;
}

/**
 * A check fed the dump part by part (any sizes): the error for the first part that takes it over a limit
 * or holds a NUL byte (no rule dump has one), else null. Native indexOf only (NUL, first and last newline),
 * so a 24 MB dump costs a few ms; every newline is visited only in a part longer than the line limit.
 */
export function dumpChecker(source: string, limits: DumpLimits = defaultDumpLimits): (part: Uint8Array) => string | null {
	const max = limits.maxLineBytes;
	let total = 0;
	let lineStart = 0;
	const tooLong = (at: number) => `${source}: the line at byte ${at} is longer than ${formatBytes(max)}, the limit for one line of a rule dump`;
	return part => {
		const start = total;
		total += part.length;
		if (total > limits.maxBytes) {
			return `${source} is larger than ${formatBytes(limits.maxBytes)}, the limit for a rule dump (raise it with --max-bytes)`;
		}

		const nul = part.indexOf(0);
		if (nul !== -1) {
			return `${source} is binary data (a NUL byte at offset ${start + nul}), not a rule dump`;
		}

		let at = part.indexOf(10);
		if (at === -1) {
			return total - lineStart > max ? tooLong(lineStart) : null;
		}

		if (start + at - lineStart > max) {
			return tooLong(lineStart);
		}

		// Lines between the first and the last newline are shorter than the part: only a long part can hide one.
		for (let next = part.length > max ? part.indexOf(10, at + 1) : -1; next !== -1; at = next, next = part.indexOf(10, at + 1)) {
			if (next - at - 1 > max) {
				return tooLong(start + at + 1);
			}
		}

		lineStart = start + part.lastIndexOf(10) + 1;
		return total - lineStart > max ? tooLong(lineStart) : null;
	};
}
