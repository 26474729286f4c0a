import {useState} from 'react';
import type {Route} from '../screens.js';

export type ScreenStack = {
	readonly stack: readonly Route[];
	/** The screen on top. */
	readonly route: Route;
	open(next: Route): void;
	/** One screen back; the list stays. */
	back(): void;
	/** Everything but the list closed (`:svc`, a namespace switch). */
	toList(): void;
};

/** The router's stack of screens, the Service list always at the bottom. */
export function useScreenStack(initialRoute: Route): ScreenStack {
	const [stack, setStack] = useState<readonly Route[]>(() =>
		initialRoute.screen === 'list' ? [initialRoute] : [{screen: 'list'}, initialRoute],
	);
	return {
		stack,
		route: stack.at(-1)!,
		open(next) {
			setStack(previous => [...previous, next]);
		},
		back() {
			setStack(previous => (previous.length > 1 ? previous.slice(0, -1) : previous));
		},
		toList() {
			setStack([{screen: 'list'}]);
		},
	};
}
