import type {Key} from 'ink';
import {type Command, commands, type KeyBinding} from './commands.js';

/** A key press in one shape: a named key or the typed text, and whether Ctrl was held. */
export type Keypress = {
	/** Named key (`up`, `return`, `escape`, ...) or the typed text (`j`, `G`, `abc` when pasted). */
	readonly name: string;
	readonly ctrl: boolean;
	/** What the key types into a prompt; empty for named keys. */
	readonly text: string;
};

const namedKeys: ReadonlyArray<[keyof Key, string]> = [
	['upArrow', 'up'],
	['downArrow', 'down'],
	['leftArrow', 'left'],
	['rightArrow', 'right'],
	['pageUp', 'pageup'],
	['pageDown', 'pagedown'],
	['home', 'home'],
	['end', 'end'],
	['return', 'return'],
	['escape', 'escape'],
	['tab', 'tab'],
	['backspace', 'backspace'],
	['delete', 'delete'],
];

/** Turns ink's `(input, key)` into a Keypress. */
export function toKeypress(input: string, key: Key): Keypress {
	for (const [flag, name] of namedKeys) {
		if (key[flag]) {
			return {name, ctrl: key.ctrl, text: ''};
		}
	}

	return {name: input, ctrl: key.ctrl, text: key.ctrl || key.meta ? '' : input};
}

function bindingMatches(binding: KeyBinding, keypress: Keypress): boolean {
	return binding.name === keypress.name && Boolean(binding.ctrl) === keypress.ctrl;
}

/** Whether the key press is one of the command's bindings. */
export function matches(command: Command, keypress: Keypress): boolean {
	return commands[command].bindings.some(binding => bindingMatches(binding, keypress));
}

/** The first of `candidates` bound to this key press, if any. */
export function commandFor(keypress: Keypress, candidates: readonly Command[]): Command | undefined {
	return candidates.find(command => matches(command, keypress));
}
