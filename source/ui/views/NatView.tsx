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
import {VantagePicker} from '../components/VantagePicker.js';
import type {NatVantages} from '../../node/access/nat-vantages.js';

export type NatViewProps = ServiceScreenProps & {
	/** Reads the dump: local tools, `--nat-file`, `--node-cmd`, or the demo's own. */
	readonly loadDump: NatDumpLoader;
	/** Other nodes to read the rules from (debug pods, after a confirmation); see nat-vantages.ts. */
	readonly vantages?: NatVantages;
};

const toneStyles: Readonly<Record<NatLineTone, {color?: string; bold?: boolean; dimColor?: boolean}>> = {
	heading: {bold: true},
	endpoint: {color: 'green'},
	drop: {color: 'red'},
	problem: {color: 'yellow'},
	plain: {},
};

const natCommands: readonly Command[] = [...scrollCommands, 'refresh', 'natAll', 'natVantage', 'probe'];

const hint = [
	`${commandKeys('down').split(' ')[0]}/${commandKeys('up').split(' ')[0]} scroll`,
	`${commandKeys('natAll')} Service/all`,
	`${commandKeys('refresh')} reread`,
	`${commandKeys('natVantage')} from node`,
	`${commandKeys('probe')} probe`,
	`${commandKeys('back')} back`,
].join('  ');

/** Issue 4's NAT view: the node's kube-proxy rules for one Service (or all), as a flow tree. */
export function NatView({serviceKey, snapshot, clock, width, height, onOpen, loadDump, vantages}: NatViewProps) {
	const [generation, setGeneration] = useState(0);
	const [wholeTable, setWholeTable] = useState(false);
	// Vantage point: undefined = this machine, else a node read through a debug pod (picked and confirmed).
	const [vantage, setVantage] = useState<string | undefined>(undefined);
	const [picking, setPicking] = useState(false);
	const [notice, setNotice] = useState<string | undefined>(undefined);
	const now = useNow(clock, 1000);
	const load = useMemo(() => (vantage !== undefined && vantages ? vantages.loaderFor(vantage) : loadDump), [vantage, vantages, loadDump]);
	const {table, origin, error, loading, loadedAt, progress} = useNatTable(load, snapshot, generation, clock);

	const lines = useMemo(() => (table ? natLines(table, wholeTable ? undefined : serviceKey, width) : []), [table, wholeTable, serviceKey, width]);
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

				case 'natVantage': {
					if (vantages === undefined || vantages.unavailable !== undefined) {
						setNotice(vantages?.unavailable ?? 'reading other nodes is not available here');
					} else {
						setPicking(true);
					}

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
		{priority: KeyPriority.screen, isActive: !picking},
	);
	const nodes = useMemo(() => snapshot.nodes.map(node => node.metadata?.name ?? '').filter(Boolean), [snapshot.nodes]);

	const title = `${wholeTable ? 'NAT table' : `NAT rules of ${serviceKey}`}${origin ? `  from ${origin}` : ''}${
		loading ? `  ${progress ?? 'reading…'}` : loadedAt === undefined ? '' : `  read ${formatAgo(loadedAt, now)}`
	}`;
	return (
		<Box flexDirection="column" height={height} width={width} flexShrink={0}>
			<Text bold wrap="truncate">
				{title}
			</Text>
			<Box flexDirection="column" height={bodyHeight} flexShrink={0}>
				{picking && vantages ? (
					<VantagePicker
						nodes={nodes}
						current={vantage}
						describe={vantages.describe}
						height={bodyHeight}
						onPick={node => {
							setPicking(false);
							setNotice(undefined);
							setVantage(node);
						}}
						onCancel={() => {
							setPicking(false);
						}}
					/>
				) : error ? (
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
				{notice ?? (lines.length > bodyHeight ? `[${shown + 1}-${Math.min(lines.length, shown + bodyHeight)}/${lines.length}]  ${hint}` : hint)}
			</Text>
		</Box>
	);
}

/** The NAT screen for the router, bound to one way of reading the rules. */
export function makeNatView(loadDump: NatDumpLoader, vantages?: NatVantages): ServiceScreen {
	return function BoundNatView(props: ServiceScreenProps) {
		return <NatView {...props} loadDump={loadDump} vantages={vantages} />;
	};
}
