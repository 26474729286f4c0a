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
 * A body of `lineCount` lines seen through `bodyHeight` rows. The offset is clamped on every render,
 * so content that shrinks (a live view) never leaves the window past its end.
 */
export function useScroll(lineCount: number, bodyHeight: number): Scroll {
	const [wanted, setWanted] = useState(0);
	const last = Math.max(0, lineCount - bodyHeight);
	const offset = Math.min(wanted, last);
	const to = (target: number) => {
		setWanted(Math.max(0, Math.min(last, target)));
	};

	return {
		offset,
		reset() {
			setWanted(0);
		},
		scroll(command) {
			switch (command) {
				case 'up': {
					to(offset - 1);
					return true;
				}

				case 'down': {
					to(offset + 1);
					return true;
				}

				case 'pageUp': {
					to(offset - bodyHeight);
					return true;
				}

				case 'pageDown': {
					to(offset + bodyHeight);
					return true;
				}

				case 'top': {
					to(0);
					return true;
				}

				case 'bottom': {
					to(last);
					return true;
				}

				default: {
					return false;
				}
			}
		},
	};
}
