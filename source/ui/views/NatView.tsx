import {Box, Text} from 'ink';
import {useMemo, useState} from 'react';
import {type Command, commandKeys} from '../keys/commands.js';
import {commandFor} from '../keys/match.js';
import {KeyPriority, useKeypress} from '../keys/use-keypress.js';
import {capLines, fitHints, formatAgo, wrapWords} from '../format.js';
import {useNatTable} from '../hooks/use-nat-table.js';
import {useOwnedStore} from '../hooks/use-owned-store.js';
import {type VantageChoice, useVantagePick} from '../hooks/use-vantage-pick.js';
import {useNow} from '../hooks/use-now.js';
import {scrollCommands, useScroll} from '../hooks/use-scroll.js';
import type {ServiceScreenProps} from '../screens.js';
import {type NatLineTone, natLines} from './nat/nat-lines.js';
import {VantagePicker} from '../components/VantagePicker.js';
import type {NatSourceStore} from '../../node/nat/nat-source.js';
import type {ClusterSnapshot} from '../../kube/types.js';

export type NatViewProps = ServiceScreenProps & {
	/**
	 * Opens the NAT source (local tools, `--nat-file`, `--node-cmd`, the demo's), read once opened;
	 * closed with the view. `cluster` gives the API's latest snapshot, kept with each read.
	 */
	readonly openNat: (cluster: () => ClusterSnapshot) => NatSourceStore;
	/** Other nodes to read the rules from (debug pods, after a confirmation); see nat-vantages.ts. */
	readonly vantages?: VantageChoice;
};

const toneStyles: Readonly<Record<NatLineTone, {color?: string; bold?: boolean; dimColor?: boolean}>> = {
	heading: {bold: true},
	endpoint: {color: 'green'},
	drop: {color: 'red'},
	problem: {color: 'yellow'},
	plain: {},
};

const natCommands: readonly Command[] = [...scrollCommands, 'refresh', 'natAll', 'probe'];

const scrollHint = `${commandKeys('down').split(' ')[0]}/${commandKeys('up').split(' ')[0]} scroll`;
const fromNodeHint = `${commandKeys('natVantage')} from node`;
const hints = [scrollHint, `${commandKeys('natAll')} Service/all`, `${commandKeys('refresh')} reread`, fromNodeHint, `${commandKeys('probe')} probe`, `${commandKeys('back')} back`];

/** Issue 4's NAT view: the node's kube-proxy rules for one Service (or all), as a flow tree. */
export function NatView({serviceKey, snapshot, source, clock, width, height, onOpen, openNat, vantages}: NatViewProps) {
	const [wholeTable, setWholeTable] = useState(false);
	const now = useNow(clock, 1000);
	const nat = useOwnedStore(() => openNat(() => source.snapshot()));
	const {table, origin, error, loading, loadedAt, progress, vantage, unchecked, noRules, apiChanged} = useNatTable(nat, snapshot, wholeTable ? undefined : serviceKey);
	const pick = useVantagePick(vantages, 'reading other nodes is not available here', node => {
		void nat.setVantage(node);
	});

	const lines = useMemo(() => (table ? natLines(table, wholeTable ? undefined : serviceKey, width, noRules) : []), [table, wholeTable, serviceKey, width, noRules]);
	// One line above the tree when its findings are not of the API as it is now (or were not drawn).
	const notice = error || !table ? undefined : (unchecked ?? (apiChanged && loadedAt !== undefined ? `the API changed since the rules were read ${formatAgo(loadedAt, now)}: ${commandKeys('refresh')} re-reads` : undefined));
	// Said whole, never cut: the reason is the part that matters (up to three lines above the tree).
	const noticeLines = notice ? capLines(wrapWords(notice, width, '  '), 3) : [];
	const bodyHeight = Math.max(1, height - 2 - noticeLines.length);
	const {offset: shown, scroll, reset} = useScroll(lines.length, bodyHeight);

	useKeypress(
		keypress => {
			const command = commandFor(keypress, natCommands);
			if (scroll(command)) {
				return true;
			}

			switch (command) {
				case 'refresh': {
					// Dropped by the source while a read runs.
					void nat.reload();
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
		{priority: KeyPriority.screen, isActive: !pick.picking},
	);
	const nodes = useMemo(() => snapshot.nodes.map(node => node.metadata?.name ?? '').filter(Boolean), [snapshot.nodes]);

	// When the rules were read goes before where from: a long origin (a command, a path) is what a narrow screen cuts.
	const title = `${wholeTable ? 'NAT table' : `NAT rules of ${serviceKey}`}${
		loading ? `  ${progress ?? 'reading…'}` : loadedAt === undefined ? '' : `  read ${formatAgo(loadedAt, now)}`
	}${origin ? `  from ${origin}` : ''}`;
	return (
		<Box flexDirection="column" height={height} width={width} flexShrink={0}>
			<Text bold wrap="truncate">
				{title}
			</Text>
			{noticeLines.map((text, index) => <Text key={`notice${index}`} color="yellow" wrap="truncate">{text}</Text>)}
			<Box flexDirection="column" height={bodyHeight} flexShrink={0}>
				{pick.picking ? (
					<VantagePicker nodes={nodes} current={vantage} height={bodyHeight} {...pick.picker} />
				) : error ? (
					wrapWords(`Cannot read the rules: ${error}`, width, '  ').slice(0, bodyHeight).map((text, index) => <Text key={`error${index}`} color="red" wrap="truncate">{text}</Text>)
				) : (
					lines.slice(shown, shown + bodyHeight).map(line => (
						<Text key={line.key} wrap="truncate" {...toneStyles[line.tone]}>
							{line.text === '' ? ' ' : line.text}
						</Text>
					))
				)}
			</Box>
			<Text dimColor wrap="truncate">
				{pick.notice ?? fitHints(hints, width, [scrollHint, fromNodeHint], lines.length > bodyHeight ? `[${shown + 1}-${Math.min(lines.length, shown + bodyHeight)}/${lines.length}]` : '')}
			</Text>
		</Box>
	);
}
