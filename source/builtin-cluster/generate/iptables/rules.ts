import {iptablesEndpointChain} from '../chain-names.js';
import type {PlannedEndpoint, PlannedServicePort} from '../../../core/nat/service-ports.js';
import {defaultClusterCIDR, joinHostPort, type NatGeneratorOptions, ruleProbability} from '../plan.js';
import {hostMask} from './print.js';

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

export type Match = {readonly module: string; readonly args: readonly string[]};

/** A rule in parts, so it can be printed either the way kube-proxy writes it or the way iptables-save prints it. */
export type Rule = {
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

/** One table: its user chains in the order they were declared, its rules in the order they were written. */
export type TableOut = {chains: Set<string>; rules: Rule[]};

export function conntrack(state: string): Match {
	return {module: 'conntrack', args: ['--ctstate', state]};
}

export const localDestination: Match = {module: 'addrtype', args: ['--dst-type', 'LOCAL']};
export const localSource: Match = {module: 'addrtype', args: ['--src-type', 'LOCAL']};

/** The two tables being written and the settings every chain kind reads. */
export class RuleWriter {
	readonly filter: TableOut = {chains: new Set(['KUBE-NODEPORTS', 'KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD']), rules: []};
	readonly nat: TableOut = {chains: new Set(['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']), rules: []};
	readonly style: 'new' | 'old';
	/** Per-endpoint comments: kube-proxy leaves them out past 1000 endpoint chains. */
	readonly endpointComments: boolean;
	readonly serviceComments: boolean;
	readonly mark: string;
	readonly podCidr: string | null;
	readonly ipv6: boolean;

	constructor(readonly options: IptablesGeneratorOptions, ports: readonly PlannedServicePort[]) {
		this.style = options.style ?? 'new';
		const endpointChains = ports.reduce((sum, port) => sum + port.clusterEndpoints.length, 0);
		this.endpointComments = options.comments === 'always' || (options.comments !== 'never' && endpointChains <= 1000);
		this.serviceComments = options.comments !== 'never';
		this.mark = options.masqueradeMark ?? '0x4000';
		this.podCidr = defaultClusterCIDR(options);
		this.ipv6 = options.family === 'IPv6';
		if (this.style === 'new') {
			this.filter.chains.add('KUBE-PROXY-FIREWALL');
		} else {
			this.nat.chains.add('KUBE-MARK-DROP');
		}
	}

	/** An address as a rule writes it: the old style and iptables-save add the host mask. */
	host(ip: string): string {
		return this.style === 'old' || this.options.form === 'save' ? hostMask(ip) : ip;
	}

	/** KUBE-SEP-...: one endpoint of one Service port. */
	endpointChain(port: PlannedServicePort, endpoint: PlannedEndpoint): string {
		return iptablesEndpointChain(port.portString, port.protocol, joinHostPort(endpoint.ip, endpoint.port));
	}

	/** Each endpoint's chain (once): masquerade hairpin traffic, then DNAT, recording affinity when the Service has it. */
	endpointChainRules(port: PlannedServicePort, endpoints: readonly PlannedEndpoint[]): void {
		for (const endpoint of endpoints) {
			const chain = this.endpointChain(port, endpoint);
			if (this.nat.chains.has(chain)) {
				continue;
			}

			this.nat.chains.add(chain);
			const comment = this.endpointComments ? port.portString : undefined;
			this.nat.rules.push({chain, comment, source: this.host(endpoint.ip), jump: 'KUBE-MARK-MASQ'});
			const recent: Match[] = port.affinitySeconds === null ? [] : [{module: 'recent', args: ['--name', chain, '--set']}];
			this.nat.rules.push({chain, comment, matches: recent, protocol: port.protocol, jump: 'DNAT', targetArgs: ['--to-destination', joinHostPort(endpoint.ip, endpoint.port)]});
		}
	}

	/** Affinity checks then the random-match ladder, from a dispatch chain to its endpoints. */
	dispatchRules(port: PlannedServicePort, chain: string, endpoints: readonly PlannedEndpoint[], comment: (endpoint: PlannedEndpoint, index: number) => string | undefined): void {
		if (port.affinitySeconds !== null) {
			for (const [index, endpoint] of endpoints.entries()) {
				const target = this.endpointChain(port, endpoint);
				this.nat.rules.push({
					chain,
					comment: comment(endpoint, index),
					matches: [{module: 'recent', args: ['--name', target, '--rcheck', '--seconds', String(port.affinitySeconds), '--reap']}],
					jump: target,
				});
			}
		}

		for (const [index, endpoint] of endpoints.entries()) {
			const remaining = endpoints.length - index;
			this.nat.rules.push({
				chain,
				comment: comment(endpoint, index),
				matches: remaining > 1 ? [{module: 'statistic', args: ['--mode', 'random', '--probability', ruleProbability(remaining)]}] : [],
				jump: this.endpointChain(port, endpoint),
			});
		}
	}
}
