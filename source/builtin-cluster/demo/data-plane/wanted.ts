import type {V1EndpointSlice, V1Node, V1Service} from '@kubernetes/client-node';

/** The objects the data plane serves, re-read on every connection and every reconcile. */
export type DemoObjects = {
	services: readonly V1Service[];
	slices: readonly V1EndpointSlice[];
	nodes: readonly V1Node[];
};

export type AddressKind = 'clusterIP' | 'nodePort' | 'externalIP' | 'loadBalancer';

export type Protocol = 'TCP' | 'UDP';

export const protocols: readonly Protocol[] = ['TCP', 'UDP'];

export type ServiceAddress = {
	readonly key: string;
	readonly service: string;
	readonly portName: string;
	readonly protocol: Protocol;
	readonly kind: AddressKind;
	readonly node?: string;
};

export type Endpoint = {
	readonly ip: string;
	readonly port: number;
	readonly pod: string | null;
	readonly hostname: string;
	readonly node: string | null;
	readonly ready: boolean;
	readonly service: string;
	readonly portName: string;
	readonly protocol: Protocol;
};

/** What an address wants served, per protocol. */
export type Wanted<T> = Partial<Record<Protocol, T>>;

export function addressKey(host: string, port: number): string {
	return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function serviceKeyOf(service: V1Service): string {
	return `${service.metadata?.namespace ?? 'default'}/${service.metadata?.name ?? ''}`;
}

/** Every TCP and UDP address of every Service port, as kube-proxy would program it. */
export function serviceAddresses(objects: DemoObjects, clusterDomain: string): Map<string, Wanted<ServiceAddress>> {
	const out = new Map<string, Wanted<ServiceAddress>>();
	const nodeIps = objects.nodes.flatMap(node => {
		const ip = node.status?.addresses?.find(address => address.type === 'InternalIP')?.address;
		return ip && node.metadata?.name ? [{ip, node: node.metadata.name}] : [];
	});
	for (const service of objects.services) {
		const spec = service.spec ?? {};
		if (spec.type === 'ExternalName') {
			continue;
		}

		const key = serviceKeyOf(service);
		for (const port of spec.ports ?? []) {
			const declared = port.protocol ?? 'TCP';
			if (declared !== 'TCP' && declared !== 'UDP') {
				continue;
			}

			const protocol: Protocol = declared;
			const base = {service: key, portName: port.name ?? '', protocol};
			const add = (host: string, number: number, kind: AddressKind, node?: string) => {
				const address = addressKey(host, number);
				const wanted = out.get(address) ?? {};
				wanted[protocol] ??= {...base, key: address, kind, ...(node ? {node} : {})};
				out.set(address, wanted);
			};

			for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) {
				if (ip !== 'None') {
					add(ip, port.port, 'clusterIP');
					add(`${service.metadata?.name}.${service.metadata?.namespace}.svc.${clusterDomain}`, port.port, 'clusterIP');
				}
			}

			if (port.nodePort !== undefined) {
				for (const {ip, node} of nodeIps) {
					add(ip, port.nodePort, 'nodePort', node);
				}
			}

			for (const ip of spec.externalIPs ?? []) {
				add(ip, port.port, 'externalIP');
			}

			for (const ingress of service.status?.loadBalancer?.ingress ?? []) {
				const host = ingress.ip ?? ingress.hostname;
				if (host) {
					add(host, port.port, 'loadBalancer');
				}
			}
		}
	}

	return out;
}

/** Every endpoint address and TCP or UDP port of every slice (ready or not: a pod answers when dialled directly). */
export function endpointsOf(objects: DemoObjects): Endpoint[] {
	const out: Endpoint[] = [];
	for (const slice of objects.slices) {
		const serviceName = slice.metadata?.labels?.['kubernetes.io/service-name'];
		if (!serviceName) {
			continue;
		}

		const service = `${slice.metadata?.namespace ?? 'default'}/${serviceName}`;
		for (const endpoint of slice.endpoints ?? []) {
			for (const ip of endpoint.addresses ?? []) {
				for (const port of slice.ports ?? []) {
					const protocol = port.protocol ?? 'TCP';
					if (port.port === undefined || (protocol !== 'TCP' && protocol !== 'UDP')) {
						continue;
					}

					out.push({
						ip,
						port: port.port,
						pod: endpoint.targetRef?.name ?? null,
						hostname: endpoint.hostname ?? endpoint.targetRef?.name ?? ip,
						node: endpoint.nodeName ?? null,
						ready: endpoint.conditions?.ready !== false,
						service,
						portName: port.name ?? '',
						protocol,
					});
				}
			}
		}
	}

	return out;
}

/**
 * The pod servers: an echo HTTP server on every TCP endpoint port, a DNS responder on every UDP
 * endpoint port 53 or named `dns` (the demo's UDP pods are CoreDNS). Other UDP endpoint ports get
 * nothing, like a pod that does not listen there: datagrams to them go unanswered.
 */
export function podServers(endpoints: readonly Endpoint[]): Map<string, Wanted<Endpoint>> {
	const out = new Map<string, Wanted<Endpoint>>();
	for (const endpoint of endpoints) {
		if (endpoint.protocol === 'UDP' && endpoint.port !== 53 && endpoint.portName !== 'dns') {
			continue;
		}

		const key = addressKey(endpoint.ip, endpoint.port);
		const wanted = out.get(key) ?? {};
		wanted[endpoint.protocol] ??= endpoint;
		out.set(key, wanted);
	}

	return out;
}
