import {iptablesServiceHash} from '../../../core/nat/chain-names.js';
import type {PlannedServicePort} from '../../../core/nat/service-ports.js';
import {localDestination, localSource, type RuleWriter} from './rules.js';

/** One Service port's chain names and match as kube-proxy up to ~1.23 writes them. */
type OldStylePort = {
	readonly port: PlannedServicePort;
	readonly name: string;
	readonly svc: string;
	readonly xlb: string;
	readonly fw: string;
	readonly service: {readonly protocol: string; readonly dport: number};
	/** Where external traffic goes: KUBE-XLB for externalTrafficPolicy Local, else KUBE-SVC. */
	readonly externalTarget: string;
};

/** No endpoints: the filter table rejects the cluster IP, external and load-balancer IPs and the NodePort. */
function rejectRules(writer: RuleWriter, p: OldStylePort): void {
	const comment = `${p.name} has no endpoints`;
	const {port} = p;
	writer.filter.rules.push({chain: 'KUBE-SERVICES', comment, ...p.service, destination: writer.host(port.clusterIP), jump: 'REJECT'});
	for (const ip of [...port.externalIPs, ...port.loadBalancerIPs]) {
		writer.filter.rules.push({chain: 'KUBE-EXTERNAL-SERVICES', comment, ...p.service, destination: writer.host(ip), jump: 'REJECT'});
	}

	if (port.nodePort !== 0) {
		writer.filter.rules.push({chain: 'KUBE-EXTERNAL-SERVICES', comment, matches: [localDestination], protocol: port.protocol, dport: port.nodePort, jump: 'REJECT'});
	}
}

/** nat KUBE-SERVICES for the cluster IP (masquerade from outside the pod network, then KUBE-SVC) and external IPs. */
function serviceEntries(writer: RuleWriter, p: OldStylePort): void {
	const {nat, podCidr} = writer;
	const {port, svc, service} = p;
	const clusterComment = `${p.name} cluster IP`;
	if (podCidr !== null) {
		nat.rules.push({chain: 'KUBE-SERVICES', source: podCidr, sourceNegated: true, comment: clusterComment, ...service, destination: writer.host(port.clusterIP), jump: 'KUBE-MARK-MASQ'});
	}

	nat.rules.push({chain: 'KUBE-SERVICES', comment: clusterComment, ...service, destination: writer.host(port.clusterIP), jump: svc});
	for (const ip of port.externalIPs) {
		const comment = `${p.name} external IP`;
		const destination = writer.host(ip);
		if (port.externalLocal) {
			nat.rules.push({chain: 'KUBE-SERVICES', comment, ...service, destination, jump: p.xlb});
			continue;
		}

		nat.rules.push(
			{chain: 'KUBE-SERVICES', comment, ...service, destination, jump: 'KUBE-MARK-MASQ'},
			{chain: 'KUBE-SERVICES', comment, ...service, destination, matches: [{module: 'physdev', args: ['!', '--physdev-is-in']}, {module: 'addrtype', args: ['!', '--src-type', 'LOCAL']}], jump: svc},
			{chain: 'KUBE-SERVICES', comment, ...service, destination, matches: [localDestination], jump: svc},
		);
	}
}

/** Load-balancer IPs: KUBE-SERVICES to KUBE-FW, which is written once, after the first (source ranges, else all, then drop). */
function loadBalancerRules(writer: RuleWriter, p: OldStylePort): void {
	const {nat} = writer;
	const {port, fw} = p;
	for (const ip of port.loadBalancerIPs) {
		const comment = `${p.name} loadbalancer IP`;
		nat.rules.push({chain: 'KUBE-SERVICES', comment, ...p.service, destination: writer.host(ip), jump: fw});
		if (nat.chains.has(fw)) {
			continue;
		}

		nat.chains.add(fw);
		if (!port.externalLocal) {
			nat.rules.push({chain: fw, comment, jump: 'KUBE-MARK-MASQ'});
		}

		if (port.sourceRanges.length === 0) {
			nat.rules.push({chain: fw, comment, jump: p.externalTarget});
			continue;
		}

		for (const range of port.sourceRanges) {
			nat.rules.push({chain: fw, comment, source: range, jump: p.externalTarget});
		}

		nat.rules.push({chain: fw, comment, jump: 'KUBE-MARK-DROP'});
	}
}

/** KUBE-NODEPORTS: masquerade (for Local only from localhost), then KUBE-XLB or KUBE-SVC. */
function nodePortEntries({nat}: RuleWriter, p: OldStylePort): void {
	if (p.port.nodePort === 0) {
		return;
	}

	const nodePort = {protocol: p.port.protocol, dport: p.port.nodePort};
	if (p.port.externalLocal) {
		nat.rules.push(
			{chain: 'KUBE-NODEPORTS', comment: p.name, ...nodePort, source: '127.0.0.0/8', jump: 'KUBE-MARK-MASQ'},
			{chain: 'KUBE-NODEPORTS', comment: p.name, ...nodePort, jump: p.xlb},
		);
	} else {
		nat.rules.push(
			{chain: 'KUBE-NODEPORTS', comment: p.name, ...nodePort, jump: 'KUBE-MARK-MASQ'},
			{chain: 'KUBE-NODEPORTS', comment: p.name, ...nodePort, jump: p.svc},
		);
	}
}

/** KUBE-XLB (externalTrafficPolicy Local): pods and this node go to KUBE-SVC, the rest to local endpoints or KUBE-MARK-DROP. */
function xlbChain(writer: RuleWriter, p: OldStylePort): void {
	const {nat, podCidr} = writer;
	const {port, xlb, svc, name} = p;
	nat.chains.add(xlb);
	if (podCidr !== null) {
		nat.rules.push({chain: xlb, comment: 'Redirect pods trying to reach external loadbalancer VIP to clusterIP', source: podCidr, jump: svc});
	}

	nat.rules.push(
		{chain: xlb, comment: `masquerade LOCAL traffic for ${name} LB IP`, matches: [localSource], jump: 'KUBE-MARK-MASQ'},
		{chain: xlb, comment: `route LOCAL traffic for ${name} LB IP to service chain`, matches: [localSource], jump: svc},
	);
	if (port.localEndpoints.length === 0) {
		nat.rules.push({chain: xlb, comment: `${name} has no local endpoints`, jump: 'KUBE-MARK-DROP'});
	} else {
		writer.dispatchRules(port, xlb, port.localEndpoints, (_endpoint, index) => `Balancing rule ${index} for ${name}`);
	}
}

/** One Service port's rules as kube-proxy up to ~1.23 wrote them (KUBE-XLB, KUBE-MARK-DROP, rejects in filter). */
export function writeOldStyle(writer: RuleWriter, port: PlannedServicePort): void {
	const hash = iptablesServiceHash(port.portString, port.protocol);
	const p: OldStylePort = {
		port,
		name: port.portString,
		svc: `KUBE-SVC-${hash}`,
		xlb: `KUBE-XLB-${hash}`,
		fw: `KUBE-FW-${hash}`,
		service: {protocol: port.protocol, dport: port.port},
		externalTarget: port.externalLocal ? `KUBE-XLB-${hash}` : `KUBE-SVC-${hash}`,
	};
	if (port.clusterEndpoints.length === 0) {
		rejectRules(writer, p);
		return;
	}

	writer.nat.chains.add(p.svc);
	serviceEntries(writer, p);
	loadBalancerRules(writer, p);
	nodePortEntries(writer, p);
	writer.dispatchRules(port, p.svc, port.clusterEndpoints, () => (writer.endpointComments ? p.name : undefined));
	writer.endpointChainRules(port, port.clusterEndpoints);
	if (port.externalLocal) {
		xlbChain(writer, p);
	}
}
