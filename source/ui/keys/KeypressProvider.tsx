import {useInput, usePaste, useStdin} from 'ink';
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

function keypressOf(token: string): Keypress {
	const name = namedCharacters[token];
	return name ? {name, ctrl: false, text: ''} : {name: token, ctrl: false, text: token};
}

/**
 * A chunk of input (a paste, keys typed faster than they are read) as the keys it holds: runs of
 * text, each Enter, Tab or Backspace on its own. `\r\n` is one Enter.
 */
export function splitChunk(text: string): string[] {
	return text.match(/\r\n|[\r\n\t\u007F\b]|[^\r\n\t\u007F\b]+/g) ?? [];
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

	// Keys typed faster than they are read (a slow SSH link, key repeat, a paste) arrive as one chunk
	// ("/np", "kube-system\r"), or as several keys in one turn of the event loop (Ink splits "Down Down
	// Enter" into three calls at once). Either way they are offered one per turn, so each handler sees
	// what the key before it did: a moved cursor has rendered before Enter opens the selected row, and a
	// key that opens a prompt has rendered it before the next key arrives. A run of text is offered whole
	// first (a prompt takes it whole), else one character at a time.
	const pending = useRef<Keypress[]>([]);
	// A key was offered in this turn: the next one waits for the next turn.
	const offeredThisTurn = useRef(false);
	const drain = () => {
		offeredThisTurn.current = false;
		const keypress = pending.current.shift();
		if (keypress === undefined) {
			return;
		}

		if (!dispatch(keypress) && keypress.text.length > 1) {
			const [first, ...rest] = [...keypress.text].map(character => keypressOf(character));
			pending.current.unshift(...rest);
			dispatch(first!);
		}

		offeredThisTurn.current = true;
		setImmediate(drain);
	};

	const enqueue = (keypresses: Keypress[]) => {
		pending.current.push(...keypresses);
		if (!offeredThisTurn.current) {
			drain();
		}
	};

	const enqueueText = (text: string) => {
		enqueue(splitChunk(text).map(token => keypressOf(token === '\r\n' ? '\r' : token)));
	};

	const isInputActive = isActive && isRawModeSupported;
	useInput(
		(input, key) => {
			const keypress = toKeypress(input, key);
			if (keypress.text.length > 1) {
				enqueueText(keypress.text);
			} else {
				enqueue([keypress]);
			}
		},
		{isActive: isInputActive},
	);

	// Bracketed paste (ESC[200~ ... ESC[201~): the pasted text, as if typed.
	usePaste(enqueueText, {isActive: isInputActive});

	const bus = useMemo(() => ({register}), [register]);
	return <KeypressContext value={bus}>{children}</KeypressContext>;
}
