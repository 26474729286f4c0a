import type {ComponentType} from 'react';
import type {KubeContext} from '../kube/contexts.js';
import type {ClusterSnapshot, ClusterSource} from '../kube/types.js';
import type {Clock} from './hooks/use-now.js';

/** The screens about one Service. */
export type ServiceScreenName = 'detail' | 'nat' | 'probe' | 'yaml';

/** A place in the dashboard's screen stack. */
export type Route =
	| {readonly screen: 'list'}
	| {readonly screen: 'contexts'}
	| {readonly screen: ServiceScreenName; readonly serviceKey: string};

/**
 * The kubeconfig's contexts and the command that moves the dashboard to another one. The command
 * layer does the I/O (connect, stop the old informers); the view only asks.
 */
export type ContextSwitch = {
	readonly contexts: readonly KubeContext[];
	/** Connects to the context and shows it; rejects with a one-line reason, the current one kept. */
	switchTo(name: string): Promise<void>;
};

/**
 * What the router hands every screen about one Service (detail, NAT, probe). A screen reads the
 * snapshot it is given and never calls the API except through `source` for on-demand data (pods).
 */
export type ServiceScreenProps = {
	/** `namespace/name` of the Service shown. */
	readonly serviceKey: string;
	/** The latest coalesced snapshot (changes at most a few times a second). */
	readonly snapshot: ClusterSnapshot;
	readonly source: ClusterSource;
	readonly clock: Clock;
	/** DNS suffix for Service names, e.g. `cluster.local`. */
	readonly clusterDomain: string;
	/** Columns available to the screen. */
	readonly width: number;
	/** Lines available to the screen (the status bar is drawn above it). */
	readonly height: number;
	/** Leaves the screen (what Esc and q do unless the screen consumes them). */
	readonly onBack: () => void;
	/** Opens another screen on top, e.g. the probe view from the detail view. */
	readonly onOpen: (route: Route) => void;
};

export type ServiceScreen = ComponentType<ServiceScreenProps>;

/** The screens that can be plugged into the router. A missing one is not opened. */
export type ServiceScreens = {
	readonly detail?: ServiceScreen;
	readonly nat?: ServiceScreen;
	readonly probe?: ServiceScreen;
	readonly yaml?: ServiceScreen;
};
