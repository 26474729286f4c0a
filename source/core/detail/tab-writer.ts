/**
 * Go's text/tabwriter as `kubectl describe` sets it up (minwidth 0, padding 2, spaces, no flags), for
 * text written with tab-terminated cells. Unlike a plain table, a column is aligned only over a run of
 * consecutive lines that have a cell in it, and a line without any tab ends every run: that is why
 * kubectl's `Port:  name  80/TCP` lines align their second column on their own.
 */
const padding = 2;

/** Lays out `text` (cells ending in `\t`, lines ending in `\n`) exactly as tabwriter would. */
export function tabWrite(text: string): string {
	const lines = text.split('\n');
	const last = lines.pop();
	if (last !== '') {
		// Text after the last newline is a line of its own, as tabwriter writes it on Flush.
		lines.push(last!);
	}

	let out = '';
	let segment: string[][] = [];
	for (const line of lines) {
		const cells = line.split('\t');
		segment.push(cells);
		// A line of a single cell flushes: no column runs across it.
		if (cells.length === 1) {
			out += formatBlock(segment, [], 0, segment.length);
			segment = [];
		}
	}

	out += formatBlock(segment, [], 0, segment.length);
	return last === '' ? out : out.slice(0, -1);
}

/** Width in code points, as tabwriter counts UTF-8 text. */
function cellWidth(text: string): number {
	let width = 0;
	for (const _ of text) {
		width++;
	}

	return width;
}

/** tabwriter's format(): find each run of lines with a cell in the next column, size it, recurse. */
function formatBlock(lines: readonly string[][], widths: number[], line0: number, line1: number): string {
	const column = widths.length;
	let out = '';
	let start = line0;
	for (let index = line0; index < line1; index++) {
		if (column >= lines[index]!.length - 1) {
			continue;
		}

		out += writeLines(lines, widths, start, index);
		start = index;
		let width = 0;
		for (; index < line1 && column < lines[index]!.length - 1; index++) {
			width = Math.max(width, cellWidth(lines[index]![column]!) + padding);
		}

		out += formatBlock(lines, [...widths, width], start, index);
		start = index;
	}

	return out + writeLines(lines, widths, start, line1);
}

function writeLines(lines: readonly string[][], widths: readonly number[], from: number, to: number): string {
	let out = '';
	for (let index = from; index < to; index++) {
		for (const [column, cell] of lines[index]!.entries()) {
			out += cell;
			if (column < widths.length) {
				out += ' '.repeat(Math.max(0, widths[column]! - cellWidth(cell)));
			}
		}

		out += '\n';
	}

	return out;
}
