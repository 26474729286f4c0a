import type {Via} from '../core/probe/service-targets.js';
import type {ClusterSnapshot} from '../kube/types.js';
import type {NatVantages} from '../node/access/nat-vantages.js';
import type {ProbeVantages} from '../node/access/probe-vantages.js';
import {type NatDumpLoader, NatSource} from '../node/nat/nat-source.js';
import {ProbeSession, type ProbeSessionConfig} from '../node/probe/probe-session.js';
import type {ServiceScreen, ServiceScreenProps} from '../ui/screens.js';
import {NatView} from '../ui/views/NatView.js';
import ProbeView from '../ui/views/ProbeView.js';

/**
 * The NAT screen for the router: each opened view gets its own NAT source reading through
 * `loadDump` (or a node's loader from `vantages`), read once at once and closed with the view.
 */
export function makeNatView(loadDump: NatDumpLoader, vantages?: NatVantages): ServiceScreen {
	const openNat = (cluster: () => ClusterSnapshot) => {
		const nat = new NatSource({load: loadDump, loaders: vantages, cluster});
		void nat.reload();
		return nat;
	};

	return function BoundNatView(props: ServiceScreenProps) {
		return <NatView {...props} openNat={openNat} vantages={vantages} />;
	};
}

export type ProbeViewOptions = ProbeSessionConfig & {
	/** The target first probed. Default: `clusterip`. */
	readonly initialVia?: Via;
	/** Default: 1000 ms. */
	readonly initialIntervalMs?: number;
	/** Nodes to probe from (the dashboard's debug-pod access). Default: this machine only. */
	readonly vantages?: ProbeVantages;
};

/**
 * The probe screen for the router, with what the dashboard knows at start: the demo plugs
 * `makeProbeView({resolveAddress: demo.resolveAddress})` so cluster addresses reach its loopback
 * listeners. Each opened view gets its own probe session, probing at once and closed with the view.
 */
export function makeProbeView(options: ProbeViewOptions = {}): ServiceScreen {
	const {initialVia = 'clusterip', initialIntervalMs = 1000, vantages, ...config} = options;
	return function PluggedProbeView(props: ServiceScreenProps) {
		const openSession = () => new ProbeSession({
			target: {kind: 'service', source: props.source, serviceKey: props.serviceKey, via: initialVia, clusterDomain: props.clusterDomain},
			intervalMs: initialIntervalMs,
			config,
			vantages,
		});
		return <ProbeView {...props} openSession={openSession} vantages={vantages} />;
	};
}
