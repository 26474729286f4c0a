import {nftEndpointBase, nftServiceBase} from '../../core/nat/chain-names.js';
import {planServicePorts, type PlannedEndpoint, type PlannedServicePort} from '../../core/nat/service-ports.js';
import {defaultClusterCIDR, joinHostPort, type NatGeneratorInput, type NatGeneratorOptions} from './plan.js';

export type NftGeneratorOptions = NatGeneratorOptions & {
	/** Service CIDR for the "drop traffic to unallocated ClusterIPs" rule; default 10.96.0.0/12 (fd00:10:96::/112). */
	readonly serviceCIDR?: string;
};

type Element = {readonly key: string; readonly comment?: string; readonly value?: string};

/**
 * `nft list table ip kube-proxy` text for `input.nodeName`, in the layout nft prints (which
 * `nft -f` also reads). Pure.
 */
export function generateNftTable(input: NatGeneratorInput, options: NftGeneratorOptions = {}): string {
	const ipv6 = options.family === 'IPv6';
	const ip = ipv6 ? 'ip6' : 'ip';
	const addressType = ipv6 ? 'ipv6_addr' : 'ipv4_addr';
	const mark = options.masqueradeMark ?? '0x4000';
	const podCidr = defaultClusterCIDR(options);
	const serviceCidr = options.serviceCIDR ?? (ipv6 ? 'fd00:10:96::/112' : '10.96.0.0/12');
	const ports = planServicePorts(input, options);

	const sets = new Map<string, {header: string[]; elements: Element[]}>([
		['cluster-ips', {header: [`type ${addressType}`, 'comment "Active ClusterIPs"'], elements: []}],
		['nodeport-ips', {header: [`type ${addressType}`, 'comment "IPs that accept NodePort traffic"'], elements: input.nodeIPs.filter(each => each.includes(':') === ipv6).map(key => ({key}))}],
		['firewall-ips', {header: [`type ${addressType} . inet_proto . inet_service : verdict`, 'comment "destinations that are subject to LoadBalancerSourceRanges"'], elements: []}],
		['no-endpoint-nodeports', {header: ['type inet_proto . inet_service : verdict', 'comment "vmap to drop or reject packets to service nodeports with no endpoints"'], elements: []}],
		['no-endpoint-services', {header: [`type ${addressType} . inet_proto . inet_service : verdict`, 'comment "vmap to drop or reject packets to services with no endpoints"'], elements: []}],
		['service-ips', {header: [`type ${addressType} . inet_proto . inet_service : verdict`, 'comment "ClusterIP, ExternalIP and LoadBalancer IP traffic"'], elements: []}],
		['service-nodeports', {header: ['type inet_proto . inet_service : verdict', 'comment "NodePort traffic"'], elements: []}],
	]);
	const element = (set: string, item: Element) => sets.get(set)!.elements.push(item);
	const chains = new Map<string, string[]>([
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
	const affinitySets: string[] = [];

	for (const port of ports) {
		writeService(port);
	}

	const out = [`table ${ip} kube-proxy {`, '\tcomment "rules for kube-proxy"'];
	for (const [name, set] of sets) {
		out.push('', `\t${set.header[0]!.includes(': verdict') ? 'map' : 'set'} ${name} {`, ...set.header.map(line => `\t\t${line}`));
		if (set.elements.length > 0) {
			out.push(`\t\telements = { ${set.elements.map(each => `${each.key}${each.comment ? ` comment "${each.comment}"` : ''}${each.value ? ` : ${each.value}` : ''}`).join(',\n\t\t\t     ')} }`);
		}

		out.push('\t}');
	}

	out.push(...affinitySets);
	for (const [name, lines] of chains) {
		out.push('', `\tchain ${name} {`, ...lines.map(line => `\t\t${line}`), '\t}');
	}

	out.push('}', '');
	return out.join('\n');

	function endpointChain(port: PlannedServicePort, endpoint: PlannedEndpoint): string {
		return `endpoint-${nftEndpointBase(port.namespace, port.name, port.protocol, port.portName, endpoint.ip, endpoint.port)}`;
	}

	function affinitySet(port: PlannedServicePort, endpoint: PlannedEndpoint): string {
		return `affinity-${nftEndpointBase(port.namespace, port.name, port.protocol, port.portName, endpoint.ip, endpoint.port)}`;
	}

	function dispatch(port: PlannedServicePort, chain: string, endpoints: readonly PlannedEndpoint[], lines: string[]) {
		if (port.affinitySeconds !== null) {
			for (const endpoint of endpoints) {
				lines.push(`${ip} saddr @${affinitySet(port, endpoint)} goto ${endpointChain(port, endpoint)}`);
			}
		}

		const vmap = endpoints.map((endpoint, index) => `${index} : goto ${endpointChain(port, endpoint)}`).join(', ');
		lines.push(`numgen random mod ${endpoints.length} vmap { ${vmap} }`);
		chains.set(chain, lines);
	}

	function writeService(port: PlannedServicePort) {
		const base = nftServiceBase(port.namespace, port.name, port.protocol, port.portName);
		const service = `service-${base}`;
		const local = `local-${base}`;
		const external = `external-${base}`;
		const firewall = `firewall-${base}`;
		const hasEndpoints = port.clusterEndpoints.length > 0;
		const externallyAccessible = port.nodePort !== 0 || port.externalIPs.length > 0 || port.loadBalancerIPs.length > 0;
		const usesCluster = hasEndpoints && (!port.internalLocal || (externallyAccessible && !port.externalLocal));
		const usesLocal = port.localEndpoints.length > 0 && (port.internalLocal || (externallyAccessible && port.externalLocal));
		const internalChain = port.internalLocal ? local : service;
		const hasInternal = hasEndpoints && (!port.internalLocal || port.localEndpoints.length > 0);
		const hasExternal = hasEndpoints && (!port.externalLocal || port.localEndpoints.length > 0);
		const usesFirewall = hasEndpoints && port.loadBalancerIPs.length > 0 && port.sourceRanges.length > 0;
		const noEndpointVerdict = hasEndpoints ? 'drop' : 'goto reject-chain';
		const key = (address: string, number: number) => `${address} . ${port.protocol} . ${number}`;

		element('cluster-ips', {key: port.clusterIP});
		if (hasInternal) {
			element('service-ips', {key: key(port.clusterIP, port.port), value: `goto ${internalChain}`});
		} else {
			element('no-endpoint-services', {key: key(port.clusterIP, port.port), comment: port.portString, value: noEndpointVerdict});
		}

		for (const address of [...port.externalIPs, ...port.loadBalancerIPs]) {
			if (hasEndpoints) {
				element('service-ips', {key: key(address, port.port), value: `goto ${external}`});
			}

			if (!hasExternal) {
				element('no-endpoint-services', {key: key(address, port.port), comment: port.portString, value: noEndpointVerdict});
			}
		}

		if (port.nodePort !== 0) {
			if (hasEndpoints) {
				element('service-nodeports', {key: `${port.protocol} . ${port.nodePort}`, value: `goto ${external}`});
			}

			if (!hasExternal) {
				element('no-endpoint-nodeports', {key: `${port.protocol} . ${port.nodePort}`, comment: port.portString, value: noEndpointVerdict});
			}
		}

		if (usesFirewall) {
			for (const address of port.loadBalancerIPs) {
				element('firewall-ips', {key: key(address, port.port), value: `goto ${firewall}`});
			}

			chains.set(firewall, [`${ip} saddr != { ${port.sourceRanges.join(', ')} } drop`]);
		}

		if (usesCluster) {
			const lines = podCidr === null ? [] : [`${ip} daddr ${port.clusterIP} ${ip} saddr != ${podCidr} jump mark-for-masquerade`];
			dispatch(port, service, port.clusterEndpoints, lines);
		}

		if (usesLocal) {
			const lines = port.internalLocal && podCidr !== null ? [`${ip} daddr ${port.clusterIP} ${ip} saddr != ${podCidr} jump mark-for-masquerade`] : [];
			dispatch(port, local, port.localEndpoints, lines);
		}

		if (hasEndpoints && externallyAccessible) {
			const lines: string[] = [];
			if (port.externalLocal) {
				if (podCidr !== null) {
					lines.push(`${ip} saddr ${podCidr} goto ${service} comment "short-circuit pod traffic"`);
				}

				lines.push('fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"', `fib saddr type local goto ${service} comment "short-circuit local traffic"`);
			} else {
				lines.push('jump mark-for-masquerade');
			}

			if (hasExternal) {
				lines.push(`goto ${port.externalLocal ? local : service}`);
			}

			chains.set(external, lines);
		}

		const endpoints = [...(usesCluster ? port.clusterEndpoints : []), ...(usesLocal ? port.localEndpoints : [])];
		for (const endpoint of endpoints) {
			const chain = endpointChain(port, endpoint);
			if (chains.has(chain)) {
				continue;
			}

			const lines = [`${ip} saddr ${endpoint.ip} jump mark-for-masquerade`];
			if (port.affinitySeconds !== null) {
				const set = affinitySet(port, endpoint);
				affinitySets.push('', `\tset ${set} {`, `\t\ttype ${addressType}`, '\t\tflags dynamic,timeout', `\t\ttimeout ${port.affinitySeconds}s`, '\t}');
				lines.push(`update @${set} { ${ip} saddr }`);
			}

			lines.push(`meta l4proto ${port.protocol} dnat to ${joinHostPort(endpoint.ip, endpoint.port)}`);
			chains.set(chain, lines);
		}
	}
}
