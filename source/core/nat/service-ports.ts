import type {V1EndpointSlice} from '@kubernetes/client-node';
import {servicePortName} from './chain-names.js';
import type {NatApiLists, NatServiceFlow} from './types.js';

/** kube-proxy's view of Services on one node (the cross-checks compare rules with it; the generators write rules from it). */
export type ServicePortsInput = NatApiLists & {
	/** Name of the node whose view this is (decides local endpoints). */
	readonly nodeName: string;
};

export type PlannedEndpoint = {readonly ip: string; readonly port: number; readonly nodeName: string | null};

/** One Service port as kube-proxy sees it on one node. */
export type PlannedServicePort = {
	readonly namespace: string;
	readonly name: string;
	readonly portName: string;
	/** `ns/name:port` (kube-proxy's comment and hash input). */
	readonly portString: string;
	/** Lower case: tcp, udp, sctp. */
	readonly protocol: string;
	readonly clusterIP: string;
	readonly port: number;
	readonly nodePort: number;
	readonly externalIPs: readonly string[];
	readonly loadBalancerIPs: readonly string[];
	readonly sourceRanges: readonly string[];
	readonly externalLocal: boolean;
	readonly internalLocal: boolean;
	readonly affinitySeconds: number | null;
	readonly healthCheckNodePort: number;
	/** Usable endpoints anywhere (ready, or serving+terminating when none is ready). */
	readonly clusterEndpoints: readonly PlannedEndpoint[];
	/** The subset on this node. */
	readonly localEndpoints: readonly PlannedEndpoint[];
};

/** An EndpointSlice's addressType, and the family of a Service port's rules. */
export type AddressFamily = 'IPv4' | 'IPv6';

const isV6 = (ip: string) => ip.includes(':');

/** The family of an address (or CIDR) as kube-proxy's tables split them. */
export function addressFamily(ip: string): AddressFamily {
	return isV6(ip) ? 'IPv6' : 'IPv4';
}

/** IPv4 and IPv6 rules are separate tables (iptables-save, ip6tables-save): a flow is one family. */
export function flowFamily(flow: NatServiceFlow): AddressFamily {
	return flow.entries.some(entry => entry.ip !== null && isV6(entry.ip)) || flow.endpoints.some(endpoint => isV6(endpoint.ip)) ? 'IPv6' : 'IPv4';
}

/** `ip:port`, IPv6 bracketed (as kube-proxy writes an endpoint). */
export function joinHostPort(ip: string, port: number): string {
	return isV6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Turn Services and EndpointSlices into one entry per Service port and address family. */
export function planServicePorts(input: ServicePortsInput, options: {readonly family?: AddressFamily} = {}): PlannedServicePort[] {
	const family = options.family ?? 'IPv4';
	const wantV6 = family === 'IPv6';
	const slicesByService = slicesOfServices(input.endpointSlices, family);
	return input.services.flatMap(service => {
		const spec = service.spec;
		const namespace = service.metadata?.namespace ?? 'default';
		const name = service.metadata?.name ?? '';
		const clusterIP = [spec?.clusterIP, ...(spec?.clusterIPs ?? [])].find(ip => ip && ip !== 'None' && isV6(ip) === wantV6);
		if (!spec || spec.type === 'ExternalName' || !clusterIP) {
			return [];
		}

		const externalIPs = (spec.externalIPs ?? []).filter(ip => isV6(ip) === wantV6);
		const loadBalancerIPs = spec.type === 'LoadBalancer'
			? (service.status?.loadBalancer?.ingress ?? []).map(ingress => ingress.ip).filter((ip): ip is string => Boolean(ip) && isV6(ip!) === wantV6)
			: [];
		const sourceRanges = (spec.loadBalancerSourceRanges ?? []).map(range => range.trim()).filter(range => range && isV6(range) === wantV6);
		const affinitySeconds = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10_800) : null;
		const slices = slicesByService.get(`${namespace}/${name}`) ?? [];
		return (spec.ports ?? []).map((port): PlannedServicePort => {
			const protocol = (port.protocol ?? 'TCP').toLowerCase();
			const portName = port.name ?? '';
			const {ready, terminating} = usableEndpoints(slices, portName, protocol);
			const localReady = ready.filter(endpoint => endpoint.nodeName === input.nodeName);
			return {
				namespace,
				name,
				portName,
				portString: servicePortName(namespace, name, portName),
				protocol,
				clusterIP,
				port: port.port,
				nodePort: spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? (port.nodePort ?? 0) : 0,
				externalIPs,
				loadBalancerIPs,
				sourceRanges,
				externalLocal: spec.externalTrafficPolicy === 'Local' && (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || externalIPs.length > 0),
				internalLocal: spec.internalTrafficPolicy === 'Local',
				affinitySeconds,
				healthCheckNodePort: spec.healthCheckNodePort ?? 0,
				clusterEndpoints: (ready.length > 0 ? ready : terminating).sort(byAddress),
				localEndpoints: localReady.length > 0 ? localReady : terminating.filter(endpoint => endpoint.nodeName === input.nodeName),
			};
		});
	});
}

/** The slices of one address family (or none given) by their Service's `namespace/name`. */
function slicesOfServices(slices: readonly V1EndpointSlice[], family: AddressFamily): Map<string, V1EndpointSlice[]> {
	const byService = new Map<string, V1EndpointSlice[]>();
	for (const slice of slices) {
		const owner = slice.metadata?.labels?.['kubernetes.io/service-name'];
		if (owner && (slice.addressType === family || slice.addressType === undefined)) {
			const key = `${slice.metadata?.namespace ?? 'default'}/${owner}`;
			byService.set(key, [...(byService.get(key) ?? []), slice]);
		}
	}

	return byService;
}

/** One port's endpoints, each address once: ready ones, and the serving ones that are terminating (used when none is ready). */
function usableEndpoints(slices: readonly V1EndpointSlice[], portName: string, protocol: string): {ready: PlannedEndpoint[]; terminating: PlannedEndpoint[]} {
	const ready: PlannedEndpoint[] = [];
	const terminating: PlannedEndpoint[] = [];
	const seen = new Set<string>();
	for (const slice of slices) {
		const port = (slice.ports ?? []).find(each => (each.name ?? '') === portName && (each.protocol ?? 'TCP').toLowerCase() === protocol)?.port;
		if (!port) {
			continue;
		}

		for (const endpoint of slice.endpoints ?? []) {
			const ip = endpoint.addresses?.[0];
			if (!ip || seen.has(`${ip}:${port}`)) {
				continue;
			}

			seen.add(`${ip}:${port}`);
			if (endpoint.conditions?.ready !== false) {
				ready.push({ip, port, nodeName: endpoint.nodeName ?? null});
			} else if (endpoint.conditions.serving && endpoint.conditions.terminating) {
				terminating.push({ip, port, nodeName: endpoint.nodeName ?? null});
			}
		}
	}

	return {ready, terminating};
}

function byAddress(a: PlannedEndpoint, b: PlannedEndpoint): number {
	return a.ip < b.ip ? -1 : (a.ip > b.ip ? 1 : a.port - b.port);
}
