import type {V1Node, V1Service, V1ServicePort} from '@kubernetes/client-node';
import type {EndpointEntry} from './endpoint-index.js';
import {formatHost} from './target.js';
import type {ProbeMode, ProbeTarget} from './types.js';

export type Via = 'clusterip' | 'nodeport' | 'external' | 'lb' | 'dns' | 'endpoints';

export const viaValues: readonly Via[] = ['clusterip', 'nodeport', 'external', 'lb', 'dns', 'endpoints'];

export function parseVia(text: string | undefined): Via | {error: string} {
	const value = (text ?? 'clusterip').toLowerCase();
	const aliases: Record<string, Via> = {
		cluster: 'clusterip',
		clusterip: 'clusterip',
		nodeport: 'nodeport',
		external: 'external',
		externalip: 'external',
		lb: 'lb',
		loadbalancer: 'lb',
		dns: 'dns',
		endpoint: 'endpoints',
		endpoints: 'endpoints',
		pods: 'endpoints',
	};
	return aliases[value] ?? {error: `invalid --via "${text}" (use ${viaValues.join(', ')})`};
}

/** The Service port a target names (by name or number); the first port when none is named. */
export function pickServicePort(service: V1Service, port: string | undefined): V1ServicePort | {error: string} {
	const ports = service.spec?.ports ?? [];
	const name = `${service.metadata?.namespace}/${service.metadata?.name}`;
	if (ports.length === 0) {
		return {error: `service ${name} has no ports`};
	}

	if (port === undefined) {
		return ports[0]!;
	}

	const found = ports.find(candidate => candidate.name === port || String(candidate.port) === port);
	if (!found) {
		const known = ports.map(candidate => candidate.name ? `${candidate.name}(${candidate.port})` : String(candidate.port));
		return {error: `service ${name} has no port "${port}" (ports: ${known.join(', ')})`};
	}

	return found;
}

function internalIp(node: V1Node): string | undefined {
	const addresses = node.status?.addresses ?? [];
	return addresses.find(address => address.type === 'InternalIP')?.address
		?? addresses.find(address => address.type === 'ExternalIP')?.address;
}

function target(kind: ProbeTarget['kind'], host: string, port: number, protocol: string, node?: string): ProbeTarget {
	const base = {label: `${formatHost(host)}:${port}`, kind, host, port, protocol: protocol === 'UDP' ? 'UDP' : 'TCP'} as const;
	return node === undefined ? base : {...base, node};
}

/**
 * The addresses to probe for one Service port: one series per address (per node for
 * NodePorts, per endpoint for `endpoints`). Errors say why a Service has no such address.
 */
export function resolveServiceTargets(
	service: V1Service,
	servicePort: V1ServicePort,
	via: Via,
	nodes: readonly V1Node[],
	endpoints: readonly EndpointEntry[],
	clusterDomain = 'cluster.local',
): readonly ProbeTarget[] | {error: string} {
	const spec = service.spec ?? {};
	const name = `${service.metadata?.namespace}/${service.metadata?.name}`;
	const protocol = servicePort.protocol ?? 'TCP';
	const port = servicePort.port;
	switch (via) {
		case 'clusterip': {
			if (spec.type === 'ExternalName') {
				return spec.externalName
					? [target('dns', spec.externalName, port, protocol)]
					: {error: `service ${name} is ExternalName without a target`};
			}

			const ip = spec.clusterIPs?.[0] ?? spec.clusterIP;
			if (!ip || ip === 'None') {
				return {error: `service ${name} is headless (no ClusterIP); use --via endpoints or --via dns`};
			}

			return [target('clusterIP', ip, port, protocol)];
		}

		case 'nodeport': {
			if (servicePort.nodePort === undefined) {
				const type = spec.type ?? 'ClusterIP';
				return {error: type === 'NodePort' || type === 'LoadBalancer'
					? `service ${name} port ${port} has no nodePort`
					: `service ${name} is type ${type}, not NodePort: it has no NodePort to probe`};
			}

			const series = [...nodes]
				.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
				.flatMap(node => {
					const ip = internalIp(node);
					return ip ? [target('nodePort', ip, servicePort.nodePort!, protocol, node.metadata?.name)] : [];
				});
			return series.length > 0 ? series : {error: 'no node has an InternalIP to probe the NodePort on'};
		}

		case 'external': {
			const ips = spec.externalIPs ?? [];
			return ips.length > 0 ? ips.map(ip => target('externalIP', ip, port, protocol)) : {error: `service ${name} (type ${spec.type ?? 'ClusterIP'}) has no externalIPs`};
		}

		case 'lb': {
			const ingress = service.status?.loadBalancer?.ingress ?? [];
			const hosts = ingress.flatMap(entry => entry.ip ?? entry.hostname ?? []);
			return hosts.length > 0
				? hosts.map(host => target('loadBalancer', host, port, protocol))
				: {error: spec.type === 'LoadBalancer'
					? `service ${name} has no load-balancer address yet (status pending)`
					: `service ${name} is type ${spec.type ?? 'ClusterIP'}, not LoadBalancer: it has no load balancer address`};
		}

		case 'dns': {
			return [target('dns', `${service.metadata?.name}.${service.metadata?.namespace}.svc.${clusterDomain}`, port, protocol)];
		}

		case 'endpoints': {
			const portName = servicePort.name ?? '';
			const series = endpoints.flatMap(entry => {
				const endpointPort = entry.ports[portName];
				return endpointPort === undefined ? [] : [{...target('endpoint', entry.ip, endpointPort, protocol), ...(entry.node ? {node: entry.node} : {})}];
			});
			return series.length > 0 ? series : {error: `service ${name} has no endpoints`};
		}
	}
}

/** The key a pod is counted under: its name, or `ip:port` for an endpoint without a pod. */
export function endpointKey(entry: EndpointEntry, port: number | undefined): string {
	return entry.pod ?? `${formatHost(entry.ip)}:${port ?? 0}`;
}

export type AffinityPromise = {
	readonly sessionAffinity: 'ClientIP' | 'None';
	/** ClientIP only: how long a client sticks after its last request (default 10800 s). */
	readonly timeoutSeconds: number | null;
};

export function affinityPromise(service: V1Service | undefined): AffinityPromise {
	if (service?.spec?.sessionAffinity === 'ClientIP') {
		return {sessionAffinity: 'ClientIP', timeoutSeconds: service.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10_800};
	}

	return {sessionAffinity: 'None', timeoutSeconds: null};
}

/** Where an expectation's shares came from. */
export type ExpectationBasis = 'nat' | 'ready';

export type Expectation = {
	/** Share per pod key; empty when no endpoint may answer. */
	readonly shares: Readonly<Record<string, number>>;
	/** Whether this address should answer at all. */
	readonly reachable: boolean;
	/** Why, in a few words (shown next to NodePort rows). */
	readonly reason: string;
	/** `nat`: the decoded NAT probabilities; `ready`: 1/n of the ready endpoints. */
	readonly basis: ExpectationBasis;
	/**
	 * Set when kube-proxy is told to drop this traffic (a Local NodePort on a node without
	 * endpoints while other nodes have some): why, e.g. `Local, no endpoints on node-b`. A probe
	 * that gets no answer there is dropped as expected, not a failure.
	 */
	readonly drop?: string;
	/** The node of each pod in `shares` (from the EndpointSlice), so a pod is placed before it answers. */
	readonly nodes?: Readonly<Record<string, string | null>>;
};

/** Decoded NAT shares keyed `ip:port`: one map for every target, or per Service port and target (the path differs). */
export type SharesSource =
	| ReadonlyMap<string, number>
	| ((service: V1Service, servicePort: V1ServicePort, target: ProbeTarget) => ReadonlyMap<string, number> | undefined);

/**
 * Why no endpoint can answer a Service port: none ready, or (the ready ones having the port only over
 * another protocol, a UDP port whose pods listen on TCP) none serving its protocol.
 */
function noEndpointReason(endpoints: readonly EndpointEntry[], portName: string, protocol: string, local: boolean): string {
	const otherProtocols = [...new Set(endpoints
		.filter(entry => entry.ready && entry.ports[portName] !== undefined)
		.map(entry => entry.protocols[portName] ?? 'TCP'))];
	if (otherProtocols.length > 0) {
		return `no ready endpoint serves it over ${protocol} (only over ${otherProtocols.join(', ')})`;
	}

	return local ? 'no ready endpoints on any node' : 'no ready endpoints';
}

/**
 * What kube-proxy promises for one series: ready endpoints serving the port, restricted to the
 * node's own endpoints for a NodePort under externalTrafficPolicy Local; shares from the decoded
 * NAT probabilities (keyed `ip:port`) when they cover every eligible endpoint, else 1/n (rules
 * read before a rollout do not name the new pods: then they say nothing about the split now).
 */
export function expectedForTarget(
	service: V1Service,
	servicePort: V1ServicePort,
	probeTarget: ProbeTarget,
	endpoints: readonly EndpointEntry[],
	sharesSource?: SharesSource,
): Expectation {
	const portName = servicePort.name ?? '';
	if (probeTarget.kind === 'endpoint') {
		const entry = endpoints.find(candidate => candidate.ip === probeTarget.host);
		return entry
			? {shares: {[endpointKey(entry, probeTarget.port)]: 1}, reachable: true, reason: 'direct to the endpoint', basis: 'ready', nodes: {[endpointKey(entry, probeTarget.port)]: entry.node}}
			: {shares: {}, reachable: true, reason: 'direct', basis: 'ready'};
	}

	// kube-proxy pairs a Service port with endpoint ports by name and protocol: a TCP endpoint port serves no UDP Service port.
	const protocol = servicePort.protocol ?? 'TCP';
	let eligible = endpoints.filter(entry => entry.ready && entry.ports[portName] !== undefined && (entry.protocols[portName] ?? 'TCP') === protocol);
	let reason = `${eligible.length} ready endpoint${eligible.length === 1 ? '' : 's'}`;
	const local = service.spec?.externalTrafficPolicy === 'Local' && probeTarget.kind === 'nodePort';
	const anywhere = eligible.length;
	if (local) {
		eligible = eligible.filter(entry => entry.node === probeTarget.node);
		reason = eligible.length === 0
			? 'externalTrafficPolicy Local: no endpoint on this node, traffic is dropped'
			: `externalTrafficPolicy Local: ${eligible.length} endpoint${eligible.length === 1 ? '' : 's'} on this node`;
	}

	if (eligible.length === 0) {
		// Without any ready endpoint kube-proxy rejects everywhere: that is a broken Service, not a Local drop.
		return local && anywhere > 0
			? {shares: {}, reachable: false, reason, basis: 'ready', drop: `Local, no endpoints on ${probeTarget.node ?? 'this node'}`}
			: {shares: {}, reachable: false, reason: noEndpointReason(endpoints, portName, protocol, local), basis: 'ready'};
	}

	const probabilities = typeof sharesSource === 'function' ? sharesSource(service, servicePort, probeTarget) : sharesSource;
	const keys = eligible.map(entry => `${formatHost(entry.ip)}:${entry.ports[portName]}`);
	let weights = keys.map(key => probabilities?.get(key) ?? 0);
	let total = weights.reduce((sum, weight) => sum + weight, 0);
	// A weight of 0 is a real answer (an IPVS real server being drained); a missing key is not.
	const basis: ExpectationBasis = probabilities !== undefined && total > 0 && keys.every(key => probabilities.has(key)) ? 'nat' : 'ready';
	if (basis === 'ready') {
		weights = eligible.map(() => 1);
		total = weights.length;
	}

	const shares: Record<string, number> = {};
	const nodes: Record<string, string | null> = {};
	for (const [i, entry] of eligible.entries()) {
		const key = endpointKey(entry, entry.ports[portName]);
		shares[key] = (shares[key] ?? 0) + weights[i]! / total;
		nodes[key] = entry.node;
	}

	return {shares, reachable: true, reason, basis, nodes};
}

/**
 * How a Service port is probed unless told otherwise: UDP is DNS (the UDP Services svctop knows
 * are DNS), a TCP DNS port (53) a TCP connect (a DNS server does not speak HTTP), else `fallback`.
 */
export function probeModeFor(servicePort: Pick<V1ServicePort, 'port' | 'protocol'>, fallback: ProbeMode): ProbeMode {
	if (servicePort.protocol === 'UDP') {
		return 'dns';
	}

	return servicePort.port === 53 ? 'tcp' : fallback;
}

/** The next of `applicable` after `current` in `viaValues` order (round); `current` when none applies. */
export function nextVia(current: Via, applicable: readonly Via[]): Via {
	const start = viaValues.indexOf(current);
	for (let step = 1; step <= viaValues.length; step++) {
		const candidate = viaValues[(start + step) % viaValues.length]!;
		if (applicable.includes(candidate)) {
			return candidate;
		}
	}

	return current;
}

/** `wanted` when this Service port has it (or nothing is known yet), else the next target it has. */
export function applicableVia(wanted: Via, applicable: readonly Via[]): Via {
	return applicable.length === 0 || applicable.includes(wanted) ? wanted : nextVia(wanted, applicable);
}
