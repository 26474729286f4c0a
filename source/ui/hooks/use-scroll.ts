import {useState} from 'react';
import type {Command} from '../keys/commands.js';

/** The registry commands a scrolling body answers. */
export const scrollCommands: readonly Command[] = ['up', 'down', 'pageUp', 'pageDown', 'top', 'bottom'];

export type Scroll = {
	/** First line shown, already clamped to the content. */
	readonly offset: number;
	/** Applies a scroll command; false for any other command, so the caller can handle it. */
	scroll(command: Command | undefined): boolean;
	/** Back to the first line (e.g. when the content is replaced). */
	reset(): void;
};

/**
 * Where a scroll command moves `position` (a first line shown, or a selected row) in a body whose
 * last position is `last`, `page` rows at a time; undefined for any other command. The one
 * scroll-key rule of every scrolling view, the help and the lists.
 */
export function scrollTo(command: Command | undefined, position: number, page: number, last: number): number | undefined {
	const moves: Partial<Record<Command, number>> = {
		up: position - 1,
		down: position + 1,
		pageUp: position - page,
		pageDown: position + page,
		top: 0,
		bottom: last,
	};
	const target = command === undefined ? undefined : moves[command];
	return target === undefined ? undefined : Math.max(0, Math.min(last, target));
}

/**
 * A body of `lineCount` lines seen through `bodyHeight` rows. The offset is clamped on every render,
 * so content that shrinks (a live view) never leaves the window past its end.
 */
export function useScroll(lineCount: number, bodyHeight: number): Scroll {
	const [wanted, setWanted] = useState(0);
	const last = Math.max(0, lineCount - bodyHeight);
	const offset = Math.min(wanted, last);
	return {
		offset,
		reset() {
			setWanted(0);
		},
		scroll(command) {
			const target = scrollTo(command, offset, bodyHeight, last);
			if (target === undefined) {
				return false;
			}

			setWanted(target);
			return true;
		},
	};
}
