import {Text} from 'ink';
import {memo} from 'react';

export type ServiceTableRowProps = {
	/** The laid-out cells of the row. */
	readonly line: string;
	/** Highlighted, with a caret. Default: false. */
	readonly selected?: boolean;
	/** Shows the warning marker `!`. Default: false. */
	readonly warned?: boolean;
};

/** One Service row; memoized so scrolling re-renders only the rows whose text or selection changed. */
function ServiceTableRow({line, selected = false, warned = false}: ServiceTableRowProps) {
	return (
		<Text wrap="truncate" inverse={selected}>
			{selected ? '>' : ' '}
			<Text color="yellow" bold>
				{warned ? '!' : ' '}
			</Text>{' '}
			{line}
		</Text>
	);
}

export default memo(ServiceTableRow);
