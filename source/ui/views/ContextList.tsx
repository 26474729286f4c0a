import {Box, Text} from 'ink';
import {useState} from 'react';
import type {KubeContext} from '../../kube/contexts.js';
import {type Command, commandKeys} from '../keys/commands.js';
import {commandFor} from '../keys/match.js';
import {scrollCommands, scrollTo} from '../hooks/use-scroll.js';
import {KeyPriority, useKeypress} from '../keys/use-keypress.js';

export type ContextListProps = {
	readonly contexts: readonly KubeContext[];
	/** The context shown now. */
	readonly current: string;
	readonly width: number;
	readonly height: number;
	/** Enter on a row. */
	readonly onSelect: (name: string) => void;
};

const contextCommands: readonly Command[] = [...scrollCommands, 'open'];

const headers = ['CURRENT', 'NAME', 'CLUSTER', 'AUTHINFO', 'NAMESPACE'] as const;

/** The rows of `kubectl config get-contexts`: each column as wide as its longest cell. */
export function contextLines(contexts: readonly KubeContext[], current: string): string[] {
	const rows = [
		[...headers],
		...contexts.map(context => [context.name === current ? '*' : '', context.name, context.cluster, context.user, context.namespace]),
	];
	const widths = headers.map((_, column) => Math.max(...rows.map(row => row[column]!.length)));
	return rows.map(row => row.map((cell, column) => (column < row.length - 1 ? cell.padEnd(widths[column]!) : cell)).join('   ').trimEnd());
}

/** `:ctx`: the kubeconfig's contexts; Enter switches to the selected one without a restart. */
export default function ContextList({contexts, current, width, height, onSelect}: ContextListProps) {
	const [selected, setSelected] = useState(() => Math.max(0, contexts.findIndex(context => context.name === current)));
	const lines = contextLines(contexts, current);
	const bodyHeight = Math.max(1, height - 3);

	useKeypress(
		keypress => {
			const command = commandFor(keypress, contextCommands);
			const last = Math.max(0, contexts.length - 1);
			const target = scrollTo(command, selected, bodyHeight, last);
			if (target !== undefined) {
				setSelected(target);
				return true;
			}

			if (command === 'open' && contexts[selected]) {
				onSelect(contexts[selected].name);
				return true;
			}

			return false;
		},
		{priority: KeyPriority.screen},
	);

	const start = Math.max(0, Math.min(selected - bodyHeight + 1, contexts.length - bodyHeight));
	return (
		<Box flexDirection="column" height={height} width={width} flexShrink={0}>
			<Text bold wrap="truncate">{`Contexts of the kubeconfig (${contexts.length})`}</Text>
			<Text bold wrap="truncate">{`   ${lines[0]}`}</Text>
			<Box flexDirection="column" height={bodyHeight} flexShrink={0}>
				{contexts.length === 0 ? (
					<Text dimColor wrap="truncate">   No contexts: svctop was started without a kubeconfig (--demo or in-cluster).</Text>
				) : (
					contexts.slice(Math.max(0, start), Math.max(0, start) + bodyHeight).map((context, index) => {
						const row = Math.max(0, start) + index;
						return (
							<Text key={context.name} wrap="truncate" inverse={row === selected}>
								{`${row === selected ? '>' : ' '}  ${lines[row + 1]}`}
							</Text>
						);
					})
				)}
			</Box>
			<Text dimColor wrap="truncate">{`${commandKeys('open')} switch  ${commandKeys('back')} back`}</Text>
		</Box>
	);
}
