import {Box, Text} from 'ink';
import {useMemo, useState} from 'react';
import {type Command, commandKeys} from '../keys/commands.js';
import {commandFor} from '../keys/match.js';
import {KeyPriority, useKeypress} from '../keys/use-keypress.js';
import {formatAgo} from '../format.js';
import {type NatDumpLoader, useNatTable} from '../hooks/use-nat-table.js';
import {useNow} from '../hooks/use-now.js';
import {scrollCommands, useScroll} from '../hooks/use-scroll.js';
import type {ServiceScreen, ServiceScreenProps} from '../screens.js';
import {type NatLineTone, natLines} from './nat/nat-lines.js';

export type NatViewProps = ServiceScreenProps & {
	/** Reads the dump: local tools, `--nat-file`, `--node-cmd`, or the demo's own. */
	readonly loadDump: NatDumpLoader;
};

const toneStyles: Readonly<Record<NatLineTone, {color?: string; bold?: boolean; dimColor?: boolean}>> = {
	heading: {bold: true},
	endpoint: {color: 'green'},
	drop: {color: 'red'},
	problem: {color: 'yellow'},
	plain: {},
};

const natCommands: readonly Command[] = [...scrollCommands, 'refresh', 'natAll', 'probe'];

const hint = [
	`${commandKeys('down').split(' ')[0]}/${commandKeys('up').split(' ')[0]} scroll`,
	`${commandKeys('natAll')} this Service / whole table`,
	`${commandKeys('refresh')} read again`,
	`${commandKeys('probe')} probe`,
	`${commandKeys('back')} back`,
].join('  ');

/** Issue 4's NAT view: the node's kube-proxy rules for one Service (or all), as a flow tree. */
export function NatView({serviceKey, snapshot, clock, width, height, onOpen, loadDump}: NatViewProps) {
	const [generation, setGeneration] = useState(0);
	const [wholeTable, setWholeTable] = useState(false);
	const now = useNow(clock, 1000);
	const {table, origin, error, loading, loadedAt, progress} = useNatTable(loadDump, snapshot, generation, clock);

	const lines = useMemo(() => (table ? natLines(table, wholeTable ? undefined : serviceKey) : []), [table, wholeTable, serviceKey]);
	const bodyHeight = Math.max(1, height - 2);
	const {offset: shown, scroll, reset} = useScroll(lines.length, bodyHeight);

	useKeypress(
		keypress => {
			const command = commandFor(keypress, natCommands);
			if (scroll(command)) {
				return true;
			}

			switch (command) {
				case 'refresh': {
					setGeneration(previous => previous + 1);
					return true;
				}

				case 'natAll': {
					setWholeTable(previous => !previous);
					reset();
					return true;
				}

				case 'probe': {
					onOpen({screen: 'probe', serviceKey});
					return true;
				}

				default: {
					return false;
				}
			}
		},
		{priority: KeyPriority.screen},
	);

	const title = `${wholeTable ? 'NAT table' : `NAT rules of ${serviceKey}`}${origin ? `  from ${origin}` : ''}${
		loading ? `  ${progress ?? 'reading…'}` : loadedAt === undefined ? '' : `  read ${formatAgo(loadedAt, now)}`
	}`;
	return (
		<Box flexDirection="column" height={height} width={width} flexShrink={0}>
			<Text bold wrap="truncate">
				{title}
			</Text>
			<Box flexDirection="column" height={bodyHeight} flexShrink={0}>
				{error ? (
					<Text color="red" wrap="truncate">{`Cannot read the rules: ${error}`}</Text>
				) : (
					lines.slice(shown, shown + bodyHeight).map(line => (
						<Text key={line.key} wrap="truncate" {...toneStyles[line.tone]}>
							{line.text === '' ? ' ' : line.text}
						</Text>
					))
				)}
			</Box>
			<Text dimColor wrap="truncate">
				{lines.length > bodyHeight ? `[${shown + 1}-${Math.min(lines.length, shown + bodyHeight)}/${lines.length}]  ${hint}` : hint}
			</Text>
		</Box>
	);
}

/** The NAT screen for the router, bound to one way of reading the rules. */
export function makeNatView(loadDump: NatDumpLoader): ServiceScreen {
	return function BoundNatView(props: ServiceScreenProps) {
		return <NatView {...props} loadDump={loadDump} />;
	};
}
