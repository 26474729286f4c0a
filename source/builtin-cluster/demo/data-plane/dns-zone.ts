import net from 'node:net';
import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import type {DnsRecord, DnsReply} from '../../../node/probe/dns-message.js';

/** CoreDNS's kubernetes plugin answers with a 5 second TTL unless configured otherwise. */
const ttl = 5;

const typeA = 1;
const classIn = 1;
const rcodes = {noError: 0, nxDomain: 3, refused: 5} as const;

export type ZoneObjects = {
	readonly services: readonly V1Service[];
	readonly slices: readonly V1EndpointSlice[];
};

export type ZoneQuestion = {
	/** Lower case, no trailing dot. */
	readonly name: string;
	readonly type: number;
	readonly class: number;
};

/**
 * The names a Service answers to: its FQDN `<svc>.<ns>.svc.<domain>`, and the shorter
 * `<svc>.<ns>.svc` and `<svc>.<ns>` that a pod's resolver expands through its search list
 * (`<ns>.svc.<domain> svc.<domain> <domain>`) before they reach CoreDNS. A bare `<svc>` is
 * relative to the asking pod's namespace and is not answered.
 */
function serviceNames(service: V1Service, clusterDomain: string): string[] {
	const name = service.metadata?.name?.toLowerCase();
	const namespace = (service.metadata?.namespace ?? 'default').toLowerCase();
	if (!name) {
		return [];
	}

	const base = `${name}.${namespace}`;
	return [`${base}.svc.${clusterDomain}`, `${base}.svc`, base];
}

/** Ready IPv4 endpoint addresses of a headless Service, deduplicated, in slice order. */
function headlessAddresses(service: V1Service, slices: readonly V1EndpointSlice[]): string[] {
	const namespace = service.metadata?.namespace ?? 'default';
	const seen = new Set<string>();
	for (const slice of slices) {
		if ((slice.metadata?.namespace ?? 'default') !== namespace
			|| slice.metadata?.labels?.['kubernetes.io/service-name'] !== service.metadata?.name
			|| slice.addressType !== 'IPv4') {
			continue;
		}

		for (const endpoint of slice.endpoints ?? []) {
			if (endpoint.conditions?.ready === false) {
				continue;
			}

			for (const address of endpoint.addresses ?? []) {
				seen.add(address);
			}
		}
	}

	return [...seen];
}

/**
 * What a CoreDNS pod of the cluster answers for one question, read from the live objects: a
 * ClusterIP Service's A records are its IPv4 ClusterIPs; a headless one's are its ready endpoints
 * (NXDOMAIN when it has none, as the kubernetes plugin says); an ExternalName Service is a CNAME
 * to its external name, whatever the type asked. A known name asked for another type is NOERROR
 * with no records. Anything else is NXDOMAIN: the demo has no upstream to forward to, and says so
 * authoritatively only inside the cluster domain. Only class IN is served.
 */
export function answerFromObjects(objects: ZoneObjects, question: ZoneQuestion, clusterDomain = 'cluster.local'): Omit<DnsReply, 'nsid'> {
	const domain = clusterDomain.toLowerCase().replace(/\.$/, '');
	const inZone = question.name === domain || question.name.endsWith(`.${domain}`);
	if (question.class !== classIn) {
		return {rcode: rcodes.refused, authoritative: false, answers: []};
	}

	const service = objects.services.find(candidate => serviceNames(candidate, domain).includes(question.name));
	const nxDomain = {rcode: rcodes.nxDomain, authoritative: inZone, answers: []};
	if (!service) {
		return nxDomain;
	}

	const spec = service.spec ?? {};
	if (spec.type === 'ExternalName') {
		return spec.externalName
			? {rcode: rcodes.noError, authoritative: inZone, answers: [{type: 'CNAME', target: spec.externalName, ttl}]}
			: nxDomain;
	}

	const clusterIps = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
	const headless = clusterIps.length === 0 || clusterIps.includes('None');
	const addresses = headless ? headlessAddresses(service, objects.slices) : clusterIps.filter(ip => net.isIPv4(ip));
	if (headless && addresses.length === 0) {
		return nxDomain;
	}

	const answers: DnsRecord[] = question.type === typeA ? addresses.map(address => ({type: 'A', address, ttl})) : [];
	return {rcode: rcodes.noError, authoritative: inZone, answers};
}
