import {
	type IndexedChain, type IptablesIndex, type IptablesRule, indexedRuleDetails, indexedRuleRaw,
} from './iptables-parse.js';
import type {NatBypass, NatEndpoint, NatEntryKind, NatFlowTable, NatProblem} from './types.js';
import {iptablesChainHash, iptablesServiceHash} from './chain-names.js';
import {
	addBypass, addEntry, addMasquerade, compareFlows, finishFlow, type FlowDraft, draftIn, hostAddress, identifyFlow, markLocalDrop, protocolOf, servicePortFromComment, splitHostPort,
} from './flow-builder.js';
import {chainShares} from './shares.js';
import {decodeIptablesFast, findMark, kindFromComment, masqueradeCondition} from './decode-iptables-fast.js';

export {masqueradeCondition} from './decode-iptables-fast.js';

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
export function decodeIptables(dump: IptablesIndex): NatFlowTable {
	// Ordinary kube-proxy dumps are decoded straight from the text, before any index is built.
	if (!dump.eager) {
		const fast = decodeIptablesFast(dump.text);
		if (fast) {
			return fast;
		}
	}

	const problems: NatProblem[] = [...dump.problems];
	const nat = dump.tables.get('nat')?.chains ?? new Map<string, IndexedChain>();
	const filter = dump.tables.get('filter')?.chains ?? new Map<string, IndexedChain>();
	const {text, starts, ends, lines: ruleLines, next} = dump;
	const drafts = new Map<string, FlowDraft>();
	// Endpoint of each KUBE-SEP chain by chain id, once read; by name for chains the dump lacks.
	const endpointByChain = new Array<EndpointTarget | null | undefined>(dump.chainIds);
	const missingEndpoints = new Map<string, EndpointTarget | null>();

	const draftFor = (hash: string): FlowDraft => draftIn(drafts, hash);

	const detail = (id: number, chain: IndexedChain): IptablesRule | null => indexedRuleDetails(dump, id, chain.table, problems);
	/** Parsed rules of a nat chain (the small chains: entry points, EXT, FW, XLB, marks). */
	const rulesOf = (name: string): IptablesRule[] => {
		const rules: IptablesRule[] = [];
		const chain = nat.get(name);
		if (!chain) {
			return rules;
		}

		for (let id = chain.first; id !== -1; id = next[id]!) {
			const parsed = detail(id, chain);
			if (parsed) {
				rules.push(parsed);
			}
		}

		return rules;
	};
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
		identifyFlow(draft, rule);
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
		identifyFlow(draft, rule);
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
		const chain = filter.get(chainName);
		for (let id = chain ? chain.first : -1; id !== -1; id = next[id]!) {
			const rule = detail(id, chain!);
			if (rule?.target !== 'REJECT' && rule?.target !== 'DROP') {
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
						identifyFlow(draft, rule);
						if (rule.target?.startsWith('KUBE-SVC-')) {
							draft.chain ??= rule.target;
							addBypass(draft, bypassOf(rule, current));
						}
					}

					return {path, target: 'local', sourceRanges, localOnly: true};
				}

				case 'FW': {
					collectMasquerade(draft, current);
					let next: string | null = null;
					let unrestricted = false;
					for (const rule of rulesOf(current) as IptablesRule[]) {
						identifyFlow(draft, rule);
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
						identifyFlow(draft, rule);
						const target: string | null = rule.target;
						const targetKind = target ? iptablesChainHash(target)?.kind : undefined;
						if (targetKind !== 'SVC' && targetKind !== 'SVL') {
							continue;
						}

						if (rule.source || rule.srcType || rule.other) {
							// Pod and node traffic short-circuit to the cluster chain: only kept for policy Local.
							localOnly = true;
							if (targetKind === 'SVC') {
								draft.chain ??= target;
								addBypass(draft, bypassOf(rule, current));
							}
						} else {
							next ??= target;
						}
					}

					if (next && iptablesChainHash(next)?.kind === 'SVL') {
						localOnly = true;
					}

					if (!next && localOnly) {
						// Policy Local without a local endpoint: kube-proxy writes no jump to KUBE-SVL-, so
						// outside traffic falls off the chain and the filter table drops it.
						markLocalDrop(draft);
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
		const indexed = nat.get(chain);
		for (let id = indexed ? indexed.first : -1; id !== -1; id = next[id]!) {
			// Only the mark rules need a full parse; dispatch chains hold mostly KUBE-SEP- jumps.
			if (ends[id]! - starts[id]! < 18 || !text.startsWith(' -j KUBE-MARK-MASQ', ends[id]! - 18)) {
				continue;
			}

			const rule = detail(id, indexed!);
			if (rule?.target === 'KUBE-MARK-MASQ') {
				addMasquerade(draft, {chain, condition: masqueradeCondition(rule), line: rule.line});
			}
		}
	}

	/** The endpoint list of a KUBE-SVC-/KUBE-SVL-/KUBE-XLB- chain, with effective shares. */
	function dispatch(draft: FlowDraft, chain: string): NatEndpoint[] {
		const jumps: Jump[] = [];
		let sawUnconditional = false;
		const indexed = nat.get(chain);
		for (let id = indexed ? indexed.first : -1; id !== -1; id = next[id]!) {
			// Fast path for kube-proxy's plain ladder rules; anything else gets a full parse.
			let jump = quickJump(text.slice(starts[id], ends[id]), ruleLines[id]!, id);
			if (!jump || !draft.identified) {
				const rule = detail(id, indexed!);
				if (!rule) {
					continue;
				}

				identifyFlow(draft, rule);
				if (rule.target === 'KUBE-MARK-DROP') {
					setNoEndpoints(draft, 'drop', rule.line);
					continue;
				}

				if (!rule.target?.startsWith('KUBE-SEP-')) {
					continue;
				}

				if (rule.recent && rule.recent.action === 'rcheck') {
					if (rule.recent.seconds !== null) {
						draft.affinity = {timeoutSeconds: rule.recent.seconds};
					}

					continue;
				}

				jump = {line: rule.line, raw: rule.raw, target: rule.target, probability: rule.probability, id};
			} else if (jump.target === 'KUBE-MARK-DROP') {
				setNoEndpoints(draft, 'drop', jump.line);
				continue;
			} else if (!jump.target.startsWith('KUBE-SEP-')) {
				continue;
			}

			if (sawUnconditional) {
				problems.push({line: jump.line, message: `line ${jump.line}: unreachable rule after the last unconditional jump in ${chain}: ${jump.raw}`});
				continue;
			}

			if (jump.probability === null) {
				sawUnconditional = true;
			}

			jumps.push(jump);
		}

		if (jumps.length > 0 && !sawUnconditional) {
			problems.push({line: jumps.at(-1)!.line, message: `line ${jumps.at(-1)!.line}: ${chain} ends with a random match: some new connections fall through without DNAT`});
		}

		const shares = chainShares(jumps.map(jump => jump.probability));
		const endpoints: NatEndpoint[] = [];
		for (const [index, jump] of jumps.entries()) {
			const target = endpointOf(draft, jump, indexed!);
			if (!target) {
				continue;
			}

			endpoints.push({
				ip: target.ip,
				port: target.port,
				probability: shares[index]!,
				chain: jump.target,
				written: jump.probability,
				line: jump.line,
				hairpinMasquerade: target.hairpin,
			});
		}

		return endpoints;
	}

	function endpointOf(draft: FlowDraft, jump: Jump, from: IndexedChain): EndpointTarget | null {
		const chain = jump.target;
		const indexed = nat.get(chain);
		const cached = indexed ? endpointByChain[indexed.id] : missingEndpoints.get(chain);
		if (cached !== undefined) {
			return cached;
		}

		let result: EndpointTarget | null = null;
		if (indexed) {
			let hairpin = false;
			let destination: {text: string; line: number; raw: string} | null = null;
			for (let id = indexed.first; id !== -1; id = next[id]!) {
				const raw = text.slice(starts[id], ends[id]);
				const quick = quickEndpointRule(raw);
				if (quick && draft.identified) {
					hairpin ||= quick.hairpin;
					if (quick.toDestination) {
						destination = {text: quick.toDestination, line: ruleLines[id]!, raw};
					}

					continue;
				}

				const rule = detail(id, indexed);
				if (!rule) {
					continue;
				}

				identifyFlow(draft, rule);
				if (rule.target === 'KUBE-MARK-MASQ' && rule.source) {
					hairpin = true;
				}

				if (rule.target === 'DNAT' && rule.toDestination) {
					destination = {text: rule.toDestination, line: rule.line, raw: rule.raw};
				}
			}

			if (destination) {
				const split = splitHostPort(destination.text);
				if (split) {
					result = {ip: split.ip, port: split.port, hairpin, line: destination.line};
				} else {
					problems.push({line: destination.line, message: `line ${destination.line}: bad --to-destination ${destination.text}: ${destination.raw}`});
				}
			} else {
				problems.push({line: jump.line, message: `line ${jump.line}: endpoint chain ${chain} has no DNAT rule`});
			}
		} else {
			problems.push({line: jump.line, message: `line ${jump.line}: jump to missing endpoint chain ${chain}`});
		}

		// A partial dump (grep output) may lack the KUBE-SEP chain; the jump's comment still names the endpoint.
		const named = result ?? endpointFromComment(detail(jump.id, from)?.comment ?? null);
		if (!result && named) {
			return named;
		}

		if (indexed) {
			endpointByChain[indexed.id] = result;
		} else {
			missingEndpoints.set(chain, result);
		}

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
			identifyFlow(draft, rule);
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

type Jump = {line: number; raw: string; target: string; probability: number | null; id: number};

/*
 * The fast paths below only search for single characters or patterns under 7 characters, and
 * otherwise compare at fixed places (startsWith/endsWith): V8 sets up a Boyer-Moore table for
 * every longer pattern, which costs more than the rest of the work on a 200,000-rule dump.
 */

/**
 * `-A KUBE-SVC-… [-m comment …] [-m statistic --mode random --probability P] -j KUBE-SEP-…` read
 * without a full parse. Null when the rule has anything else (negation, recent, escapes, goto),
 * which then goes through the full parser.
 */
function quickJump(raw: string, line: number, id: number): Jump | null {
	if (raw.indexOf('\\') !== -1 || raw.indexOf('!') !== -1) {
		return null;
	}

	const jumpAt = raw.lastIndexOf(' -j ');
	if (jumpAt === -1) {
		return null;
	}

	const target = raw.slice(jumpAt + 4);
	if (target.indexOf(' ') !== -1 || target.indexOf('"') !== -1 || target === '') {
		return null;
	}

	// kube-proxy and iptables-save both put `--probability P` right before the jump.
	const wordStart = raw.lastIndexOf(' ', jumpAt - 1);
	if (wordStart > 14 && raw.startsWith(' --probability', wordStart - 14)) {
		const probability = Number(raw.slice(wordStart + 1, jumpAt));
		return probability >= 0 && probability <= 1 ? {line, raw, target, probability, id} : null;
	}

	if (raw.indexOf('statistic') !== -1 || raw.indexOf('recent') !== -1 || raw.indexOf(' -g ') !== -1) {
		return null;
	}

	return {line, raw, target, probability: null, id};
}

/** A KUBE-SEP- rule read without a full parse: the hairpin mark or the DNAT. */
function quickEndpointRule(raw: string): {hairpin: boolean; toDestination: string | null} | null {
	if (raw.indexOf('\\') !== -1 || raw.indexOf('!') !== -1) {
		return null;
	}

	const jumpAt = raw.lastIndexOf(' -j ');
	if (jumpAt === -1) {
		return null;
	}

	if (raw.length === jumpAt + 18 && raw.endsWith(' -j KUBE-MARK-MASQ')) {
		return {hairpin: raw.indexOf(' -s ') !== -1, toDestination: null};
	}

	if (raw.startsWith(' -j DNAT --to-destination ', jumpAt)) {
		const destination = raw.slice(jumpAt + 26);
		return destination.indexOf(' ') !== -1 || destination === '' ? null : {hairpin: false, toDestination: destination};
	}

	return null;
}

function endpointFromComment(comment: string | null): EndpointTarget | null {
	const match = comment ? / -> (\S+)$/.exec(comment) : null;
	const split = match ? splitHostPort(match[1]!) : null;
	return split ? {ip: split.ip, port: split.port, hairpin: false, line: null} : null;
}

/** The Local-policy bypass a conditional jump to KUBE-SVC- makes: node traffic by --src-type LOCAL, pod traffic otherwise. */
function bypassOf(rule: IptablesRule, chain: string): NatBypass {
	const node = rule.srcType === 'LOCAL' && !rule.srcTypeNegated && !rule.source;
	return {from: node ? 'node' : 'pods', condition: bypassCondition(rule), chain, target: rule.target!, line: rule.line};
}

function bypassCondition(rule: IptablesRule): string {
	const condition = masqueradeCondition(rule);
	// kube-proxy's bridge and interface-prefix detectors match on the input interface.
	const inInterface = rule.other ? rule.other.indexOf('-i') : -1;
	const viaInterface = inInterface === -1 ? null : `${rule.other![inInterface - 1] === '!' ? 'not ' : ''}in through ${rule.other![inInterface + 1] ?? '?'}`;
	return viaInterface ? (condition === 'always' ? viaInterface : `${condition}, ${viaInterface}`) : condition;
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
