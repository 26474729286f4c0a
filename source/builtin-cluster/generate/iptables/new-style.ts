import {iptablesServiceHash} from '../../../core/nat/chain-names.js';
import type {PlannedEndpoint, PlannedServicePort} from '../../../core/nat/service-ports.js';
import {joinHostPort} from '../plan.js';
import {localDestination, localSource, type RuleWriter} from './rules.js';

/** What kube-proxy 1.24+ decides for one Service port before it writes the port's chains. */
type NewStylePort = {
	readonly port: PlannedServicePort;
	readonly name: string;
	readonly svc: string;
	readonly svl: string;
	readonly ext: string;
	readonly fw: string;
	readonly hasEndpoints: boolean;
	/** Traffic from inside the cluster has somewhere to go (for internalTrafficPolicy Local: a local endpoint). */
	readonly hasInternal: boolean;
	/** The same for traffic from outside (externalTrafficPolicy). */
	readonly hasExternal: boolean;
	readonly usesCluster: boolean;
	readonly usesLocal: boolean;
	readonly internalChain: string;
	readonly externalPolicyChain: string;
	readonly usesExt: boolean;
	readonly usesFw: boolean;
	readonly filterTarget: 'DROP' | 'REJECT';
	readonly filterComment: string;
	readonly service: {readonly protocol: string; readonly dport: number};
	readonly clusterComment: string | undefined;
};

function classify(writer: RuleWriter, port: PlannedServicePort): NewStylePort {
	const hash = iptablesServiceHash(port.portString, port.protocol);
	const name = port.portString;
	const hasEndpoints = port.clusterEndpoints.length > 0;
	const externallyAccessible = port.nodePort !== 0 || port.externalIPs.length > 0 || port.loadBalancerIPs.length > 0;
	const svc = `KUBE-SVC-${hash}`;
	const svl = `KUBE-SVL-${hash}`;
	return {
		port,
		name,
		svc,
		svl,
		ext: `KUBE-EXT-${hash}`,
		fw: `KUBE-FW-${hash}`,
		hasEndpoints,
		hasInternal: hasEndpoints && (!port.internalLocal || port.localEndpoints.length > 0),
		hasExternal: hasEndpoints && (!port.externalLocal || port.localEndpoints.length > 0),
		// proxier.go UsesClusterEndpoints: external traffic from pods and the node short-circuits to them even under Local.
		usesCluster: hasEndpoints && (!port.internalLocal || externallyAccessible),
		usesLocal: port.localEndpoints.length > 0 && (port.internalLocal || (externallyAccessible && port.externalLocal)),
		internalChain: port.internalLocal ? svl : svc,
		externalPolicyChain: port.externalLocal ? svl : svc,
		usesExt: hasEndpoints && externallyAccessible,
		usesFw: hasEndpoints && port.loadBalancerIPs.length > 0 && port.sourceRanges.length > 0,
		filterTarget: hasEndpoints ? 'DROP' : 'REJECT',
		filterComment: hasEndpoints ? `${name} has no local endpoints` : `${name} has no endpoints`,
		service: {protocol: port.protocol, dport: port.port},
		clusterComment: writer.serviceComments ? `${name} cluster IP` : undefined,
	};
}

/** nat KUBE-SERVICES: the cluster IP to the internal chain, external and load-balancer IPs to KUBE-EXT (or KUBE-FW). */
function serviceEntries(writer: RuleWriter, p: NewStylePort): void {
	const {nat, serviceComments} = writer;
	if (p.hasInternal) {
		nat.rules.push({chain: 'KUBE-SERVICES', comment: p.clusterComment, ...p.service, destination: writer.host(p.port.clusterIP), jump: p.internalChain});
	}

	if (!p.hasEndpoints) {
		return;
	}

	for (const ip of p.port.externalIPs) {
		nat.rules.push({chain: 'KUBE-SERVICES', comment: serviceComments ? `${p.name} external IP` : undefined, ...p.service, destination: writer.host(ip), jump: p.ext});
	}

	for (const ip of p.port.loadBalancerIPs) {
		nat.rules.push({chain: 'KUBE-SERVICES', comment: serviceComments ? `${p.name} loadbalancer IP` : undefined, ...p.service, destination: writer.host(ip), jump: p.usesFw ? p.fw : p.ext});
	}
}

/** nat KUBE-NODEPORTS: the NodePort to KUBE-EXT (with the nfacct counter for localhost when asked). */
function nodePortEntries({nat, ipv6, options}: RuleWriter, p: NewStylePort): void {
	if (p.port.nodePort === 0 || !p.hasEndpoints) {
		return;
	}

	const nodePort = {protocol: p.port.protocol, dport: p.port.nodePort};
	if (options.localhostNodePorts !== false && !ipv6 && options.nfacct) {
		nat.rules.push({chain: 'KUBE-NODEPORTS', comment: p.name, ...nodePort, destination: '127.0.0.0/8', matches: [{module: 'nfacct', args: ['--nfacct-name', 'localhost_nps_accepted_pkts']}], jump: p.ext});
	}

	nat.rules.push({chain: 'KUBE-NODEPORTS', comment: p.name, ...nodePort, jump: p.ext});
}

/**
 * The filter table's part: reject (no endpoints) or drop (no local endpoints) what has nowhere to go,
 * drop load-balancer traffic from outside the source ranges, accept the health check node port.
 */
function filterRules(writer: RuleWriter, p: NewStylePort): void {
	const {filter} = writer;
	const {port, filterComment: comment, filterTarget: jump} = p;
	if (!p.hasInternal) {
		filter.rules.push({chain: 'KUBE-SERVICES', comment, ...p.service, destination: writer.host(port.clusterIP), jump});
	}

	for (const ip of p.hasExternal ? [] : port.externalIPs) {
		filter.rules.push({chain: 'KUBE-EXTERNAL-SERVICES', comment, ...p.service, destination: writer.host(ip), jump});
	}

	for (const ip of p.usesFw ? port.loadBalancerIPs : []) {
		filter.rules.push({chain: 'KUBE-PROXY-FIREWALL', comment: `${p.name} traffic not accepted by ${p.fw}`, ...p.service, destination: writer.host(ip), jump: 'DROP'});
	}

	for (const ip of p.hasExternal ? [] : port.loadBalancerIPs) {
		filter.rules.push({chain: 'KUBE-EXTERNAL-SERVICES', comment, ...p.service, destination: writer.host(ip), jump});
	}

	if (port.nodePort !== 0 && !p.hasExternal) {
		filter.rules.push({chain: 'KUBE-EXTERNAL-SERVICES', comment, matches: [localDestination], protocol: port.protocol, dport: port.nodePort, jump});
	}

	if (port.healthCheckNodePort !== 0) {
		filter.rules.push({chain: 'KUBE-NODEPORTS', comment: `${p.name} health check node port`, protocol: 'tcp', dport: port.healthCheckNodePort, jump: 'ACCEPT'});
	}
}

/** The internal chain's first rule: masquerade cluster-IP traffic from outside the pod network. */
function internalMasquerade(writer: RuleWriter, p: NewStylePort): void {
	if (p.hasInternal && writer.podCidr !== null) {
		writer.nat.rules.push({chain: p.internalChain, comment: p.clusterComment, ...p.service, destination: writer.host(p.port.clusterIP), source: writer.podCidr, sourceNegated: true, jump: 'KUBE-MARK-MASQ'});
	}
}

/** KUBE-EXT: masquerade external traffic (for a Local policy, only from this node), then the policy's chain. */
function extChain({nat, podCidr}: RuleWriter, p: NewStylePort): void {
	if (!p.usesExt) {
		return;
	}

	const {ext, name} = p;
	nat.chains.add(ext);
	if (p.port.externalLocal) {
		if (podCidr !== null) {
			nat.rules.push({chain: ext, comment: `pod traffic for ${name} external destinations`, source: podCidr, jump: p.svc});
		}

		nat.rules.push(
			{chain: ext, comment: `masquerade LOCAL traffic for ${name} external destinations`, matches: [localSource], jump: 'KUBE-MARK-MASQ'},
			{chain: ext, comment: `route LOCAL traffic for ${name} external destinations`, matches: [localSource], jump: p.svc},
		);
	} else {
		nat.rules.push({chain: ext, comment: `masquerade traffic for ${name} external destinations`, jump: 'KUBE-MARK-MASQ'});
	}

	if (p.hasExternal) {
		nat.rules.push({chain: ext, jump: p.externalPolicyChain});
	}
}

/** KUBE-FW: load-balancer traffic from the allowed source ranges goes on to KUBE-EXT; the rest falls through to be dropped. */
function fwChain({nat}: RuleWriter, p: NewStylePort): void {
	if (!p.usesFw) {
		return;
	}

	nat.chains.add(p.fw);
	for (const range of p.port.sourceRanges) {
		nat.rules.push({chain: p.fw, comment: `${p.name} loadbalancer IP`, source: range, jump: p.ext});
	}

	nat.rules.push({chain: p.fw, comment: `other traffic to ${p.name} will be dropped by KUBE-PROXY-FIREWALL`});
}

/** KUBE-SVC (all endpoints) and KUBE-SVL (this node's), each a ladder to the endpoint chains, then those chains. */
function dispatchChains(writer: RuleWriter, p: NewStylePort): void {
	const {port} = p;
	const comment = (endpoint: PlannedEndpoint) => (writer.endpointComments ? `${p.name} -> ${joinHostPort(endpoint.ip, endpoint.port)}` : undefined);
	if (p.usesCluster) {
		writer.nat.chains.add(p.svc);
		writer.dispatchRules(port, p.svc, port.clusterEndpoints, comment);
	}

	if (p.usesLocal) {
		writer.nat.chains.add(p.svl);
		writer.dispatchRules(port, p.svl, port.localEndpoints, comment);
	}

	writer.endpointChainRules(port, [...(p.usesCluster ? port.clusterEndpoints : []), ...(p.usesLocal ? port.localEndpoints : [])]);
}

/** One Service port's rules as kube-proxy 1.24+ writes them (KUBE-EXT, KUBE-SVL, the filter table's drops). */
export function writeNewStyle(writer: RuleWriter, port: PlannedServicePort): void {
	const p = classify(writer, port);
	serviceEntries(writer, p);
	nodePortEntries(writer, p);
	filterRules(writer, p);
	internalMasquerade(writer, p);
	extChain(writer, p);
	fwChain(writer, p);
	dispatchChains(writer, p);
}
