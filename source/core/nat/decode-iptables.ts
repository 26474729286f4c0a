import {chainRules, type IptablesChain, type IptablesDump, ruleDetails} from './iptables-reader.js';
import type {IptablesRule} from './iptables-rule.js';
import type {NatBypass, NatEndpoint, NatEntryKind, NatFlowTable, NatMasquerade, NatProblem} from './types.js';
import {iptablesChainHash, iptablesServiceHash} from './chain-names.js';
import {
	addBypass, addEntry, addMasquerade, compareFlows, finishFlow, type FlowDraft, draftIn, hostAddress, identifyFlow, markLocalDrop, protocolOf, servicePortFromComment, splitHostPort,
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
	return new IptablesDecoder(dump).decode();
}

type EntryStart = {draft: FlowDraft; index: number; chain: string};

/** The decode as named steps over one dump; every step reads the chains it needs by name. */
class IptablesDecoder {
	private readonly problems: NatProblem[];
	private readonly nat: Map<string, IptablesChain>;
	private readonly filter: Map<string, IptablesChain>;
	private readonly drafts = new Map<string, FlowDraft>();
	/** Endpoint chains the dump lacks, once reported without a comment naming the endpoint. */
	private readonly missingEndpoints = new Set<string>();
	/** The endpoint of each KUBE-SEP chain once read (keyed by the chain: one lookup by name per jump, not three). */
	private readonly endpointOfChain = new WeakMap<IptablesChain, EndpointTarget | null>();
	/** The masquerade marks of each chain once read (a chain is walked once per entry of its Service). */
	private readonly marksOfChain = new WeakMap<IptablesChain, NatMasquerade[]>();
	private readonly entryStarts: EntryStart[] = [];
	/** Old style: masquerade rules in KUBE-SERVICES / KUBE-NODEPORTS next to the jump. */
	private readonly pendingMasquerade: IptablesRule[] = [];

	constructor(dump: IptablesDump) {
		this.problems = [...dump.problems];
		this.nat = dump.tables.get('nat')?.chains ?? new Map();
		this.filter = dump.tables.get('filter')?.chains ?? new Map();
	}

	decode(): NatFlowTable {
		const masqueradeMark = findMark(this.rulesOf('KUBE-MARK-MASQ'));
		const oldStyle = this.nat.has('KUBE-MARK-DROP') || [...this.nat.keys()].some(name => name.startsWith('KUBE-XLB-'));
		const nodePortAddresses = this.serviceEntries();
		this.nodePortEntries(nodePortAddresses);
		// Walk each entry to its endpoint chain.
		for (const {draft, index, chain} of this.entryStarts) {
			const entry = draft.entries[index]!;
			draft.entries[index] = {...entry, ...this.walk(draft, chain, entry.line)};
		}

		for (const rule of this.pendingMasquerade) {
			const draft = this.draftForRule(rule);
			draft?.masquerade.push({chain: rule.chain, condition: masqueradeCondition(rule), line: rule.line});
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
		for (const chainName of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS']) {
			const chain = this.filter.get(chainName);
			const rules = chain ? chainRules(chain) : undefined;
			for (let index = 0; chain && index < chain.size; index++) {
				const rule = ruleDetails(chain, index, this.problems, rules);
				if (rule?.target === 'REJECT' || rule?.target === 'DROP') {
					this.noEndpointsRule(rule, chainName);
				}
			}
		}

		const services = [...this.drafts.values()].map(draft => finishFlow(draft, this.problems)).sort(compareFlows);
		return {mode: 'iptables', variant: oldStyle ? 'iptables-old' : 'iptables-new', services, problems: this.problems, masqueradeMark};
	}

	/** Parsed rules of a nat chain (the small chains: entry points, EXT, FW, XLB, marks). */
	private rulesOf(name: string): IptablesRule[] {
		const chain = this.nat.get(name);
		const rules: IptablesRule[] = [];
		const written = chain ? chainRules(chain) : undefined;
		for (let index = 0; chain && index < chain.size; index++) {
			const rule = ruleDetails(chain, index, this.problems, written);
			if (rule) {
				rules.push(rule);
			}
		}

		return rules;
	}

	private draftFor(hash: string): FlowDraft {
		return draftIn(this.drafts, hash);
	}

	/** KUBE-SERVICES: cluster, external and load-balancer IPs; returns the addresses NodePorts are open on. */
	private serviceEntries(): Array<string | null> {
		const nodePortAddresses: Array<string | null> = [];
		for (const rule of this.rulesOf('KUBE-SERVICES')) {
			if (rule.target === 'KUBE-NODEPORTS') {
				nodePortAddresses.push(rule.destination && !rule.destinationNegated ? hostAddress(rule.destination) : null);
				continue;
			}

			const jump = this.serviceJump(rule);
			if (!jump) {
				continue;
			}

			const {draft, chain, target} = jump;
			const kind = kindFromComment(rule.comment) ?? (chain.kind === 'FW' ? 'loadBalancer' : (chain.kind === 'SVC' || chain.kind === 'SVL' ? 'clusterIP' : 'externalIP'));
			const port = Number(rule.destinationPort);
			if (!rule.destination || !Number.isInteger(port)) {
				this.problems.push({line: rule.line, message: `line ${rule.line}: service rule without destination address or port: ${rule.raw}`});
				continue;
			}

			this.addEntryStart(draft, kind, hostAddress(rule.destination), port, rule, target);
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

		const draft = this.draftFor(chain.hash);
		identifyFlow(draft, rule);
		return {draft, chain, target};
	}

	private nodePortEntries(nodePortAddresses: Array<string | null>): void {
		for (const rule of this.rulesOf('KUBE-NODEPORTS')) {
			const jump = this.serviceJump(rule);
			if (!jump) {
				continue;
			}

			const {draft, chain, target} = jump;
			const port = Number(rule.destinationPort);
			if (!Number.isInteger(port)) {
				this.problems.push({line: rule.line, message: `line ${rule.line}: NodePort rule without --dport: ${rule.raw}`});
				continue;
			}

			if (rule.destination) {
				this.addEntryStart(draft, 'nodePort', hostAddress(rule.destination), port, rule, target);
			} else if (nodePortAddresses.length > 0 && nodePortAddresses.every(address => address !== null)) {
				for (const address of nodePortAddresses) {
					this.addEntryStart(draft, 'nodePort', address, port, rule, target);
				}
			} else {
				this.addEntryStart(draft, 'nodePort', null, port, rule, target);
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
		const protocol = rule.protocol;
		if (named && protocol) {
			const draft = this.drafts.get(iptablesServiceHash(named.port ? `${named.service}:${named.port}` : named.service, protocol));
			if (draft) {
				return draft;
			}
		}

		const port = Number(rule.destinationPort);
		const address = rule.destination ? hostAddress(rule.destination) : null;
		for (const draft of this.drafts.values()) {
			if (draft.entries.some(entry => entry.port === port && (entry.ip === address || (entry.kind === 'nodePort' && address === null)))) {
				return draft;
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
			const kind = iptablesChainHash(current)?.kind;
			if (!this.nat.has(current)) {
				this.problems.push({line, message: `${line === null ? '' : `line ${line}: `}${label(draft)}: jump to missing chain ${current}`});
				return result;
			}

			this.collectMasquerade(draft, current);
			switch (kind) {
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
		for (const rule of this.rulesOf(chain)) {
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
		for (const rule of this.rulesOf(chain)) {
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
		for (const rule of this.rulesOf(chain)) {
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

	private collectMasquerade(draft: FlowDraft, name: string): void {
		const chain = this.nat.get(name);
		if (!chain) {
			return;
		}

		let marks = this.marksOfChain.get(chain);
		if (!marks) {
			marks = this.masqueradeMarks(chain);
			this.marksOfChain.set(chain, marks);
		}

		for (const mark of marks) {
			addMasquerade(draft, mark);
		}
	}

	private masqueradeMarks(chain: IptablesChain): NatMasquerade[] {
		const marks: NatMasquerade[] = [];
		const rules = chainRules(chain);
		for (let index = 0; index < chain.size; index++) {
			// Only the mark rules need a full parse; dispatch chains hold mostly KUBE-SEP- jumps.
			if (!rules.raws[index]!.endsWith(' -j KUBE-MARK-MASQ')) {
				continue;
			}

			const rule = ruleDetails(chain, index, this.problems, rules);
			if (rule?.target === 'KUBE-MARK-MASQ') {
				marks.push({chain: chain.name, condition: masqueradeCondition(rule), line: rule.line});
			}
		}

		return marks;
	}

	/** The jumps of a KUBE-SVC-/KUBE-SVL-/KUBE-XLB- chain to its endpoints; affinity and drops go to the draft. */
	private jumpsOf(draft: FlowDraft, name: string, chain: IptablesChain | undefined): Jump[] {
		const jumps: Jump[] = [];
		let sawUnconditional = false;
		const rules = chain ? chainRules(chain) : undefined;
		for (let index = 0; chain && index < chain.size; index++) {
			// kube-proxy's plain ladder rules are read from the raw text; anything else gets a full parse.
			let jump = draft.identified ? quickJump(rules!.raws[index]!, rules!.lines[index]!, index) : null;
			if (!jump) {
				const rule = ruleDetails(chain, index, this.problems, rules);
				if (!rule) {
					continue;
				}

				identifyFlow(draft, rule);
				if (rule.recent?.action === 'rcheck' && rule.target?.startsWith('KUBE-SEP-')) {
					draft.affinity = rule.recent.seconds === null ? draft.affinity : {timeoutSeconds: rule.recent.seconds};
					continue;
				}

				jump = {line: rule.line, raw: rule.raw, target: rule.target ?? '', probability: rule.probability, index};
			}

			if (jump.target === 'KUBE-MARK-DROP') {
				setNoEndpoints(draft, 'drop', jump.line);
			} else if (!jump.target.startsWith('KUBE-SEP-')) {
				continue;
			} else if (sawUnconditional) {
				this.problems.push({line: jump.line, message: `line ${jump.line}: unreachable rule after the last unconditional jump in ${name}: ${jump.raw}`});
			} else {
				sawUnconditional = jump.probability === null;
				jumps.push(jump);
			}
		}

		if (jumps.length > 0 && !sawUnconditional) {
			this.problems.push({line: jumps.at(-1)!.line, message: `line ${jumps.at(-1)!.line}: ${name} ends with a random match: some new connections fall through without DNAT`});
		}

		return jumps;
	}

	/** The endpoint list of a KUBE-SVC-/KUBE-SVL-/KUBE-XLB- chain, with effective shares. */
	private dispatch(draft: FlowDraft, name: string): NatEndpoint[] {
		const chain = this.nat.get(name);
		const jumps = this.jumpsOf(draft, name, chain);
		const shares = chainShares(jumps.map(jump => jump.probability));
		const endpoints: NatEndpoint[] = [];
		for (const [index, jump] of jumps.entries()) {
			const target = this.endpointOf(draft, jump, chain!);
			if (target) {
				endpoints.push({ip: target.ip, port: target.port, probability: shares[index]!, chain: jump.target, written: jump.probability, line: jump.line, hairpinMasquerade: target.hairpin});
			}
		}

		return endpoints;
	}

	private endpointOf(draft: FlowDraft, jump: Jump, from: IptablesChain): EndpointTarget | null {
		const name = jump.target;
		const chain = this.nat.get(name);
		const cached = chain ? this.endpointOfChain.get(chain) : (this.missingEndpoints.has(name) ? null : undefined);
		if (cached !== undefined) {
			return cached;
		}

		const result = chain ? this.readEndpointChain(draft, chain, jump) : null;
		if (!chain) {
			this.problems.push({line: jump.line, message: `line ${jump.line}: jump to missing endpoint chain ${name}`});
		}

		// A partial dump (grep output) may lack the KUBE-SEP chain; the jump's comment still names the endpoint.
		const named = result ?? endpointFromComment(ruleDetails(from, jump.index, this.problems)?.comment ?? null);
		if (!result && named) {
			return named;
		}

		if (chain) {
			this.endpointOfChain.set(chain, result);
		} else {
			this.missingEndpoints.add(name);
		}

		return result;
	}

	/** A KUBE-SEP- chain: its DNAT and whether it marks hairpin traffic. */
	private readEndpointChain(draft: FlowDraft, chain: IptablesChain, jump: Jump): EndpointTarget | null {
		let hairpin = false;
		let destination: {text: string; line: number; raw: string} | null = null;
		const rules = chainRules(chain);
		for (let index = 0; index < chain.size; index++) {
			const raw = rules.raws[index]!;
			const quick = draft.identified ? quickEndpointRule(raw) : null;
			if (quick) {
				hairpin ||= quick.hairpin;
				destination = quick.toDestination ? {text: quick.toDestination, line: rules.lines[index]!, raw} : destination;
				continue;
			}

			const rule = ruleDetails(chain, index, this.problems, rules);
			if (!rule) {
				continue;
			}

			identifyFlow(draft, rule);
			hairpin ||= rule.target === 'KUBE-MARK-MASQ' && Boolean(rule.source);
			destination = rule.target === 'DNAT' && rule.toDestination ? {text: rule.toDestination, line: rule.line, raw: rule.raw} : destination;
		}

		if (!destination) {
			this.problems.push({line: jump.line, message: `line ${jump.line}: endpoint chain ${chain.name} has no DNAT rule`});
			return null;
		}

		const split = splitHostPort(destination.text);
		if (!split) {
			this.problems.push({line: destination.line, message: `line ${destination.line}: bad --to-destination ${destination.text}: ${destination.raw}`});
			return null;
		}

		return {ip: split.ip, port: split.port, hairpin, line: destination.line};
	}

	private noEndpointsRule(rule: IptablesRule, chainName: string): void {
		const named = servicePortFromComment(rule.comment);
		const protocol = rule.protocol ?? 'tcp';
		const port = Number(rule.destinationPort);
		const address = rule.destination ? hostAddress(rule.destination) : null;
		let draft: FlowDraft | undefined;
		if (named) {
			draft = this.draftFor(iptablesServiceHash(named.port ? `${named.service}:${named.port}` : named.service, protocol));
			identifyFlow(draft, rule);
		} else {
			draft = this.draftForRule(rule);
			if (!draft) {
				draft = this.draftFor(`${address ?? '*'}:${rule.destinationPort ?? '?'}/${protocol}`);
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

type Jump = {line: number; raw: string; target: string; probability: number | null; index: number};

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
function quickJump(raw: string, line: number, index: number): Jump | null {
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
		return probability >= 0 && probability <= 1 ? {line, raw, target, probability, index} : null;
	}

	if (raw.indexOf('statistic') !== -1 || raw.indexOf('recent') !== -1 || raw.indexOf(' -g ') !== -1) {
		return null;
	}

	return {line, raw, target, probability: null, index};
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
