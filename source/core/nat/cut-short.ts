/**
 * Why a rule dump looks cut short (a copy that stopped early, a pipe closed mid-write, `head`), or
 * null when it ends the way its format ends. A decoder reads what is there and would show a partial
 * table with confidence; this checks only the dump's frame, so it costs a few searches, not a pass.
 * - iptables-save: every `*table` is closed by a `COMMIT` line, and the last line is one.
 * - nft list: the last line closes the top-level `table` block (`}` at column 0).
 * - any format: the text ends with a newline (kube-proxy's tools always write one).
 * Lines may end in CRLF (`kubectl exec -t` output); the decoders strip the CR, so this does too.
 */
export function dumpCutShort(dump: string | Uint8Array): string | null {
	const frame = new DumpFrame();
	frame.write(typeof dump === 'string' ? Buffer.from(dump, 'utf8') : dump);
	return frame.cutShort();
}

/** Line starts the frame counts: `*table` and `COMMIT` of iptables-save, `table ` of nft list. */
const needles = {tables: Buffer.from('\n*'), commits: Buffer.from('\nCOMMIT\n'), commitsCrlf: Buffer.from('\nCOMMIT\r\n'), nftTables: Buffer.from('\ntable ')};

type Counts = Record<keyof typeof needles, number>;

/** How much of a dump's end is kept to find its last line (iptables-save ends with a `# Completed` comment). */
const tailBytes = 64 * 1024;

/** Longest needle less one: what of the bytes so far a needle that spans two parts can start in. */
const carryBytes = Math.max(...Object.values(needles).map(needle => needle.length)) - 1;

/**
 * Watches a dump's frame as its bytes pass in parts (cut anywhere), for dumpCutShort: how many
 * lines start a table or a COMMIT, the last byte, and its last 64 KB or more, where its last line is.
 */
export class DumpFrame {
	private readonly counts: Counts = {tables: 0, commits: 0, commitsCrlf: 0, nftTables: 0};
	/** The last bytes so far; a newline before the first, so a line at the very start counts too. */
	private carry: Buffer = Buffer.from('\n');
	/** The last parts, at least `tailBytes` of them when there are: where the last line is. */
	private readonly last: Buffer[] = [];
	private lastLength = 0;
	private size = 0;

	write(part: Uint8Array): void {
		const bytes = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
		if (bytes.length === 0) {
			return;
		}

		for (const key of Object.keys(needles) as Array<keyof Counts>) {
			this.counts[key] += countAcross(this.carry, bytes, needles[key]);
		}

		this.carry = Buffer.concat([this.carry, bytes.subarray(-carryBytes)]).subarray(-carryBytes);
		this.last.push(bytes);
		this.lastLength += bytes.length;
		while (this.lastLength - this.last[0]!.length >= tailBytes) {
			this.lastLength -= this.last.shift()!.length;
		}

		this.size += bytes.length;
	}

	/** Why the dump looks cut short, or null (see dumpCutShort). */
	cutShort(): string | null {
		if (this.size === 0) {
			return null;
		}

		const tail = Buffer.concat(this.last);
		const lastLine = lastLineOf(tail);
		if (tail.at(-1) !== 10) {
			return `it ends in the middle of a line ("${clip(lastLine)}")`;
		}

		const {tables, commits, commitsCrlf, nftTables} = this.counts;
		if (tables > 0) {
			if (commits + commitsCrlf < tables || lastLine !== 'COMMIT') {
				const open = Math.max(1, tables - commits - commitsCrlf);
				return tables === 1 ? 'its iptables-save table is not closed with COMMIT' : `${open} of its ${tables} iptables-save tables ${open === 1 ? 'is' : 'are'} not closed with COMMIT`;
			}

			return null;
		}

		if (nftTables > 0 && lastLine !== '}') {
			return `its nftables table is not closed (the last line is "${clip(lastLine)}")`;
		}

		return null;
	}
}

/** Occurrences of `needle` in `bytes`, and those that begin in `carry` (the bytes before) and end in `bytes`. */
function countAcross(carry: Buffer, bytes: Buffer, needle: Buffer): number {
	let count = 0;
	const seam = Buffer.concat([carry.subarray(-(needle.length - 1)), bytes.subarray(0, needle.length - 1)]);
	const before = Math.min(carry.length, needle.length - 1);
	for (let index = seam.indexOf(needle); index !== -1 && index < before; index = seam.indexOf(needle, index + 1)) {
		count++;
	}

	for (let index = bytes.indexOf(needle); index !== -1; index = bytes.indexOf(needle, index + needle.length)) {
		count++;
	}

	return count;
}

/**
 * The one line refusing a dump cut short, or null when it is whole. A partial dump is not decoded:
 * the Services past the cut lose their entries and endpoint chains, and what is left would read as
 * drops and missing endpoints that the node does not have.
 */
export function refuseCutShort(dump: string | Uint8Array | DumpFrame, source: string): string | null {
	const cut = dump instanceof DumpFrame ? dump.cutShort() : dumpCutShort(dump);
	return cut === null ? null : `${source} looks cut short: ${cut}; not decoded, since a partial dump shows drops and missing endpoints the node does not have (take the whole dump again)`;
}

type Text = string | Buffer;

/** The last line that is not empty and not a comment (iptables-save ends with `# Completed on …`). */
function lastLineOf(text: Text): string {
	let end = text.length;
	for (;;) {
		while (end > 0 && isLineEnd(text.at(end - 1))) {
			end--;
		}

		const start = text.lastIndexOf('\n', end - 1) + 1;
		const line = text.slice(start, end).toString().replace(/\r$/, '');
		if (start === 0 || !line.startsWith('#')) {
			return line;
		}

		end = start;
	}
}

function isLineEnd(char: string | number | undefined): boolean {
	return char === '\n' || char === '\r' || char === 10 || char === 13;
}

function clip(line: string): string {
	return line.length > 60 ? `${line.slice(0, 60)}…` : line;
}
