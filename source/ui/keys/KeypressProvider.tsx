import {useInput, useStdin} from 'ink';
import {createContext, type ReactNode, useCallback, useMemo, useRef} from 'react';
import {type Keypress, toKeypress} from './match.js';

/** Returns true when it consumed the key, which then reaches no other handler. */
export type KeypressHandler = (keypress: Keypress) => boolean;

type Registration = {readonly handler: {current: KeypressHandler}; readonly priority: number; readonly order: number};

export type KeypressBus = {
	/** Adds a handler; higher priority first, and among equals the latest registered first. */
	register(handler: {current: KeypressHandler}, priority: number): () => void;
};

export const KeypressContext = createContext<KeypressBus | undefined>(undefined);

export type KeypressProviderProps = {
	readonly children: ReactNode;
	/** Whether to read the keyboard. Default: true (it is never read when stdin is not a terminal). */
	readonly isActive?: boolean;
};

/** The one keypress bus: a single `useInput` that offers each key to the registered handlers in turn. */
export default function KeypressProvider({children, isActive = true}: KeypressProviderProps) {
	const registrations = useRef<Registration[]>([]);
	const counter = useRef(0);
	const {isRawModeSupported} = useStdin();

	const register = useCallback((handler: {current: KeypressHandler}, priority: number) => {
		const registration = {handler, priority, order: counter.current++};
		registrations.current = [...registrations.current, registration].sort(
			(a, b) => b.priority - a.priority || b.order - a.order,
		);
		return () => {
			registrations.current = registrations.current.filter(item => item !== registration);
		};
	}, []);

	const dispatch = (keypress: Keypress): boolean => {
		for (const registration of registrations.current) {
			if (registration.handler.current(keypress)) {
				return true;
			}
		}

		return false;
	};

	useInput(
		(input, key) => {
			const keypress = toKeypress(input, key);
			if (dispatch(keypress) || keypress.text.length <= 1) {
				return;
			}

			// Keys typed faster than they are read arrive as one chunk ("jjj"); a prompt takes the chunk
			// whole (a paste), anything else gets the keys one by one.
			for (const character of keypress.text) {
				dispatch({name: character, ctrl: false, text: character});
			}
		},
		{isActive: isActive && isRawModeSupported},
	);

	const bus = useMemo(() => ({register}), [register]);
	return <KeypressContext value={bus}>{children}</KeypressContext>;
}
