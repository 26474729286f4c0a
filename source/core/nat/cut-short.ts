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

/**
 * The note for a format with no end marker (`iptables -S`, ipvsadm): a dump cut at the end of a
 * line cannot be told from a whole one, so what it lacks must not be taken as missing on the node.
 */
export function noEndMarkerNote(format: string, lines: number): string {
	return `${format} output has no end marker: cut at the end of a line (here the last is line ${lines}), it would read as whole; a Service or endpoint missing here may be missing from the dump only`;
}

/** Line starts the frame counts: `*table` and `COMMIT` (LF or CRLF) of iptables-save, `table ` of nft list. */
const needles = ([['tables', '\n*'], ['commits', '\nCOMMIT\n'], ['commits', '\nCOMMIT\r\n'], ['nftTables', '\ntable ']] as const)
	.map(([count, text]) => ({count, bytes: Buffer.from(text)}));

/** How much of a dump's end is kept to find its last line (iptables-save ends with a `# Completed` comment). */
const tailBytes = 64 * 1024;

/** Longest needle less one: what of the bytes so far a needle that spans two parts can start in. */
const carryBytes = Math.max(...needles.map(needle => needle.bytes.length)) - 1;

/** A dump's frame as its bytes pass in parts (cut anywhere): how many lines start a table or a COMMIT, and its end. */
export class DumpFrame {
	private readonly counts = {tables: 0, commits: 0, nftTables: 0};
	/** The last part, or the last 64 KB or more when it is shorter. */
	private tail: Buffer = Buffer.alloc(0);

	write(part: Uint8Array): void {
		const bytes = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
		// A newline before the first byte, so a line at the very start counts too.
		const before = this.tail.length === 0 ? Buffer.from('\n') : this.tail.subarray(-carryBytes);
		const seam = Buffer.concat([before, bytes.subarray(0, carryBytes)]);
		for (const {count, bytes: needle} of needles) {
			// Those that begin in the bytes before this part and end in it, then those inside it.
			this.counts[count] += countOf(seam, needle, Math.max(0, before.length - needle.length + 1), before.length) + countOf(bytes, needle, 0, bytes.length);
		}

		this.tail = bytes.length >= tailBytes ? bytes : Buffer.concat([this.tail.subarray(-tailBytes), bytes]);
	}

	/** Why the dump looks cut short, or null (see dumpCutShort). */
	cutShort(): string | null {
		if (this.tail.length === 0) {
			return null;
		}

		const lastLine = lastLineOf(this.tail);
		if (this.tail.at(-1) !== 10) {
			return `it ends in the middle of a line ("${clip(lastLine)}")`;
		}

		const {tables, commits, nftTables} = this.counts;
		if (tables > 0 && (commits < tables || lastLine !== 'COMMIT')) {
			const open = Math.max(1, tables - commits);
			return tables === 1 ? 'its iptables-save table is not closed with COMMIT' : `${open} of its ${tables} iptables-save tables ${open === 1 ? 'is' : 'are'} not closed with COMMIT`;
		}

		if (tables === 0 && nftTables > 0 && lastLine !== '}') {
			return `its nftables table is not closed (the last line is "${clip(lastLine)}")`;
		}

		return null;
	}
}

/** Occurrences of `needle` in `bytes` that start at `from` or after and before `end`. */
function countOf(bytes: Buffer, needle: Buffer, from: number, end: number): number {
	// Node's indexOf (Node 26) is 5-10 times slower on a dump for a needle of 8 bytes or more than for 7 (12-20 ms
	// against 2 ms over 18 MB; it switches search algorithm at 8): the first 7 bytes are looked for, the rest compared.
	const head = needle.subarray(0, 7);
	let count = 0;
	for (let index = bytes.indexOf(head, from); index !== -1 && index < end; index = bytes.indexOf(head, index + 1)) {
		if (needle.compare(bytes, index, Math.min(bytes.length, index + needle.length)) === 0) {
			count++;
			index += needle.length - 1;
		}
	}

	return count;
}

/**
 * The one line refusing a dump cut short, or null when it is whole: the Services past the cut lose their
 * entries and endpoint chains, and would read as drops and missing endpoints that the node does not have.
 */
export function refuseCutShort(dump: string | Uint8Array | DumpFrame, source: string): string | null {
	const cut = dump instanceof DumpFrame ? dump.cutShort() : dumpCutShort(dump);
	return cut === null ? null : `${source} looks cut short: ${cut}; not decoded, since a partial dump shows drops and missing endpoints the node does not have (take the whole dump again)`;
}

/** The last line that is not empty and not a comment (iptables-save ends with `# Completed on …`). */
function lastLineOf(tail: Buffer): string {
	let end = tail.length;
	for (;;) {
		while (end > 0 && (tail[end - 1] === 10 || tail[end - 1] === 13)) {
			end--;
		}

		const start = tail.lastIndexOf(10, end - 1) + 1;
		const line = tail.toString('utf8', start, end);
		if (start === 0 || !line.startsWith('#')) {
			return line;
		}

		end = start;
	}
}

function clip(line: string): string {
	return line.length > 60 ? `${line.slice(0, 60)}…` : line;
}
