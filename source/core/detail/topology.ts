/*
 * Topology-aware routing as kube-proxy applies it (pkg/proxy/topology.go): for traffic under a Cluster
 * policy, a node uses only the ready endpoints hinted for it (hints.forNodes) or for its zone
 * (hints.forZones), and only when *every* ready endpoint carries such a hint and at least one names this
 * node or zone; otherwise it falls back to every ready endpoint. The EndpointSlice controller writes the
 * hints for spec.trafficDistribution (PreferSameZone, its older name PreferClose, and PreferSameNode).
 */

export type EndpointHints = {readonly forZones: readonly string[]; readonly forNodes: readonly string[]};

/** What topology needs of one endpoint. */
export type TopologyEndpoint = {
	/** The pod name, or the address without a pod. */
	readonly label: string;
	readonly ready: boolean;
	readonly serving: boolean;
	readonly terminating: boolean;
	readonly hints: EndpointHints;
};

export type TopologyMode = 'PreferSameNode' | 'PreferSameZone';

export type NodeTopology = {
	readonly node: string;
	readonly zone: string | null;
	/** The hints this node's kube-proxy follows, null when it falls back to every endpoint. */
	readonly mode: TopologyMode | null;
	/** The endpoints it sends Cluster-policy traffic to. */
	readonly endpoints: readonly string[];
	/** Why, in a few words. */
	readonly reason: string;
};

export type TopologyDetail = {
	/** spec.trafficDistribution as written. */
	readonly trafficDistribution: string | null;
	readonly readyEndpoints: number;
	/** Ready endpoints carrying zone, and node, hints. */
	readonly zoneHinted: number;
	readonly nodeHinted: number;
	/** The traffic kube-proxy filters by hints: only what a Cluster policy governs. */
	readonly appliesTo: readonly string[];
	/** Every cluster node, sorted by name; null when the nodes could not be read. */
	readonly nodes: readonly NodeTopology[] | null;
};

export type TopologyService = {
	readonly type: string;
	readonly externalTrafficPolicy: string | null;
	readonly internalTrafficPolicy: string | null;
	readonly trafficDistribution: string | null;
	readonly hasExternalAddresses: boolean;
};

/** `PreferClose (older name of PreferSameZone)`, or the value as written. */
export function trafficDistributionName(value: string): string {
	return value === 'PreferClose' ? 'PreferClose (older name of PreferSameZone)' : value;
}

/** What a trafficDistribution asks of each node, in words. */
export function trafficDistributionMeaning(value: string): string {
	switch (value) {
		case 'PreferClose':
		case 'PreferSameZone': {
			return 'nodes prefer endpoints in their own zone';
		}

		case 'PreferSameNode': {
			return 'nodes prefer endpoints on themselves, then in their zone';
		}

		default: {
			return 'a value svctop does not know';
		}
	}
}

function appliesTo(service: TopologyService): string[] {
	const result: string[] = [];
	if (service.internalTrafficPolicy !== 'Local') {
		result.push('in-cluster traffic (internalTrafficPolicy Cluster)');
	}

	const external = service.type === 'NodePort' || service.type === 'LoadBalancer' || service.hasExternalAddresses;
	if (external && service.externalTrafficPolicy !== 'Local') {
		result.push('external traffic (externalTrafficPolicy Cluster)');
	}

	return result;
}

function modeFor(ready: readonly TopologyEndpoint[], node: string, zone: string | null): {mode: TopologyMode | null; reason: string} {
	if (ready.length === 0) {
		return {mode: null, reason: 'no ready endpoint, hints do not apply'};
	}

	const nodeHinted = ready.filter(endpoint => endpoint.hints.forNodes.length > 0);
	const zoneHinted = ready.filter(endpoint => endpoint.hints.forZones.length > 0);
	if (nodeHinted.length === ready.length && ready.some(endpoint => endpoint.hints.forNodes.includes(node))) {
		return {mode: 'PreferSameNode', reason: 'node hint'};
	}

	if (zoneHinted.length === ready.length) {
		if (zone === null) {
			return {mode: null, reason: 'node has no topology.kubernetes.io/zone label'};
		}

		if (ready.some(endpoint => endpoint.hints.forZones.includes(zone))) {
			return {mode: 'PreferSameZone', reason: 'zone hint'};
		}

		return {mode: null, reason: `no endpoint hinted for ${zone}`};
	}

	if (zoneHinted.length === 0 && nodeHinted.length === 0) {
		return {mode: null, reason: 'no hints'};
	}

	return {mode: null, reason: `${ready.length - zoneHinted.length} of ${ready.length} ready endpoints lack a zone hint`};
}

/** Which endpoints each node's kube-proxy uses for Cluster-policy traffic, given the hints. Pure. */
export function topologyOf(
	service: TopologyService,
	endpoints: readonly TopologyEndpoint[],
	nodes: ReadonlyArray<{readonly node: string; readonly zone: string | null}> | null,
): TopologyDetail {
	const ready = endpoints.filter(endpoint => endpoint.ready);
	// Without a ready endpoint kube-proxy takes the serving, terminating ones, hints aside.
	const fallback = ready.length > 0 ? ready : endpoints.filter(endpoint => endpoint.serving && endpoint.terminating);
	return {
		trafficDistribution: service.trafficDistribution,
		readyEndpoints: ready.length,
		zoneHinted: ready.filter(endpoint => endpoint.hints.forZones.length > 0).length,
		nodeHinted: ready.filter(endpoint => endpoint.hints.forNodes.length > 0).length,
		appliesTo: appliesTo(service),
		nodes: nodes?.map(({node, zone}) => {
			const {mode, reason} = modeFor(ready, node, zone);
			const used = mode === 'PreferSameNode'
				? ready.filter(endpoint => endpoint.hints.forNodes.includes(node))
				: mode === 'PreferSameZone'
					? ready.filter(endpoint => endpoint.hints.forZones.includes(zone ?? ''))
					: fallback;
			return {node, zone, mode, endpoints: used.map(endpoint => endpoint.label), reason};
		}) ?? null,
	};
}

/** True when there is something about topology to say: a trafficDistribution or any hint. */
export function hasTopology(topology: TopologyDetail): boolean {
	return topology.trafficDistribution !== null || topology.zoneHinted > 0 || topology.nodeHinted > 0;
}
