import {useContext, useLayoutEffect, useRef} from 'react';
import {type KeypressHandler, KeypressContext} from './KeypressProvider.js';

/**
 * Priorities on the bus, highest first: Ctrl-C always quits; an open prompt or overlay sees keys
 * before the screen under it; the screen before the app's fallbacks (q, Esc, ?).
 */
export const KeyPriority = {app: 0, screen: 10, overlay: 20, prompt: 30, interrupt: 100} as const;

/**
 * Registers `handler` on the keypress bus while `isActive`. The handler may change every render;
 * the registration keeps its place.
 */
export function useKeypress(
	handler: KeypressHandler,
	options: {readonly priority?: number; readonly isActive?: boolean} = {},
): void {
	const bus = useContext(KeypressContext);
	if (!bus) {
		throw new Error('useKeypress needs a KeypressProvider above it');
	}

	const ref = useRef(handler);
	ref.current = handler;
	const {priority = KeyPriority.screen, isActive = true} = options;
	// Registered during the commit, not after paint, so a prompt that just opened hears the very next key.
	useLayoutEffect(() => {
		if (!isActive) {
			return;
		}

		return bus.register(ref, priority);
	}, [bus, priority, isActive]);
}
