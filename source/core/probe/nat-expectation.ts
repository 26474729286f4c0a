import type {V1Service, V1ServicePort} from '@kubernetes/client-node';
import type {NatEndpoint, NatEntry, NatEntryKind, NatFlowTable, NatServiceFlow} from '../nat/types.js';
import {serviceKey} from './endpoint-index.js';
import type {AffinityPromise, Expectation, SharesSource} from './service-targets.js';
import {formatHost} from './target.js';
import type {ProbeTarget} from './types.js';

/** The flow of one Service port: by `namespace/name` and port name, else by its ClusterIP entry. */
export function findNatFlow(table: NatFlowTable, service: V1Service, servicePort: V1ServicePort): NatServiceFlow | undefined {
	const key = serviceKey(service);
	const protocol = servicePort.protocol ?? 'TCP';
	const portName = servicePort.name ?? '';
	const sameProtocol = table.services.filter(flow => flow.protocol === protocol);
	const byName = sameProtocol.find(flow => flow.service === key && flow.port === portName)
		// A single-port Service may be decoded without its port name (IPVS, hand-written rules).
		?? sameProtocol.find(flow => flow.service === key && flow.port === '' && (service.spec?.ports?.length ?? 0) === 1);
	if (byName) {
		return byName;
	}

	const clusterIps = new Set(service.spec?.clusterIPs ?? (service.spec?.clusterIP ? [service.spec.clusterIP] : []));
	return sameProtocol.find(flow => flow.entries.some(entry => entry.kind === 'clusterIP' && entry.ip !== null && clusterIps.has(entry.ip) && entry.port === servicePort.port));
}

function sharesOf(endpoints: readonly NatEndpoint[]): Map<string, number> {
	const shares = new Map<string, number>();
	for (const endpoint of endpoints) {
		const key = `${formatHost(endpoint.ip)}:${endpoint.port}`;
		shares.set(key, (shares.get(key) ?? 0) + endpoint.probability);
	}

	return shares;
}

/**
 * The share of new connections each endpoint (`ip:port`) gets on the path a target's traffic takes
 * through the decoded rules: the cluster-wide list for a ClusterIP (and its DNS name); the local
 * list for a NodePort, external IP or LoadBalancer address whose policy is Local. `dumpNode` is the
 * node the rules were read on: a Local NodePort of another node keeps its own local list, which this
 * dump does not hold. Undefined when the rules say nothing about this target (then 1/n applies).
 */
export function natSharesForTarget(
	table: NatFlowTable,
	service: V1Service,
	servicePort: V1ServicePort,
	target: ProbeTarget,
	dumpNode?: string,
): ReadonlyMap<string, number> | undefined {
	if (target.kind === 'endpoint' || target.kind === 'address') {
		return undefined;
	}

	const flow = findNatFlow(table, service, servicePort);
	if (!flow) {
		return undefined;
	}

	let endpoints: readonly NatEndpoint[] | null = flow.endpoints;
	if (target.kind === 'nodePort' || target.kind === 'externalIP' || target.kind === 'loadBalancer') {
		const entries = flow.entries.filter(entry => entry.kind === target.kind);
		const local = entries.length > 0
			? entries.some(entry => entry.localOnly)
			: service.spec?.externalTrafficPolicy === 'Local';
		if (local) {
			if (target.kind === 'nodePort' && dumpNode !== undefined && target.node !== undefined && target.node !== dumpNode) {
				return undefined;
			}

			endpoints = flow.localEndpoints;
		}
	}

	return endpoints && endpoints.length > 0 ? sharesOf(endpoints) : undefined;
}

/** `natSharesForTarget` over one decoded table, in the form the probe plan takes. */
export function natSharesSource(table: NatFlowTable, dumpNode?: string): SharesSource {
	return (service, servicePort, target) => natSharesForTarget(table, service, servicePort, target, dumpNode);
}

/** What this node's rules say about a plain `ip:port`: the Service port they send it to and the split. */
export type AddressNatMatch = {
	/** `namespace/name:port` as the rules name it. */
	readonly service: string;
	readonly entryKind: NatEntryKind;
	readonly expectation: Expectation;
	readonly affinity: AffinityPromise;
};

/**
 * Looks a plain address up in the decoded rules of the node the probe runs on: a ClusterIP, external
 * IP or load-balancer address by address and port, a NodePort by port when the address is one of
 * `localAddresses` (another node's NodePort is that node's rules). Probes sent from the node itself
 * take the cluster-wide endpoint list even under policy Local (kube-proxy's "route LOCAL" and
 * "pod traffic" rules send them there), so that list's probabilities are the expected shares,
 * keyed `ip:port` as attribution names endpoints without a cluster.
 */
export function natExpectationForAddress(
	table: NatFlowTable,
	host: string,
	port: number,
	protocol: 'TCP' | 'UDP',
	localAddresses: ReadonlySet<string>,
): AddressNatMatch | undefined {
	const flows = table.services.filter(flow => flow.protocol === protocol);
	const matches = (entry: NatEntry) => entry.port === port && (entry.ip === host || (entry.kind === 'nodePort' && (entry.ip === null || entry.ip === host) && localAddresses.has(host)));
	let found: {flow: NatServiceFlow; entry: NatEntry} | undefined;
	for (const flow of flows) {
		const entry = flow.entries.find(candidate => candidate.kind !== 'nodePort' && matches(candidate)) ?? flow.entries.find(candidate => matches(candidate));
		if (entry && (!found || (found.entry.kind === 'nodePort' && entry.kind !== 'nodePort'))) {
			found = {flow, entry};
		}
	}

	if (!found) {
		return undefined;
	}

	const {flow, entry} = found;
	const service = flow.port === '' ? flow.service : `${flow.service}:${flow.port}`;
	const shares = sharesOf(flow.endpoints);
	let total = 0;
	for (const share of shares.values()) {
		total += share;
	}

	const expectation: Expectation = total > 0
		? {shares: Object.fromEntries([...shares].map(([key, share]) => [key, share / total])), reachable: true, reason: `${flow.endpoints.length} endpoint${flow.endpoints.length === 1 ? '' : 's'} in this node's rules`, basis: 'nat'}
		: {shares: {}, reachable: false, reason: `no endpoints in this node's rules (${flow.noEndpoints ?? 'no rule'})`, basis: 'nat'};
	const affinity: AffinityPromise = flow.affinity
		? {sessionAffinity: 'ClientIP', timeoutSeconds: flow.affinity.timeoutSeconds}
		: {sessionAffinity: 'None', timeoutSeconds: null};
	return {service, entryKind: entry.kind, expectation, affinity};
}
