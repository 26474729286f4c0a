import type {V1Service, V1ServicePort} from '@kubernetes/client-node';
import type {NatEndpoint, NatFlowTable, NatServiceFlow} from '../nat/types.js';
import {serviceKey} from './endpoint-index.js';
import type {SharesSource} from './service-targets.js';
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
