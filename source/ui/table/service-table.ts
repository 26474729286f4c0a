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
 * How a line too wide for the terminal is made to fit, in order, each step taken only while the
 * line is still too wide (kubectl's normal vs wide output, k9s's columns): first what says least
 * (SELECTOR, a column of `<none>`, spacing, padding of short values, AGE, the rest of EXTERNAL-IP),
 * NAME, NAMESPACE and PORT(S) last. CLUSTER-IP keeps a whole address: a clipped one reads as another.
 */
type FitStep =
	| {readonly kind: 'shortExternalIP'}
	| {readonly kind: 'gap'}
	| {readonly kind: 'shrink'; readonly id: ColumnId; readonly to: number}
	| {readonly kind: 'drop'; readonly id: ColumnId; readonly onlyWhenEmpty?: boolean};

const fitSteps: readonly FitStep[] = [
	{kind: 'shortExternalIP'},
	// SELECTOR is shown only when at least this much of it fits.
	{kind: 'shrink', id: 'selector', to: 12},
	{kind: 'drop', id: 'selector'},
	{kind: 'drop', id: 'externalIP', onlyWhenEmpty: true},
	{kind: 'gap'},
	// A whole IPv4 address, `<pending>` or the start of a hostname.
	{kind: 'shrink', id: 'externalIP', to: 15},
	// Its values are short (`3/3`); only the header is clipped.
	{kind: 'shrink', id: 'endpoints', to: 5},
	{kind: 'drop', id: 'age'},
	{kind: 'shrink', id: 'externalIP', to: 11},
	{kind: 'drop', id: 'externalIP'},
	// One port with its nodePort, `30080:31254/TCP`.
	{kind: 'shrink', id: 'ports', to: 15},
	// `ClusterIP` and `NodePort` whole, `LoadBala…`, `ExternalN…`.
	{kind: 'shrink', id: 'type', to: 9},
	{kind: 'shrink', id: 'ports', to: 12},
];

/** After the steps, the widest of these shrinks one character at a time down to its minimum. */
const lastResort: ReadonlyArray<[ColumnId, number]> = [
	['name', 10],
	['namespace', 7],
	['ports', 7],
	['clusterIP', 15],
];

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

/** The longest value of each column, header excluded. */
function valueWidths(rows: readonly ServiceRow[], ids: readonly ColumnId[], fullExternalIP: boolean): Map<ColumnId, number> {
	const widths = new Map<ColumnId, number>(ids.map(id => [id, 0]));
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

/** Column widths as kubectl sizes them: the longest cell of each column, header included. */
function naturalWidths(values: ReadonlyMap<ColumnId, number>): Map<ColumnId, number> {
	return new Map([...values].map(([id, width]) => [id, Math.max(width, headers[id].length)]));
}

/** Width of a whole line with these column widths. */
function lineWidth(widths: ReadonlyMap<ColumnId, number>, gap: number): number {
	let sum = rowPrefixWidth + gap * (widths.size - 1);
	for (const width of widths.values()) {
		sum += width;
	}

	return sum;
}

type Draft = {widths: Map<ColumnId, number>; gap: number; fullExternalIP: boolean};

/** Takes one step on `draft`, only as far as needed to fit `width`. */
function takeStep(draft: Draft, step: FitStep, rows: readonly ServiceRow[], width: number): void {
	const excess = lineWidth(draft.widths, draft.gap) - width;
	switch (step.kind) {
		case 'shortExternalIP': {
			if (draft.fullExternalIP && draft.widths.has('externalIP')) {
				draft.fullExternalIP = false;
				draft.widths.set('externalIP', naturalWidths(valueWidths(rows, ['externalIP'], false)).get('externalIP')!);
			}

			return;
		}

		case 'gap': {
			draft.gap = 1;
			return;
		}

		case 'shrink': {
			const current = draft.widths.get(step.id);
			if (current !== undefined && current > step.to) {
				draft.widths.set(step.id, Math.max(step.to, current - excess));
			}

			return;
		}

		case 'drop': {
			const empty = rows.every(row => cellText(row, step.id, false) === '<none>');
			if (!step.onlyWhenEmpty || empty) {
				draft.widths.delete(step.id);
			}
		}
	}
}

/**
 * Column widths the way kubectl sizes them (the longest cell of each column, header included),
 * fitted to `width` by priority: see fitSteps.
 */
export function layoutTable(
	rows: readonly ServiceRow[],
	options: {readonly width: number; readonly allNamespaces: boolean},
): TableLayout {
	const ids: ColumnId[] = ['name', 'type', 'clusterIP', 'externalIP', 'ports', 'endpoints', 'age', 'selector'];
	if (options.allNamespaces) {
		ids.unshift('namespace');
	}

	const values = valueWidths(rows, ids, true);
	const draft: Draft = {widths: naturalWidths(values), gap: 2, fullExternalIP: true};
	const taken: FitStep[] = [];
	for (const step of fitSteps) {
		if (lineWidth(draft.widths, draft.gap) <= options.width) {
			break;
		}

		takeStep(draft, step, rows, options.width);
		taken.push(step);
	}

	giveBack(draft, taken.toReversed(), naturalWidths(valueWidths(rows, ids, draft.fullExternalIP)), options.width);

	// Never clip the values of ENDPOINTS, only its header.
	const endpoints = draft.widths.get('endpoints');
	if (endpoints !== undefined) {
		draft.widths.set('endpoints', Math.max(endpoints, values.get('endpoints')!));
	}

	shrinkWidest(draft, options.width);
	const shown = ids.filter(id => draft.widths.has(id));
	return {columns: toColumns(shown, draft.widths), gap: draft.gap, fullExternalIP: draft.fullExternalIP};
}

/** Narrowest width a dropped column comes back with: `<pending>` for EXTERNAL-IP. */
const comebackWidths: Partial<Record<ColumnId, number>> = {externalIP: 9, selector: 12};

/**
 * A step can free more than was needed (dropping a column frees all of it): the room left goes
 * back to what the last steps took, the most recent first.
 */
function giveBack(draft: Draft, steps: readonly FitStep[], natural: ReadonlyMap<ColumnId, number>, width: number): void {
	for (const step of steps) {
		const room = width - lineWidth(draft.widths, draft.gap);
		if (step.kind === 'drop' && !draft.widths.has(step.id)) {
			const wanted = natural.get(step.id)!;
			const fits = Math.min(wanted, room - draft.gap);
			if (fits >= (comebackWidths[step.id] ?? wanted)) {
				draft.widths.set(step.id, fits);
			}
		} else if (step.kind === 'shrink' && draft.widths.has(step.id)) {
			const current = draft.widths.get(step.id)!;
			draft.widths.set(step.id, current + Math.max(0, Math.min(room, natural.get(step.id)! - current)));
		}
	}
}

/** The last resort: the widest remaining text column loses a character until the line fits. */
function shrinkWidest(draft: Draft, width: number): void {
	let excess = lineWidth(draft.widths, draft.gap) - width;
	while (excess > 0) {
		let widest: ColumnId | undefined;
		for (const [id, minimum] of lastResort) {
			const current = draft.widths.get(id);
			if (current !== undefined && current > minimum && (widest === undefined || current > draft.widths.get(widest)!)) {
				widest = id;
			}
		}

		if (widest === undefined) {
			return;
		}

		draft.widths.set(widest, draft.widths.get(widest)! - 1);
		excess--;
	}
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

/** `!` for warnings; `?` when none were found but some could not be checked, so the row is not shown clean. */
export function rowMark(row: ServiceRow): '!' | '?' | undefined {
	return row.warnings.length > 0 ? '!' : row.unknown.length > 0 ? '?' : undefined;
}
