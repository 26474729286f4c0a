import {nftEndpointBase, nftServiceBase} from './chain-names.js';
import {planServicePorts, type PlannedEndpoint, type PlannedServicePort} from '../../core/nat/service-ports.js';
import {defaultClusterCIDR, joinHostPort, type NatGeneratorInput, type NatGeneratorOptions} from './plan.js';

export type NftGeneratorOptions = NatGeneratorOptions & {
	/** Service CIDR for the "drop traffic to unallocated ClusterIPs" rule; default 10.96.0.0/12 (fd00:10:96::/112). */
	readonly serviceCIDR?: string;
};

type Element = {readonly key: string; readonly comment?: string; readonly value?: string};

/** The table being written: its sets and maps, chains (in the order nft lists them) and affinity sets. */
class NftWriter {
	readonly ip: 'ip' | 'ip6';
	readonly addressType: string;
	readonly podCidr: string | null;
	readonly sets: Map<string, {header: string[]; elements: Element[]}>;
	readonly chains: Map<string, string[]>;
	readonly affinitySets: string[] = [];

	constructor(input: NatGeneratorInput, options: NftGeneratorOptions) {
		const ipv6 = options.family === 'IPv6';
		this.ip = ipv6 ? 'ip6' : 'ip';
		this.addressType = ipv6 ? 'ipv6_addr' : 'ipv4_addr';
		this.podCidr = defaultClusterCIDR(options);
		this.sets = fixedSets(this.addressType, input.nodeIPs.filter(each => each.includes(':') === ipv6));
		this.chains = fixedChains(this.ip, options.masqueradeMark ?? '0x4000', options.serviceCIDR ?? (ipv6 ? 'fd00:10:96::/112' : '10.96.0.0/12'));
	}

	element(set: string, item: Element): void {
		this.sets.get(set)!.elements.push(item);
	}

	print(): string {
		const out = [`table ${this.ip} kube-proxy {`, '\tcomment "rules for kube-proxy"'];
		for (const [name, set] of this.sets) {
			out.push('', `\t${set.header[0]!.includes(': verdict') ? 'map' : 'set'} ${name} {`, ...set.header.map(line => `\t\t${line}`));
			if (set.elements.length > 0) {
				out.push(`\t\telements = { ${set.elements.map(each => `${each.key}${each.comment ? ` comment "${each.comment}"` : ''}${each.value ? ` : ${each.value}` : ''}`).join(',\n\t\t\t     ')} }`);
			}

			out.push('\t}');
		}

		out.push(...this.affinitySets);
		for (const [name, lines] of this.chains) {
			out.push('', `\tchain ${name} {`, ...lines.map(line => `\t\t${line}`), '\t}');
		}

		out.push('}', '');
		return out.join('\n');
	}
}

/** The sets and verdict maps kube-proxy declares, empty but for this node's addresses. */
function fixedSets(addressType: string, nodeIPs: readonly string[]): Map<string, {header: string[]; elements: Element[]}> {
	return new Map([
		['cluster-ips', {header: [`type ${addressType}`, 'comment "Active ClusterIPs"'], elements: []}],
		['nodeport-ips', {header: [`type ${addressType}`, 'comment "IPs that accept NodePort traffic"'], elements: nodeIPs.map(key => ({key}))}],
		['firewall-ips', {header: [`type ${addressType} . inet_proto . inet_service : verdict`, 'comment "destinations that are subject to LoadBalancerSourceRanges"'], elements: []}],
		['no-endpoint-nodeports', {header: ['type inet_proto . inet_service : verdict', 'comment "vmap to drop or reject packets to service nodeports with no endpoints"'], elements: []}],
		['no-endpoint-services', {header: [`type ${addressType} . inet_proto . inet_service : verdict`, 'comment "vmap to drop or reject packets to services with no endpoints"'], elements: []}],
		['service-ips', {header: [`type ${addressType} . inet_proto . inet_service : verdict`, 'comment "ClusterIP, ExternalIP and LoadBalancer IP traffic"'], elements: []}],
		['service-nodeports', {header: ['type inet_proto . inet_service : verdict', 'comment "NodePort traffic"'], elements: []}],
	]);
}

/** The base chains: hooks, the checks that drop or reject, masquerading and the dispatch through the verdict maps. */
function fixedChains(ip: string, mark: string, serviceCidr: string): Map<string, string[]> {
	return new Map([
		['cluster-ips-check', [`${ip} daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`, `${ip} daddr { ${serviceCidr} } drop comment "Drop traffic to unallocated ClusterIPs"`]],
		['filter-prerouting-pre-dnat', ['type filter hook prerouting priority -110; policy accept;', 'ct state new jump firewall-check']],
		['filter-output-pre-dnat', ['type filter hook output priority -110; policy accept;', 'ct state new jump firewall-check']],
		['filter-forward', ['type filter hook forward priority 0; policy accept;', 'ct state new jump service-endpoints-check', 'ct state new jump cluster-ips-check']],
		['filter-input', ['type filter hook input priority 0; policy accept;', 'ct state new jump nodeport-endpoints-check', 'ct state new jump service-endpoints-check']],
		['filter-output', ['type filter hook output priority 0; policy accept;', 'ct state new jump service-endpoints-check', 'ct state new jump cluster-ips-check']],
		['firewall-check', [`${ip} daddr . meta l4proto . th dport vmap @firewall-ips`]],
		['mark-for-masquerade', [`meta mark set meta mark | ${mark}`]],
		['masquerading', [`meta mark & ${mark} == 0x0 return`, `meta mark set meta mark ^ ${mark}`, 'masquerade fully-random']],
		['nat-output', ['type nat hook output priority -100; policy accept;', 'jump services']],
		['nat-postrouting', ['type nat hook postrouting priority 100; policy accept;', 'jump masquerading']],
		['nat-prerouting', ['type nat hook prerouting priority -100; policy accept;', 'jump services']],
		['nodeport-endpoints-check', [`${ip} daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports`]],
		['reject-chain', ['reject']],
		['services', [`${ip} daddr . meta l4proto . th dport vmap @service-ips`, `${ip} daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports`]],
		['service-endpoints-check', [`${ip} daddr . meta l4proto . th dport vmap @no-endpoint-services`]],
	]);
}

/** What kube-proxy decides for one Service port before it writes the port's elements and chains. */
type NftPort = {
	readonly port: PlannedServicePort;
	readonly service: string;
	readonly local: string;
	readonly external: string;
	readonly firewall: string;
	readonly hasEndpoints: boolean;
	readonly externallyAccessible: boolean;
	readonly usesCluster: boolean;
	readonly usesLocal: boolean;
	readonly hasInternal: boolean;
	readonly hasExternal: boolean;
	readonly usesFirewall: boolean;
};

function classify(port: PlannedServicePort): NftPort {
	const base = nftServiceBase(port.namespace, port.name, port.protocol, port.portName);
	const hasEndpoints = port.clusterEndpoints.length > 0;
	const externallyAccessible = port.nodePort !== 0 || port.externalIPs.length > 0 || port.loadBalancerIPs.length > 0;
	return {
		port,
		service: `service-${base}`,
		local: `local-${base}`,
		external: `external-${base}`,
		firewall: `firewall-${base}`,
		hasEndpoints,
		externallyAccessible,
		// proxier.go UsesClusterEndpoints: external traffic from pods and the node short-circuits to them even under Local.
		usesCluster: hasEndpoints && (!port.internalLocal || externallyAccessible),
		usesLocal: port.localEndpoints.length > 0 && (port.internalLocal || (externallyAccessible && port.externalLocal)),
		hasInternal: hasEndpoints && (!port.internalLocal || port.localEndpoints.length > 0),
		hasExternal: hasEndpoints && (!port.externalLocal || port.localEndpoints.length > 0),
		usesFirewall: hasEndpoints && port.loadBalancerIPs.length > 0 && port.sourceRanges.length > 0,
	};
}

function endpointChain(port: PlannedServicePort, endpoint: PlannedEndpoint): string {
	return `endpoint-${nftEndpointBase(port.namespace, port.name, port.protocol, port.portName, endpoint.ip, endpoint.port)}`;
}

function affinitySet(port: PlannedServicePort, endpoint: PlannedEndpoint): string {
	return `affinity-${nftEndpointBase(port.namespace, port.name, port.protocol, port.portName, endpoint.ip, endpoint.port)}`;
}

/** The port's entries in the verdict maps: where its addresses go, or drop/reject when they have nowhere to go. */
function mapElements(writer: NftWriter, p: NftPort): void {
	const {port} = p;
	const noEndpointVerdict = p.hasEndpoints ? 'drop' : 'goto reject-chain';
	const key = (address: string, number: number) => `${address} . ${port.protocol} . ${number}`;
	writer.element('cluster-ips', {key: port.clusterIP});
	if (p.hasInternal) {
		writer.element('service-ips', {key: key(port.clusterIP, port.port), value: `goto ${port.internalLocal ? p.local : p.service}`});
	} else {
		writer.element('no-endpoint-services', {key: key(port.clusterIP, port.port), comment: port.portString, value: noEndpointVerdict});
	}

	for (const address of [...port.externalIPs, ...port.loadBalancerIPs]) {
		if (p.hasEndpoints) {
			writer.element('service-ips', {key: key(address, port.port), value: `goto ${p.external}`});
		}

		if (!p.hasExternal) {
			writer.element('no-endpoint-services', {key: key(address, port.port), comment: port.portString, value: noEndpointVerdict});
		}
	}

	if (port.nodePort !== 0) {
		if (p.hasEndpoints) {
			writer.element('service-nodeports', {key: `${port.protocol} . ${port.nodePort}`, value: `goto ${p.external}`});
		}

		if (!p.hasExternal) {
			writer.element('no-endpoint-nodeports', {key: `${port.protocol} . ${port.nodePort}`, comment: port.portString, value: noEndpointVerdict});
		}
	}

	if (p.usesFirewall) {
		for (const address of port.loadBalancerIPs) {
			writer.element('firewall-ips', {key: key(address, port.port), value: `goto ${p.firewall}`});
		}
	}
}

/** firewall-...: load-balancer traffic from outside the source ranges is dropped. */
function firewallChain(writer: NftWriter, p: NftPort): void {
	if (p.usesFirewall) {
		writer.chains.set(p.firewall, [`${writer.ip} saddr != { ${p.port.sourceRanges.join(', ')} } drop`]);
	}
}

/** A dispatch chain: `lines`, then affinity lookups, then a random pick among the endpoint chains. */
function dispatch(writer: NftWriter, port: PlannedServicePort, chain: string, endpoints: readonly PlannedEndpoint[], lines: string[]): void {
	if (port.affinitySeconds !== null) {
		for (const endpoint of endpoints) {
			lines.push(`${writer.ip} saddr @${affinitySet(port, endpoint)} goto ${endpointChain(port, endpoint)}`);
		}
	}

	const vmap = endpoints.map((endpoint, index) => `${index} : goto ${endpointChain(port, endpoint)}`).join(', ');
	lines.push(`numgen random mod ${endpoints.length} vmap { ${vmap} }`);
	writer.chains.set(chain, lines);
}

/** service-... (all endpoints) and local-... (this node's), each masquerading cluster-IP traffic from outside the pod network first. */
function dispatchChains(writer: NftWriter, p: NftPort): void {
	const {ip, podCidr} = writer;
	const {port} = p;
	const masquerade = `${ip} daddr ${port.clusterIP} ${ip} saddr != ${podCidr} jump mark-for-masquerade`;
	if (p.usesCluster) {
		dispatch(writer, port, p.service, port.clusterEndpoints, podCidr === null ? [] : [masquerade]);
	}

	if (p.usesLocal) {
		dispatch(writer, port, p.local, port.localEndpoints, port.internalLocal && podCidr !== null ? [masquerade] : []);
	}
}

/** external-...: masquerade external traffic (for a Local policy, only from this node), then the policy's chain. */
function externalChain(writer: NftWriter, p: NftPort): void {
	if (!p.hasEndpoints || !p.externallyAccessible) {
		return;
	}

	const {ip, podCidr} = writer;
	const lines: string[] = [];
	if (p.port.externalLocal) {
		if (podCidr !== null) {
			lines.push(`${ip} saddr ${podCidr} goto ${p.service} comment "short-circuit pod traffic"`);
		}

		lines.push('fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"', `fib saddr type local goto ${p.service} comment "short-circuit local traffic"`);
	} else {
		lines.push('jump mark-for-masquerade');
	}

	if (p.hasExternal) {
		lines.push(`goto ${p.port.externalLocal ? p.local : p.service}`);
	}

	writer.chains.set(p.external, lines);
}

/** endpoint-... (once each): masquerade hairpin traffic, record affinity, DNAT. */
function endpointChains(writer: NftWriter, p: NftPort): void {
	const {ip} = writer;
	const {port} = p;
	for (const endpoint of [...(p.usesCluster ? port.clusterEndpoints : []), ...(p.usesLocal ? port.localEndpoints : [])]) {
		const chain = endpointChain(port, endpoint);
		if (writer.chains.has(chain)) {
			continue;
		}

		const lines = [`${ip} saddr ${endpoint.ip} jump mark-for-masquerade`];
		if (port.affinitySeconds !== null) {
			const set = affinitySet(port, endpoint);
			writer.affinitySets.push('', `\tset ${set} {`, `\t\ttype ${writer.addressType}`, '\t\tflags dynamic,timeout', `\t\ttimeout ${port.affinitySeconds}s`, '\t}');
			lines.push(`update @${set} { ${ip} saddr }`);
		}

		lines.push(`meta l4proto ${port.protocol} dnat to ${joinHostPort(endpoint.ip, endpoint.port)}`);
		writer.chains.set(chain, lines);
	}
}

/**
 * `nft list table ip kube-proxy` text for `input.nodeName`, in the layout nft prints (which
 * `nft -f` also reads). Pure.
 */
export function generateNftTable(input: NatGeneratorInput, options: NftGeneratorOptions = {}): string {
	const writer = new NftWriter(input, options);
	for (const port of planServicePorts(input, options)) {
		const p = classify(port);
		mapElements(writer, p);
		firewallChain(writer, p);
		dispatchChains(writer, p);
		externalChain(writer, p);
		endpointChains(writer, p);
	}

	return writer.print();
}
