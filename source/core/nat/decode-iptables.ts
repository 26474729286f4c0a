import type {IptablesChain, IptablesDump, IptablesRule} from './iptables-parse.js';
import type {NatEndpoint, NatEntryKind, NatFlowTable, NatProblem} from './types.js';
import {iptablesChainHash, iptablesServiceHash} from './chain-names.js';
import {
	addEntry, compareFlows, finishFlow, type FlowDraft, hostAddress, newDraft, protocolOf, servicePortFromComment, splitHostPort,
} from './flow-builder.js';
import {chainShares} from './shares.js';

type EndpointTarget = {ip: string; port: number; hairpin: boolean; line: number | null};

type PathResult = {
	path: string[];
	target: 'cluster' | 'local' | 'none';
	sourceRanges: string[];
	localOnly: boolean;
};

/**
 * Decode kube-proxy's iptables rules (nat and filter tables) into one flow per Service port.
 * Handles both generations: KUBE-XLB-/KUBE-MARK-DROP (up to ~1.23) and KUBE-EXT-/KUBE-SVL- (1.24+),
 * with or without comments.
 */
export function decodeIptables(dump: IptablesDump): NatFlowTable {
	const problems: NatProblem[] = [...dump.problems];
	const nat = dump.tables.get('nat')?.chains ?? new Map<string, IptablesChain>();
	const filter = dump.tables.get('filter')?.chains ?? new Map<string, IptablesChain>();
	const drafts = new Map<string, FlowDraft>();
	const endpointCache = new Map<string, EndpointTarget | null>();

	const draftFor = (hash: string): FlowDraft => {
		let draft = drafts.get(hash);
		if (!draft) {
			draft = newDraft(hash);
			drafts.set(hash, draft);
		}

		return draft;
	};

	const identify = (draft: FlowDraft, rule: IptablesRule) => {
		draft.protocol ??= protocolOf(rule.protocol);
		if (draft.identified) {
			return;
		}

		const named = servicePortFromComment(rule.comment);
		if (named) {
			draft.service = named.service;
			draft.port = named.port;
			draft.identified = true;
		}
	};

	const rulesOf = (name: string): IptablesRule[] => nat.get(name)?.rules ?? [];
	const masqueradeMark = findMark(rulesOf('KUBE-MARK-MASQ'));
	const oldStyle = nat.has('KUBE-MARK-DROP') || [...nat.keys()].some(name => name.startsWith('KUBE-XLB-'));

	// Entry points: KUBE-SERVICES (cluster, external and load-balancer IPs) and KUBE-NODEPORTS.
	const nodePortAddresses: Array<string | null> = [];
	const pendingMasquerade: IptablesRule[] = [];
	const entryStarts: Array<{draft: FlowDraft; index: number; chain: string}> = [];
	for (const rule of rulesOf('KUBE-SERVICES')) {
		const target = rule.target;
		if (target === 'KUBE-NODEPORTS') {
			nodePortAddresses.push(rule.destination && !rule.destinationNegated ? hostAddress(rule.destination) : null);
			continue;
		}

		if (target === 'KUBE-MARK-MASQ') {
			pendingMasquerade.push(rule);
			continue;
		}

		const chain = target ? iptablesChainHash(target) : null;
		if (!chain || !target) {
			continue;
		}

		const draft = draftFor(chain.hash);
		identify(draft, rule);
		const kind = kindFromComment(rule.comment) ?? (chain.kind === 'FW' ? 'loadBalancer' : (chain.kind === 'SVC' || chain.kind === 'SVL' ? 'clusterIP' : 'externalIP'));
		const port = Number(rule.destinationPort);
		if (!rule.destination || !Number.isInteger(port)) {
			problems.push({line: rule.line, message: `line ${rule.line}: service rule without destination address or port: ${rule.raw}`});
			continue;
		}

		addEntryStart(draft, kind, hostAddress(rule.destination), port, rule, target);
	}

	for (const rule of rulesOf('KUBE-NODEPORTS')) {
		const target = rule.target;
		if (target === 'KUBE-MARK-MASQ') {
			pendingMasquerade.push(rule);
			continue;
		}

		const chain = target ? iptablesChainHash(target) : null;
		if (!chain || !target) {
			continue;
		}

		const draft = draftFor(chain.hash);
		identify(draft, rule);
		const port = Number(rule.destinationPort);
		if (!Number.isInteger(port)) {
			problems.push({line: rule.line, message: `line ${rule.line}: NodePort rule without --dport: ${rule.raw}`});
			continue;
		}

		if (rule.destination) {
			addEntryStart(draft, 'nodePort', hostAddress(rule.destination), port, rule, target);
		} else if (nodePortAddresses.length > 0 && nodePortAddresses.every(address => address !== null)) {
			for (const address of nodePortAddresses) {
				addEntryStart(draft, 'nodePort', address, port, rule, target);
			}
		} else {
			addEntryStart(draft, 'nodePort', null, port, rule, target);
		}
	}

	// Walk each entry to its endpoint chain.
	for (const {draft, index, chain} of entryStarts) {
		const result = walk(draft, chain, draft.entries[index]!.line);
		const entry = draft.entries[index]!;
		draft.entries[index] = {...entry, ...result};
	}

	// Old style: masquerade rules sit in KUBE-SERVICES / KUBE-NODEPORTS next to the jump.
	for (const rule of pendingMasquerade) {
		const draft = draftForRule(rule);
		if (draft) {
			draft.masquerade.push({chain: rule.chain, condition: masqueradeCondition(rule), line: rule.line});
		}
	}

	// Endpoint dispatch chains.
	for (const draft of drafts.values()) {
		if (draft.chain) {
			draft.endpoints = dispatch(draft, draft.chain);
		}

		if (draft.localChain) {
			draft.localEndpoints = dispatch(draft, draft.localChain);
		}
	}

	// Filter table: services without (local) endpoints are rejected or dropped there.
	for (const chainName of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS']) {
		for (const rule of filter.get(chainName)?.rules ?? []) {
			if (rule.target !== 'REJECT' && rule.target !== 'DROP') {
				continue;
			}

			noEndpointsRule(rule, chainName);
		}
	}

	const services = [...drafts.values()].map(draft => finishFlow(draft, problems)).sort(compareFlows);
	return {
		mode: 'iptables',
		variant: oldStyle ? 'iptables-old' : 'iptables-new',
		services,
		problems,
		masqueradeMark,
	};

	function addEntryStart(draft: FlowDraft, kind: NatEntryKind, ip: string | null, port: number, rule: IptablesRule, chain: string) {
		const before = draft.entries.length;
		addEntry(draft, {kind, ip, port, sourceRanges: [], localOnly: false, path: [chain], target: 'none', line: rule.line});
		if (draft.entries.length > before) {
			entryStarts.push({draft, index: before, chain});
		}
	}

	function draftForRule(rule: IptablesRule): FlowDraft | undefined {
		const named = servicePortFromComment(rule.comment);
		const protocol = rule.protocol;
		if (named && protocol) {
			const hash = iptablesServiceHash(named.port ? `${named.service}:${named.port}` : named.service, protocol);
			const draft = drafts.get(hash);
			if (draft) {
				return draft;
			}
		}

		const port = Number(rule.destinationPort);
		const address = rule.destination ? hostAddress(rule.destination) : null;
		for (const draft of drafts.values()) {
			if (draft.entries.some(entry => entry.port === port && (entry.ip === address || (entry.kind === 'nodePort' && address === null)))) {
				return draft;
			}
		}

		return undefined;
	}

	/** Follow FW -> EXT -> SVC/SVL (or XLB) from an entry's first chain. */
	function walk(draft: FlowDraft, start: string, line: number | null): PathResult {
		const path: string[] = [];
		const sourceRanges: string[] = [];
		let localOnly = false;
		let current: string | null = start as string | null;
		for (let depth = 0; current && depth < 8; depth++) {
			path.push(current);
			const kind = iptablesChainHash(current)?.kind;
			if (!nat.has(current)) {
				problems.push({line, message: `${line === null ? '' : `line ${line}: `}${label(draft)}: jump to missing chain ${current}`});
				return {path, target: 'none', sourceRanges, localOnly};
			}

			switch (kind) {
				case 'SVC': {
					draft.chain ??= current;
					collectMasquerade(draft, current);
					return {path, target: 'cluster', sourceRanges, localOnly};
				}

				case 'SVL': {
					draft.localChain ??= current;
					collectMasquerade(draft, current);
					return {path, target: 'local', sourceRanges, localOnly};
				}

				case 'XLB': {
					draft.localChain ??= current;
					collectMasquerade(draft, current);
					for (const rule of rulesOf(current)) {
						identify(draft, rule);
						if (rule.target?.startsWith('KUBE-SVC-')) {
							draft.chain ??= rule.target;
						}
					}

					return {path, target: 'local', sourceRanges, localOnly: true};
				}

				case 'FW': {
					collectMasquerade(draft, current);
					let next: string | null = null;
					let unrestricted = false;
					for (const rule of rulesOf(current) as IptablesRule[]) {
						identify(draft, rule);
						const targetKind = rule.target ? iptablesChainHash(rule.target)?.kind : undefined;
						if (targetKind === 'EXT' || targetKind === 'SVC' || targetKind === 'XLB' || targetKind === 'SVL') {
							next ??= rule.target;
							if (rule.source && !rule.sourceNegated) {
								sourceRanges.push(rule.source);
							} else {
								unrestricted = true;
							}
						}
					}

					if (unrestricted) {
						sourceRanges.length = 0;
					}

					current = next;
					break;
				}

				case 'EXT': {
					collectMasquerade(draft, current);
					let next: string | null = null;
					for (const rule of rulesOf(current) as IptablesRule[]) {
						identify(draft, rule);
						const target: string | null = rule.target;
						const targetKind = target ? iptablesChainHash(target)?.kind : undefined;
						if (targetKind !== 'SVC' && targetKind !== 'SVL') {
							continue;
						}

						if (rule.source || rule.srcType) {
							// Pod and node traffic short-circuit to the cluster chain: only kept for policy Local.
							localOnly = true;
							if (targetKind === 'SVC') {
								draft.chain ??= target;
							}
						} else {
							next ??= target;
						}
					}

					if (next && iptablesChainHash(next)?.kind === 'SVL') {
						localOnly = true;
					}

					current = next;
					break;
				}

				default: {
					return {path, target: 'none', sourceRanges, localOnly};
				}
			}
		}

		return {path, target: 'none', sourceRanges, localOnly};
	}

	function collectMasquerade(draft: FlowDraft, chain: string) {
		for (const rule of rulesOf(chain)) {
			if (rule.target === 'KUBE-MARK-MASQ' && !draft.masquerade.some(each => each.line === rule.line)) {
				draft.masquerade.push({chain, condition: masqueradeCondition(rule), line: rule.line});
			}
		}
	}

	/** The endpoint list of a KUBE-SVC-/KUBE-SVL-/KUBE-XLB- chain, with effective shares. */
	function dispatch(draft: FlowDraft, chain: string): NatEndpoint[] {
		const jumps: IptablesRule[] = [];
		let sawUnconditional = false;
		for (const rule of rulesOf(chain)) {
			const target = rule.target;
			if (target === 'KUBE-MARK-DROP') {
				setNoEndpoints(draft, 'drop', rule.line);
				continue;
			}

			if (!target?.startsWith('KUBE-SEP-')) {
				continue;
			}

			identify(draft, rule);
			if (rule.recent && rule.recent.action === 'rcheck') {
				if (rule.recent.seconds !== null) {
					draft.affinity = {timeoutSeconds: rule.recent.seconds};
				}

				continue;
			}

			if (sawUnconditional) {
				problems.push({line: rule.line, message: `line ${rule.line}: unreachable rule after the last unconditional jump in ${chain}: ${rule.raw}`});
				continue;
			}

			if (rule.probability === null) {
				sawUnconditional = true;
			}

			jumps.push(rule);
		}

		if (jumps.length > 0 && !sawUnconditional) {
			problems.push({line: jumps.at(-1)!.line, message: `line ${jumps.at(-1)!.line}: ${chain} ends with a random match: some new connections fall through without DNAT`});
		}

		const shares = chainShares(jumps.map(rule => rule.probability));
		const endpoints: NatEndpoint[] = [];
		for (const [index, rule] of jumps.entries()) {
			const target = endpointOf(draft, rule.target!, rule);
			if (!target) {
				continue;
			}

			endpoints.push({
				ip: target.ip,
				port: target.port,
				probability: shares[index]!,
				chain: rule.target!,
				written: rule.probability,
				line: rule.line,
				hairpinMasquerade: target.hairpin,
			});
		}

		return endpoints;
	}

	function endpointOf(draft: FlowDraft, chain: string, jump: IptablesRule): EndpointTarget | null {
		const cached = endpointCache.get(chain);
		if (cached !== undefined) {
			return cached;
		}

		const rules = nat.get(chain)?.rules;
		let result: EndpointTarget | null = null;
		if (rules) {
			let hairpin = false;
			for (const rule of rules) {
				identify(draft, rule);
				if (rule.target === 'KUBE-MARK-MASQ' && rule.source) {
					hairpin = true;
				}

				if (rule.target === 'DNAT' && rule.toDestination) {
					const split = splitHostPort(rule.toDestination);
					if (split) {
						result = {ip: split.ip, port: split.port, hairpin, line: rule.line};
					} else {
						problems.push({line: rule.line, message: `line ${rule.line}: bad --to-destination ${rule.toDestination}: ${rule.raw}`});
					}
				}
			}

			if (result) {
				result.hairpin = hairpin;
			} else {
				problems.push({line: jump.line, message: `line ${jump.line}: endpoint chain ${chain} has no DNAT rule`});
			}
		} else {
			problems.push({line: jump.line, message: `line ${jump.line}: jump to missing endpoint chain ${chain}`});
		}

		// A partial dump (grep output) may lack the KUBE-SEP chain; the jump's comment still names the endpoint.
		const named = result ?? endpointFromComment(jump.comment);
		if (!result && named) {
			return named;
		}

		endpointCache.set(chain, result);
		return result;
	}

	function noEndpointsRule(rule: IptablesRule, chainName: string) {
		const named = servicePortFromComment(rule.comment);
		const protocol = rule.protocol ?? 'tcp';
		const port = Number(rule.destinationPort);
		const address = rule.destination ? hostAddress(rule.destination) : null;
		let draft: FlowDraft | undefined;
		if (named) {
			const hash = iptablesServiceHash(named.port ? `${named.service}:${named.port}` : named.service, protocol);
			draft = draftFor(hash);
			identify(draft, rule);
		} else {
			draft = draftForRule(rule);
			if (!draft) {
				draft = draftFor(`${address ?? '*'}:${rule.destinationPort ?? '?'}/${protocol}`);
				draft.protocol ??= protocolOf(protocol);
			}
		}

		if (Number.isInteger(port)) {
			const local = rule.dstType === 'LOCAL' && !rule.dstTypeNegated;
			const kind: NatEntryKind = local || (chainName === 'KUBE-NODEPORTS') ? 'nodePort' : (chainName === 'KUBE-SERVICES' ? 'clusterIP' : 'externalIP');
			const known = draft.entries.some(entry => entry.port === port && (kind === 'nodePort' ? entry.kind === 'nodePort' : entry.ip === address));
			if (!known) {
				addEntry(draft, {kind, ip: kind === 'nodePort' ? null : address, port, sourceRanges: [], localOnly: false, path: [], target: 'none', line: rule.line});
			}
		}

		setNoEndpoints(draft, rule.target === 'REJECT' ? 'reject' : 'drop', rule.line);
	}
}

function endpointFromComment(comment: string | null): EndpointTarget | null {
	const match = comment ? / -> (\S+)$/.exec(comment) : null;
	const split = match ? splitHostPort(match[1]!) : null;
	return split ? {ip: split.ip, port: split.port, hairpin: false, line: null} : null;
}

function setNoEndpoints(draft: FlowDraft, verdict: 'reject' | 'drop', line: number) {
	if (draft.noEndpoints !== 'reject') {
		draft.noEndpoints = verdict;
	}

	if (!draft.noEndpointsLines.includes(line)) {
		draft.noEndpointsLines.push(line);
	}
}

function label(draft: FlowDraft): string {
	return draft.service ? `${draft.service}${draft.port ? `:${draft.port}` : ''}` : draft.key;
}

function kindFromComment(comment: string | null): NatEntryKind | null {
	if (!comment) {
		return null;
	}

	if (comment.endsWith(' cluster IP')) {
		return 'clusterIP';
	}

	if (comment.endsWith(' external IP')) {
		return 'externalIP';
	}

	if (comment.endsWith(' loadbalancer IP')) {
		return 'loadBalancer';
	}

	return null;
}

function findMark(rules: IptablesRule[]): string | null {
	for (const rule of rules) {
		if (rule.target === 'MARK' && rule.setMark) {
			// `or-mark 0x4000`, `set-xmark 0x4000/0x4000`: the bit is the value before any mask.
			const value = rule.setMark.split(' ').at(-1)!;
			return value.split('/')[0]!;
		}
	}

	return null;
}

/** Human wording of a KUBE-MARK-MASQ rule's conditions. */
export function masqueradeCondition(rule: IptablesRule): string {
	const parts: string[] = [];
	if (rule.source) {
		parts.push(`${rule.sourceNegated ? 'source not in' : 'source'} ${rule.source}`);
	}

	if (rule.srcType) {
		parts.push(`source ${rule.srcTypeNegated ? 'is not' : 'is'} ${rule.srcType === 'LOCAL' ? 'a local address' : rule.srcType}`);
	}

	if (rule.other?.includes('--physdev-is-in')) {
		parts.push('bridged');
	}

	return parts.length > 0 ? parts.join(', ') : 'always';
}
