import type {V1Endpoint, V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {humanDuration} from './human-duration.js';
import {unservedPorts} from './unserved-ports.js';

export {humanDuration} from './human-duration.js';

/** One Service as a table row: kubectl's server-side printer columns plus what kubectl lacks. */
export type ServiceRow = {
	/** `namespace/name`, the row key. */
	readonly key: string;
	readonly namespace: string;
	readonly name: string;
	/** `spec.type` as printed (kubectl prints it verbatim, even when empty). */
	readonly type: string;
	/** `clusterIPs[0]`, `None` for headless, `<none>` when unset (ExternalName). */
	readonly clusterIP: string;
	/** EXTERNAL-IP as `-o wide` prints it. */
	readonly externalIP: string;
	/** EXTERNAL-IP as the plain table prints it: the load-balancer part clipped to 13 chars + `...` past 16. */
	readonly externalIPShort: string;
	/** PORT(S): `port/PROTO` or `port:nodePort/PROTO`, comma-joined; `<none>` without ports. */
	readonly ports: string;
	/** SELECTOR: `k=v` sorted by key, comma-joined; `<none>` without a selector. */
	readonly selector: string;
	/** AGE: kubectl's human duration, `<unknown>` without a creation timestamp. */
	readonly age: string;
	/**
	 * Distinct backends across all the Service's EndpointSlices (see `countEndpoints`); null when the
	 * EndpointSlices could not be read, which is unknown, not zero.
	 */
	readonly endpoints: {readonly ready: number; readonly total: number} | null;
	/** Short human phrases, e.g. `no endpoints`, `no ready endpoints`, `load balancer pending`. */
	readonly warnings: readonly string[];
	/**
	 * What could not be checked, with why: the warnings drawn from it are neither claimed nor denied,
	 * so a row with any is not clean. Empty when everything the row rests on was read.
	 */
	readonly unknown: ReadonlyArray<{readonly what: 'endpoints'; readonly reason: string}>;
	/** Creation time in epoch ms, for sorting by age; undefined without a timestamp. */
	readonly createdAt: number | undefined;
};

export type ServiceRowOptions = {
	/**
	 * Why the EndpointSlices are not known (forbidden, failing, never answered), or undefined when
	 * they are listed. When set, `endpoints` is null, no endpoint warning is drawn from the missing
	 * data, and `unknown` says so with this reason.
	 */
	readonly slicesUnknown?: string;
};

/** The label the EndpointSlice controller (and the mirroring controller) sets to the Service's name. */
export const serviceNameLabel = 'kubernetes.io/service-name';

/** kubectl's loadBalancerWidth: the non-wide EXTERNAL-IP clips the load-balancer part past this. */
const loadBalancerWidth = 16;

export const warningNoEndpoints = 'no endpoints';
export const warningNoReadyEndpoints = 'no ready endpoints';
export const warningLoadBalancerPending = 'load balancer pending';

/** ENDPOINTS as printed: `ready/total`, or `?/?` when the EndpointSlices could not be read. */
export function endpointsColumn(endpoints: ServiceRow['endpoints']): string {
	return endpoints === null ? '?/?' : `${endpoints.ready}/${endpoints.total}`;
}

/**
 * The row of one Service. `slices` are this Service's EndpointSlices (label
 * `kubernetes.io/service-name`, same namespace); `now` is epoch ms.
 */
export function serviceRow(
	service: V1Service,
	slices: readonly V1EndpointSlice[],
	now: number,
	options: ServiceRowOptions = {},
): ServiceRow {
	const namespace = service.metadata?.namespace ?? '';
	const name = service.metadata?.name ?? '';
	const spec = service.spec ?? {};
	const type = spec.type ?? '';
	const createdAt = timestampMs(service.metadata?.creationTimestamp);
	// An ExternalName has no endpoints by definition (the controller writes it no slices): that needs no slice data.
	const slicesKnown = options.slicesUnknown === undefined;
	const endpoints = slicesKnown ? countEndpoints(slices) : type === 'ExternalName' ? countEndpoints([]) : null;
	const unknown = endpoints === null ? [{what: 'endpoints' as const, reason: options.slicesUnknown!}] : [];
	const lbIngress = loadBalancerIngress(service);

	const warnings: string[] = [];
	if (type === 'LoadBalancer' && lbIngress.length === 0) {
		warnings.push(warningLoadBalancerPending);
	}

	if (type !== 'ExternalName' && endpoints !== null) {
		if (endpoints.total === 0) {
			warnings.push(warningNoEndpoints);
		} else if (endpoints.ready === 0) {
			warnings.push(warningNoReadyEndpoints);
		}

		// kube-proxy matches a Service port to the slices' ports by name and protocol: a port none lists
		// has no backend (its traffic is rejected), however many endpoints are ready.
		const ports = (spec.ports ?? []).map(port => ({name: port.name ?? '', port: port.port, protocol: port.protocol ?? 'TCP'}));
		for (const port of unservedPorts(ports, slices)) {
			warnings.push(port.servedOver.length > 0
				? `port ${port.port}/${port.protocol} served over ${port.servedOver.join(',')} only`
				: `port ${port.port}/${port.protocol}: no endpoint port ${port.name ? `named ${port.name}` : 'without a name'}`);
		}
	}

	return {
		key: `${namespace}/${name}`,
		namespace,
		name,
		type,
		clusterIP: clusterIPColumn(service),
		externalIP: externalIPColumn(service, lbIngress, true),
		externalIPShort: externalIPColumn(service, lbIngress, false),
		ports: portsColumn(service),
		selector: selectorColumn(spec.selector),
		age: createdAt === undefined ? '<unknown>' : humanDuration(now - createdAt),
		endpoints,
		warnings,
		unknown,
		createdAt,
	};
}

/**
 * Rows of many Services, sorted by namespace then name (the API's own list order). Slices are grouped
 * once by namespace and `kubernetes.io/service-name`, so the cost is linear in services + slices.
 */
export function serviceRows(
	services: readonly V1Service[],
	allSlices: readonly V1EndpointSlice[],
	now: number,
	options: ServiceRowOptions = {},
): ServiceRow[] {
	const slicesByService = groupSlicesByService(allSlices);
	const none: V1EndpointSlice[] = [];
	const rows = services.map(service =>
		serviceRow(
			service,
			slicesByService.get(`${service.metadata?.namespace ?? ''}/${service.metadata?.name ?? ''}`) ?? none,
			now,
			options,
		));
	return rows.sort(compareRows);
}

/** Slices keyed by `namespace/service-name`; slices without the label belong to no Service. */
export function groupSlicesByService(slices: readonly V1EndpointSlice[]): Map<string, V1EndpointSlice[]> {
	const groups = new Map<string, V1EndpointSlice[]>();
	for (const slice of slices) {
		const serviceName = slice.metadata?.labels?.[serviceNameLabel];
		if (!serviceName) {
			continue;
		}

		const key = `${slice.metadata?.namespace ?? ''}/${serviceName}`;
		const group = groups.get(key);
		if (group) {
			group.push(slice);
		} else {
			groups.set(key, [slice]);
		}
	}

	return groups;
}

/** Namespace, then name, in byte order as the API server lists them. */
export function compareRows(a: {namespace: string; name: string}, b: {namespace: string; name: string}): number {
	if (a.namespace !== b.namespace) {
		return a.namespace < b.namespace ? -1 : 1;
	}

	if (a.name !== b.name) {
		return a.name < b.name ? -1 : 1;
	}

	return 0;
}

/**
 * The identity of one backend across slices. A dual-stack Service has one slice per address family
 * and lists every pod in both, and the controller may briefly list one endpoint in two slices while
 * it rebalances them (the API tells consumers to de-duplicate), so a backend is its targetRef when it
 * has one, otherwise its address. Counting addresses instead would report 6 endpoints for 3 dual-stack
 * pods, which is not what a person asking "how many backends serve this?" means.
 */
export function endpointIdentity(slice: V1EndpointSlice, endpoint: V1Endpoint): string {
	const ref = endpoint.targetRef;
	if (ref?.uid) {
		return `uid:${ref.uid}`;
	}

	if (ref?.name) {
		return `ref:${ref.kind ?? ''}/${ref.namespace ?? slice.metadata?.namespace ?? ''}/${ref.name}`;
	}

	return `addr:${slice.addressType}/${endpoint.addresses?.[0] ?? ''}`;
}

/** `conditions.ready`; unset means ready, as the EndpointSlice API documents and kube-proxy reads it. */
export function isEndpointReady(endpoint: V1Endpoint): boolean {
	return endpoint.conditions?.ready ?? true;
}

/**
 * Distinct backends across all slices of one Service and how many of them are ready. A backend listed
 * more than once counts as ready when any copy is ready (kube-proxy prefers the ready copy too).
 */
export function countEndpoints(slices: readonly V1EndpointSlice[]): {ready: number; total: number} {
	// Fast path for the common single-slice, single-stack case: no duplicates across slices to merge.
	if (slices.length === 1) {
		const endpoints = slices[0]!.endpoints ?? [];
		let ready = 0;
		let unique = true;
		const seen = new Set<string>();
		for (const endpoint of endpoints) {
			const id = endpointIdentity(slices[0]!, endpoint);
			if (seen.has(id)) {
				unique = false;
				break;
			}

			seen.add(id);
			if (isEndpointReady(endpoint)) {
				ready++;
			}
		}

		if (unique) {
			return {ready, total: endpoints.length};
		}
	}

	const readiness = new Map<string, boolean>();
	for (const slice of slices) {
		for (const endpoint of slice.endpoints ?? []) {
			const id = endpointIdentity(slice, endpoint);
			if (readiness.get(id) !== true) {
				readiness.set(id, isEndpointReady(endpoint));
			}
		}
	}

	let ready = 0;
	for (const isReady of readiness.values()) {
		if (isReady) {
			ready++;
		}
	}

	return {ready, total: readiness.size};
}

/** CLUSTER-IP: `clusterIPs[0]`; servers before dual-stack only set `clusterIP`, so fall back to it. */
function clusterIPColumn(service: V1Service): string {
	const first = service.spec?.clusterIPs?.[0] ?? service.spec?.clusterIP;
	return first ? first : '<none>';
}

/** Each ingress contributes its IP, or its hostname when it has no IP; de-duplicated and sorted. */
function loadBalancerIngress(service: V1Service): string[] {
	const values = new Set<string>();
	for (const ingress of service.status?.loadBalancer?.ingress ?? []) {
		if (ingress.ip) {
			values.add(ingress.ip);
		} else if (ingress.hostname) {
			values.add(ingress.hostname);
		}
	}

	return [...values].sort();
}

function externalIPColumn(service: V1Service, lbIngress: readonly string[], wide: boolean): string {
	const spec = service.spec ?? {};
	const externalIPs = spec.externalIPs ?? [];
	switch (spec.type) {
		case 'ClusterIP':
		case 'NodePort': {
			return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
		}

		case 'LoadBalancer': {
			let lb = lbIngress.join(',');
			if (!wide && lb.length > loadBalancerWidth) {
				lb = `${lb.slice(0, loadBalancerWidth - 3)}...`;
			}

			if (externalIPs.length > 0) {
				return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
			}

			return lb || '<pending>';
		}

		case 'ExternalName': {
			return spec.externalName ?? '';
		}

		default: {
			return '<unknown>';
		}
	}
}

function portsColumn(service: V1Service): string {
	const ports = service.spec?.ports ?? [];
	if (ports.length === 0) {
		return '<none>';
	}

	return ports
		.map(port => {
			const protocol = port.protocol ?? '';
			return port.nodePort && port.nodePort > 0
				? `${port.port}:${port.nodePort}/${protocol}`
				: `${port.port}/${protocol}`;
		})
		.join(',');
}

/** labels.FormatLabels: `k=v` sorted by key, comma-joined, `<none>` when empty. */
export function selectorColumn(selector: Readonly<Record<string, string>> | undefined): string {
	const keys = Object.keys(selector ?? {}).sort();
	if (keys.length === 0) {
		return '<none>';
	}

	return keys.map(key => `${key}=${selector![key]}`).join(',');
}

/** Timestamps arrive as Date from the client's deserializer, or as RFC 3339 strings from raw JSON. */
export function timestampMs(value: Date | string | undefined | null): number | undefined {
	if (value === undefined || value === null) {
		return undefined;
	}

	const ms = value instanceof Date ? value.getTime() : Date.parse(value);
	return Number.isNaN(ms) ? undefined : ms;
}
