import type {V1EndpointSlice, V1Node, V1Service, V1ServicePort} from '@kubernetes/client-node';
import type {ResponseCandidates} from './attribution.js';
import type {AddressNatMatch} from './nat-expectation.js';
import {buildEndpointIndex, serviceKey, type EndpointIndex} from './endpoint-index.js';
import type {SeriesSpec} from './run-stats.js';
import {affinityPromise, expectedForTarget, pickServicePort, resolveServiceTargets, viaValues, type Expectation, type SharesSource, type Via} from './service-targets.js';
import type {TargetSpec} from './target.js';
import type {ProbeTarget} from './types.js';

/** Everything a probe run needs to know before the first packet. */
export type ProbePlan = {
	readonly series: readonly SeriesSpec[];
	/** `namespace/name` of the Service, when the target is one. */
	readonly service?: string;
	/** `ns/name:port (kind address)`, for the header line. */
	readonly description: string;
	/** The description without the port's name, for a narrow header: the address still names the port. */
	readonly briefDescription?: string;
	readonly protocol: 'TCP' | 'UDP';
	/** For a Service: the port probed (its number and protocol choose how, see probeModeFor). */
	readonly servicePort?: V1ServicePort;
	/** Set when only one way of probing makes sense: `resolve` for an ExternalName Service without ports. */
	readonly mode?: 'resolve';
	readonly index: EndpointIndex;
	readonly candidates?: ResponseCandidates;
	/**
	 * What the plan could not read (EndpointSlices forbidden, failed, not answered), with why: no
	 * expectation is drawn from it. Absent when everything was read.
	 */
	readonly unknown?: readonly UnknownObjects[];
	/** Why some series are probed but not judged (nothing is expected of them), said once; absent when all are judged. */
	readonly unjudged?: string;
	/** For a Service: what was asked, so the plan can be made again from a newer snapshot. */
	readonly request?: {readonly spec: Extract<TargetSpec, {kind: 'service'}>; readonly via: Via; readonly clusterDomain?: string};
};

/**
 * Why a ClusterIP (or its DNS name) under internalTrafficPolicy Local is probed but not judged: which
 * endpoints may answer depends on the node the probe leaves from, which the plan does not know.
 */
export const internalLocalNote = 'not judged: internalTrafficPolicy Local sends ClusterIP traffic only to endpoints on the node it comes from, a node svctop does not know here';

/** A kind of object the cache could not read, and the API's reason. */
export type UnknownObjects = {readonly resource: 'services' | 'endpointslices' | 'nodes'; readonly reason: string};

export type ClusterObjects = {
	readonly services: readonly V1Service[];
	readonly endpointSlices: readonly V1EndpointSlice[];
	readonly nodes: readonly V1Node[];
	/** What could not be read: its (empty) list is unknown, not none. Default: everything was read. */
	readonly unknown?: readonly UnknownObjects[];
};

function unknownReasonOf(objects: ClusterObjects, resource: UnknownObjects['resource']): string | undefined {
	return objects.unknown?.find(entry => entry.resource === resource)?.reason;
}

/** `endpoints unknown (why)` and the like, for a line of its own. */
export function unknownText(entry: UnknownObjects): string {
	return `${entry.resource === 'endpointslices' ? 'endpoints' : entry.resource} unknown (${entry.reason})`;
}

/**
 * A plain `host:port` or URL: one series, attribution by conntrack or peer. Nothing is expected
 * unless this node's rules know the address (`nat`): then their split and affinity, as for `ns/name`.
 */
export function planAddressProbe(spec: Extract<TargetSpec, {kind: 'address'}>, nat?: AddressNatMatch): ProbePlan {
	const target = {
		label: spec.label,
		// A Service address in the rules: the socket's peer is that virtual address, which names no pod (only conntrack does).
		kind: nat?.entryKind ?? 'address' as const,
		host: spec.host,
		port: spec.port,
		protocol: 'TCP' as const,
		...(spec.scheme ? {scheme: spec.scheme} : {}),
		...(spec.path === undefined ? {} : {path: spec.path}),
	};
	return {
		series: [nat ? {target, expectation: nat.expectation, affinity: nat.affinity} : {target, affinity: {sessionAffinity: 'None', timeoutSeconds: null}}],
		description: nat ? `${spec.label} (${nat.service} ${nat.entryKind} in this node's rules)` : spec.label,
		protocol: 'TCP',
		index: buildEndpointIndex([]),
	};
}

/** Attribution context for a Service port: the index and the endpoints a response may name. */
export function attributionContext(objects: ClusterObjects, service: string, portName: string): {index: EndpointIndex; candidates: ResponseCandidates} {
	const index = buildEndpointIndex(objects.endpointSlices, objects.nodes);
	return {index, candidates: {entries: index.byService.get(service) ?? [], portName}};
}

/**
 * A Service target: its addresses (one series per node for NodePorts), what each should answer
 * with (shares from `probabilities` keyed `ip:port`, else 1/n of ready endpoints; Local policy per
 * node) and the session affinity it promises.
 */
export function planServiceProbe(
	objects: ClusterObjects,
	spec: Extract<TargetSpec, {kind: 'service'}>,
	via: Via,
	probabilities?: SharesSource,
	clusterDomain?: string,
): ProbePlan | {error: string} {
	const service = objects.services.find(candidate => candidate.metadata?.namespace === spec.namespace && candidate.metadata?.name === spec.name);
	if (!service) {
		const servicesUnknown = unknownReasonOf(objects, 'services');
		return {error: servicesUnknown === undefined
			? `service ${spec.namespace}/${spec.name} not found`
			: `services unknown (${servicesUnknown}): cannot tell whether ${spec.namespace}/${spec.name} exists`};
	}

	if (service.spec?.type === 'ExternalName' && (service.spec.ports ?? []).length === 0) {
		return planExternalNameLookup(service, spec, via);
	}

	const servicePort = pickServicePort(service, spec.port);
	if ('error' in servicePort) {
		return servicePort;
	}

	const key = serviceKey(service);
	// Over UDP svctop speaks DNS only: another UDP server need not answer a query, and its silence
	// would read as failures of a port that may well work.
	if (servicePort.protocol === 'UDP' && servicePort.port !== 53 && !/dns/i.test(servicePort.name ?? '')) {
		return {error: `${key}:${servicePort.name || servicePort.port} is UDP port ${servicePort.port}, not DNS (port 53 or a port named dns): svctop probes UDP only with DNS queries, which another UDP server need not answer, so no verdict can be drawn`};
	}

	const {index, candidates} = attributionContext(objects, key, servicePort.name ?? '');
	const targets = resolveServiceTargets(service, servicePort, via, objects.nodes, candidates.entries, clusterDomain);
	const nodesUnknown = unknownReasonOf(objects, 'nodes');
	if ('error' in targets) {
		return via === 'nodeport' && nodesUnknown !== undefined && objects.nodes.length === 0
			? {error: `nodes unknown (${nodesUnknown}): no node address to probe the NodePort on`}
			: targets;
	}

	const affinity = affinityPromise(service);
	// Without the EndpointSlices nothing is known of who may answer: no expectation, no cause, no drop.
	const unknown = (objects.unknown ?? []).filter(entry => entry.resource === 'endpointslices');
	const nodeBound = (target: ProbeTarget) => service.spec?.internalTrafficPolicy === 'Local' && (target.kind === 'clusterIP' || target.kind === 'dns');
	const series = targets.map(target => ({
		target,
		...(unknown.length > 0 || nodeBound(target) ? {} : {expectation: expectedForTarget(service, servicePort, target, candidates.entries, probabilities)}),
		affinity,
	}));
	const portLabel = servicePort.name ? servicePort.name : String(servicePort.port);
	const kinds = [...new Set(targets.map(target => target.kind))].join(',');
	const addresses = targets.length <= 3 ? targets.map(target => target.label).join(' ') : `${targets.length} addresses`;
	return {
		series,
		service: key,
		description: `${key}:${portLabel} (${kinds} ${addresses})`,
		...(servicePort.name ? {briefDescription: `${key} (${kinds} ${addresses})`} : {}),
		protocol: servicePort.protocol === 'UDP' ? 'UDP' : 'TCP',
		servicePort,
		index,
		candidates,
		...(unknown.length > 0 ? {unknown} : {}),
		...(targets.some(target => nodeBound(target)) ? {unjudged: internalLocalNote} : {}),
		request: {spec, via, ...(clusterDomain === undefined ? {} : {clusterDomain})},
	};
}

/**
 * An ExternalName Service without ports is a CNAME and nothing more: it is probed through the name
 * it points to, one lookup per probe (which addresses it resolves to, and whether it does).
 */
function planExternalNameLookup(service: V1Service, spec: Extract<TargetSpec, {kind: 'service'}>, via: Via): ProbePlan | {error: string} {
	const key = serviceKey(service);
	const name = service.spec?.externalName;
	if (!name) {
		return {error: `service ${key} is ExternalName without a target`};
	}

	if (via !== 'clusterip') {
		return {error: `service ${key} is ExternalName without ports: only its name ${name} can be probed`};
	}

	const target = {label: name, kind: 'dns' as const, host: name, port: 0, protocol: 'TCP' as const};
	return {
		series: [{target, affinity: affinityPromise(undefined)}],
		service: key,
		description: `${key} (ExternalName: lookups of ${name})`,
		protocol: 'TCP',
		mode: 'resolve',
		index: buildEndpointIndex([]),
		request: {spec, via},
	};
}

/** What each series (by label) should see now. */
export type LiveExpectations = ReadonlyMap<string, Expectation>;

export type LivePlan = {
	readonly index: EndpointIndex;
	readonly candidates?: ResponseCandidates;
	readonly expectations: LiveExpectations;
};

/**
 * The plan made again from a newer snapshot: the attribution index and what each of the original
 * series (same labels) should see now. A series whose address is gone, or a Service that is gone,
 * expects nothing. Address probes expect what they always did.
 */
export function replan(objects: ClusterObjects, plan: ProbePlan, probabilities?: SharesSource): LivePlan {
	const fresh = plan.request ? planServiceProbe(objects, plan.request.spec, plan.request.via, probabilities, plan.request.clusterDomain) : undefined;
	const expectations = new Map<string, Expectation>();
	const gone: Expectation = {shares: {}, reachable: false, reason: fresh && 'error' in fresh ? fresh.error : 'address gone', basis: 'ready'};
	const current = fresh && !('error' in fresh) ? new Map(fresh.series.map(spec => [spec.target.label, spec.expectation])) : undefined;
	// What cannot be read promises nothing: no expectation, rather than one of a Service gone.
	const unread = objects.unknown?.some(entry => entry.resource === 'services' || entry.resource === 'endpointslices') ?? false;
	for (const spec of plan.series) {
		// A series the fresh plan has but expects nothing of (an ExternalName lookup) is not gone.
		const expectation = plan.request
			? (current?.has(spec.target.label) ? current.get(spec.target.label) : (unread ? undefined : gone))
			: spec.expectation;
		if (expectation) {
			expectations.set(spec.target.label, expectation);
		}
	}

	if (fresh && !('error' in fresh)) {
		return {index: fresh.index, candidates: fresh.candidates, expectations};
	}

	// The Service vanished: keep naming its old pods by the index we had.
	const {index, candidates} = plan.request && plan.service && plan.candidates
		? attributionContext(objects, plan.service, plan.candidates.portName)
		: plan;
	return {index, ...(candidates ? {candidates} : {}), expectations};
}

/** What the probe screen may choose for a Service: its ports (by name, else number) and the targets this port has. */
export type ProbeChoices = {
	readonly ports: readonly string[];
	/** The `--via` values that give at least one address for the chosen port, in `viaValues` order. */
	readonly vias: readonly Via[];
};

export function probeChoices(objects: ClusterObjects, spec: Extract<TargetSpec, {kind: 'service'}>): ProbeChoices {
	const service = objects.services.find(candidate => candidate.metadata?.namespace === spec.namespace && candidate.metadata?.name === spec.name);
	const ports = (service?.spec?.ports ?? []).map(port => port.name || String(port.port));
	if (service?.spec?.type === 'ExternalName' && ports.length === 0) {
		return {ports, vias: service.spec.externalName ? ['clusterip'] : []};
	}

	const servicePort = service ? pickServicePort(service, spec.port) : undefined;
	if (!service || !servicePort || 'error' in servicePort) {
		return {ports, vias: []};
	}

	// Read on every cluster change: index this Service's slices only, not the whole cluster's.
	const own = objects.endpointSlices.filter(slice => slice.metadata?.namespace === spec.namespace && slice.metadata?.labels?.['kubernetes.io/service-name'] === spec.name);
	const entries = buildEndpointIndex(own).byService.get(serviceKey(service)) ?? [];
	// Exactly the targets the plan would accept: the same resolver decides.
	const vias = viaValues.filter(via => !('error' in resolveServiceTargets(service, servicePort, via, objects.nodes, entries)));
	return {ports, vias};
}
