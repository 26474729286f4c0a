import {useWindowSize} from 'ink';

export type TerminalSize = {readonly columns: number; readonly rows: number};

/** The terminal's size, re-rendering on resize (ink's own resize listener). */
export function useTerminalSize(): TerminalSize {
	const {columns, rows} = useWindowSize();
	return {columns, rows};
}
