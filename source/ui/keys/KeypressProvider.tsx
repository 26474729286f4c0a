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

/** Control characters inside a chunk mean what the named keys mean. */
const namedCharacters: Readonly<Record<string, string>> = {'\r': 'return', '\n': 'return', '\t': 'tab', '\u007F': 'backspace', '\b': 'backspace'};

function keypressOf(character: string): Keypress {
	const name = namedCharacters[character];
	return name ? {name, ctrl: false, text: ''} : {name: character, ctrl: false, text: character};
}

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

	// Keys typed faster than they are read (a slow SSH link, key repeat) arrive as one chunk ("/np");
	// they are offered one per turn of the event loop, so a key that opens a prompt has rendered it,
	// and the prompt has registered, before the next key arrives.
	const pending = useRef<string[]>([]);
	const drain = () => {
		const character = pending.current.shift();
		if (character === undefined) {
			return;
		}

		dispatch(keypressOf(character));
		if (pending.current.length > 0) {
			setImmediate(drain);
		}
	};

	useInput(
		(input, key) => {
			const keypress = toKeypress(input, key);
			if (pending.current.length > 0) {
				// Still replaying an earlier chunk: keep the order.
				pending.current.push(...(keypress.text.length > 0 ? [...keypress.text] : []));
				return;
			}

			if (dispatch(keypress) || keypress.text.length <= 1) {
				return;
			}

			// Not taken whole (a prompt takes a paste whole): one key at a time.
			pending.current.push(...keypress.text);
			drain();
		},
		{isActive: isActive && isRawModeSupported},
	);

	const bus = useMemo(() => ({register}), [register]);
	return <KeypressContext value={bus}>{children}</KeypressContext>;
}
