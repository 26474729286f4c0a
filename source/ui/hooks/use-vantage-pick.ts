import {useState} from 'react';
import {matches} from '../keys/match.js';
import {KeyPriority, useKeypress} from '../keys/use-keypress.js';

/** What a view needs of its vantages (nodes through debug pods) to offer the `w` picker. */
export type VantageChoice = {
	/** Why nothing can be picked (svctop was started without --debug-pod); undefined when it can. */
	readonly unavailable?: string;
	/** Why nodes cannot be picked while other vantages (pods) can; the picker says it on one line. */
	readonly nodesUnavailable?: string;
	/** What picking `vantage` creates or execs into, for the confirmation. */
	describe(vantage: string): string;
};

export type VantagePick = {
	/** Whether the picker is open (the view draws it instead of its body). */
	readonly picking: boolean;
	/** The line shown instead of the hints (why `w` cannot pick), until the next pick. */
	readonly notice: string | undefined;
	setNotice(notice: string | undefined): void;
	/** For the VantagePicker: `describe`, `onPick`, `onCancel`. */
	readonly picker: {describe(vantage: string): string; onPick(vantage: string | undefined): void; onCancel(): void};
};

/**
 * The `w` key of the NAT and probe views: opens the picker when vantages can be picked, else says
 * why (`unavailable`); a pick closes it and goes to `onPick`.
 */
export function useVantagePick(vantages: VantageChoice | undefined, unavailable: string, onPick: (vantage: string | undefined) => void): VantagePick {
	const [picking, setPicking] = useState(false);
	const [notice, setNotice] = useState<string | undefined>(undefined);
	useKeypress(
		keypress => {
			if (!matches('natVantage', keypress)) {
				return false;
			}

			if (vantages === undefined || vantages.unavailable !== undefined) {
				setNotice(vantages?.unavailable ?? unavailable);
			} else {
				setPicking(true);
			}

			return true;
		},
		{priority: KeyPriority.screen, isActive: !picking},
	);
	return {
		picking: picking && vantages !== undefined,
		notice,
		setNotice,
		picker: {
			describe: vantage => vantages?.describe(vantage) ?? '',
			onPick(vantage) {
				setPicking(false);
				setNotice(undefined);
				onPick(vantage);
			},
			onCancel() {
				setPicking(false);
			},
		},
	};
}
