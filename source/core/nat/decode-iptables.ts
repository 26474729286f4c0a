import {forEachRule, type IptablesChain, type IptablesDump, ruleDetails} from './iptables-reader.js';
import type {IptablesRule} from './iptables-rule.js';
import type {NatBypass, NatEndpoint, NatEntryKind, NatFlowTable, NatMasquerade, NatProblem} from './types.js';
import {iptablesChainHash, iptablesServiceHash} from './chain-names.js';
import {
	addBypass, addEntry, addMasquerade, compareFlows, finishFlow, type FlowDraft, draftIn, hostAddress, identifyFlow, markLocalDrop, protocolOf, servicePortFromComment, splitHostPort,
} from './flow-builder.js';

/** An endpoint chain's DNAT; `chain` is the dump's own string of its name (not one more copy per jump). */
type EndpointTarget = {ip: string; port: number; hairpin: boolean; chain: string};

/** A rule of a KUBE-SVC-/KUBE-SVL-/KUBE-XLB- chain that jumps to an endpoint (or drops). */
type Jump = {line: number; raw: string; target: string; probability: number | null; index: number};

type PathResult = {
	path: string[];
	target: 'cluster' | 'local' | 'none';
	sourceRanges: string[];
	localOnly: boolean;
};

type EntryStart = {draft: FlowDraft; index: number; chain: string};

/**
 * Decode kube-proxy's iptables rules (nat and filter tables) into one flow per Service port.
 * Handles both generations: KUBE-XLB-/KUBE-MARK-DROP (up to ~1.23) and KUBE-EXT-/KUBE-SVL- (1.24+),
 * with or without comments.
 */
export function decodeIptables(dump: IptablesDump): NatFlowTable {
	return new IptablesDecoder(dump).decode();
}

/**
 * The decode as named steps over one dump; every step reads the chains it needs by name. Rules of
 * kube-proxy's usual shapes in the endpoint chains are read from their text (quickJump,
 * quickEndpoint); any other rule, and every rule of a chain not yet tied to a Service, is parsed.
 */
class IptablesDecoder {
	private readonly problems: NatProblem[];
	private readonly nat: Map<string, IptablesChain>;
	private readonly filter: Map<string, IptablesChain>;
	private readonly drafts = new Map<string, FlowDraft>();
	/** The endpoint of each KUBE-SEP- chain once read; null when it has none or is missing. */
	private readonly endpoints = new Map<string, EndpointTarget | null>();
	/** The masquerade marks of each chain once read (a chain is walked once per entry of its Service). */
	private readonly marks = new Map<string, NatMasquerade[]>();
	private readonly entryStarts: EntryStart[] = [];
	/** Old style: masquerade rules in KUBE-SERVICES / KUBE-NODEPORTS next to the jump. */
	private readonly pendingMasquerade: IptablesRule[] = [];

	constructor(dump: IptablesDump) {
		this.problems = [...dump.problems];
		this.nat = dump.tables.get('nat')?.chains ?? new Map();
		this.filter = dump.tables.get('filter')?.chains ?? new Map();
	}

	decode(): NatFlowTable {
		const masqueradeMark = findMark(this.rulesOf(this.nat, 'KUBE-MARK-MASQ'));
		const oldStyle = this.nat.has('KUBE-MARK-DROP') || [...this.nat.keys()].some(name => name.startsWith('KUBE-XLB-'));
		this.nodePortEntries(this.serviceEntries());
		for (const {draft, index, chain} of this.entryStarts) {
			const entry = draft.entries[index]!;
			draft.entries[index] = {...entry, ...this.walk(draft, chain, entry.line)};
		}

		for (const rule of this.pendingMasquerade) {
			this.draftForRule(rule)?.masquerade.push({chain: rule.chain, condition: masqueradeCondition(rule), line: rule.line});
		}

		for (const draft of this.drafts.values()) {
			if (draft.chain) {
				draft.endpoints = this.dispatch(draft, draft.chain);
			}

			if (draft.localChain) {
				draft.localEndpoints = this.dispatch(draft, draft.localChain);
			}
		}

		// Filter table: services without (local) endpoints are rejected or dropped there.
		for (const name of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS']) {
			for (const rule of this.rulesOf(this.filter, name)) {
				if (rule.target === 'REJECT' || rule.target === 'DROP') {
					this.noEndpointsRule(rule, name);
				}
			}
		}

		const services = [...this.drafts.values()].map(draft => finishFlow(draft, this.problems)).sort(compareFlows);
		return {mode: 'iptables', variant: oldStyle ? 'iptables-old' : 'iptables-new', services, problems: this.problems, masqueradeMark};
	}

	/** Parsed rules of a chain (the small chains: entry points, EXT, FW, XLB, marks, filter). */
	private rulesOf(table: Map<string, IptablesChain>, name: string): IptablesRule[] {
		const chain = table.get(name);
		const rules: IptablesRule[] = [];
		if (chain) {
			forEachRule(chain, (raw, line, index) => {
				const rule = ruleDetails(chain, index, this.problems, raw, line);
				if (rule) {
					rules.push(rule);
				}
			});
		}

		return rules;
	}

	/** KUBE-SERVICES: cluster, external and load-balancer IPs; returns the addresses NodePorts are open on. */
	private serviceEntries(): Array<string | null> {
		const nodePortAddresses: Array<string | null> = [];
		for (const rule of this.rulesOf(this.nat, 'KUBE-SERVICES')) {
			if (rule.target === 'KUBE-NODEPORTS') {
				nodePortAddresses.push(rule.destination && !rule.destinationNegated ? hostAddress(rule.destination) : null);
				continue;
			}

			const jump = this.serviceJump(rule);
			if (!jump) {
				continue;
			}

			const port = Number(rule.destinationPort);
			if (!rule.destination || !Number.isInteger(port)) {
				this.problems.push({line: rule.line, message: `line ${rule.line}: service rule without destination address or port: ${rule.raw}`});
				continue;
			}

			const {kind} = jump.chain;
			const entryKind = kindFromComment(rule.comment) ?? (kind === 'FW' ? 'loadBalancer' : (kind === 'SVC' || kind === 'SVL' ? 'clusterIP' : 'externalIP'));
			this.addEntryStart(jump.draft, entryKind, hostAddress(rule.destination), port, rule, jump.target);
		}

		return nodePortAddresses;
	}

	/**
	 * A rule of KUBE-SERVICES or KUBE-NODEPORTS that jumps to a Service's chain: its flow draft,
	 * identified by the rule's comment. A masquerade rule is kept for later; other rules give nothing.
	 */
	private serviceJump(rule: IptablesRule): {draft: FlowDraft; chain: NonNullable<ReturnType<typeof iptablesChainHash>>; target: string} | undefined {
		const {target} = rule;
		if (target === 'KUBE-MARK-MASQ') {
			this.pendingMasquerade.push(rule);
			return undefined;
		}

		const chain = target ? iptablesChainHash(target) : null;
		if (!chain || !target) {
			return undefined;
		}

		const draft = draftIn(this.drafts, chain.hash);
		identifyFlow(draft, rule);
		return {draft, chain, target};
	}

	private nodePortEntries(nodePortAddresses: Array<string | null>): void {
		for (const rule of this.rulesOf(this.nat, 'KUBE-NODEPORTS')) {
			const jump = this.serviceJump(rule);
			if (!jump) {
				continue;
			}

			const port = Number(rule.destinationPort);
			if (!Number.isInteger(port)) {
				this.problems.push({line: rule.line, message: `line ${rule.line}: NodePort rule without --dport: ${rule.raw}`});
			} else if (rule.destination) {
				this.addEntryStart(jump.draft, 'nodePort', hostAddress(rule.destination), port, rule, jump.target);
			} else if (nodePortAddresses.length > 0 && nodePortAddresses.every(address => address !== null)) {
				for (const address of nodePortAddresses) {
					this.addEntryStart(jump.draft, 'nodePort', address, port, rule, jump.target);
				}
			} else {
				this.addEntryStart(jump.draft, 'nodePort', null, port, rule, jump.target);
			}
		}
	}

	private addEntryStart(draft: FlowDraft, kind: NatEntryKind, ip: string | null, port: number, rule: IptablesRule, chain: string) {
		const before = draft.entries.length;
		addEntry(draft, {kind, ip, port, sourceRanges: [], localOnly: false, path: [chain], target: 'none', line: rule.line});
		if (draft.entries.length > before) {
			this.entryStarts.push({draft, index: before, chain});
		}
	}

	private draftForRule(rule: IptablesRule): FlowDraft | undefined {
		const named = servicePortFromComment(rule.comment);
		const draft = named && rule.protocol ? this.drafts.get(serviceHash(named, rule.protocol)) : undefined;
		if (draft) {
			return draft;
		}

		const port = Number(rule.destinationPort);
		const address = rule.destination ? hostAddress(rule.destination) : null;
		for (const each of this.drafts.values()) {
			if (each.entries.some(entry => entry.port === port && (entry.ip === address || (entry.kind === 'nodePort' && address === null)))) {
				return each;
			}
		}

		return undefined;
	}

	/** Follow FW -> EXT -> SVC/SVL (or XLB) from an entry's first chain. */
	private walk(draft: FlowDraft, start: string, line: number | null): PathResult {
		const result: PathResult = {path: [], target: 'none', sourceRanges: [], localOnly: false};
		let current: string | null = start;
		for (let depth = 0; current && depth < 8; depth++) {
			result.path.push(current);
			const chain = this.nat.get(current);
			if (!chain) {
				this.problems.push({line, message: `${line === null ? '' : `line ${line}: `}${label(draft)}: jump to missing chain ${current}`});
				return result;
			}

			this.collectMasquerade(draft, chain);
			switch (iptablesChainHash(current)?.kind) {
				case 'SVC': {
					draft.chain ??= current;
					return {...result, target: 'cluster'};
				}

				case 'SVL': {
					draft.localChain ??= current;
					return {...result, target: 'local'};
				}

				case 'XLB': {
					this.oldLocalChain(draft, current);
					return {...result, target: 'local', localOnly: true};
				}

				case 'FW': {
					current = this.firewallChain(draft, current, result);
					break;
				}

				case 'EXT': {
					current = this.externalChain(draft, current, result);
					break;
				}

				default: {
					return result;
				}
			}
		}

		return result;
	}

	/** KUBE-XLB- (up to 1.23): the local dispatch chain, with the pod bypass to KUBE-SVC- in front. */
	private oldLocalChain(draft: FlowDraft, chain: string): void {
		draft.localChain ??= chain;
		for (const rule of this.rulesOf(this.nat, chain)) {
			identifyFlow(draft, rule);
			if (rule.target?.startsWith('KUBE-SVC-')) {
				draft.chain ??= rule.target;
				addBypass(draft, bypassOf(rule, chain));
			}
		}
	}

	/** KUBE-FW-: the source ranges allowed through, and the next chain. */
	private firewallChain(draft: FlowDraft, chain: string, result: PathResult): string | null {
		let next: string | null = null;
		let unrestricted = false;
		for (const rule of this.rulesOf(this.nat, chain)) {
			identifyFlow(draft, rule);
			const targetKind = rule.target ? iptablesChainHash(rule.target)?.kind : undefined;
			if (targetKind === 'EXT' || targetKind === 'SVC' || targetKind === 'XLB' || targetKind === 'SVL') {
				next ??= rule.target;
				if (rule.source && !rule.sourceNegated) {
					result.sourceRanges.push(rule.source);
				} else {
					unrestricted = true;
				}
			}
		}

		if (unrestricted) {
			result.sourceRanges.length = 0;
		}

		return next;
	}

	/** KUBE-EXT-: pod and node traffic short-circuit to the cluster chain (policy Local), the rest goes on. */
	private externalChain(draft: FlowDraft, chain: string, result: PathResult): string | null {
		let next: string | null = null;
		for (const rule of this.rulesOf(this.nat, chain)) {
			identifyFlow(draft, rule);
			const {target} = rule;
			const targetKind = target ? iptablesChainHash(target)?.kind : undefined;
			if (targetKind !== 'SVC' && targetKind !== 'SVL') {
				continue;
			}

			if (rule.source || rule.srcType || rule.other) {
				result.localOnly = true;
				if (targetKind === 'SVC') {
					draft.chain ??= target;
					addBypass(draft, bypassOf(rule, chain));
				}
			} else {
				next ??= target;
			}
		}

		if (next && iptablesChainHash(next)?.kind === 'SVL') {
			result.localOnly = true;
		}

		if (!next && result.localOnly) {
			// Policy Local without a local endpoint: kube-proxy writes no jump to KUBE-SVL-, so
			// outside traffic falls off the chain and the filter table drops it.
			markLocalDrop(draft);
		}

		return next;
	}

	/** The chain's masquerade marks (only the mark rules are parsed: dispatch chains hold mostly KUBE-SEP- jumps). */
	private collectMasquerade(draft: FlowDraft, chain: IptablesChain): void {
		let marks = this.marks.get(chain.name);
		if (!marks) {
			const found: NatMasquerade[] = [];
			forEachRule(chain, (raw, line, index) => {
				const rule = raw.endsWith(' -j KUBE-MARK-MASQ') ? ruleDetails(chain, index, this.problems, raw, line) : null;
				if (rule?.target === 'KUBE-MARK-MASQ') {
					found.push({chain: chain.name, condition: masqueradeCondition(rule), line: rule.line});
				}
			});
			marks = found;
			this.marks.set(chain.name, marks);
		}

		for (const mark of marks) {
			addMasquerade(draft, mark);
		}
	}

	/** The jumps of a KUBE-SVC-/KUBE-SVL-/KUBE-XLB- chain to its endpoints; affinity and drops go to the draft. */
	private jumpsOf(draft: FlowDraft, name: string, chain: IptablesChain): Jump[] {
		const jumps: Jump[] = [];
		let sawUnconditional = false;
		forEachRule(chain, (raw, line, index) => {
			// kube-proxy's plain ladder rules are read from the raw text; anything else gets a full parse.
			let jump = draft.identified ? quickJump(raw, line, index) : null;
			if (!jump) {
				const rule = ruleDetails(chain, index, this.problems, raw, line);
				if (!rule) {
					return;
				}

				identifyFlow(draft, rule);
				if (rule.recent?.action === 'rcheck' && rule.target?.startsWith('KUBE-SEP-')) {
					draft.affinity = rule.recent.seconds === null ? draft.affinity : {timeoutSeconds: rule.recent.seconds};
					return;
				}

				jump = {line, raw: rule.raw, target: rule.target ?? '', probability: rule.probability, index};
			}

			if (jump.target === 'KUBE-MARK-DROP') {
				setNoEndpoints(draft, 'drop', jump.line);
			} else if (!jump.target.startsWith('KUBE-SEP-')) {
				// Not an endpoint: masquerade marks and the like.
			} else if (sawUnconditional) {
				this.problems.push({line: jump.line, message: `line ${jump.line}: unreachable rule after the last unconditional jump in ${name}: ${jump.raw}`});
			} else {
				sawUnconditional = jump.probability === null;
				jumps.push(jump);
			}
		});
		const last = jumps.at(-1);
		if (last && !sawUnconditional) {
			this.problems.push({line: last.line, message: `line ${last.line}: ${name} ends with a random match: some new connections fall through without DNAT`});
		}

		return jumps;
	}

	/**
	 * The endpoint list of a KUBE-SVC-/KUBE-SVL-/KUBE-XLB- chain. Rule i takes p_i of what the rules
	 * before it left (the last, unconditional one takes the rest): its share is p_i * Π_{j<i} (1 - p_j).
	 */
	private dispatch(draft: FlowDraft, name: string): NatEndpoint[] {
		const chain = this.nat.get(name);
		const endpoints: NatEndpoint[] = [];
		let remaining = 1;
		for (const jump of chain ? this.jumpsOf(draft, name, chain) : []) {
			const probability = jump.probability ?? 1;
			const share = jump.probability === null ? remaining : remaining * probability;
			remaining = jump.probability === null ? 0 : remaining - share;
			const target = this.endpointOf(draft, jump, chain!);
			if (target) {
				endpoints.push({
					ip: target.ip, port: target.port, probability: share, chain: target.chain, written: jump.probability, line: jump.line, hairpinMasquerade: target.hairpin,
				});
			}
		}

		return endpoints;
	}

	private endpointOf(draft: FlowDraft, jump: Jump, from: IptablesChain): EndpointTarget | null {
		const name = jump.target;
		const cached = this.endpoints.get(name);
		if (cached !== undefined) {
			return cached;
		}

		const chain = this.nat.get(name);
		const result = chain ? this.readEndpointChain(draft, chain, jump) : null;
		if (!chain) {
			this.problems.push({line: jump.line, message: `line ${jump.line}: jump to missing endpoint chain ${name}`});
		}

		// A partial dump (grep output) may lack the KUBE-SEP chain; the jump's comment still names the endpoint.
		const named = result ? null : endpointFromComment(ruleDetails(from, jump.index, this.problems, jump.raw, jump.line)?.comment ?? null, name);
		if (named) {
			return named;
		}

		this.endpoints.set(name, result);
		return result;
	}

	/** A KUBE-SEP- chain: its DNAT and whether it marks hairpin traffic. */
	private readEndpointChain(draft: FlowDraft, chain: IptablesChain, jump: Jump): EndpointTarget | null {
		let hairpin = false;
		let destination: string | null = null;
		let destinationLine = 0;
		let destinationRaw = '';
		forEachRule(chain, (raw, line, index) => {
			const quick = draft.identified ? quickEndpoint(raw) : undefined;
			if (quick !== undefined) {
				hairpin ||= quick === true;
				if (typeof quick === 'string') {
					[destination, destinationLine, destinationRaw] = [quick, line, raw];
				}

				return;
			}

			const rule = ruleDetails(chain, index, this.problems, raw, line);
			if (rule) {
				identifyFlow(draft, rule);
				hairpin ||= rule.target === 'KUBE-MARK-MASQ' && Boolean(rule.source);
				if (rule.target === 'DNAT' && rule.toDestination) {
					[destination, destinationLine, destinationRaw] = [rule.toDestination, line, rule.raw];
				}
			}
		});
		if (destination === null) {
			this.problems.push({line: jump.line, message: `line ${jump.line}: endpoint chain ${chain.name} has no DNAT rule`});
			return null;
		}

		const split = splitHostPort(destination);
		if (!split) {
			this.problems.push({line: destinationLine, message: `line ${destinationLine}: bad --to-destination ${destination}: ${destinationRaw}`});
			return null;
		}

		return {ip: split.ip, port: split.port, hairpin, chain: chain.name};
	}

	private noEndpointsRule(rule: IptablesRule, chainName: string): void {
		const named = servicePortFromComment(rule.comment);
		const protocol = rule.protocol ?? 'tcp';
		const port = Number(rule.destinationPort);
		const address = rule.destination ? hostAddress(rule.destination) : null;
		let draft = named ? draftIn(this.drafts, serviceHash(named, protocol)) : this.draftForRule(rule);
		if (named) {
			identifyFlow(draft!, rule);
		} else if (!draft) {
			draft = draftIn(this.drafts, `${address ?? '*'}:${rule.destinationPort ?? '?'}/${protocol}`);
			draft.protocol ??= protocolOf(protocol);
		}

		if (Number.isInteger(port)) {
			const local = rule.dstType === 'LOCAL' && !rule.dstTypeNegated;
			const kind: NatEntryKind = local || (chainName === 'KUBE-NODEPORTS') ? 'nodePort' : (chainName === 'KUBE-SERVICES' ? 'clusterIP' : 'externalIP');
			if (!draft!.entries.some(entry => entry.port === port && (kind === 'nodePort' ? entry.kind === 'nodePort' : entry.ip === address))) {
				addEntry(draft!, {kind, ip: kind === 'nodePort' ? null : address, port, sourceRanges: [], localOnly: false, path: [], target: 'none', line: rule.line});
			}
		}

		setNoEndpoints(draft!, rule.target === 'REJECT' ? 'reject' : 'drop', rule.line);
	}
}

/*
 * The rule shapes below only search for single characters or patterns under 7 characters, and
 * otherwise compare at fixed places (startsWith/endsWith): V8 sets up a Boyer-Moore table for
 * every longer pattern, which costs more than the rest of the work on a 200,000-rule dump.
 */

/**
 * `-A KUBE-SVC-… [-m comment …] [-m statistic --mode random --probability P] -j KUBE-SEP-…` read
 * without a full parse. Null when the rule has anything else (negation, recent, escapes, goto),
 * which then goes through the full parser.
 */
function quickJump(raw: string, line: number, index: number): Jump | null {
	if (raw.indexOf('\\') !== -1 || raw.indexOf('!') !== -1) {
		return null;
	}

	const jumpAt = raw.lastIndexOf(' -j ');
	const target = jumpAt === -1 ? '' : raw.slice(jumpAt + 4);
	if (target === '' || target.indexOf(' ') !== -1 || target.indexOf('"') !== -1) {
		return null;
	}

	// kube-proxy and iptables-save both put `--probability P` right before the jump.
	const wordStart = raw.lastIndexOf(' ', jumpAt - 1);
	if (wordStart > 14 && raw.startsWith(' --probability', wordStart - 14)) {
		const probability = Number(raw.slice(wordStart + 1, jumpAt));
		return probability >= 0 && probability <= 1 ? {line, raw, target, probability, index} : null;
	}

	if (raw.indexOf('statistic') !== -1 || raw.indexOf('recent') !== -1 || raw.indexOf(' -g ') !== -1) {
		return null;
	}

	return {line, raw, target, probability: null, index};
}

/**
 * A KUBE-SEP- rule read without a full parse: true for the hairpin mark with a source, false for
 * one without, the address of the DNAT, or undefined for any other rule (parsed instead).
 */
function quickEndpoint(raw: string): boolean | string | undefined {
	if (raw.indexOf('\\') !== -1 || raw.indexOf('!') !== -1) {
		return undefined;
	}

	const jumpAt = raw.lastIndexOf(' -j ');
	if (jumpAt !== -1 && raw.length === jumpAt + 18 && raw.endsWith(' -j KUBE-MARK-MASQ')) {
		return raw.indexOf(' -s ') !== -1;
	}

	if (jumpAt !== -1 && raw.startsWith(' -j DNAT --to-destination ', jumpAt)) {
		const destination = raw.slice(jumpAt + 26);
		return destination.indexOf(' ') !== -1 || destination === '' ? undefined : destination;
	}

	return undefined;
}

function serviceHash(named: {service: string; port: string}, protocol: string): string {
	return iptablesServiceHash(named.port ? `${named.service}:${named.port}` : named.service, protocol);
}

function endpointFromComment(comment: string | null, chain: string): EndpointTarget | null {
	const match = comment ? / -> (\S+)$/.exec(comment) : null;
	const split = match ? splitHostPort(match[1]!) : null;
	return split ? {ip: split.ip, port: split.port, hairpin: false, chain} : null;
}

/** The Local-policy bypass a conditional jump to KUBE-SVC- makes: node traffic by --src-type LOCAL, pod traffic otherwise. */
function bypassOf(rule: IptablesRule, chain: string): NatBypass {
	const node = rule.srcType === 'LOCAL' && !rule.srcTypeNegated && !rule.source;
	const condition = masqueradeCondition(rule);
	// kube-proxy's bridge and interface-prefix detectors match on the input interface.
	const inInterface = rule.other ? rule.other.indexOf('-i') : -1;
	const viaInterface = inInterface === -1 ? null : `${rule.other![inInterface - 1] === '!' ? 'not ' : ''}in through ${rule.other![inInterface + 1] ?? '?'}`;
	return {
		from: node ? 'node' : 'pods', condition: viaInterface ? (condition === 'always' ? viaInterface : `${condition}, ${viaInterface}`) : condition, chain, target: rule.target!, line: rule.line,
	};
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
	if (comment?.endsWith(' cluster IP')) {
		return 'clusterIP';
	}

	if (comment?.endsWith(' external IP')) {
		return 'externalIP';
	}

	return comment?.endsWith(' loadbalancer IP') ? 'loadBalancer' : null;
}

function findMark(rules: IptablesRule[]): string | null {
	const rule = rules.find(each => each.target === 'MARK' && each.setMark);
	// `or-mark 0x4000`, `set-xmark 0x4000/0x4000`: the bit is the value before any mask.
	return rule ? rule.setMark!.split(' ').at(-1)!.split('/')[0]! : null;
}

/** Human wording of a KUBE-MARK-MASQ rule's conditions. */
export function masqueradeCondition(rule: Pick<IptablesRule, 'source' | 'sourceNegated' | 'srcType' | 'srcTypeNegated' | 'other'>): string {
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
