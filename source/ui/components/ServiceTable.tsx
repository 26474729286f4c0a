import {Box, Text} from 'ink';
import type {ServiceRow} from '../../core/services/service-row.js';
import {headerLine, rowLine, rowMark, type TableLayout} from '../table/service-table.js';
import ServiceTableRow from './ServiceTableRow.js';

export type ServiceTableProps = {
	/** All rows, filtered and sorted; only `height` of them from `start` are drawn. */
	readonly rows: readonly ServiceRow[];
	readonly layout: TableLayout;
	/** Index of the first drawn row. */
	readonly start: number;
	/** Rows drawn below the header. */
	readonly height: number;
	/** Key (`namespace/name`) of the highlighted row, if any. */
	readonly selectedKey: string | undefined;
	/** Shown instead of rows when there are none. */
	readonly emptyMessage: string;
};

/** The Service table, windowed: rendering cost depends on the terminal's height, not on the row count. */
export default function ServiceTable({rows, layout, start, height, selectedKey, emptyMessage}: ServiceTableProps) {
	const visible = rows.slice(start, start + height);
	return (
		<Box flexDirection="column" height={height + 1} flexShrink={0}>
			<Text bold wrap="truncate">
				{'   '}
				{headerLine(layout)}
			</Text>
			{visible.length === 0 ? (
				<Text dimColor wrap="truncate">
					{'   '}
					{emptyMessage}
				</Text>
			) : (
				visible.map(row => (
					<ServiceTableRow
						key={row.key}
						line={rowLine(row, layout)}
						selected={row.key === selectedKey}
						mark={rowMark(row)}
					/>
				))
			)}
		</Box>
	);
}
