import {unknownReason} from '../../kube/connection-state.js';
import {Box, Text} from 'ink';
import {useMemo, useRef, useState} from 'react';
import type {ServiceRow} from '../../core/services/service-row.js';
import type {ClusterSnapshot} from '../../kube/types.js';
import Prompt from '../components/Prompt.js';
import ServiceTable from '../components/ServiceTable.js';
import {type Command, commandKeys} from '../keys/commands.js';
import {commandFor} from '../keys/match.js';
import {scrollCommands, scrollTo} from '../hooks/use-scroll.js';
import {KeyPriority, useKeypress} from '../keys/use-keypress.js';
import {type Clock, useNow} from '../hooks/use-now.js';
import {useServiceRows} from '../hooks/use-service-rows.js';
import type {ServiceScreenName} from '../screens.js';
import {
	filterRows,
	layoutTable,
	rowMark,
	type SortKey,
	type SortOrder,
	sortRows,
	windowStart,
} from '../table/service-table.js';
import {completeWord, parseNamespace} from '../keys/command-line.js';
import type {ServiceListState} from './list-state.js';

export type ServiceListProps = {
	readonly snapshot: ClusterSnapshot;
	readonly clock: Clock;
	/** Columns available. */
	readonly width: number;
	/** Lines available. */
	readonly height: number;
	/** Selection, filter and sort; kept by the caller so they survive a visit to another screen. */
	readonly state: ServiceListState;
	readonly onStateChange: (update: (state: ServiceListState) => ServiceListState) => void;
	/** Namespace names `n` completes with Tab. */
	readonly namespaces: readonly string[];
	/** The cluster's own namespace list, when it could be read: an empty list in a namespace not in it says so. */
	readonly listedNamespaces?: readonly string[];
	/** `n`: show this namespace, undefined for all. */
	readonly onNamespace: (namespace: string | undefined) => void;
	/** Enter, `t`, `p`, `y` on a row. */
	readonly onOpen: (screen: ServiceScreenName, serviceKey: string) => void;
	/** How often AGE is recomputed when nothing else changes. Default: 5000 ms. */
	readonly ageRefreshMs?: number;
};

/** An empty list, as kubectl says it, and a hint when the namespace is not one the cluster lists. */
function noServicesMessage(namespace: string | undefined, listed: readonly string[] | undefined): string {
	if (namespace === undefined) {
		return 'No Services.';
	}

	return listed !== undefined && !listed.includes(namespace)
		? `No namespace "${namespace}" in the cluster (:ns all for every namespace).`
		: `No Services in namespace ${namespace}.`;
}

/** Lines the list uses besides the table rows: header, counts, warnings, keys or prompt. */
const chromeLines = 4;

type PromptKind = 'filter' | 'namespace';

const promptLabels: Readonly<Record<PromptKind, string>> = {filter: '/', namespace: 'namespace: '};

const sortCommands: ReadonlyArray<[Command, SortKey]> = [
	['sortName', 'name'],
	['sortType', 'type'],
	['sortAge', 'age'],
	['sortEndpoints', 'endpoints'],
];

const listCommands: readonly Command[] = [
	...scrollCommands,
	'filter',
	'namespace',
	'sortName',
	'sortType',
	'sortAge',
	'sortEndpoints',
	'open',
	'yaml',
	'nat',
	'probe',
	'back',
];

const sortLabels: Readonly<Record<SortKey, string>> = {
	name: 'name',
	type: 'type',
	age: 'age',
	endpoints: 'endpoints',
};

function sortLabel(sort: SortOrder): string {
	return `${sortLabels[sort.key]} ${sort.reversed ? '↓' : '↑'}`;
}

function keyIndex(rows: readonly ServiceRow[]): Map<string, number> {
	return new Map(rows.map((row, index) => [row.key, index]));
}

const hints: ReadonlyArray<[Command, string]> = [
	['help', 'help'],
	['filter', 'filter'],
	['namespace', 'ns'],
	['sortName', 'sort'],
	['open', 'open'],
	['yaml', 'yaml'],
	['nat', 'nat'],
	['probe', 'probe'],
	['quit', 'quit'],
];

function hintLine(): string {
	return hints
		.map(([command, label]) => `${command === 'sortName' ? '1-4' : commandKeys(command).split(' ')[0]} ${label}`)
		.join('  ');
}

/** The selected row's warnings and what could not be checked, with why; a space when there is neither. */
function detailOf(row: ServiceRow): string {
	const mark = rowMark(row);
	const phrases = [...row.warnings, ...row.unknown.map(item => `${item.what} unknown: ${item.reason}`)];
	return mark === undefined ? ' ' : `${mark} ${phrases.join('; ')}`;
}

/** The Service list: a windowed table with filter, sort and namespace switching. */
export default function ServiceList({
	snapshot,
	clock,
	width,
	height,
	state,
	onStateChange,
	namespaces,
	listedNamespaces,
	onNamespace,
	onOpen,
	ageRefreshMs = 5000,
}: ServiceListProps) {
	const now = useNow(clock, ageRefreshMs);
	const rows = useServiceRows(snapshot, now);
	const [prompt, setPrompt] = useState<{kind: PromptKind; text: string} | undefined>(undefined);
	const filterTexts = useRef(new WeakMap<ServiceRow, string>());

	const filter = prompt?.kind === 'filter' ? prompt.text : state.filter;
	const sorted = useMemo(() => sortRows(rows, state.sort), [rows, state.sort]);
	const filtered = useMemo(() => filterRows(sorted, filter, filterTexts.current), [sorted, filter]);
	const indexOfKey = useMemo(() => keyIndex(filtered), [filtered]);
	const allNamespaces = snapshot.namespace === undefined;
	const layout = useMemo(() => layoutTable(filtered, {width, allNamespaces}), [filtered, width, allNamespaces]);

	const tableHeight = Math.max(1, height - chromeLines);
	const found = state.selectedKey === undefined ? undefined : indexOfKey.get(state.selectedKey);
	const selectedIndex = filtered.length === 0 ? -1 : (found ?? Math.min(state.selectedIndex, filtered.length - 1));
	const selected = selectedIndex >= 0 ? filtered[selectedIndex] : undefined;
	const start = windowStart(state.start, Math.max(0, selectedIndex), tableHeight, filtered.length);

	// Updates go through the previous state so that several keys in one input chunk all count.
	const select = (target: (current: number) => number) => {
		if (filtered.length === 0) {
			return;
		}

		onStateChange(previous => {
			const known = previous.selectedKey === undefined ? undefined : indexOfKey.get(previous.selectedKey);
			const current = known ?? Math.min(previous.selectedIndex, filtered.length - 1);
			const next = Math.max(0, Math.min(target(current), filtered.length - 1));
			const previousStart = windowStart(previous.start, current, tableHeight, filtered.length);
			return {
				...previous,
				selectedKey: filtered[next]!.key,
				selectedIndex: next,
				start: windowStart(previousStart, next, tableHeight, filtered.length),
			};
		});
	};

	const run = (command: Command): boolean => {
		if (scrollCommands.includes(command)) {
			select(current => scrollTo(command, current, tableHeight, filtered.length - 1) ?? current);
			return true;
		}

		switch (command) {
			case 'filter': {
				setPrompt({kind: 'filter', text: state.filter});
				return true;
			}

			case 'namespace': {
				setPrompt({kind: 'namespace', text: ''});
				return true;
			}

			case 'open':
			case 'yaml':
			case 'nat':
			case 'probe': {
				if (selected) {
					onOpen(command === 'open' ? 'detail' : command, selected.key);
				}

				return true;
			}

			case 'back': {
				// Esc clears a filter; with none, it falls through to the app (which has nowhere to go back to).
				if (state.filter === '') {
					return false;
				}

				onStateChange(previous => ({...previous, filter: ''}));
				return true;
			}

			default: {
				const sortKey = sortCommands.find(([sortCommand]) => sortCommand === command)?.[1];
				if (sortKey === undefined) {
					return false;
				}

				onStateChange(previous => ({
					...previous,
					sort: {key: sortKey, reversed: previous.sort.key === sortKey ? !previous.sort.reversed : false},
				}));
				return true;
			}
		}
	};

	useKeypress(
		keypress => {
			const command = commandFor(keypress, listCommands);
			if (command === undefined) {
				return false;
			}

			return run(command);
		},
		{priority: KeyPriority.screen, isActive: prompt === undefined},
	);

	const submitPrompt = (text: string) => {
		setPrompt(undefined);
		if (prompt?.kind === 'filter') {
			onStateChange(previous => ({...previous, filter: text}));
		} else {
			onNamespace(parseNamespace(text));
		}
	};

	const cancelPrompt = () => {
		if (prompt?.kind === 'filter') {
			onStateChange(previous => ({...previous, filter: ''}));
		}

		setPrompt(undefined);
	};

	// Services not listed yet (or refused) are unknown, not absent: say why instead of "No Services." or 0/0.
	const servicesUnknown = unknownReason(snapshot.states.services);
	const countText = servicesUnknown !== undefined && rows.length === 0 ? '? services (unknown)' : `${filtered.length}/${rows.length} services`;
	const counts = `${countText}  sort ${sortLabel(state.sort)}${filter === '' ? '' : `  filter "${filter}"`}`;
	const emptyMessage = rows.length > 0 ? `No Service matches "${filter}".` : servicesUnknown === undefined ? noServicesMessage(snapshot.namespace, listedNamespaces) : `Services unknown: ${servicesUnknown}`;
	// A space, not '', so the line keeps its height when there is nothing to say.
	const detailLine = selected ? detailOf(selected) : ' ';

	return (
		<Box flexDirection="column" height={height} flexShrink={0}>
			<ServiceTable
				rows={filtered}
				layout={layout}
				start={start}
				height={tableHeight}
				selectedKey={selected?.key}
				emptyMessage={emptyMessage}
			/>
			<Text wrap="truncate" dimColor>
				{counts}
			</Text>
			<Text wrap="truncate" color="yellow">
				{detailLine}
			</Text>
			{prompt ? (
				<Prompt
					label={promptLabels[prompt.kind]}
					value={prompt.text}
					onChange={text => {
						setPrompt({kind: prompt.kind, text});
					}}
					onSubmit={submitPrompt}
					onCancel={cancelPrompt}
					complete={prompt.kind === 'namespace' ? text => completeWord(text, [...namespaces, 'all']) : undefined}
					placeholder={prompt.kind === 'namespace' ? 'Tab completes, `all` for every namespace' : undefined}
				/>
			) : (
				<Text wrap="truncate" dimColor>
					{hintLine()}
				</Text>
			)}
		</Box>
	);
}
