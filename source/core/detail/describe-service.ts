import type {V1Endpoint, V1EndpointSlice, V1Node, V1Pod, V1Service, V1ServicePort} from '@kubernetes/client-node';
import {humanDuration} from '../services/human-duration.js';
import {endpointIdentity, isEndpointReady, selectorColumn, timestampMs} from '../services/service-row.js';
import {kubectlServiceFields, type KubectlServiceFields} from './kubectl-fields.js';
import {podNotReadyReason} from './pod-reason.js';
import {type EventsInput, serviceEvents, type ServiceEvents} from './service-events.js';
import {type EndpointHints, topologyOf, type TopologyDetail} from './topology.js';
import {unservedPorts} from '../services/unserved-ports.js';

/** The outcome of resolving an ExternalName target on this machine (see source/node/resolve-name.ts). */
export type NameResolution = {
	readonly name: string;
	/** The CNAME chain followed from `name`, excluding `name` itself. */
	readonly chain: readonly string[];
	/** The final A/AAAA addresses. */
	readonly addresses: readonly string[];
	/** The resolver's error as one line, when the name did not resolve to any address. */
	readonly error?: string;
	/** Who answered, when not this machine's resolver (e.g. the demo cluster's own DNS). */
	readonly resolver?: string;
};

export type DescribeInput = {
	readonly service: V1Service;
	/** All EndpointSlices of this Service, whoever manages them. */
	readonly slices: readonly V1EndpointSlice[];
	/** All nodes of the cluster (empty when they could not be listed). */
	readonly nodes: readonly V1Node[];
	/** Pods matching the selector, or undefined when they were not fetched. */
	readonly pods: readonly V1Pod[] | undefined;
	/** Default `cluster.local`. */
	readonly clusterDomain?: string;
	/** Epoch ms. */
	readonly now: number;
	/** The live resolution of an ExternalName target, when one was made. */
	readonly resolution?: NameResolution;
	/** The Service's events as read from the API; undefined when they were not read (shown as unknown). */
	readonly events?: EventsInput;
	/**
	 * Data that could not be read (forbidden, failed, timed out). Its objects above are ignored:
	 * what rests on it is shown as unknown and no finding is drawn from it.
	 */
	readonly unknown?: readonly UnknownData[];
};

/** What a finding or a figure is drawn from. */
export type DataSource = 'service' | 'endpointslices' | 'nodes' | 'pods' | 'dns';

/** One kind of data svctop could not read, and why (the API's words). */
export type UnknownData = {readonly resource: 'endpointslices' | 'nodes' | 'pods'; readonly reason: string};

export const findingCodes = [
	'no-endpoints',
	'no-ready-endpoints',
	'endpoints-not-ready',
	'selector-matches-nothing',
	'selectorless-without-endpoints',
	'target-port-not-exposed',
	'protocol-not-served',
	'lb-pending',
	'local-policy-nodes-without-endpoints',
	'session-affinity-client-ip',
	'external-name-unresolved',
] as const;

/** Stable kebab-case codes; scripts may match on them. */
export type FindingCode = typeof findingCodes[number];

export type Finding = {
	readonly code: FindingCode;
	readonly message: string;
	/** The data this finding rests on; a finding is never drawn when any of it is unknown. */
	readonly restsOn: readonly DataSource[];
};

/** What each finding is drawn from. */
const findingData: Readonly<Record<FindingCode, readonly DataSource[]>> = {
	'no-endpoints': ['service', 'endpointslices'],
	'no-ready-endpoints': ['service', 'endpointslices'],
	'endpoints-not-ready': ['service', 'endpointslices'],
	'selector-matches-nothing': ['service', 'pods'],
	'selectorless-without-endpoints': ['service', 'endpointslices'],
	'target-port-not-exposed': ['service', 'pods'],
	'protocol-not-served': ['service', 'endpointslices'],
	'lb-pending': ['service'],
	'local-policy-nodes-without-endpoints': ['service', 'endpointslices', 'nodes'],
	'session-affinity-client-ip': ['service'],
	'external-name-unresolved': ['service', 'dns'],
};

export type ServiceSummary = {
	readonly namespace: string;
	readonly name: string;
	readonly type: string;
	readonly clusterIPs: readonly string[];
	readonly ipFamilies: readonly string[];
	readonly ipFamilyPolicy: string | null;
	/** null for a Service without a selector (its endpoints are managed by hand or by another controller). */
	readonly selector: Readonly<Record<string, string>> | null;
	readonly sessionAffinity: string;
	/** ClientIP stickiness in seconds (the API's default is 10800), null without ClientIP affinity. */
	readonly sessionAffinityTimeoutSeconds: number | null;
	readonly externalTrafficPolicy: string | null;
	readonly internalTrafficPolicy: string | null;
	readonly healthCheckNodePort: number | null;
	readonly externalIPs: readonly string[];
	readonly loadBalancerIngress: ReadonlyArray<{readonly ip: string | null; readonly hostname: string | null; readonly ipMode: string | null}>;
	/** A LoadBalancer whose status has no ingress yet. */
	readonly loadBalancerPending: boolean;
	readonly loadBalancerSourceRanges: readonly string[];
	readonly loadBalancerClass: string | null;
	readonly externalName: string | null;
	readonly publishNotReadyAddresses: boolean;
	/** kubectl's AGE. */
	readonly age: string;
	readonly createdAt: number | undefined;
};

export type PortDetail = {
	readonly name: string;
	readonly port: number;
	/** As written in the spec (defaults to `port`); a string is a container port name. */
	readonly targetPort: number | string;
	readonly nodePort: number | null;
	readonly protocol: string;
	readonly appProtocol: string | null;
	/** For a named targetPort, what it resolves to in each matching pod (null: the pod does not declare it). */
	readonly podTargetPorts: ReadonlyArray<{readonly pod: string; readonly port: number | null}>;
};

export type EndpointDetail = {
	/** The pod (targetRef name), null for addresses without a targetRef. */
	readonly pod: string | null;
	/** The first address, of the Service's primary IP family when the backend has several. */
	readonly ip: string;
	/** Every address of this backend across slices (both families for dual-stack). */
	readonly addresses: readonly string[];
	/** Port per port name, as the slice lists it (`''` for an unnamed port). */
	readonly ports: Readonly<Record<string, number>>;
	readonly ready: boolean;
	readonly serving: boolean;
	readonly terminating: boolean;
	readonly zone: string | null;
	readonly hostname: string | null;
	/** The slices this backend appears in. */
	readonly slices: readonly string[];
	/** Topology hints the EndpointSlice controller wrote (hints.forZones, hints.forNodes). */
	readonly hints: EndpointHints;
};

export type NodeRef = {readonly node: string; readonly nodeIP: string | null; readonly zone: string | null};

export type NodeGroup = {
	/** null for endpoints without a nodeName (manual endpoints, addresses outside the cluster). */
	readonly node: string | null;
	readonly nodeIP: string | null;
	readonly zone: string | null;
	readonly endpoints: readonly EndpointDetail[];
};

export type SliceSummary = {
	readonly name: string;
	readonly addressType: string;
	/** `endpointslice.kubernetes.io/managed-by`, e.g. the mirroring controller for a manual Endpoints object. */
	readonly managedBy: string | null;
	readonly endpoints: number;
};

export type UnreadyPod = {readonly pod: string; readonly node: string | null; readonly ip: string | null; readonly reason: string};

export type ServiceDetail = {
	readonly service: ServiceSummary;
	readonly dnsNames: readonly string[];
	readonly ports: readonly PortDetail[];
	readonly slices: readonly SliceSummary[];
	/** Distinct backends, as in the list's ENDPOINTS column; null when the EndpointSlices are unknown. */
	readonly endpoints: {readonly ready: number; readonly total: number} | null;
	/** Nodes holding endpoints (sorted by name), then the group without a node. */
	readonly nodes: readonly NodeGroup[];
	/** Cluster nodes that hold no endpoint of this Service; null when the EndpointSlices or the nodes are unknown. */
	readonly nodesWithoutEndpoints: readonly NodeRef[] | null;
	/** Plain statements of where traffic is dropped because of a Local traffic policy. */
	readonly trafficNotes: readonly string[];
	/** Whether the pods matching the selector were fetched. */
	readonly podsFetched: boolean;
	/** How many pods match the selector, null when not fetched or without a selector. */
	readonly matchingPods: number | null;
	/** Matching pods that are not ready endpoints, with the reason; null when the pods or the EndpointSlices are unknown. */
	readonly unreadyPods: readonly UnreadyPod[] | null;
	readonly externalName: {readonly target: string; readonly resolution: NameResolution | null} | null;
	/** The fields `kubectl describe svc` prints, in its own strings. */
	readonly kubectl: KubectlServiceFields;
	/** The Service's events, or why they are unknown. */
	readonly events: ServiceEvents;
	/** What topology hints and trafficDistribution mean for each node; null when the EndpointSlices are unknown. */
	readonly topology: TopologyDetail | null;
	readonly findings: readonly Finding[];
	/** Data that could not be read: everything drawn from it is left out, not zero. */
	readonly unknown: readonly UnknownData[];
};

const zoneLabel = 'topology.kubernetes.io/zone';
const managedByLabel = 'endpointslice.kubernetes.io/managed-by';
const defaultClientIPTimeoutSeconds = 10_800;

/** Everything the detail view and `svctop describe` show about one Service. Pure. */
export function describeService(input: DescribeInput): ServiceDetail {
	const {service, now} = input;
	const unknown = input.unknown ?? [];
	const isKnown = (resource: UnknownData['resource']): boolean => !unknown.some(entry => entry.resource === resource);
	// Objects of a resource that could not be read (a stale cache, nothing at all) are not evidence.
	const slicesKnown = isKnown('endpointslices');
	const nodesKnown = isKnown('nodes');
	const slices = slicesKnown ? input.slices : [];
	const nodes = nodesKnown ? input.nodes : [];
	const pods = isKnown('pods') ? input.pods : undefined;
	const clusterDomain = input.clusterDomain ?? 'cluster.local';
	const summary = summarize(service, now);
	const nodesByName = new Map(nodes.map(node => [node.metadata?.name ?? '', node]));
	const backends = mergeBackends(slices, summary.ipFamilies[0]);
	const groups = groupByNode(backends, nodesByName);
	const occupied = new Set(groups.map(group => group.node));
	const nodesWithoutEndpoints = !slicesKnown || !nodesKnown ? null : [...nodesByName.values()]
		.filter(node => !occupied.has(node.metadata?.name ?? ''))
		.map(node => nodeRef(node))
		.sort((a, b) => compareText(a.node, b.node));
	const ports = (service.spec?.ports ?? []).map(port => portDetail(port, pods ?? []));
	const ready = backends.filter(backend => backend.ready).length;
	// Which pods are endpoints, and which nodes hold none, is unknown without the slices.
	const unreadyPods = pods && slicesKnown ? podsNotServing(pods, backends, service.spec?.ports ?? [], now) : null;
	const trafficNotes = slicesKnown ? localPolicyNotes(summary, ports, groups, [...nodesByName.values()]) : [];
	const externalName = summary.type === 'ExternalName'
		? {target: summary.externalName ?? '', resolution: input.resolution ?? null}
		: null;

	const detail: Omit<ServiceDetail, 'findings'> = {
		service: summary,
		dnsNames: dnsNames(summary, ports, backends, clusterDomain),
		ports,
		slices: slices
			.map(slice => ({
				name: slice.metadata?.name ?? '',
				addressType: slice.addressType,
				managedBy: slice.metadata?.labels?.[managedByLabel] ?? null,
				endpoints: slice.endpoints?.length ?? 0,
			}))
			.sort((a, b) => compareText(a.name, b.name)),
		endpoints: slicesKnown ? {ready, total: backends.length} : null,
		nodes: groups,
		nodesWithoutEndpoints,
		trafficNotes,
		podsFetched: pods !== undefined,
		matchingPods: pods && summary.selector ? pods.length : null,
		unreadyPods,
		externalName,
		kubectl: kubectlServiceFields(service, slicesKnown ? slices : null),
		events: serviceEvents(input.events, now),
		topology: slicesKnown
			? topologyOf(
				{...summary, trafficDistribution: service.spec?.trafficDistribution ?? null, hasExternalAddresses: summary.externalIPs.length > 0},
				groups.flatMap(group => group.endpoints.map(endpoint => ({...endpoint, label: endpoint.pod ?? endpoint.ip}))),
				nodesKnown ? [...nodesByName.values()].map(node => nodeRef(node)).sort((a, b) => compareText(a.node, b.node)) : null,
			)
			: null,
		unknown,
	};
	return {...detail, findings: findings(detail, slices, pods, now)};
}

function summarize(service: V1Service, now: number): ServiceSummary {
	const spec = service.spec ?? {};
	const createdAt = timestampMs(service.metadata?.creationTimestamp);
	const ingress = service.status?.loadBalancer?.ingress ?? [];
	const selector = spec.selector && Object.keys(spec.selector).length > 0 ? spec.selector : null;
	const clusterIPs = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
	return {
		namespace: service.metadata?.namespace ?? '',
		name: service.metadata?.name ?? '',
		type: spec.type ?? '',
		clusterIPs,
		ipFamilies: spec.ipFamilies ?? [],
		ipFamilyPolicy: spec.ipFamilyPolicy ?? null,
		selector,
		sessionAffinity: spec.sessionAffinity ?? 'None',
		sessionAffinityTimeoutSeconds: spec.sessionAffinity === 'ClientIP'
			? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? defaultClientIPTimeoutSeconds
			: null,
		externalTrafficPolicy: spec.externalTrafficPolicy ?? null,
		internalTrafficPolicy: spec.internalTrafficPolicy ?? null,
		healthCheckNodePort: spec.healthCheckNodePort ?? null,
		externalIPs: spec.externalIPs ?? [],
		loadBalancerIngress: ingress.map(entry => ({ip: entry.ip ?? null, hostname: entry.hostname ?? null, ipMode: entry.ipMode ?? null})),
		loadBalancerPending: spec.type === 'LoadBalancer' && !ingress.some(entry => entry.ip || entry.hostname),
		loadBalancerSourceRanges: spec.loadBalancerSourceRanges ?? [],
		loadBalancerClass: spec.loadBalancerClass ?? null,
		externalName: spec.externalName ?? null,
		publishNotReadyAddresses: spec.publishNotReadyAddresses ?? false,
		age: createdAt === undefined ? '<unknown>' : humanDuration(now - createdAt),
		createdAt,
	};
}

type Backend = {
	id: string;
	pod: string | null;
	addresses: Array<{family: string; address: string}>;
	ports: Record<string, number>;
	ready: boolean;
	serving: boolean;
	terminating: boolean;
	nodeName: string | null;
	zone: string | null;
	hostname: string | null;
	slices: string[];
	hints: EndpointHints;
};

function conditionsOf(endpoint: V1Endpoint): {ready: boolean; serving: boolean; terminating: boolean} {
	const ready = isEndpointReady(endpoint);
	return {
		ready,
		// Unset serving means "same as ready" for consumers that predate the field.
		serving: endpoint.conditions?.serving ?? ready,
		terminating: endpoint.conditions?.terminating ?? false,
	};
}

/** One entry per backend across all slices; the same identity rules as the list's ENDPOINTS count. */
function mergeBackends(slices: readonly V1EndpointSlice[], primaryFamily: string | undefined): Backend[] {
	const byId = new Map<string, Backend>();
	for (const slice of slices) {
		const sliceName = slice.metadata?.name ?? '';
		const slicePorts: Record<string, number> = {};
		for (const port of slice.ports ?? []) {
			if (port.port !== undefined) {
				slicePorts[port.name ?? ''] = port.port;
			}
		}

		for (const endpoint of slice.endpoints ?? []) {
			const id = endpointIdentity(slice, endpoint);
			const conditions = conditionsOf(endpoint);
			const addresses = (endpoint.addresses ?? []).map(address => ({family: slice.addressType, address}));
			const existing = byId.get(id);
			if (!existing) {
				byId.set(id, {
					id,
					pod: endpoint.targetRef?.name ?? null,
					addresses,
					ports: {...slicePorts},
					...conditions,
					nodeName: endpoint.nodeName ?? null,
					zone: endpoint.zone ?? null,
					hostname: endpoint.hostname ?? null,
					slices: [sliceName],
					hints: hintsOf(endpoint),
				});
				continue;
			}

			for (const address of addresses) {
				if (!existing.addresses.some(known => known.address === address.address)) {
					existing.addresses.push(address);
				}
			}

			existing.ports = {...slicePorts, ...existing.ports};
			// A copy that is ready (or at least serving) says more than a stale one.
			if (rank(conditions) > rank(existing)) {
				Object.assign(existing, conditions);
			}

			existing.nodeName ??= endpoint.nodeName ?? null;
			existing.zone ??= endpoint.zone ?? null;
			existing.hostname ??= endpoint.hostname ?? null;
			if (!existing.slices.includes(sliceName)) {
				existing.slices.push(sliceName);
			}
		}
	}

	const backends = [...byId.values()];
	if (primaryFamily) {
		for (const backend of backends) {
			backend.addresses.sort((a, b) => Number(b.family === primaryFamily) - Number(a.family === primaryFamily));
		}
	}

	return backends;
}

function hintsOf(endpoint: V1Endpoint): EndpointHints {
	return {
		forZones: (endpoint.hints?.forZones ?? []).map(zone => zone.name),
		forNodes: (endpoint.hints?.forNodes ?? []).map(node => node.name),
	};
}

function rank(conditions: {ready: boolean; serving: boolean}): number {
	return conditions.ready ? 2 : (conditions.serving ? 1 : 0);
}

function nodeRef(node: V1Node): NodeRef {
	return {
		node: node.metadata?.name ?? '',
		nodeIP: node.status?.addresses?.find(address => address.type === 'InternalIP')?.address ?? null,
		zone: node.metadata?.labels?.[zoneLabel] ?? null,
	};
}

function groupByNode(backends: readonly Backend[], nodesByName: ReadonlyMap<string, V1Node>): NodeGroup[] {
	const groups = new Map<string | null, Backend[]>();
	for (const backend of backends) {
		const list = groups.get(backend.nodeName);
		if (list) {
			list.push(backend);
		} else {
			groups.set(backend.nodeName, [backend]);
		}
	}

	const named = [...groups.keys()].filter((name): name is string => name !== null).sort(compareText);
	const order: Array<string | null> = groups.has(null) ? [...named, null] : named;
	return order.map(name => {
		const members = groups.get(name)!;
		const node = name === null ? undefined : nodesByName.get(name);
		const ref = node ? nodeRef(node) : undefined;
		return {
			node: name,
			nodeIP: ref?.nodeIP ?? null,
			zone: ref?.zone ?? members.find(member => member.zone)?.zone ?? null,
			endpoints: members
				.map(member => ({
					pod: member.pod,
					ip: member.addresses[0]?.address ?? '',
					addresses: member.addresses.map(address => address.address),
					ports: member.ports,
					ready: member.ready,
					serving: member.serving,
					terminating: member.terminating,
					zone: member.zone,
					hostname: member.hostname,
					slices: member.slices,
					hints: member.hints,
				}))
				.sort((a, b) => compareText(a.pod ?? '', b.pod ?? '') || compareText(a.ip, b.ip)),
		};
	});
}

/** The container port a Service port's targetPort names in one pod (kubernetes' FindPort: name and protocol). */
export function findContainerPort(pod: V1Pod, name: string, protocol: string): number | null {
	for (const container of pod.spec?.containers ?? []) {
		for (const port of container.ports ?? []) {
			if (port.name === name && (port.protocol ?? 'TCP') === protocol) {
				return port.containerPort;
			}
		}
	}

	return null;
}

function declaresPort(pod: V1Pod, number: number, protocol: string): boolean {
	return (pod.spec?.containers ?? []).some(container =>
		(container.ports ?? []).some(port => port.containerPort === number && (port.protocol ?? 'TCP') === protocol));
}

function portDetail(port: V1ServicePort, pods: readonly V1Pod[]): PortDetail {
	const protocol = port.protocol ?? 'TCP';
	const targetPort = port.targetPort ?? port.port;
	return {
		name: port.name ?? '',
		port: port.port,
		targetPort,
		nodePort: port.nodePort ?? null,
		protocol,
		appProtocol: port.appProtocol ?? null,
		podTargetPorts: typeof targetPort === 'string'
			? pods.map(pod => ({pod: pod.metadata?.name ?? '', port: findContainerPort(pod, targetPort, protocol)}))
				.sort((a, b) => compareText(a.pod, b.pod))
			: [],
	};
}

function dnsNames(summary: ServiceSummary, ports: readonly PortDetail[], backends: readonly Backend[], clusterDomain: string): string[] {
	const base = `${summary.name}.${summary.namespace}.svc.${clusterDomain}`;
	const names = [base];
	for (const port of ports) {
		// SRV records exist for named ports only.
		if (port.name) {
			names.push(`_${port.name}._${port.protocol.toLowerCase()}.${base}`);
		}
	}

	// A headless Service also publishes a record per endpoint that has a hostname (StatefulSet pods).
	if (summary.clusterIPs[0] === 'None') {
		for (const hostname of new Set(backends.map(backend => backend.hostname).filter(Boolean))) {
			names.push(`${hostname}.${base}`);
		}
	}

	return names;
}

/** kube-proxy's choice for Local policies: a ready endpoint, or else one still serving while terminating. */
function usable(endpoint: {ready: boolean; serving: boolean; terminating: boolean}): boolean {
	return endpoint.ready || (endpoint.serving && endpoint.terminating);
}

function nodesLackingUsableEndpoints(groups: readonly NodeGroup[], allNodes: readonly V1Node[]): string[] {
	const served = new Set(groups.filter(group => group.node !== null && group.endpoints.some(usable)).map(group => group.node));
	return allNodes
		.map(node => node.metadata?.name ?? '')
		.filter(name => !served.has(name))
		.sort(compareText);
}

function localPolicyNotes(summary: ServiceSummary, ports: readonly PortDetail[], groups: readonly NodeGroup[], allNodes: readonly V1Node[]): string[] {
	if (allNodes.length === 0 || summary.type === 'ExternalName') {
		return [];
	}

	const lacking = nodesLackingUsableEndpoints(groups, allNodes);
	if (lacking.length === 0) {
		return [];
	}

	const notes: string[] = [];
	const nodePorts = ports.map(port => port.nodePort).filter((nodePort): nodePort is number => nodePort !== null);
	const external = summary.type === 'NodePort' || summary.type === 'LoadBalancer';
	if (external && summary.externalTrafficPolicy === 'Local') {
		const where = nodePorts.length > 0 ? `NodePort ${nodePorts.join(', ')}` : 'the node';
		let note = `externalTrafficPolicy is Local: traffic arriving at ${where} on ${lacking.join(', ')} is dropped, because no ready endpoint of this Service runs there`;
		if (summary.type === 'LoadBalancer' && summary.healthCheckNodePort !== null) {
			note += ` (the load balancer's health check on port ${summary.healthCheckNodePort} fails there, so it should steer away from them)`;
		}

		notes.push(note + '.');
	}

	if (summary.internalTrafficPolicy === 'Local') {
		notes.push(`internalTrafficPolicy is Local: traffic to ${summary.clusterIPs[0] ?? 'the Service'} from pods on ${lacking.join(', ')} is dropped, because no ready endpoint of this Service runs on their node.`);
	}

	return notes;
}

function podsNotServing(pods: readonly V1Pod[], backends: readonly Backend[], servicePorts: readonly V1ServicePort[], now: number): UnreadyPod[] {
	const byPod = new Map<string, Backend>();
	const byAddress = new Map<string, Backend>();
	for (const backend of backends) {
		if (backend.pod) {
			byPod.set(backend.pod, backend);
		}

		for (const address of backend.addresses) {
			byAddress.set(address.address, backend);
		}
	}

	const result: UnreadyPod[] = [];
	for (const pod of pods) {
		const name = pod.metadata?.name ?? '';
		const ip = pod.status?.podIP ?? null;
		const backend = byPod.get(name) ?? (ip ? byAddress.get(ip) : undefined);
		if (backend?.ready) {
			continue;
		}

		let reason = podNotReadyReason(pod, now);
		if (reason === undefined) {
			const missing = servicePorts
				.filter(port => typeof port.targetPort === 'string' && findContainerPort(pod, port.targetPort, port.protocol ?? 'TCP') === null)
				.map(port => String(port.targetPort));
			if (backend) {
				reason = 'ready, but its EndpointSlice entry is not ready yet';
			} else if (missing.length > 0) {
				reason = `declares no container port named ${missing.map(port => `"${port}"`).join(', ')}`;
			} else {
				reason = 'ready, but not in any EndpointSlice yet';
			}
		}

		result.push({pod: name, node: pod.spec?.nodeName ?? null, ip, reason});
	}

	return result.sort((a, b) => compareText(a.pod, b.pod));
}

function findings(detail: Omit<ServiceDetail, 'findings'>, slices: readonly V1EndpointSlice[], pods: readonly V1Pod[] | undefined, now: number): Finding[] {
	const {service} = detail;
	const result: Finding[] = [];
	const add = (code: FindingCode, message: string) => {
		result.push({code, message, restsOn: findingData[code]});
	};

	const address = service.clusterIPs[0] && service.clusterIPs[0] !== 'None' ? service.clusterIPs[0] : `${service.name}`;
	if (service.type !== 'ExternalName' && detail.endpoints !== null) {
		const {ready, total} = detail.endpoints;
		if (total === 0) {
			// A headless Service has no rules to reject with: its DNS name has no addresses.
			add('no-endpoints', service.clusterIPs[0] === 'None'
				? `no endpoints: ${service.name} is headless, so its DNS name resolves to no address`
				: `no endpoints: connections to ${address} have no backend (kube-proxy rejects them)`);
		} else if (ready === 0) {
			add('no-ready-endpoints', `none of the ${total} endpoint${total === 1 ? '' : 's'} is ready: ${notReadyList(detail)}`);
		} else if (ready < total) {
			add('endpoints-not-ready', `${total - ready} of ${total} endpoints not ready: ${notReadyList(detail)}`);
		}

		if (service.selector === null && total === 0) {
			add('selectorless-without-endpoints', `no selector, and no EndpointSlice (nor Endpoints object named "${service.name}") lists any address for it`);
		}

	}

	if (service.type !== 'ExternalName') {
		if (service.selector !== null && pods !== undefined && pods.length === 0) {
			add('selector-matches-nothing', `selector ${selectorColumn(service.selector)} matches no pods in namespace ${service.namespace}`);
		}
	}

	if (pods !== undefined && pods.length > 0 && service.selector !== null) {
		for (const port of detail.ports) {
			const label = `port ${port.name ? `${port.name} ` : ''}${port.port}/${port.protocol}`;
			if (typeof port.targetPort === 'string') {
				const lacking = port.podTargetPorts.filter(entry => entry.port === null).map(entry => entry.pod);
				if (lacking.length === port.podTargetPorts.length) {
					add('target-port-not-exposed', `${label}: targetPort "${port.targetPort}" is not a ${port.protocol} container port of any matching pod (declared: ${declaredPorts(pods)}), so no pod can be an endpoint for it`);
				} else if (lacking.length > 0) {
					add('target-port-not-exposed', `${label}: targetPort "${port.targetPort}" is not declared by ${lacking.join(', ')}, so those pods are left out of it`);
				}
			} else if (!pods.some(pod => declaresPort(pod, port.targetPort as number, port.protocol))) {
				add('target-port-not-exposed', `${label}: targetPort ${port.targetPort} is not a declared ${port.protocol} container port of any matching pod (declared: ${declaredPorts(pods)}); traffic is still sent there, so check that the app listens on it`);
			}
		}
	}

	if (service.type !== 'ExternalName') {
		for (const port of unservedPorts(detail.ports, slices)) {
			const label = `port ${port.name ? `${port.name} ` : ''}${port.port}/${port.protocol}`;
			add('protocol-not-served', port.servedOver.length > 0
				? `${label}: the endpoints serve this port over ${port.servedOver.join(', ')} only, not ${port.protocol}`
				: `${label}: no EndpointSlice lists a ${port.protocol} port named "${port.name}", so traffic to it has no backend`);
		}
	}

	if (service.loadBalancerPending) {
		const since = service.createdAt === undefined ? '' : ` ${humanDuration(now - service.createdAt)} after creation`;
		const fallback = service.externalIPs.length > 0 ? ` (its externalIPs ${service.externalIPs.join(', ')} still take traffic)` : '';
		add('lb-pending', `LoadBalancer still <pending>${since}: no controller has provisioned a load balancer${service.loadBalancerClass ? ` of class ${service.loadBalancerClass}` : ''}${fallback}`);
	}

	for (const note of detail.trafficNotes) {
		add('local-policy-nodes-without-endpoints', note);
	}

	if (service.sessionAffinityTimeoutSeconds !== null) {
		add('session-affinity-client-ip', `sessionAffinity ClientIP: requests from one client IP stick to the same endpoint for ${humanDuration(service.sessionAffinityTimeoutSeconds * 1000)} (${service.sessionAffinityTimeoutSeconds}s) of inactivity, so load is not spread per request`);
	}

	const resolution = detail.externalName?.resolution;
	if (detail.externalName && resolution && (resolution.error !== undefined || resolution.addresses.length === 0)) {
		add('external-name-unresolved', `ExternalName target ${detail.externalName.target} does not resolve ${resolution.resolver ? `in ${resolution.resolver}` : 'on this machine'}: ${resolution.error ?? 'no addresses'}`);
	}

	return result;
}

function notReadyList(detail: Omit<ServiceDetail, 'findings'>): string {
	const names = detail.nodes.flatMap(group => group.endpoints
		.filter(endpoint => !endpoint.ready)
		.map(endpoint => `${endpoint.pod ?? endpoint.ip}${endpoint.terminating ? ' (terminating)' : ''}${group.node ? ` on ${group.node}` : ''}`));
	return names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
}

function declaredPorts(pods: readonly V1Pod[]): string {
	const declared = new Set<string>();
	for (const pod of pods) {
		for (const container of pod.spec?.containers ?? []) {
			for (const port of container.ports ?? []) {
				declared.add(`${port.name ? `${port.name}=` : ''}${port.containerPort}/${port.protocol ?? 'TCP'}`);
			}
		}
	}

	return declared.size > 0 ? [...declared].sort().join(', ') : 'none';
}

function compareText(a: string, b: string): number {
	return a < b ? -1 : (a > b ? 1 : 0);
}
