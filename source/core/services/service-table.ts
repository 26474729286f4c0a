import {endpointsColumn, type ServiceRow} from './service-row.js';

export type ServiceTableOptions = {
	/** `-o wide`: the SELECTOR column. */
	readonly wide: boolean;
	/** `-A`: a leading NAMESPACE column. */
	readonly allNamespaces: boolean;
};

/**
 * Padding as kubectl's printers set up Go's text/tabwriter: a column is as wide as its widest cell
 * plus 3 spaces, and at least 6; the last column is not padded.
 */
const tabPadding = 3;
const tabMinWidth = 6;

/** Lines laid out like kubectl's tabwriter, each ending in a newline. */
export function padColumns(lines: ReadonlyArray<readonly string[]>): string {
	const widths: number[] = [];
	for (const cells of lines) {
		for (let index = 0; index < cells.length - 1; index++) {
			const width = Math.max(cellWidth(cells[index]!) + tabPadding, tabMinWidth);
			if (width > (widths[index] ?? 0)) {
				widths[index] = width;
			}
		}
	}

	let out = '';
	for (const cells of lines) {
		for (let index = 0; index < cells.length - 1; index++) {
			const cell = cells[index]!;
			out += cell + ' '.repeat(widths[index]! - cellWidth(cell));
		}

		out += (cells.at(-1) ?? '') + '\n';
	}

	return out;
}

/** Width in code points, as tabwriter counts UTF-8 text. */
function cellWidth(text: string): number {
	let width = 0;
	for (const _ of text) {
		width++;
	}

	return width;
}

/** The column headers in order for the given options. */
export function serviceTableHeaders(options: ServiceTableOptions): string[] {
	return [
		...(options.allNamespaces ? ['NAMESPACE'] : []),
		'NAME',
		'TYPE',
		'CLUSTER-IP',
		'EXTERNAL-IP',
		'PORT(S)',
		'ENDPOINTS',
		'AGE',
		...(options.wide ? ['SELECTOR'] : []),
		'WARNINGS',
	];
}

/** The cells of one row for the given options, matching `serviceTableHeaders`. */
export function serviceTableCells(row: ServiceRow, options: ServiceTableOptions): string[] {
	return [
		...(options.allNamespaces ? [row.namespace] : []),
		row.name,
		row.type,
		row.clusterIP,
		// Not externalIPShort: the API server builds kubectl's table in wide mode, so kubectl never clips it.
		row.externalIP,
		row.ports,
		endpointsColumn(row.endpoints),
		row.age,
		...(options.wide ? [row.selector] : []),
		warningsCell(row),
	];
}

/**
 * The reasons the dashboard marks with `!`, then what could not be checked (`endpoints unknown`), in one
 * cell; `<none>` as kubectl prints an empty cell, only when everything the row rests on (the Service and
 * its EndpointSlices, never the pods) was checked and nothing found.
 */
export function warningsCell(row: ServiceRow): string {
	const phrases = [...row.warnings, ...row.unknown.map(item => `${item.what} unknown`)];
	return phrases.length > 0 ? phrases.join('; ') : '<none>';
}

/** The table `svctop list` prints: kubectl's `get svc` columns plus ENDPOINTS and WARNINGS, in the rows' order. */
export function formatServiceTable(rows: readonly ServiceRow[], options: ServiceTableOptions): string {
	return padColumns([serviceTableHeaders(options), ...rows.map(row => serviceTableCells(row, options))]);
}
