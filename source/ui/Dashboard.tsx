import {Box, Text, useApp} from 'ink';
import {useState} from 'react';
import type {ClusterSource} from '../kube/types.js';
import HelpScreen, {helpLines} from './components/HelpScreen.js';
import Prompt from './components/Prompt.js';
import StatusBar from './components/StatusBar.js';
import {defaultRefreshMs, useStore} from './hooks/use-store.js';
import {useCommands} from './hooks/use-commands.js';
import {useNamespaceNames} from './hooks/use-namespace-names.js';
import type {Clock} from './hooks/use-now.js';
import {useScreenStack} from './hooks/use-screen-stack.js';
import {scrollCommands, scrollTo} from './hooks/use-scroll.js';
import {useTerminalSize} from './hooks/use-terminal-size.js';
import {completeCommandLine} from './keys/command-line.js';
import {commandFor, matches} from './keys/match.js';
import KeypressProvider from './keys/KeypressProvider.js';
import {KeyPriority, useKeypress} from './keys/use-keypress.js';
import type {ContextSwitch, Route, ServiceScreens} from './screens.js';
import ContextList from './views/ContextList.js';
import {initialListState, type ServiceListState} from './views/list-state.js';
import ServiceDetail from './views/ServiceDetail.js';
import ServiceList from './views/ServiceList.js';
import ServiceYaml from './views/ServiceYaml.js';

export type DashboardProps = {
	readonly source: ClusterSource;
	/** DNS suffix for Service names. Default: `cluster.local`. */
	readonly clusterDomain?: string;
	/** Epoch milliseconds. Default: `Date.now`. */
	readonly clock?: Clock;
	/** Screens for one Service; detail and YAML default to the built-in ones (detail without name resolution). */
	readonly screens?: ServiceScreens;
	/** How often the snapshot is checked for a new version. Default: 200 ms (at most 5 frames a second). */
	readonly refreshMs?: number;
	/** The first screen. Default: the Service list. */
	readonly initialRoute?: Route;
	/** How often the list recomputes AGE when nothing else changes. Default: 5000 ms. */
	readonly ageRefreshMs?: number;
	/** How often the status bar's "updated … ago" ticks. Default: 1000 ms. */
	readonly statusTickMs?: number;
	/** `:ctx`: the kubeconfig's contexts and how to switch. Default: none (the demo, in-cluster). */
	readonly contextSwitch?: ContextSwitch;
};

/** Lines of the status bar above every screen. */
const statusLines = 2;

const builtInScreens: ServiceScreens = {detail: ServiceDetail, yaml: ServiceYaml};

const listRoute: Route = {screen: 'list'};

/** The dashboard: the keypress bus around the router. */
export default function Dashboard(props: DashboardProps) {
	return (
		<KeypressProvider>
			<Router {...props} />
		</KeypressProvider>
	);
}

/**
 * The router: a stack of screens under one status bar; the help, the `:` command line and notices
 * drawn over or below the screen without unmounting it; the app-wide keys.
 */
function Router({
	source,
	clusterDomain = 'cluster.local',
	clock = Date.now,
	screens = {},
	refreshMs = defaultRefreshMs,
	initialRoute = listRoute,
	ageRefreshMs = 5000,
	statusTickMs = 1000,
	contextSwitch,
}: DashboardProps) {
	const {exit} = useApp();
	const snapshot = useStore(source, refreshMs);
	const {names: namespaces, listed: listedNamespaces} = useNamespaceNames(source, snapshot);
	const {columns, rows} = useTerminalSize();
	const screenStack = useScreenStack(initialRoute);
	const {stack, route, back} = screenStack;
	// A Service screen nobody plugged in (a test's dashboard without NAT or probe) is not opened.
	const open = (next: Route) => {
		if (!('serviceKey' in next) || (screens[next.screen] ?? builtInScreens[next.screen]) !== undefined) {
			screenStack.open(next);
		}
	};

	const commands = useCommands({source, contextSwitch, context: snapshot.context, shownNamespace: snapshot.namespace, servicesListed: snapshot.states.services.phase === 'synced', screens: screenStack, exit});
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

			const last = Math.max(0, helpLines(columns).length - height);
			setHelpOffset(previous => scrollTo(commandFor(keypress, scrollCommands), previous ?? 0, height, last) ?? previous);

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
				listedNamespaces={listedNamespaces}
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
		// Every Service screen has a built-in or plugged-in view: NAT and probe are plugged in by the command.
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
		) : undefined;
	}

	return (
		// Sized by Ink's root, not by `columns`: on a resize Ink lays out the previous tree at the new
		// width before the views re-render, and a frame wider than the terminal would wrap and scroll it.
		<Box flexDirection="column" width="100%" height={rows} overflow="hidden">
			<StatusBar snapshot={snapshot} clock={clock} tickMs={statusTickMs} />
			{/* The help is drawn instead of the screen, which stays mounted underneath: a running probe
			    keeps its samples and its timer, a half-typed filter its text. */}
			<Box display={helpOffset === undefined ? 'flex' : 'none'} flexDirection="column" flexShrink={0}>
				{screen}
			</Box>
			{helpOffset === undefined ? undefined : <HelpScreen height={height} width={columns} offset={helpOffset} />}
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
