import type {V1EndpointSlice, V1Node, V1Service} from '@kubernetes/client-node';

/** One endpoint address of one Service, with what the API says about it. */
export type EndpointEntry = {
	/** `namespace/name` of the Service that owns the slice. */
	readonly service: string;
	readonly namespace: string;
	readonly ip: string;
	/** The pod (targetRef) name, null for manual endpoints. */
	readonly pod: string | null;
	readonly node: string | null;
	/** The endpoint's hostname (StatefulSets), null when unset. */
	readonly hostname: string | null;
	readonly ready: boolean;
	/** Port number by port name ('' for an unnamed port). */
	readonly ports: Readonly<Record<string, number>>;
	readonly protocols: Readonly<Record<string, string>>;
};

/** Maps addresses to pods and nodes, built from EndpointSlices and Nodes. */
export type EndpointIndex = {
	readonly byIp: ReadonlyMap<string, readonly EndpointEntry[]>;
	readonly byService: ReadonlyMap<string, readonly EndpointEntry[]>;
	readonly byPod: ReadonlyMap<string, EndpointEntry>;
	/** Node name by InternalIP / ExternalIP (hostNetwork pods answer with these). */
	readonly nodeByIp: ReadonlyMap<string, string>;
};

export const serviceOfSliceLabel = 'kubernetes.io/service-name';

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
	const list = map.get(key);
	if (list) {
		list.push(value);
	} else {
		map.set(key, [value]);
	}
}

/**
 * Builds the index. An address that appears in several slices (a pod behind two Services)
 * keeps one entry per Service; `lookupAddress` picks the right one by Service and port.
 */
export function buildEndpointIndex(
	slices: readonly V1EndpointSlice[],
	nodes: readonly V1Node[] = [],
): EndpointIndex {
	const byIp = new Map<string, EndpointEntry[]>();
	const byService = new Map<string, EndpointEntry[]>();
	const byPod = new Map<string, EndpointEntry>();
	for (const slice of slices) {
		const namespace = slice.metadata?.namespace ?? 'default';
		const serviceName = slice.metadata?.labels?.[serviceOfSliceLabel];
		if (!serviceName) {
			continue;
		}

		const service = `${namespace}/${serviceName}`;
		const ports: Record<string, number> = {};
		const protocols: Record<string, string> = {};
		for (const port of slice.ports ?? []) {
			if (port.port !== undefined) {
				ports[port.name ?? ''] = port.port;
				protocols[port.name ?? ''] = port.protocol ?? 'TCP';
			}
		}

		for (const endpoint of slice.endpoints ?? []) {
			const pod = endpoint.targetRef?.kind === 'Pod' || endpoint.targetRef?.kind === undefined
				? endpoint.targetRef?.name ?? null
				: null;
			for (const ip of endpoint.addresses ?? []) {
				const entry: EndpointEntry = {
					service,
					namespace,
					ip,
					pod,
					node: endpoint.nodeName ?? null,
					hostname: endpoint.hostname ?? null,
					// The API documents a missing `ready` as "unknown, treat as ready".
					ready: endpoint.conditions?.ready !== false,
					ports,
					protocols,
				};
				push(byIp, ip, entry);
				push(byService, service, entry);
				if (pod) {
					byPod.set(`${namespace}/${pod}`, entry);
				}
			}
		}
	}

	const nodeByIp = new Map<string, string>();
	for (const node of nodes) {
		for (const address of node.status?.addresses ?? []) {
			if ((address.type === 'InternalIP' || address.type === 'ExternalIP') && node.metadata?.name) {
				nodeByIp.set(address.address, node.metadata.name);
			}
		}
	}

	return {byIp, byService, byPod, nodeByIp};
}

export type AddressOwner = {
	readonly pod: string | null;
	readonly node: string | null;
	readonly entry?: EndpointEntry;
};

/**
 * Who owns `ip` (and `port`, when given): the endpoint of `service` first, then any endpoint
 * with that port, then any endpoint with that IP, then a node (hostNetwork). Undefined when unknown.
 */
export function lookupAddress(
	index: EndpointIndex,
	ip: string,
	port?: number,
	service?: string,
): AddressOwner | undefined {
	const entries = index.byIp.get(ip) ?? [];
	const hasPort = (entry: EndpointEntry) => port === undefined || Object.values(entry.ports).includes(port);
	const entry = entries.find(candidate => candidate.service === service && hasPort(candidate))
		?? entries.find(candidate => hasPort(candidate))
		?? entries[0];
	if (entry) {
		return {pod: entry.pod, node: entry.node ?? index.nodeByIp.get(ip) ?? null, entry};
	}

	const node = index.nodeByIp.get(ip);
	return node === undefined ? undefined : {pod: null, node};
}

export function serviceKey(service: V1Service): string {
	return `${service.metadata?.namespace ?? 'default'}/${service.metadata?.name ?? ''}`;
}
