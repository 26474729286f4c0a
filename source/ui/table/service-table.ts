import {endpointsColumn, type ServiceRow} from '../../core/services/service-row.js';

/** What the Service list is sorted by. */
export type SortKey = 'name' | 'type' | 'age' | 'endpoints';

export type SortOrder = {readonly key: SortKey; readonly reversed: boolean};

export const defaultSortOrder: SortOrder = {key: 'name', reversed: false};

function compareStrings(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

function compareNames(a: ServiceRow, b: ServiceRow): number {
	return compareStrings(a.namespace, b.namespace) || compareStrings(a.name, b.name);
}

const comparators: Readonly<Record<SortKey, (a: ServiceRow, b: ServiceRow) => number>> = {
	name: compareNames,
	type: (a, b) => compareStrings(a.type, b.type) || compareNames(a, b),
	// Newest first; a Service without a timestamp sorts last.
	age: (a, b) => compareAge(a, b) || compareNames(a, b),
	// The Services with the fewest ready endpoints are the ones worth looking at.
	endpoints: (a, b) =>
		(a.endpoints?.ready ?? -1) - (b.endpoints?.ready ?? -1) || (b.endpoints?.total ?? -1) - (a.endpoints?.total ?? -1) || compareNames(a, b),
};

function compareAge(a: ServiceRow, b: ServiceRow): number {
	if (a.createdAt === b.createdAt) {
		return 0;
	}

	if (a.createdAt === undefined) {
		return 1;
	}

	if (b.createdAt === undefined) {
		return -1;
	}

	return b.createdAt - a.createdAt;
}

/** A sorted copy; `reversed` flips the primary order. */
export function sortRows(rows: readonly ServiceRow[], order: SortOrder): ServiceRow[] {
	const compare = comparators[order.key];
	return rows.toSorted(order.reversed ? (a, b) => compare(b, a) : compare);
}

/** The text a filter is matched against, lower-cased once per row rather than once per key press. */
export function filterText(row: ServiceRow): string {
	return [row.namespace, row.name, row.type, row.clusterIP, row.externalIP].join('\n').toLowerCase();
}

/**
 * Rows whose name, namespace, type, cluster IP or external IP contains `query` (case-insensitive).
 * `texts` caches filterText per row across calls.
 */
export function filterRows(
	rows: readonly ServiceRow[],
	query: string,
	texts: WeakMap<ServiceRow, string> = new WeakMap(),
): readonly ServiceRow[] {
	const needle = query.trim().toLowerCase();
	if (needle === '') {
		return rows;
	}

	return rows.filter(row => {
		let text = texts.get(row);
		if (text === undefined) {
			text = filterText(row);
			texts.set(row, text);
		}

		return text.includes(needle);
	});
}

export type ColumnId =
	| 'namespace'
	| 'name'
	| 'type'
	| 'clusterIP'
	| 'externalIP'
	| 'ports'
	| 'endpoints'
	| 'age'
	| 'selector';

export type Column = {readonly id: ColumnId; readonly header: string; readonly width: number};

export type TableLayout = {
	readonly columns: readonly Column[];
	/** Spaces between columns: 2, or 1 when the terminal is too narrow for that. */
	readonly gap: number;
	/** Full EXTERNAL-IP values instead of kubectl's clipped form. */
	readonly fullExternalIP: boolean;
};

const headers: Readonly<Record<ColumnId, string>> = {
	namespace: 'NAMESPACE',
	name: 'NAME',
	type: 'TYPE',
	clusterIP: 'CLUSTER-IP',
	externalIP: 'EXTERNAL-IP',
	ports: 'PORT(S)',
	endpoints: 'ENDPOINTS',
	age: 'AGE',
	selector: 'SELECTOR',
};

/**
 * Columns that give up width when the terminal is too narrow, with the width each keeps. TYPE and
 * AGE never shrink, and CLUSTER-IP keeps a whole IPv4 address: a clipped address
 * reads as a different one.
 */
const shrinkable: ReadonlyArray<[ColumnId, number]> = [
	['name', 10],
	['namespace', 7],
	['ports', 7],
	['externalIP', 7],
	['clusterIP', 15],
	// Its values are short (`3/3`); only the header gets clipped.
	['endpoints', 5],
];

/** SELECTOR is shown only when at least this much of it fits. */
const selectorMinimum = 12;

/** Selection caret, warning marker and a space ahead of every row. */
export const rowPrefixWidth = 3;

/** The text of one cell, untruncated. */
export function cellText(row: ServiceRow, id: ColumnId, fullExternalIP: boolean): string {
	switch (id) {
		case 'namespace': {
			return row.namespace;
		}

		case 'name': {
			return row.name;
		}

		case 'type': {
			return row.type;
		}

		case 'clusterIP': {
			return row.clusterIP;
		}

		case 'externalIP': {
			return fullExternalIP ? row.externalIP : row.externalIPShort;
		}

		case 'ports': {
			return row.ports;
		}

		case 'endpoints': {
			return endpointsColumn(row.endpoints);
		}

		case 'age': {
			return row.age;
		}

		case 'selector': {
			return row.selector;
		}
	}
}

function naturalWidths(
	rows: readonly ServiceRow[],
	ids: readonly ColumnId[],
	fullExternalIP: boolean,
): Map<ColumnId, number> {
	const widths = new Map<ColumnId, number>(ids.map(id => [id, headers[id].length]));
	for (const row of rows) {
		for (const id of ids) {
			const length = cellText(row, id, fullExternalIP).length;
			if (length > widths.get(id)!) {
				widths.set(id, length);
			}
		}
	}

	return widths;
}

/** Width of a whole line with these column widths. */
function lineWidth(widths: Map<ColumnId, number>, gap: number): number {
	let sum = rowPrefixWidth + gap * (widths.size - 1);
	for (const width of widths.values()) {
		sum += width;
	}

	return sum;
}

/**
 * Column widths the way kubectl sizes them (the longest cell of each column, header included),
 * fitted to `width`: SELECTOR and full EXTERNAL-IP values only when they fit; otherwise the widest
 * text columns are shrunk one character at a time, never below a readable minimum.
 */
export function layoutTable(
	rows: readonly ServiceRow[],
	options: {readonly width: number; readonly allNamespaces: boolean},
): TableLayout {
	const base: ColumnId[] = ['name', 'type', 'clusterIP', 'externalIP', 'ports', 'endpoints', 'age'];
	if (options.allNamespaces) {
		base.unshift('namespace');
	}

	const wideIds: ColumnId[] = [...base, 'selector'];
	for (const fullExternalIP of [true, false]) {
		const widths = naturalWidths(rows, wideIds, fullExternalIP);
		const selector = widths.get('selector')!;
		const withoutSelector = lineWidth(widths, 2) - selector;
		if (withoutSelector + Math.min(selector, selectorMinimum) <= options.width) {
			widths.set('selector', Math.min(selector, options.width - withoutSelector));
			return {columns: toColumns(wideIds, widths), gap: 2, fullExternalIP};
		}
	}

	const widths = naturalWidths(rows, base, false);
	const gap = lineWidth(widths, 2) <= options.width ? 2 : 1;
	let excess = lineWidth(widths, gap) - options.width;
	while (excess > 0) {
		let widest: ColumnId | undefined;
		for (const [id, minimum] of shrinkable) {
			const width = widths.get(id);
			if (width !== undefined && width > minimum && (widest === undefined || width > widths.get(widest)!)) {
				widest = id;
			}
		}

		if (widest === undefined) {
			break;
		}

		widths.set(widest, widths.get(widest)! - 1);
		excess--;
	}

	return {columns: toColumns(base, widths), gap, fullExternalIP: false};
}

function toColumns(ids: readonly ColumnId[], widths: Map<ColumnId, number>): Column[] {
	return ids.map(id => ({id, header: headers[id], width: widths.get(id)!}));
}

/** `text` cut to `width` with an ellipsis, or padded to it when `pad`. */
export function fit(text: string, width: number, pad: boolean): string {
	if (text.length > width) {
		return width <= 1 ? text.slice(0, Math.max(0, width)) : `${text.slice(0, width - 1)}…`;
	}

	return pad ? text.padEnd(width) : text;
}

function joinCells(cells: readonly string[], layout: TableLayout): string {
	return cells
		.map((cell, index) => fit(cell, layout.columns[index]!.width, index < cells.length - 1))
		.join(' '.repeat(layout.gap));
}

/** The header line, without the row prefix. */
export function headerLine(layout: TableLayout): string {
	return joinCells(
		layout.columns.map(column => column.header),
		layout,
	);
}

/** One row's cells laid out, without the row prefix. */
export function rowLine(row: ServiceRow, layout: TableLayout): string {
	return joinCells(
		layout.columns.map(column => cellText(row, column.id, layout.fullExternalIP)),
		layout,
	);
}

/**
 * The first row to show so that `selected` is visible in a window of `height` rows, moving the
 * previous window as little as possible (a pager, not re-centering on every step).
 */
export function windowStart(previousStart: number, selected: number, height: number, count: number): number {
	if (height <= 0 || count <= 0) {
		return 0;
	}

	let start = previousStart;
	if (selected < start) {
		start = selected;
	} else if (selected >= start + height) {
		start = selected - height + 1;
	}

	return Math.max(0, Math.min(start, count - height));
}
