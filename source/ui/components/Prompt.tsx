import {Text} from 'ink';
import {useRef, useState} from 'react';
import type {Completion} from '../keys/command-line.js';
import {matches} from '../keys/match.js';
import {KeyPriority, useKeypress} from '../keys/use-keypress.js';

export type PromptProps = {
	/** Written before the text, e.g. `/` or `namespace: `. */
	readonly label: string;
	readonly value: string;
	readonly onChange: (value: string) => void;
	/** Enter. */
	readonly onSubmit: (value: string) => void;
	/** Esc. */
	readonly onCancel: () => void;
	/** Tab: completes the text. Default: Tab does nothing. */
	readonly complete?: (value: string) => Completion;
	/** Dim words after the cursor while nothing is typed, e.g. what the prompt accepts. Default: none. */
	readonly placeholder?: string;
};

/** A one-line text prompt. While shown it takes every key but Ctrl-C. */
export default function Prompt({label, value, onChange, onSubmit, onCancel, complete, placeholder}: PromptProps) {
	// Several keys can arrive before the next render; each must see the text the previous one left.
	const current = useRef(value);
	current.current = value;
	const [candidates, setCandidates] = useState<readonly string[]>([]);
	const change = (next: string) => {
		current.current = next;
		onChange(next);
	};

	useKeypress(
		keypress => {
			if (keypress.ctrl && keypress.name === 'c') {
				return false;
			}

			setCandidates([]);
			if (keypress.name === 'return') {
				onSubmit(current.current);
			} else if (keypress.name === 'escape') {
				onCancel();
			} else if (matches('complete', keypress)) {
				const completion = complete?.(current.current);
				if (completion) {
					change(completion.text);
					setCandidates(completion.candidates);
				}
			} else if (keypress.name === 'backspace' || keypress.name === 'delete') {
				change(current.current.slice(0, -1));
			} else if (keypress.ctrl && keypress.name === 'u') {
				change('');
			} else if (keypress.text !== '' && !/[\u0000-\u001F]/.test(keypress.text)) {
				change(current.current + keypress.text);
			}

			return true;
		},
		{priority: KeyPriority.prompt},
	);

	return (
		<Text wrap="truncate">
			{label}
			{value}
			<Text inverse> </Text>
			{candidates.length > 0 ? <Text dimColor>{`  ${candidates.join('  ')}`}</Text> : undefined}
			{candidates.length === 0 && value === '' && placeholder ? <Text dimColor>{`  ${placeholder}`}</Text> : undefined}
		</Text>
	);
}
