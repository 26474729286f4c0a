import {Text} from 'ink';
import {memo} from 'react';

export type ServiceTableRowProps = {
	/** The laid-out cells of the row. */
	readonly line: string;
	/** Highlighted, with a caret. Default: false. */
	readonly selected?: boolean;
	/** `!`: the row has warnings; `?`: none found, but some could not be checked (not clean). Default: none. */
	readonly mark?: '!' | '?';
};

/** One Service row; memoized so scrolling re-renders only the rows whose text or selection changed. */
function ServiceTableRow({line, selected = false, mark}: ServiceTableRowProps) {
	return (
		<Text wrap="truncate" inverse={selected}>
			{selected ? '>' : ' '}
			<Text color="yellow" bold>
				{mark ?? ' '}
			</Text>{' '}
			{line}
		</Text>
	);
}

export default memo(ServiceTableRow);
