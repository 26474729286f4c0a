import type {DnsClient} from '../../node/resolve-name.js';
import {answerFromObjects, type ZoneObjects} from './data-plane/dns-zone.js';

const typeA = 1;
const typeAaaa = 28;
const typeCname = 5;
const classIn = 1;

/** The error a resolver gives for a name that does not exist, in node's words. */
function notFound(call: string, name: string): Error {
	return Object.assign(new Error(`${call} ENOTFOUND ${name}`), {code: 'ENOTFOUND', hostname: name});
}

/**
 * The demo cluster's own DNS, answered from its live objects the way its CoreDNS would: names inside
 * the cluster resolve, anything else is NXDOMAIN (the demo has no upstream). `--demo` resolves
 * ExternalName targets through this, so it never sends a query to this machine's resolver.
 */
export function demoDnsClient(objects: () => ZoneObjects, clusterDomain = 'cluster.local'): DnsClient {
	const ask = (name: string, type: number) => answerFromObjects(objects(), {name: name.toLowerCase().replace(/\.$/, ''), type, class: classIn}, clusterDomain);
	const addresses = (call: string, name: string, type: number) => {
		const reply = ask(name, type);
		const found = reply.answers.flatMap(record => (record.type === 'A' ? [record.address] : []));
		if (reply.rcode !== 0 || (found.length === 0 && type === typeA && reply.answers.length === 0)) {
			throw notFound(call, name);
		}

		return found;
	};

	return {
		async resolveCname(name) {
			const reply = ask(name, typeCname);
			const targets = reply.answers.flatMap(record => (record.type === 'CNAME' ? [record.target] : []));
			if (targets.length === 0) {
				throw notFound('queryCname', name);
			}

			return targets;
		},
		async resolve4(name) {
			return addresses('queryA', name, typeA);
		},
		async resolve6(name) {
			// The demo's Services have IPv4 ClusterIPs only in DNS.
			addresses('queryAaaa', name, typeAaaa);
			return [];
		},
		async lookup(name) {
			return addresses('getaddrinfo', name, typeA).map(address => ({address}));
		},
	};
}
