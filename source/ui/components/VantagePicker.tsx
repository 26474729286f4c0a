import {Box, Text} from 'ink';
import {useState} from 'react';
import {commandFor} from '../keys/match.js';
import {KeyPriority, useKeypress} from '../keys/use-keypress.js';

export type VantagePickerProps = {
	/** Nodes that can be picked, in order. */
	readonly nodes: readonly string[];
	/** Existing pods that can be picked after the nodes, as `pod/NS/NAME` (exec only, nothing created). */
	readonly pods?: readonly string[];
	/** The node read now; undefined = this machine (as svctop was started). */
	readonly current: string | undefined;
	/** What picking a node will create, shown for confirmation before anything is. */
	readonly describe: (node: string) => string;
	/** A choice made (and confirmed, for a node). */
	readonly onPick: (node: string | undefined) => void;
	readonly onCancel: () => void;
	readonly height: number;
	/** The list's heading. Default: for the NAT view. */
	readonly title?: string;
	/** What `y` does, after the confirmation. Default: for the NAT view. */
	readonly confirmAction?: string;
	/** What `y` does for a pod. */
	readonly confirmPodAction?: string;
	/** One line under the heading, e.g. why no node is listed. */
	readonly note?: string;
};

/** Picks where a view reads from (NAT rules) or probes from: this machine, a node or a pod, with a y/n confirmation naming the pod. */
export function VantagePicker({nodes, pods = [], current, describe, onPick, onCancel, height, title = 'Read the rules from', confirmAction = 'create it and read the rules', confirmPodAction = 'exec into it and probe from there', note}: VantagePickerProps) {
	const choices: Array<string | undefined> = [undefined, ...nodes, ...pods];
	const [index, setIndex] = useState(Math.max(0, choices.indexOf(current)));
	const [confirming, setConfirming] = useState<string | undefined>(undefined);

	useKeypress(
		keypress => {
			if (confirming !== undefined) {
				if (keypress.name === 'y') {
					onPick(confirming);
				} else if (keypress.name === 'n' || keypress.name === 'escape') {
					setConfirming(undefined);
				}

				return true;
			}

			const command = commandFor(keypress, ['up', 'down', 'open', 'back', 'quit']);
			if (command === 'up') {
				setIndex(previous => Math.max(0, previous - 1));
			} else if (command === 'down') {
				setIndex(previous => Math.min(choices.length - 1, previous + 1));
			} else if (command === 'open') {
				const choice = choices[index];
				if (choice === undefined || choice === current) {
					onPick(choice);
				} else {
					setConfirming(choice);
				}
			} else if (command === 'back' || command === 'quit') {
				onCancel();
			}

			return true;
		},
		{priority: KeyPriority.overlay},
	);

	if (confirming !== undefined) {
		return (
			<Box flexDirection="column">
				<Text wrap="wrap">{describe(confirming)}</Text>
				<Text bold>{`y: ${pods.includes(confirming) ? confirmPodAction : confirmAction}   n: back`}</Text>
			</Box>
		);
	}

	const rows = height - 1 - (note === undefined ? 0 : 1);
	const first = Math.max(0, index - (rows - 1));
	const shown = choices.slice(first, first + rows);
	return (
		<Box flexDirection="column">
			<Text bold>{`${title} (Enter picks, Esc cancels):`}</Text>
			{note === undefined ? undefined : <Text dimColor wrap="truncate">{note}</Text>}
			{shown.map(choice => (
				<Text key={choice ?? ''} inverse={choice === choices[index]} wrap="truncate">
					{`${choice === current ? '* ' : '  '}${labelOf(choice, pods)}`}
				</Text>
			))}
		</Box>
	);
}

function labelOf(choice: string | undefined, pods: readonly string[]): string {
	if (choice === undefined) {
		return 'this machine (as svctop was started)';
	}

	return pods.includes(choice) ? `${choice} (exec into it, creates nothing)` : `node ${choice} (through a debug pod there)`;
}
