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
	const text = typeof dump === 'string' ? dump : Buffer.from(dump.buffer, dump.byteOffset, dump.byteLength);
	const length = text.length;
	if (length === 0) {
		return null;
	}

	const lastLine = lastLineOf(text);
	if (!text.includes('\n', length - 1)) {
		return `it ends in the middle of a line ("${clip(lastLine)}")`;
	}

	const tables = countLinesStarting(text, '*');
	if (tables > 0) {
		const commits = countLinesStarting(text, 'COMMIT\n') + countLinesStarting(text, 'COMMIT\r\n');
		if (commits < tables || lastLine !== 'COMMIT') {
			const open = Math.max(1, tables - commits);
			return tables === 1 ? 'its iptables-save table is not closed with COMMIT' : `${open} of its ${tables} iptables-save tables ${open === 1 ? 'is' : 'are'} not closed with COMMIT`;
		}

		return null;
	}

	if (countLinesStarting(text, 'table ') > 0 && lastLine !== '}') {
		return `its nftables table is not closed (the last line is "${clip(lastLine)}")`;
	}

	return null;
}

/**
 * The one line refusing a dump cut short, or null when it is whole. A partial dump is not decoded:
 * the Services past the cut lose their entries and endpoint chains, and what is left would read as
 * drops and missing endpoints that the node does not have.
 */
export function refuseCutShort(dump: string | Uint8Array, source: string): string | null {
	const cut = dumpCutShort(dump);
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

function countLinesStarting(text: Text, prefix: string): number {
	let count = text.indexOf(prefix) === 0 ? 1 : 0;
	const needle = `\n${prefix}`;
	for (let index = text.indexOf(needle); index !== -1; index = text.indexOf(needle, index + needle.length)) {
		count++;
	}

	return count;
}

function clip(line: string): string {
	return line.length > 60 ? `${line.slice(0, 60)}…` : line;
}
