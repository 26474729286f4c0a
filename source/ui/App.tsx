import type {ClusterSource} from '../kube/types.js';
import Dashboard from './Dashboard.js';
import {defaultRefreshMs} from './hooks/use-cluster-snapshot.js';
import type {Clock} from './hooks/use-now.js';
import KeypressProvider from './keys/KeypressProvider.js';
import type {ContextSwitch, Route, ServiceScreens} from './screens.js';

export type AppProps = {
	readonly source: ClusterSource;
	/** DNS suffix for Service names. Default: `cluster.local`. */
	readonly clusterDomain?: string;
	/** Epoch milliseconds. Default: `Date.now`. */
	readonly clock?: Clock;
	/**
	 * Screens for one Service. Default: the built-in ServiceDetail (without name resolution) for
	 * detail; a placeholder for NAT and probe until they are plugged in.
	 */
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

const listRoute: Route = {screen: 'list'};

/** The dashboard: the keypress bus around the router. */
export default function App({
	source,
	clusterDomain = 'cluster.local',
	clock = Date.now,
	screens = {},
	refreshMs = defaultRefreshMs,
	initialRoute = listRoute,
	ageRefreshMs = 5000,
	statusTickMs = 1000,
	contextSwitch,
}: AppProps) {
	return (
		<KeypressProvider>
			<Dashboard
				source={source}
				clusterDomain={clusterDomain}
				clock={clock}
				screens={screens}
				refreshMs={refreshMs}
				initialRoute={initialRoute}
				ageRefreshMs={ageRefreshMs}
				statusTickMs={statusTickMs}
				contextSwitch={contextSwitch}
			/>
		</KeypressProvider>
	);
}
