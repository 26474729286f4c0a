import {ChainRules, type IptablesChain, type IptablesDump, ruleDetails} from './iptables-reader.js';
import {type IptablesRule, parseRuleLine} from './iptables-rule.js';
import type {NatBypass, NatEndpoint, NatEntry, NatEntryKind, NatFlowTable, NatProblem} from './types.js';
import {iptablesChainHash, iptablesServiceHash} from './chain-names.js';
import {
	addBypass, addEntry, addMasquerade, compareFlows, finishFlow, type FlowDraft, draftIn, hostAddress, identifyFlow, markLocalDrop, protocolOf, servicePortFromComment, splitHostPort,
} from './flow-builder.js';
import {chainShares} from './shares.js';
import {noEndMarkerNote} from './cut-short.js';

/** A rule of a KUBE-SVC-/KUBE-SVL-/KUBE-XLB- chain that jumps to an endpoint (or drops). */
type Jump = {line: number; raw: string; target: string; probability: number | null; index: number};

type PathResult = {path: string[]; target: NatEntry['target']; sourceRanges: string[]; localOnly: boolean};

/**
 * Decode kube-proxy's iptables rules (nat and filter tables) into one flow per Service port, of both
 * generations: KUBE-XLB-/KUBE-MARK-DROP (up to ~1.23) and KUBE-EXT-/KUBE-SVL- (1.24+), with or without comments.
 * A dump is decoded once: the decode keeps what it parses and reads on its chains.
 */
export function decodeIptables(dump: IptablesDump): NatFlowTable {
	const problems = [...dump.problems];
	const tables: NatFlowTable[] = [];
	for (const section of dump.sections) {
		// kube-proxy's Service rules are in nat: without it (`iptables-save -t filter`, a dump cut between
		// tables) the filter table's rejects would read as the node's whole story, every other Service as ruleless.
		if (section.size > 0 && !section.has('nat')) {
			problems.push({line: null, message: 'the input has no nat table, where kube-proxy writes its Service rules: give iptables-save (all tables) or iptables-save -t nat'});
		} else {
			tables.push(new IptablesDecoder(section.get('nat')?.chains ?? new Map(), section.get('filter')?.chains ?? new Map(), problems).decode());
		}
	}

	// Two dumps joined (IPv4 and IPv6): one flow per Service port and family, as cross-check expects.
	const services = tables.length === 1 ? tables[0]!.services : tables.flatMap(table => table.services).sort(compareFlows);
	return {
		mode: 'iptables',
		variant: tables.some(table => table.variant === 'iptables-old') ? 'iptables-old' : 'iptables-new',
		services,
		problems,
		masqueradeMark: tables.find(table => table.masqueradeMark !== null)?.masqueradeMark ?? null,
		...(dump.sections.some(section => section.has('filter')) ? {} : {filterTable: false}),
		...(dump.framed || services.length === 0 ? {} : {notes: [noEndMarkerNote('`iptables -S`', dump.lines)]}),
	};
}

/**
 * The decode as named steps over one dump. Endpoint chains' rules of kube-proxy's usual shapes are read
 * from their text (quickJump, quickEndpoint); any other rule, and every rule of a Service not yet identified, is parsed.
 */
class IptablesDecoder {
	private readonly drafts = new Map<string, FlowDraft>();
	/** KUBE-SEP- chains the dump lacks, once reported without a comment naming the endpoint. */
	private readonly missingEndpoints = new Set<string>();
	/** Each entry found in KUBE-SERVICES / KUBE-NODEPORTS: its path starts at the chain they jump to. */
	private readonly entryStarts: Array<{draft: FlowDraft; index: number}> = [];
	/** Old style: masquerade rules in KUBE-SERVICES / KUBE-NODEPORTS next to the jump. */
	private readonly pendingMasquerade: IptablesRule[] = [];

	constructor(private readonly nat: Map<string, IptablesChain>, private readonly filter: Map<string, IptablesChain>, private readonly problems: NatProblem[]) {}

	decode(): NatFlowTable {
		const markRule = this.rulesOf(this.nat, 'KUBE-MARK-MASQ').find(rule => rule.target === 'MARK' && rule.setMark);
		// `or-mark 0x4000`, `set-xmark 0x4000/0x4000`: the bit is the value before any mask.
		const masqueradeMark = markRule ? markRule.setMark!.split(' ').at(-1)!.split('/')[0]! : null;
		const oldStyle = this.nat.has('KUBE-MARK-DROP') || [...this.nat.keys()].some(name => name.startsWith('KUBE-XLB-'));
		this.entries();
		for (const {draft, index} of this.entryStarts) {
			const entry = draft.entries[index]!;
			draft.entries[index] = {...entry, ...this.walk(draft, entry.path[0]!, entry.line)};
		}

		for (const rule of this.pendingMasquerade) {
			this.draftForRule(rule)?.masquerade.push({chain: rule.chain, condition: masqueradeCondition(rule), line: rule.line});
		}

		for (const draft of this.drafts.values()) {
			draft.endpoints = draft.chain ? this.dispatch(draft, draft.chain) : draft.endpoints;
			draft.localEndpoints = draft.localChain ? this.dispatch(draft, draft.localChain) : draft.localEndpoints;
		}

		// Filter table: services without (local) endpoints are rejected or dropped there.
		for (const name of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS']) {
			this.eachRuleOnce(this.filter, name, rule => {
				if (rule.target === 'REJECT' || rule.target === 'DROP') {
					this.noEndpointsRule(rule, name);
				}
			});
		}

		const services = [...this.drafts.values()].map(draft => finishFlow(draft, this.problems)).sort(compareFlows);
		return {mode: 'iptables', variant: oldStyle ? 'iptables-old' : 'iptables-new', services, problems: this.problems, masqueradeMark};
	}

	/** Parsed rules of a chain (the small chains: entry points, EXT, FW, XLB, marks, filter). */
	private rulesOf(table: Map<string, IptablesChain>, name: string): IptablesRule[] {
		const chain = table.get(name);
		const rules: IptablesRule[] = [];
		for (const each = chain ? new ChainRules(chain) : undefined; each?.next();) {
			const rule = ruleDetails(chain!, each.index, this.problems, each.raw, each.line);
			if (rule) {
				rules.push(rule);
			}
		}

		return rules;
	}

	/**
	 * Each rule of a chain read once (KUBE-SERVICES, KUBE-NODEPORTS, filter), parsed and dropped, not kept
	 * on the chain till the decode ends. What `visit` finds wrong (`late`) follows the chain's parse problems.
	 */
	private eachRuleOnce(table: Map<string, IptablesChain>, name: string, visit: (rule: IptablesRule, late: NatProblem[]) => void): void {
		const chain = table.get(name);
		const late: NatProblem[] = [];
		for (const each = chain ? new ChainRules(chain) : undefined; each?.next();) {
			const rule = parseRuleLine(each.raw, each.line, this.problems);
			if (rule) {
				visit(rule, late);
			}
		}

		for (const problem of late) {
			this.problems.push(problem);
		}
	}

	/** KUBE-SERVICES: cluster, external and load-balancer IPs; then KUBE-NODEPORTS, on the addresses KUBE-SERVICES sends there. */
	private entries(): void {
		const nodePortAddresses: Array<string | null> = [];
		this.eachRuleOnce(this.nat, 'KUBE-SERVICES', (rule, late) => {
			const draft = rule.target === 'KUBE-NODEPORTS' ? undefined : this.serviceDraft(rule);
			const port = Number(rule.destinationPort);
			if (rule.target === 'KUBE-NODEPORTS') {
				nodePortAddresses.push(rule.destination && !rule.destinationNegated ? hostAddress(rule.destination) : null);
			} else if (draft && (!rule.destination || !Number.isInteger(port))) {
				late.push({line: rule.line, message: `line ${rule.line}: service rule without destination address or port: ${rule.raw}`});
			} else if (draft) {
				const kind = iptablesChainHash(rule.target!)!.kind;
				const entryKind = kindFromComment(rule.comment) ?? (kind === 'FW' ? 'loadBalancer' : (kind === 'SVC' || kind === 'SVL' ? 'clusterIP' : 'externalIP'));
				this.addEntryStart(draft, entryKind, hostAddress(rule.destination!), port, rule);
			}
		});

		const everyAddress = nodePortAddresses.length > 0 && nodePortAddresses.every(address => address !== null) ? nodePortAddresses : [null];
		this.eachRuleOnce(this.nat, 'KUBE-NODEPORTS', (rule, late) => {
			const draft = this.serviceDraft(rule);
			const port = Number(rule.destinationPort);
			if (draft && !Number.isInteger(port)) {
				late.push({line: rule.line, message: `line ${rule.line}: NodePort rule without --dport: ${rule.raw}`});
			} else if (draft) {
				for (const address of rule.destination ? [hostAddress(rule.destination)] : everyAddress) {
					this.addEntryStart(draft, 'nodePort', address, port, rule);
				}
			}
		});
	}

	/** The draft a KUBE-SERVICES/KUBE-NODEPORTS rule jumps to (a masquerade rule is kept for later). */
	private serviceDraft(rule: IptablesRule): FlowDraft | undefined {
		if (rule.target === 'KUBE-MARK-MASQ') {
			this.pendingMasquerade.push(rule);
			return undefined;
		}

		const chain = rule.target ? iptablesChainHash(rule.target) : null;
		const draft = chain ? draftIn(this.drafts, chain.hash) : undefined;
		if (draft) {
			identifyFlow(draft, rule);
		}

		return draft;
	}

	private addEntryStart(draft: FlowDraft, kind: NatEntryKind, ip: string | null, port: number, rule: IptablesRule) {
		const before = draft.entries.length;
		addEntry(draft, {kind, ip, port, sourceRanges: [], localOnly: false, path: [rule.target!], target: 'none', line: rule.line});
		if (draft.entries.length > before) {
			this.entryStarts.push({draft, index: before});
		}
	}

	private draftForRule(rule: IptablesRule): FlowDraft | undefined {
		const named = servicePortFromComment(rule.comment);
		const draft = named && rule.protocol ? this.drafts.get(serviceHash(named, rule.protocol)) : undefined;
		const port = Number(rule.destinationPort);
		const address = rule.destination ? hostAddress(rule.destination) : null;
		return draft ?? [...this.drafts.values()].find(each => each.entries.some(entry => entry.port === port && (entry.ip === address || (entry.kind === 'nodePort' && address === null))));
	}

	/** Follow FW -> EXT -> SVC/SVL (or XLB) from an entry's first chain. */
	private walk(draft: FlowDraft, start: string, line: number | null): PathResult {
		const result: PathResult = {path: [], target: 'none', sourceRanges: [], localOnly: false};
		let current: string | null = start;
		for (let depth = 0; current && depth < 8; depth++) {
			result.path.push(current);
			const chain = this.nat.get(current);
			if (!chain) {
				const service = draft.service ? `${draft.service}${draft.port ? `:${draft.port}` : ''}` : draft.key;
				this.problems.push({line, message: `${line === null ? '' : `line ${line}: `}${service}: jump to missing chain ${current}`});
				return result;
			}

			this.collectMasquerade(draft, chain);
			const kind: string | undefined = iptablesChainHash(current)?.kind;
			if (kind === 'SVC' || kind === 'SVL') {
				draft[kind === 'SVC' ? 'chain' : 'localChain'] ??= current;
				result.target = kind === 'SVC' ? 'cluster' : 'local';
				return result;
			}

			if (kind === 'XLB') {
				this.oldLocalChain(draft, current);
				result.target = 'local';
				result.localOnly = true;
				return result;
			}

			current = kind === 'FW' ? this.firewallChain(draft, current, result) : (kind === 'EXT' ? this.externalChain(draft, current, result) : null);
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
			const kind = rule.target ? iptablesChainHash(rule.target)?.kind : undefined;
			if (kind === 'EXT' || kind === 'SVC' || kind === 'XLB' || kind === 'SVL') {
				next ??= rule.target;
				if (rule.source && !rule.sourceNegated) {
					result.sourceRanges.push(rule.source);
				} else {
					unrestricted = true;
				}
			}
		}

		result.sourceRanges.length = unrestricted ? 0 : result.sourceRanges.length;
		return next;
	}

	/** KUBE-EXT-: pod and node traffic short-circuit to the cluster chain (policy Local), the rest goes on. */
	private externalChain(draft: FlowDraft, chain: string, result: PathResult): string | null {
		let next: string | null = null;
		for (const rule of this.rulesOf(this.nat, chain)) {
			identifyFlow(draft, rule);
			const kind = rule.target ? iptablesChainHash(rule.target)?.kind : undefined;
			if ((kind === 'SVC' || kind === 'SVL') && (rule.source || rule.srcType || rule.other)) {
				result.localOnly = true;
				if (kind === 'SVC') {
					draft.chain ??= rule.target;
					addBypass(draft, bypassOf(rule, chain));
				}
			} else if (kind === 'SVC' || kind === 'SVL') {
				next ??= rule.target;
			}
		}

		result.localOnly ||= Boolean(next && iptablesChainHash(next)?.kind === 'SVL');
		if (!next && result.localOnly) {
			// Policy Local without a local endpoint: kube-proxy writes no jump to KUBE-SVL-, so
			// outside traffic falls off the chain and the filter table drops it.
			markLocalDrop(draft);
		}

		return next;
	}

	/** The chain's masquerade marks (only the mark rules are parsed: dispatch chains hold mostly KUBE-SEP- jumps). */
	private collectMasquerade(draft: FlowDraft, chain: IptablesChain): void {
		let {marks} = chain;
		if (!marks) {
			marks = [];
			for (const each = new ChainRules(chain); each.next();) {
				const rule = each.raw.endsWith(' -j KUBE-MARK-MASQ') ? ruleDetails(chain, each.index, this.problems, each.raw, each.line) : null;
				if (rule?.target === 'KUBE-MARK-MASQ') {
					marks.push({chain: chain.name, condition: masqueradeCondition(rule), line: rule.line});
				}
			}

			chain.marks = marks;
		}

		for (let index = 0; index < marks.length; index++) {
			addMasquerade(draft, marks[index]!);
		}
	}

	/** The jumps of a KUBE-SVC-/KUBE-SVL-/KUBE-XLB- chain to its endpoints; affinity and drops go to the draft. */
	private jumpsOf(draft: FlowDraft, name: string, chain: IptablesChain): Jump[] {
		const jumps: Jump[] = [];
		let sawUnconditional = false;
		for (const each = new ChainRules(chain); each.next();) {
			const {raw, line, index} = each;
			let jump = draft.identified ? quickJump(raw, line, index) : null;
			if (!jump) {
				const rule = ruleDetails(chain, index, this.problems, raw, line);
				if (!rule) {
					continue;
				}

				identifyFlow(draft, rule);
				if (rule.recentAction === 'rcheck' && rule.target?.startsWith('KUBE-SEP-')) {
					draft.affinity = rule.recentSeconds === null ? draft.affinity : {timeoutSeconds: rule.recentSeconds};
					continue;
				}

				jump = {line, raw: rule.raw, target: rule.target ?? '', probability: rule.probability, index};
			}

			if (jump.target === 'KUBE-MARK-DROP') {
				setNoEndpoints(draft, 'drop', jump.line);
			} else if (jump.target.startsWith('KUBE-SEP-') && sawUnconditional) {
				this.problems.push({line: jump.line, message: `line ${jump.line}: unreachable rule after the last unconditional jump in ${name}: ${jump.raw}`});
			} else if (jump.target.startsWith('KUBE-SEP-')) {
				sawUnconditional = jump.probability === null;
				jumps.push(jump);
			}
		}

		const last = jumps.at(-1);
		if (last && !sawUnconditional) {
			this.problems.push({line: last.line, message: `line ${last.line}: ${name} ends with a random match: some new connections fall through without DNAT`});
		}

		return jumps;
	}

	/** The endpoint list of a KUBE-SVC-/KUBE-SVL-/KUBE-XLB- chain, with effective shares. */
	private dispatch(draft: FlowDraft, name: string): NatEndpoint[] {
		const chain = this.nat.get(name);
		const jumps = chain ? this.jumpsOf(draft, name, chain) : [];
		const shares = chainShares(jumps.map(jump => jump.probability));
		const endpoints: NatEndpoint[] = [];
		for (let index = 0; index < jumps.length; index++) {
			const endpoint = this.endpointOf(draft, jumps[index]!, chain!, shares[index]!);
			if (endpoint) {
				endpoints.push(endpoint);
			}
		}

		return endpoints;
	}

	/** The endpoint a jump reaches, with its share; its KUBE-SEP- chain is read once, its endpoint kept on the chain. */
	private endpointOf(draft: FlowDraft, jump: Jump, from: IptablesChain, share: number): NatEndpoint | null {
		const name = jump.target;
		const chain = this.nat.get(name);
		if (chain ? chain.reading !== undefined : this.missingEndpoints.has(name)) {
			const known = chain?.reading ?? null;
			return known && newEndpoint(known, known.chain, known.hairpinMasquerade, jump, share);
		}

		const result = chain ? this.readEndpointChain(draft, chain, jump, share) : null;
		if (!chain) {
			this.problems.push({line: jump.line, message: `line ${jump.line}: jump to missing endpoint chain ${name}`});
		}

		// A partial dump (grep output) may lack the KUBE-SEP chain; the jump's comment still names the endpoint (not kept: asked again).
		const comment = result ? null : ruleDetails(from, jump.index, this.problems, jump.raw, jump.line)?.comment;
		const named = comment ? / -> (\S+)$/.exec(comment) : null;
		const split = named ? splitHostPort(named[1]!) : null;
		if (split) {
			return newEndpoint(split, name, false, jump, share);
		}

		if (chain) {
			chain.reading = result;
		} else {
			this.missingEndpoints.add(name);
		}

		return result;
	}

	/** The endpoint of a KUBE-SEP- chain as `jump` reaches it: its DNAT, and whether it marks hairpin traffic. */
	private readEndpointChain(draft: FlowDraft, chain: IptablesChain, jump: Jump, share: number): NatEndpoint | null {
		let hairpin = false;
		// The last DNAT of the chain ('' while none), and the rule that has it.
		let destination = '';
		let destinationLine = 0;
		let destinationRaw = '';
		for (const each = new ChainRules(chain); each.next();) {
			const quick = draft.identified ? quickEndpoint(each.raw) : undefined;
			const rule = quick === undefined ? ruleDetails(chain, each.index, this.problems, each.raw, each.line) : null;
			if (rule) {
				identifyFlow(draft, rule);
			}

			hairpin ||= quick === true || (rule?.target === 'KUBE-MARK-MASQ' && Boolean(rule.source));
			const text = typeof quick === 'string' ? quick : (rule?.target === 'DNAT' && rule.toDestination) || '';
			if (text) {
				destination = text;
				destinationLine = each.line;
				destinationRaw = rule?.raw ?? each.raw;
			}
		}

		const split = destination ? splitHostPort(destination) : null;
		if (!destination) {
			this.problems.push({line: jump.line, message: `line ${jump.line}: endpoint chain ${chain.name} has no DNAT rule`});
		} else if (!split) {
			this.problems.push({line: destinationLine, message: `line ${destinationLine}: bad --to-destination ${destination}: ${destinationRaw}`});
		}

		return split ? newEndpoint(split, chain.name, hairpin, jump, share) : null;
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

		const local = rule.dstType === 'LOCAL' && !rule.dstTypeNegated;
		const kind: NatEntryKind = local || (chainName === 'KUBE-NODEPORTS') ? 'nodePort' : (chainName === 'KUBE-SERVICES' ? 'clusterIP' : 'externalIP');
		if (Number.isInteger(port) && !draft!.entries.some(entry => entry.port === port && (kind === 'nodePort' ? entry.kind === 'nodePort' : entry.ip === address))) {
			addEntry(draft!, {kind, ip: kind === 'nodePort' ? null : address, port, sourceRanges: [], localOnly: false, path: [], target: 'none', line: rule.line});
		}

		setNoEndpoints(draft!, rule.target === 'REJECT' ? 'reject' : 'drop', rule.line);
	}
}

/*
 * The rule shapes below search forwards only for patterns under 7 characters, and otherwise compare at
 * fixed places: V8 sets up a Boyer-Moore table for every longer pattern, and lastIndexOf calls its runtime.
 */

/** Where the last ` -j ` of a rule is, or -1; also -1 for a rule with an escape or a `!` (left to the parser). */
function quickJumpAt(raw: string): number {
	let at = raw.indexOf('\\') === -1 && raw.indexOf('!') === -1 ? raw.indexOf(' -j ') : -1;
	for (let next = at; next !== -1; next = raw.indexOf(' -j ', at + 1)) {
		at = next;
	}

	return at;
}

/**
 * `-A KUBE-SVC-… [-m comment …] [-m statistic --mode random --probability P] -j KUBE-SEP-…` read without
 * a full parse; null when the rule has anything else (negation, recent, escapes, goto).
 */
function quickJump(raw: string, line: number, index: number): Jump | null {
	const jumpAt = quickJumpAt(raw);
	const target = jumpAt === -1 ? '' : raw.slice(jumpAt + 4);
	if (target === '' || target.indexOf(' ') !== -1 || target.indexOf('"') !== -1) {
		return null;
	}

	// kube-proxy and iptables-save both put `--probability P` right before the jump.
	let wordStart = jumpAt - 1;
	while (wordStart >= 0 && raw.charCodeAt(wordStart) !== 32) {
		wordStart--;
	}

	if (wordStart > 14 && raw.startsWith(' --probability', wordStart - 14)) {
		const probability = Number(raw.slice(wordStart + 1, jumpAt));
		return probability >= 0 && probability <= 1 ? {line, raw, target, probability, index} : null;
	}

	const plain = raw.indexOf('statistic') === -1 && raw.indexOf('recent') === -1 && raw.indexOf(' -g ') === -1;
	return plain ? {line, raw, target, probability: null, index} : null;
}

/** A KUBE-SEP- rule read without a full parse: whether a hairpin mark has a source, a DNAT's address, or undefined. */
function quickEndpoint(raw: string): boolean | string | undefined {
	const jumpAt = quickJumpAt(raw);
	if (jumpAt !== -1 && raw.length === jumpAt + 18 && raw.endsWith(' -j KUBE-MARK-MASQ')) {
		return raw.indexOf(' -s ') !== -1;
	}

	const destination = jumpAt !== -1 && raw.startsWith(' -j DNAT --to-destination ', jumpAt) ? raw.slice(jumpAt + 26) : '';
	return destination === '' || destination.indexOf(' ') !== -1 ? undefined : destination;
}

/** The endpoint at `address` (of endpoint chain `chain`) that `jump` sends its `share` to. */
function newEndpoint(address: {ip: string; port: number}, chain: string, hairpin: boolean, jump: Jump, share: number): NatEndpoint {
	return {ip: address.ip, port: address.port, probability: share, chain, written: jump.probability, line: jump.line, hairpinMasquerade: hairpin};
}

function serviceHash(named: {service: string; port: string}, protocol: string): string {
	return iptablesServiceHash(named.port ? `${named.service}:${named.port}` : named.service, protocol);
}

/** The Local-policy bypass a conditional jump to KUBE-SVC- makes: node traffic by --src-type LOCAL, pod traffic otherwise. */
function bypassOf(rule: IptablesRule, chain: string): NatBypass {
	const node = rule.srcType === 'LOCAL' && !rule.srcTypeNegated && !rule.source;
	const condition = masqueradeCondition(rule);
	// kube-proxy's bridge and interface-prefix detectors match on the input interface.
	const inInterface = rule.other ? rule.other.indexOf('-i') : -1;
	const via = inInterface === -1 ? null : `${rule.other![inInterface - 1] === '!' ? 'not ' : ''}in through ${rule.other![inInterface + 1] ?? '?'}`;
	const full = via ? (condition === 'always' ? via : `${condition}, ${via}`) : condition;
	return {from: node ? 'node' : 'pods', condition: full, chain, target: rule.target!, line: rule.line};
}

function setNoEndpoints(draft: FlowDraft, verdict: 'reject' | 'drop', line: number) {
	draft.noEndpoints = draft.noEndpoints === 'reject' ? 'reject' : verdict;
	if (!draft.noEndpointsLines.includes(line)) {
		draft.noEndpointsLines.push(line);
	}
}

const commentKinds: Array<[string, NatEntryKind]> = [[' cluster IP', 'clusterIP'], [' external IP', 'externalIP'], [' loadbalancer IP', 'loadBalancer']];

function kindFromComment(comment: string | null): NatEntryKind | null {
	return commentKinds.find(([ending]) => comment?.endsWith(ending))?.[1] ?? null;
}

/** Human wording of a KUBE-MARK-MASQ rule's conditions. */
function masqueradeCondition(rule: IptablesRule): string {
	return [
		rule.source ? `${rule.sourceNegated ? 'source not in' : 'source'} ${rule.source}` : '',
		rule.srcType ? `source ${rule.srcTypeNegated ? 'is not' : 'is'} ${rule.srcType === 'LOCAL' ? 'a local address' : rule.srcType}` : '',
		rule.other?.includes('--physdev-is-in') ? 'bridged' : '',
	].filter(Boolean).join(', ') || 'always';
}
