import {Box, Text, useApp} from 'ink';
import {useState} from 'react';
import type {ClusterSource} from '../kube/types.js';
import HelpScreen, {helpLines} from './components/HelpScreen.js';
import Prompt from './components/Prompt.js';
import StatusBar from './components/StatusBar.js';
import UnavailableScreen from './components/UnavailableScreen.js';
import {useClusterSnapshot} from './hooks/use-cluster-snapshot.js';
import {useCommands} from './hooks/use-commands.js';
import {useNamespaceNames} from './hooks/use-namespace-names.js';
import type {Clock} from './hooks/use-now.js';
import {useScreenStack} from './hooks/use-screen-stack.js';
import {useTerminalSize} from './hooks/use-terminal-size.js';
import {completeCommandLine} from './keys/command-line.js';
import {type Command} from './keys/commands.js';
import {commandFor, matches} from './keys/match.js';
import {KeyPriority, useKeypress} from './keys/use-keypress.js';
import type {ContextSwitch, Route, ServiceScreenName, ServiceScreens} from './screens.js';
import ContextList from './views/ContextList.js';
import {initialListState, type ServiceListState} from './views/list-state.js';
import ServiceDetail from './views/ServiceDetail.js';
import ServiceList from './views/ServiceList.js';
import ServiceYaml from './views/ServiceYaml.js';

export type DashboardProps = {
	readonly source: ClusterSource;
	/** DNS suffix for Service names. */
	readonly clusterDomain: string;
	readonly clock: Clock;
	/** Screens for one Service; detail and YAML default to the built-in ones, NAT and probe to a placeholder. */
	readonly screens: ServiceScreens;
	/** How often the snapshot is checked for a new version. */
	readonly refreshMs: number;
	/** The first screen. */
	readonly initialRoute: Route;
	/** How often the list recomputes AGE when nothing else changes. */
	readonly ageRefreshMs: number;
	/** How often the status bar's "updated … ago" ticks. */
	readonly statusTickMs: number;
	/** `:ctx`: the kubeconfig's contexts; undefined when there is no kubeconfig to switch in. */
	readonly contextSwitch: ContextSwitch | undefined;
};

/** Lines of the status bar above every screen. */
const statusLines = 2;

const screenNames: Readonly<Record<ServiceScreenName, string>> = {
	detail: 'The detail view',
	nat: 'The NAT view',
	probe: 'The probe view',
	yaml: 'The YAML view',
};

const builtInScreens: ServiceScreens = {detail: ServiceDetail, yaml: ServiceYaml};

const helpScrollCommands: readonly Command[] = ['up', 'down', 'pageUp', 'pageDown', 'top', 'bottom'];

/**
 * The router: a stack of screens under one status bar; the help, the `:` command line and notices
 * drawn over or below the screen without unmounting it; the app-wide keys.
 */
export default function Dashboard({
	source,
	clusterDomain,
	clock,
	screens,
	refreshMs,
	initialRoute,
	ageRefreshMs,
	statusTickMs,
	contextSwitch,
}: DashboardProps) {
	const {exit} = useApp();
	const snapshot = useClusterSnapshot(source, refreshMs);
	const namespaces = useNamespaceNames(source, snapshot);
	const {columns, rows} = useTerminalSize();
	const screenStack = useScreenStack(initialRoute);
	const {stack, route, open, back} = screenStack;
	const commands = useCommands({source, contextSwitch, context: snapshot.context, screens: screenStack, exit});
	const [listState, setListState] = useState<ServiceListState>(initialListState);
	const [helpOffset, setHelpOffset] = useState<number | undefined>(undefined);
	const [commandText, setCommandText] = useState<string | undefined>(undefined);
	const {notice} = commands;
	const bottomLine = commandText !== undefined || notice !== undefined;
	const height = Math.max(1, rows - statusLines - (bottomLine ? 1 : 0));

	useKeypress(
		keypress => {
			if (!matches('forceQuit', keypress)) {
				return false;
			}

			exit();
			return true;
		},
		{priority: KeyPriority.interrupt},
	);

	// A notice stays until the next key, which still does what it does.
	useKeypress(
		() => {
			commands.clearNotice();
			return false;
		},
		{priority: KeyPriority.interrupt, isActive: notice !== undefined},
	);

	useKeypress(
		keypress => {
			if (matches('help', keypress) || matches('back', keypress) || matches('quit', keypress)) {
				setHelpOffset(undefined);
				return true;
			}

			const command = commandFor(keypress, helpScrollCommands);
			const last = Math.max(0, helpLines().length - height);
			const step = {up: -1, down: 1, pageUp: -height, pageDown: height, top: -Infinity, bottom: Infinity}[
				command as string
			];
			if (step !== undefined) {
				setHelpOffset(previous => Math.max(0, Math.min(last, (previous ?? 0) + step)));
			}

			// The overlay swallows every other key so nothing changes underneath it.
			return true;
		},
		{priority: KeyPriority.overlay, isActive: helpOffset !== undefined},
	);

	useKeypress(
		keypress => {
			if (matches('help', keypress)) {
				setHelpOffset(0);
				return true;
			}

			if (matches('commandLine', keypress)) {
				setCommandText('');
				return true;
			}

			if (matches('yaml', keypress) && 'serviceKey' in route && route.screen !== 'yaml') {
				open({screen: 'yaml', serviceKey: route.serviceKey});
				return true;
			}

			if (matches('quit', keypress)) {
				if (stack.length > 1) {
					back();
				} else {
					exit();
				}

				return true;
			}

			if (matches('back', keypress) && stack.length > 1) {
				back();
				return true;
			}

			return false;
		},
		{priority: KeyPriority.app},
	);

	let screen;
	if (route.screen === 'list') {
		screen = (
			<ServiceList
				snapshot={snapshot}
				clock={clock}
				width={columns}
				height={height}
				state={listState}
				namespaces={namespaces}
				onStateChange={setListState}
				onNamespace={commands.switchNamespace}
				onOpen={(screen, serviceKey) => {
					open({screen, serviceKey});
				}}
				ageRefreshMs={ageRefreshMs}
			/>
		);
	} else if (route.screen === 'contexts') {
		screen = (
			<ContextList
				contexts={contextSwitch?.contexts ?? []}
				current={snapshot.context}
				width={columns}
				height={height}
				onSelect={commands.switchContext}
			/>
		);
	} else {
		const Screen = screens[route.screen] ?? builtInScreens[route.screen];
		screen = Screen ? (
			<Screen
				key={`${route.screen}:${route.serviceKey}`}
				serviceKey={route.serviceKey}
				snapshot={snapshot}
				source={source}
				clock={clock}
				clusterDomain={clusterDomain}
				width={columns}
				height={height}
				onBack={back}
				onOpen={open}
			/>
		) : (
			<UnavailableScreen what={screenNames[route.screen]} serviceKey={route.serviceKey} height={height} />
		);
	}

	return (
		<Box flexDirection="column" width={columns} height={rows}>
			<StatusBar snapshot={snapshot} clock={clock} tickMs={statusTickMs} />
			{/* The help is drawn instead of the screen, which stays mounted underneath: a running probe
			    keeps its samples and its timer, a half-typed filter its text. */}
			<Box display={helpOffset === undefined ? 'flex' : 'none'} flexDirection="column" flexShrink={0}>
				{screen}
			</Box>
			{helpOffset === undefined ? undefined : <HelpScreen height={height} offset={helpOffset} />}
			{commandText === undefined ? undefined : (
				<Prompt
					label=":"
					value={commandText}
					onChange={setCommandText}
					placeholder="ns NAME, ctx NAME, svc, q (Tab completes)"
					onSubmit={text => {
						setCommandText(undefined);
						commands.run(text);
					}}
					onCancel={() => {
						setCommandText(undefined);
					}}
					complete={text =>
						completeCommandLine(text, {namespaces, contexts: (contextSwitch?.contexts ?? []).map(context => context.name)})
					}
				/>
			)}
			{commandText === undefined && notice !== undefined ? <Text wrap="truncate">{notice}</Text> : undefined}
		</Box>
	);
}
