import {iptablesEndpointChain, iptablesServiceHash} from '../../core/nat/chain-names.js';
import {planServicePorts, type PlannedEndpoint, type PlannedServicePort} from '../../core/nat/service-ports.js';
import {defaultClusterCIDR, joinHostPort, type NatGeneratorInput, type NatGeneratorOptions, ruleProbability} from './plan.js';

export type IptablesGeneratorOptions = NatGeneratorOptions & {
	/** `new`: KUBE-EXT/KUBE-SVL chains (kube-proxy 1.24+). `old`: KUBE-XLB/KUBE-MARK-DROP (up to ~1.23). Default new. */
	readonly style?: 'new' | 'old';
	/**
	 * `restore`: the text kube-proxy hands to iptables-restore. `save`: what `iptables-save` prints once
	 * the kernel holds it (arguments reordered, `/32` added, comments quoted, probabilities re-rounded).
	 * Default restore.
	 */
	readonly form?: 'restore' | 'save';
	/** `auto` drops per-endpoint comments past 1000 endpoints, as kube-proxy does. Default auto. */
	readonly comments?: 'auto' | 'always' | 'never';
	/** Accept NodePorts on 127.0.0.0/8 (kube-proxy's default for IPv4). Default true. */
	readonly localhostNodePorts?: boolean;
	/** Add the `-m nfacct` localhost NodePort counter rules (needs kernel nfacct). Default false. */
	readonly nfacct?: boolean;
};

type Match = {readonly module: string; readonly args: readonly string[]};

/** A rule in parts, so it can be printed either the way kube-proxy writes it or the way iptables-save prints it. */
type Rule = {
	readonly chain: string;
	readonly comment?: string;
	readonly protocol?: string;
	readonly dport?: number;
	readonly destination?: string;
	readonly destinationNegated?: boolean;
	readonly source?: string;
	readonly sourceNegated?: boolean;
	readonly matches?: readonly Match[];
	readonly jump?: string;
	readonly targetArgs?: readonly string[];
};

type TableOut = {chains: Set<string>; rules: Rule[]};

const natBuiltins = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'];
const filterBuiltins = ['INPUT', 'FORWARD', 'OUTPUT'];

/** Write the filter and nat tables kube-proxy would program on `input.nodeName`. Pure. */
export function generateIptablesSave(input: NatGeneratorInput, options: IptablesGeneratorOptions = {}): string {
	const style = options.style ?? 'new';
	const ports = planServicePorts(input, options);
	const endpointChains = ports.reduce((sum, port) => sum + port.clusterEndpoints.length, 0);
	const endpointComments = options.comments === 'always' || (options.comments !== 'never' && endpointChains <= 1000);
	const serviceComments = options.comments !== 'never';
	const mark = options.masqueradeMark ?? '0x4000';
	const podCidr = defaultClusterCIDR(options);
	const ipv6 = options.family === 'IPv6';
	const host = (ip: string) => (style === 'old' || options.form === 'save' ? hostMask(ip) : ip);

	const filter: TableOut = {chains: new Set(['KUBE-NODEPORTS', 'KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD']), rules: []};
	const nat: TableOut = {chains: new Set(['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']), rules: []};
	if (style === 'new') {
		filter.chains.add('KUBE-PROXY-FIREWALL');
	} else {
		nat.chains.add('KUBE-MARK-DROP');
	}

	// Jumps kube-proxy ensures from the built-in chains.
	const portals = 'kubernetes service portals';
	nat.rules.push(
		{chain: 'PREROUTING', comment: portals, jump: 'KUBE-SERVICES'},
		{chain: 'OUTPUT', comment: portals, jump: 'KUBE-SERVICES'},
		{chain: 'POSTROUTING', comment: 'kubernetes postrouting rules', jump: 'KUBE-POSTROUTING'},
	);
	filter.rules.push(
		{chain: 'INPUT', comment: 'kubernetes health check service ports', jump: 'KUBE-NODEPORTS'},
		{chain: 'INPUT', comment: 'kubernetes externally-visible service portals', matches: [conntrack('NEW')], jump: 'KUBE-EXTERNAL-SERVICES'},
		{chain: 'FORWARD', comment: 'kubernetes forwarding rules', jump: 'KUBE-FORWARD'},
		{chain: 'FORWARD', comment: 'kubernetes service portals', matches: [conntrack('NEW')], jump: 'KUBE-SERVICES'},
		{chain: 'FORWARD', comment: 'kubernetes externally-visible service portals', matches: [conntrack('NEW')], jump: 'KUBE-EXTERNAL-SERVICES'},
		{chain: 'OUTPUT', comment: 'kubernetes service portals', matches: [conntrack('NEW')], jump: 'KUBE-SERVICES'},
	);
	if (style === 'new') {
		filter.rules.push({chain: 'INPUT', comment: 'kubernetes load balancer firewall', matches: [conntrack('NEW')], jump: 'KUBE-PROXY-FIREWALL'});
	}

	if (style === 'new') {
		nat.rules.push(
			{chain: 'KUBE-POSTROUTING', matches: [{module: 'mark', args: ['!', '--mark', `${mark}/${mark}`]}], jump: 'RETURN'},
			{chain: 'KUBE-POSTROUTING', jump: 'MARK', targetArgs: ['--xor-mark', mark]},
			{chain: 'KUBE-POSTROUTING', comment: 'kubernetes service traffic requiring SNAT', jump: 'MASQUERADE', targetArgs: ['--random-fully']},
			{chain: 'KUBE-MARK-MASQ', jump: 'MARK', targetArgs: ['--or-mark', mark]},
		);
	} else {
		nat.rules.push(
			{chain: 'KUBE-POSTROUTING', comment: 'kubernetes service traffic requiring SNAT', matches: [{module: 'mark', args: ['--mark', `${mark}/${mark}`]}], jump: 'MASQUERADE'},
			{chain: 'KUBE-MARK-MASQ', jump: 'MARK', targetArgs: ['--set-xmark', `${mark}/${mark}`]},
			{chain: 'KUBE-MARK-DROP', jump: 'MARK', targetArgs: ['--set-xmark', '0x8000/0x8000']},
		);
	}

	for (const port of ports) {
		if (style === 'new') {
			writeNewStyle(port);
		} else {
			writeOldStyle(port);
		}
	}

	const nodePortsComment = 'kubernetes service nodeports; NOTE: this must be the last rule in this chain';
	const localOnly: Match = {module: 'addrtype', args: ['--dst-type', 'LOCAL']};
	if (ipv6) {
		nat.rules.push({chain: 'KUBE-SERVICES', comment: nodePortsComment, matches: [localOnly], destination: '::1/128', destinationNegated: true, jump: 'KUBE-NODEPORTS'});
	} else if (options.localhostNodePorts === false) {
		nat.rules.push({chain: 'KUBE-SERVICES', comment: nodePortsComment, matches: [localOnly], destination: '127.0.0.0/8', destinationNegated: true, jump: 'KUBE-NODEPORTS'});
	} else {
		nat.rules.push({chain: 'KUBE-SERVICES', comment: nodePortsComment, matches: [localOnly], jump: 'KUBE-NODEPORTS'});
	}

	filter.rules.push(
		{chain: 'KUBE-FORWARD', comment: 'kubernetes forwarding rules', matches: [{module: 'mark', args: ['--mark', `${mark}/${mark}`]}], jump: 'ACCEPT'},
		{chain: 'KUBE-FORWARD', comment: 'kubernetes forwarding conntrack rule', matches: [{module: 'conntrack', args: ['--ctstate', 'RELATED,ESTABLISHED']}], jump: 'ACCEPT'},
	);

	const printer = options.form === 'save' ? printSaved : (style === 'old' ? printOld : printNew);
	return [
		...printTable('filter', filterBuiltins, filter, printer, options.form === 'save'),
		...printTable('nat', natBuiltins, nat, printer, options.form === 'save'),
		'',
	].join('\n');

	function sepChain(port: PlannedServicePort, endpoint: PlannedEndpoint): string {
		return iptablesEndpointChain(port.portString, port.protocol, joinHostPort(endpoint.ip, endpoint.port));
	}

	function endpointChainRules(port: PlannedServicePort, endpoints: readonly PlannedEndpoint[]) {
		for (const endpoint of endpoints) {
			const chain = sepChain(port, endpoint);
			if (nat.chains.has(chain)) {
				continue;
			}

			nat.chains.add(chain);
			const comment = endpointComments ? port.portString : undefined;
			nat.rules.push({chain, comment, source: host(endpoint.ip), jump: 'KUBE-MARK-MASQ'});
			const recent: Match[] = port.affinitySeconds === null ? [] : [{module: 'recent', args: ['--name', chain, '--set']}];
			nat.rules.push({chain, comment, matches: recent, protocol: port.protocol, jump: 'DNAT', targetArgs: ['--to-destination', joinHostPort(endpoint.ip, endpoint.port)]});
		}
	}

	/** Affinity checks then the random-match ladder, from a dispatch chain to its endpoints. */
	function dispatchRules(port: PlannedServicePort, chain: string, endpoints: readonly PlannedEndpoint[], comment: (endpoint: PlannedEndpoint, index: number) => string | undefined) {
		if (port.affinitySeconds !== null) {
			for (const [index, endpoint] of endpoints.entries()) {
				const target = sepChain(port, endpoint);
				nat.rules.push({
					chain,
					comment: comment(endpoint, index),
					matches: [{module: 'recent', args: ['--name', target, '--rcheck', '--seconds', String(port.affinitySeconds), '--reap']}],
					jump: target,
				});
			}
		}

		for (const [index, endpoint] of endpoints.entries()) {
			const remaining = endpoints.length - index;
			nat.rules.push({
				chain,
				comment: comment(endpoint, index),
				matches: remaining > 1 ? [{module: 'statistic', args: ['--mode', 'random', '--probability', ruleProbability(remaining)]}] : [],
				jump: sepChain(port, endpoint),
			});
		}
	}

	function writeNewStyle(port: PlannedServicePort) {
		const hash = iptablesServiceHash(port.portString, port.protocol);
		const svc = `KUBE-SVC-${hash}`;
		const svl = `KUBE-SVL-${hash}`;
		const ext = `KUBE-EXT-${hash}`;
		const fw = `KUBE-FW-${hash}`;
		const name = port.portString;
		const hasEndpoints = port.clusterEndpoints.length > 0;
		const externallyAccessible = port.nodePort !== 0 || port.externalIPs.length > 0 || port.loadBalancerIPs.length > 0;
		const usesCluster = hasEndpoints && (!port.internalLocal || (externallyAccessible && !port.externalLocal));
		const usesLocal = port.localEndpoints.length > 0 && (port.internalLocal || (externallyAccessible && port.externalLocal));
		const internalChain = port.internalLocal ? svl : svc;
		const hasInternal = hasEndpoints && (!port.internalLocal || port.localEndpoints.length > 0);
		const externalPolicyChain = port.externalLocal ? svl : svc;
		const hasExternal = hasEndpoints && (!port.externalLocal || port.localEndpoints.length > 0);
		const usesExt = hasEndpoints && externallyAccessible;
		const usesFw = hasEndpoints && port.loadBalancerIPs.length > 0 && port.sourceRanges.length > 0;
		const lbChain = usesFw ? fw : ext;
		const filterTarget = hasEndpoints ? 'DROP' : 'REJECT';
		const filterComment = hasEndpoints ? `${name} has no local endpoints` : `${name} has no endpoints`;
		const tcp = {protocol: port.protocol, dport: port.port};
		const svcComment = serviceComments ? `${name} cluster IP` : undefined;

		if (hasInternal) {
			nat.rules.push({chain: 'KUBE-SERVICES', comment: svcComment, ...tcp, destination: host(port.clusterIP), jump: internalChain});
		} else {
			filter.rules.push({chain: 'KUBE-SERVICES', comment: filterComment, ...tcp, destination: host(port.clusterIP), jump: hasEndpoints ? 'DROP' : 'REJECT'});
		}

		for (const ip of port.externalIPs) {
			if (hasEndpoints) {
				nat.rules.push({chain: 'KUBE-SERVICES', comment: serviceComments ? `${name} external IP` : undefined, ...tcp, destination: host(ip), jump: ext});
			}

			if (!hasExternal) {
				filter.rules.push({chain: 'KUBE-EXTERNAL-SERVICES', comment: filterComment, ...tcp, destination: host(ip), jump: filterTarget});
			}
		}

		for (const ip of port.loadBalancerIPs) {
			if (hasEndpoints) {
				nat.rules.push({chain: 'KUBE-SERVICES', comment: serviceComments ? `${name} loadbalancer IP` : undefined, ...tcp, destination: host(ip), jump: lbChain});
			}

			if (usesFw) {
				filter.rules.push({chain: 'KUBE-PROXY-FIREWALL', comment: `${name} traffic not accepted by ${fw}`, ...tcp, destination: host(ip), jump: 'DROP'});
			}
		}

		if (!hasExternal) {
			for (const ip of port.loadBalancerIPs) {
				filter.rules.push({chain: 'KUBE-EXTERNAL-SERVICES', comment: filterComment, ...tcp, destination: host(ip), jump: filterTarget});
			}
		}

		if (port.nodePort !== 0) {
			const nodeTcp = {protocol: port.protocol, dport: port.nodePort};
			if (hasEndpoints) {
				if (options.localhostNodePorts !== false && !ipv6 && options.nfacct) {
					nat.rules.push({chain: 'KUBE-NODEPORTS', comment: name, ...nodeTcp, destination: '127.0.0.0/8', matches: [{module: 'nfacct', args: ['--nfacct-name', 'localhost_nps_accepted_pkts']}], jump: ext});
				}

				nat.rules.push({chain: 'KUBE-NODEPORTS', comment: name, ...nodeTcp, jump: ext});
			}

			if (!hasExternal) {
				filter.rules.push({chain: 'KUBE-EXTERNAL-SERVICES', comment: filterComment, matches: [{module: 'addrtype', args: ['--dst-type', 'LOCAL']}], ...nodeTcp, jump: filterTarget});
			}
		}

		if (port.healthCheckNodePort !== 0) {
			filter.rules.push({chain: 'KUBE-NODEPORTS', comment: `${name} health check node port`, protocol: 'tcp', dport: port.healthCheckNodePort, jump: 'ACCEPT'});
		}

		if (hasInternal && podCidr !== null) {
			nat.rules.push({chain: internalChain, comment: svcComment, ...tcp, destination: host(port.clusterIP), source: podCidr, sourceNegated: true, jump: 'KUBE-MARK-MASQ'});
		}

		if (usesExt) {
			nat.chains.add(ext);
			if (port.externalLocal) {
				if (podCidr !== null) {
					nat.rules.push({chain: ext, comment: `pod traffic for ${name} external destinations`, source: podCidr, jump: svc});
				}

				nat.rules.push(
					{chain: ext, comment: `masquerade LOCAL traffic for ${name} external destinations`, matches: [{module: 'addrtype', args: ['--src-type', 'LOCAL']}], jump: 'KUBE-MARK-MASQ'},
					{chain: ext, comment: `route LOCAL traffic for ${name} external destinations`, matches: [{module: 'addrtype', args: ['--src-type', 'LOCAL']}], jump: svc},
				);
			} else {
				nat.rules.push({chain: ext, comment: `masquerade traffic for ${name} external destinations`, jump: 'KUBE-MARK-MASQ'});
			}

			if (hasExternal) {
				nat.rules.push({chain: ext, jump: externalPolicyChain});
			}
		}

		if (usesFw) {
			nat.chains.add(fw);
			for (const range of port.sourceRanges) {
				nat.rules.push({chain: fw, comment: `${name} loadbalancer IP`, source: range, jump: ext});
			}

			nat.rules.push({chain: fw, comment: `other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`});
		}

		const ladderComment = (endpoint: PlannedEndpoint) => (endpointComments ? `${name} -> ${joinHostPort(endpoint.ip, endpoint.port)}` : undefined);
		if (usesCluster) {
			nat.chains.add(svc);
			dispatchRules(port, svc, port.clusterEndpoints, ladderComment);
		}

		if (usesLocal) {
			nat.chains.add(svl);
			dispatchRules(port, svl, port.localEndpoints, ladderComment);
		}

		endpointChainRules(port, [...(usesCluster ? port.clusterEndpoints : []), ...(usesLocal ? port.localEndpoints : [])]);
	}

	function writeOldStyle(port: PlannedServicePort) {
		const hash = iptablesServiceHash(port.portString, port.protocol);
		const svc = `KUBE-SVC-${hash}`;
		const xlb = `KUBE-XLB-${hash}`;
		const fw = `KUBE-FW-${hash}`;
		const name = port.portString;
		const tcp = {protocol: port.protocol, dport: port.port};
		const hasEndpoints = port.clusterEndpoints.length > 0;
		if (!hasEndpoints) {
			const comment = `${name} has no endpoints`;
			filter.rules.push({chain: 'KUBE-SERVICES', comment, ...tcp, destination: host(port.clusterIP), jump: 'REJECT'});
			for (const ip of [...port.externalIPs, ...port.loadBalancerIPs]) {
				filter.rules.push({chain: 'KUBE-EXTERNAL-SERVICES', comment, ...tcp, destination: host(ip), jump: 'REJECT'});
			}

			if (port.nodePort !== 0) {
				filter.rules.push({chain: 'KUBE-EXTERNAL-SERVICES', comment, matches: [{module: 'addrtype', args: ['--dst-type', 'LOCAL']}], protocol: port.protocol, dport: port.nodePort, jump: 'REJECT'});
			}

			return;
		}

		nat.chains.add(svc);
		const clusterComment = `${name} cluster IP`;
		if (podCidr !== null) {
			nat.rules.push({chain: 'KUBE-SERVICES', source: podCidr, sourceNegated: true, comment: clusterComment, ...tcp, destination: host(port.clusterIP), jump: 'KUBE-MARK-MASQ'});
		}

		nat.rules.push({chain: 'KUBE-SERVICES', comment: clusterComment, ...tcp, destination: host(port.clusterIP), jump: svc});
		const externalTarget = port.externalLocal ? xlb : svc;
		for (const ip of port.externalIPs) {
			const comment = `${name} external IP`;
			if (port.externalLocal) {
				nat.rules.push({chain: 'KUBE-SERVICES', comment, ...tcp, destination: host(ip), jump: xlb});
				continue;
			}

			nat.rules.push(
				{chain: 'KUBE-SERVICES', comment, ...tcp, destination: host(ip), jump: 'KUBE-MARK-MASQ'},
				{chain: 'KUBE-SERVICES', comment, ...tcp, destination: host(ip), matches: [{module: 'physdev', args: ['!', '--physdev-is-in']}, {module: 'addrtype', args: ['!', '--src-type', 'LOCAL']}], jump: svc},
				{chain: 'KUBE-SERVICES', comment, ...tcp, destination: host(ip), matches: [{module: 'addrtype', args: ['--dst-type', 'LOCAL']}], jump: svc},
			);
		}

		for (const ip of port.loadBalancerIPs) {
			const comment = `${name} loadbalancer IP`;
			nat.rules.push({chain: 'KUBE-SERVICES', comment, ...tcp, destination: host(ip), jump: fw});
			if (!nat.chains.has(fw)) {
				nat.chains.add(fw);
				if (!port.externalLocal) {
					nat.rules.push({chain: fw, comment, jump: 'KUBE-MARK-MASQ'});
				}

				if (port.sourceRanges.length === 0) {
					nat.rules.push({chain: fw, comment, jump: externalTarget});
				} else {
					for (const range of port.sourceRanges) {
						nat.rules.push({chain: fw, comment, source: range, jump: externalTarget});
					}

					nat.rules.push({chain: fw, comment, jump: 'KUBE-MARK-DROP'});
				}
			}
		}

		if (port.nodePort !== 0) {
			const nodeTcp = {protocol: port.protocol, dport: port.nodePort};
			if (port.externalLocal) {
				nat.rules.push(
					{chain: 'KUBE-NODEPORTS', comment: name, ...nodeTcp, source: '127.0.0.0/8', jump: 'KUBE-MARK-MASQ'},
					{chain: 'KUBE-NODEPORTS', comment: name, ...nodeTcp, jump: xlb},
				);
			} else {
				nat.rules.push(
					{chain: 'KUBE-NODEPORTS', comment: name, ...nodeTcp, jump: 'KUBE-MARK-MASQ'},
					{chain: 'KUBE-NODEPORTS', comment: name, ...nodeTcp, jump: svc},
				);
			}
		}

		const comment = () => (endpointComments ? name : undefined);
		dispatchRules(port, svc, port.clusterEndpoints, comment);
		endpointChainRules(port, port.clusterEndpoints);

		if (port.externalLocal) {
			nat.chains.add(xlb);
			if (podCidr !== null) {
				nat.rules.push({chain: xlb, comment: 'Redirect pods trying to reach external loadbalancer VIP to clusterIP', source: podCidr, jump: svc});
			}

			nat.rules.push(
				{chain: xlb, comment: `masquerade LOCAL traffic for ${name} LB IP`, matches: [{module: 'addrtype', args: ['--src-type', 'LOCAL']}], jump: 'KUBE-MARK-MASQ'},
				{chain: xlb, comment: `route LOCAL traffic for ${name} LB IP to service chain`, matches: [{module: 'addrtype', args: ['--src-type', 'LOCAL']}], jump: svc},
			);
			if (port.localEndpoints.length === 0) {
				nat.rules.push({chain: xlb, comment: `${name} has no local endpoints`, jump: 'KUBE-MARK-DROP'});
			} else {
				dispatchRules(port, xlb, port.localEndpoints, (_endpoint, index) => `Balancing rule ${index} for ${name}`);
			}
		}
	}
}

function conntrack(state: string): Match {
	return {module: 'conntrack', args: ['--ctstate', state]};
}

function hostMask(ip: string): string {
	if (ip.includes('/')) {
		return ip;
	}

	return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

function quoteComment(comment: string, always: boolean): string {
	const escaped = comment.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
	return always || /[\s"\\]/.test(comment) ? `"${escaped}"` : escaped;
}

function printTable(name: string, builtins: string[], table: TableOut, printer: (rule: Rule) => string, saved: boolean): string[] {
	const lines = [`*${name}`];
	const user = saved ? [...table.chains].sort() : [...table.chains];
	for (const chain of builtins) {
		lines.push(`:${chain} ACCEPT [0:0]`);
	}

	for (const chain of user) {
		lines.push(`:${chain} - [0:0]`);
	}

	if (saved) {
		// iptables-save lists rules chain by chain: built-ins first, then user chains by name.
		const order = new Map([...builtins, ...user].map((chain, index) => [chain, index]));
		const sorted = table.rules.map((rule, index) => ({rule, index}))
			.sort((a, b) => (order.get(a.rule.chain)! - order.get(b.rule.chain)!) || a.index - b.index);
		for (const {rule} of sorted) {
			lines.push(printer(rule));
		}
	} else {
		for (const rule of table.rules) {
			lines.push(printer(rule));
		}
	}

	lines.push('COMMIT');
	return lines;
}

/** kube-proxy 1.24+ argument order. */
function printNew(rule: Rule): string {
	const parts = ['-A', rule.chain];
	if (rule.comment !== undefined) {
		parts.push('-m', 'comment', '--comment', quoteComment(rule.comment, false));
	}

	for (const match of rule.matches ?? []) {
		if (match.module !== 'nfacct') {
			parts.push('-m', match.module, ...match.args);
		}
	}

	if (rule.protocol) {
		parts.push('-m', rule.protocol, '-p', rule.protocol);
	}

	if (rule.destination) {
		parts.push(...(rule.destinationNegated ? ['!'] : []), '-d', rule.destination);
	}

	if (rule.dport !== undefined) {
		parts.push('--dport', String(rule.dport));
	}

	for (const match of rule.matches ?? []) {
		if (match.module === 'nfacct') {
			parts.push('-m', match.module, ...match.args);
		}
	}

	if (rule.source) {
		parts.push(...(rule.sourceNegated ? ['!'] : []), '-s', rule.source);
	}

	if (rule.jump) {
		parts.push('-j', rule.jump, ...(rule.targetArgs ?? []));
	}

	return parts.join(' ');
}

/** kube-proxy up to ~1.23: negated source first, `/32` addresses. */
function printOld(rule: Rule): string {
	const parts = ['-A', rule.chain];
	if (rule.source && rule.sourceNegated) {
		parts.push('!', '-s', rule.source);
	}

	if (rule.comment !== undefined) {
		parts.push('-m', 'comment', '--comment', quoteComment(rule.comment, false));
	}

	if (rule.protocol) {
		parts.push('-m', rule.protocol, '-p', rule.protocol);
	}

	if (rule.destination) {
		parts.push(...(rule.destinationNegated ? ['!'] : []), '-d', rule.destination);
	}

	if (rule.dport !== undefined) {
		parts.push('--dport', String(rule.dport));
	}

	if (rule.source && !rule.sourceNegated) {
		parts.push('-s', rule.source);
	}

	for (const match of rule.matches ?? []) {
		parts.push('-m', match.module, ...match.args);
	}

	if (rule.jump) {
		parts.push('-j', rule.jump, ...(rule.targetArgs ?? []));
	}

	return parts.join(' ');
}

/** The order and spelling iptables-save (nf_tables backend, 1.8) prints rules back in. */
function printSaved(rule: Rule): string {
	const parts = ['-A', rule.chain];
	if (rule.source) {
		parts.push(...(rule.sourceNegated ? ['!'] : []), '-s', hostMask(rule.source));
	}

	if (rule.destination) {
		parts.push(...(rule.destinationNegated ? ['!'] : []), '-d', hostMask(rule.destination));
	}

	if (rule.protocol) {
		parts.push('-p', rule.protocol);
	}

	if (rule.comment !== undefined) {
		parts.push('-m', 'comment', '--comment', quoteComment(rule.comment, true));
	}

	const matches = rule.matches ?? [];
	for (const match of matches) {
		if (match.module === 'recent' && match.args.includes('--set')) {
			continue;
		}

		parts.push('-m', match.module, ...savedMatchArgs(match));
	}

	const setRecent = matches.find(match => match.module === 'recent' && match.args.includes('--set'));
	if (setRecent) {
		parts.push('-m', 'recent', ...savedMatchArgs(setRecent));
	}

	if (rule.protocol) {
		parts.push('-m', rule.protocol);
		if (rule.dport !== undefined) {
			parts.push('--dport', String(rule.dport));
		}
	}

	if (rule.jump) {
		parts.push('-j', rule.jump, ...savedTargetArgs(rule.jump, rule.targetArgs ?? []));
	}

	return parts.join(' ');
}

function savedMatchArgs(match: Match): string[] {
	if (match.module === 'statistic') {
		const probability = Number(match.args[match.args.indexOf('--probability') + 1]);
		// The kernel keeps the probability as a 31-bit fraction; iptables prints it with 11 decimals.
		const stored = Math.round(probability * 0x80_00_00_00);
		return ['--mode', 'random', '--probability', (stored / 0x80_00_00_00).toFixed(11)];
	}

	if (match.module === 'recent') {
		const name = match.args[match.args.indexOf('--name') + 1]!;
		if (match.args.includes('--set')) {
			return ['--set', '--name', name, '--mask', '255.255.255.255', '--rsource'];
		}

		const seconds = match.args[match.args.indexOf('--seconds') + 1]!;
		return ['--rcheck', '--seconds', seconds, '--reap', '--name', name, '--mask', '255.255.255.255', '--rsource'];
	}

	return [...match.args];
}

function savedTargetArgs(jump: string, args: readonly string[]): string[] {
	if (jump === 'REJECT' && args.length === 0) {
		return ['--reject-with', 'icmp-port-unreachable'];
	}

	if (jump === 'MARK' && args[0] === '--or-mark') {
		return ['--set-xmark', `${args[1]!}/${args[1]!}`];
	}

	if (jump === 'MARK' && args[0] === '--xor-mark') {
		return ['--set-xmark', `${args[1]!}/0x0`];
	}

	return [...args];
}
