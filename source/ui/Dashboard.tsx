import {Box, useApp} from 'ink';
import {useState} from 'react';
import type {ClusterSource} from '../kube/types.js';
import HelpScreen, {helpLines} from './components/HelpScreen.js';
import StatusBar from './components/StatusBar.js';
import UnavailableScreen from './components/UnavailableScreen.js';
import {useClusterSnapshot} from './hooks/use-cluster-snapshot.js';
import type {Clock} from './hooks/use-now.js';
import {useTerminalSize} from './hooks/use-terminal-size.js';
import {type Command} from './keys/commands.js';
import {commandFor, matches} from './keys/match.js';
import {KeyPriority, useKeypress} from './keys/use-keypress.js';
import type {Route, ServiceScreenName, ServiceScreens} from './screens.js';
import {initialListState, type ServiceListState} from './views/list-state.js';
import ServiceDetail from './views/ServiceDetail.js';
import ServiceList from './views/ServiceList.js';

export type DashboardProps = {
	readonly source: ClusterSource;
	/** DNS suffix for Service names. */
	readonly clusterDomain: string;
	readonly clock: Clock;
	/** Screens for one Service; the detail view defaults to ServiceDetail, NAT and probe to a placeholder. */
	readonly screens: ServiceScreens;
	/** How often the snapshot is checked for a new version. */
	readonly refreshMs: number;
	/** The first screen. */
	readonly initialRoute: Route;
	/** How often the list recomputes AGE when nothing else changes. */
	readonly ageRefreshMs: number;
	/** How often the status bar's "updated … ago" ticks. */
	readonly statusTickMs: number;
};

/** Lines of the status bar above every screen. */
const statusLines = 2;

const screenNames: Readonly<Record<ServiceScreenName, string>> = {
	detail: 'The detail view',
	nat: 'The NAT view',
	probe: 'The probe view',
};

const helpScrollCommands: readonly Command[] = ['up', 'down', 'pageUp', 'pageDown', 'top', 'bottom'];

/** The router: a stack of screens under one status bar, the help overlay, and the app-wide keys. */
export default function Dashboard({
	source,
	clusterDomain,
	clock,
	screens,
	refreshMs,
	initialRoute,
	ageRefreshMs,
	statusTickMs,
}: DashboardProps) {
	const {exit} = useApp();
	const snapshot = useClusterSnapshot(source, refreshMs);
	const {columns, rows} = useTerminalSize();
	const [stack, setStack] = useState<readonly Route[]>(() =>
		initialRoute.screen === 'list' ? [initialRoute] : [{screen: 'list'}, initialRoute],
	);
	const [listState, setListState] = useState<ServiceListState>(initialListState);
	const [helpOffset, setHelpOffset] = useState<number | undefined>(undefined);
	const route = stack.at(-1)!;
	const height = Math.max(1, rows - statusLines);

	const open = (next: Route) => {
		setStack(previous => [...previous, next]);
	};

	const back = () => {
		setStack(previous => (previous.length > 1 ? previous.slice(0, -1) : previous));
	};

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
				onStateChange={setListState}
				onNamespace={namespace => {
					source.setNamespace(namespace);
				}}
				onOpen={(screen, serviceKey) => {
					open({screen, serviceKey});
				}}
				onQuit={exit}
				ageRefreshMs={ageRefreshMs}
			/>
		);
	} else {
		const Screen = screens[route.screen] ?? (route.screen === 'detail' ? ServiceDetail : undefined);
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

	// The help is drawn instead of the screen, which stays mounted underneath: a running probe
	// keeps its samples and its timer, a half-typed filter its text.
	const content = (
		<>
			<Box display={helpOffset === undefined ? 'flex' : 'none'} flexDirection="column" flexShrink={0}>
				{screen}
			</Box>
			{helpOffset === undefined ? undefined : <HelpScreen height={height} offset={helpOffset} />}
		</>
	);

	return (
		<Box flexDirection="column" width={columns} height={rows}>
			<StatusBar snapshot={snapshot} clock={clock} tickMs={statusTickMs} />
			{content}
		</Box>
	);
}
