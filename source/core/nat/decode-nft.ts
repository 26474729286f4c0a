import {type NftElement, type NftRule, type NftTable, parseNft} from './nft-parse.js';
import type {NatBypass, NatEndpoint, NatEntryKind, NatFlowTable, NatMasquerade, NatProblem} from './types.js';
import {addBypass, addEntry, addMasquerade, compareFlows, finishFlow, type FlowDraft, markLocalDrop, newDraft, protocolOf, servicePortFromComment, splitHostPort} from './flow-builder.js';

const chainPattern = /^(service|external|local|firewall|endpoint)-[A-Z2-7]{8}-(.+)$/;

type ChainName = {prefix: string; namespace: string; name: string; protocol: string; port: string};

/** `service-ULMVA6XW-ns1/svc1/tcp/p80` -> its parts; endpoint chains carry `__ip/port` after the port. */
function parseChainName(chain: string): ChainName | null {
	const match = chainPattern.exec(chain);
	const parts = match ? match[2]!.split('__')[0]!.split('/') : [];
	return match && parts.length >= 4 ? {prefix: match[1]!, namespace: parts[0]!, name: parts[1]!, protocol: parts[2]!, port: parts.slice(3).join('/')} : null;
}

/**
 * Decode kube-proxy's nftables tables (`ip kube-proxy`, `ip6 kube-proxy`) into flows. Endpoint chains
 * (most of a large table) are folded into their target as their rules are read and not kept.
 */
export function decodeNft(text: string | Uint8Array): NatFlowTable {
	const endpointChains = new Map<NftTable, Map<string, EndpointFold>>();
	const dump = parseNft(text, (table, name) => {
		if (!name.startsWith('endpoint-')) {
			return undefined;
		}

		const fold = newFold(false);
		let folds = endpointChains.get(table);
		if (!folds) {
			folds = new Map();
			endpointChains.set(table, folds);
		}

		folds.set(name, fold);
		return (text, line) => {
			foldEndpointRule(fold, text, line);
		};
	});
	const problems: NatProblem[] = [...dump.problems];
	const drafts = new Map<string, FlowDraft>();
	let masqueradeMark: string | null = null;
	const tables = dump.tables.filter(table => table.name === 'kube-proxy' && (table.family === 'ip' || table.family === 'ip6'));
	if (tables.length === 0) {
		problems.push({line: null, message: 'no `ip kube-proxy` or `ip6 kube-proxy` table in the input'});
	}

	for (const table of tables) {
		masqueradeMark ??= new NftTableDecoder(table, endpointChains.get(table) ?? new Map(), drafts, problems).decode();
	}

	return {
		mode: 'nftables',
		variant: 'nftables',
		services: [...drafts.values()].map(draft => finishFlow(draft, problems)).sort(compareFlows),
		problems,
		masqueradeMark,
	};
}

type EndpointTarget = {ip: string; port: number; hairpin: boolean};

/** An external- chain: where the rest goes, whether it is policy Local, and the pod and node bypasses. */
type ExternalChain = {next: string | null; localOnly: boolean; bypasses: Array<NatBypass & {target: string}>};

/** An endpoint- chain read so far: its last good dnat target, whether it marks hairpin traffic, its bad dnats. */
type EndpointFold = {
	/** A chain jumped to that the table does not have. */
	readonly missing: boolean;
	ip: string | null;
	port: number;
	hairpin: boolean;
	problems: NatProblem[] | null;
	/** Whether its problems were told (when a Service first sends traffic to it). */
	told: boolean;
};

function newFold(missing: boolean): EndpointFold {
	return {missing, ip: null, port: 0, hairpin: false, problems: null, told: false};
}

function foldEndpointRule(fold: EndpointFold, text: string, line: number): void {
	fold.hairpin ||= text.includes('jump mark-for-masquerade') && /ip6? saddr \S+ jump mark-for-masquerade/.test(text);
	const dnat = text.includes('dnat ') ? /dnat (?:ip6? )?to (\S+)/.exec(text) : null;
	const target = dnat ? splitHostPort(dnat[1]!) : null;
	if (target) {
		fold.ip = target.ip;
		fold.port = target.port;
	} else if (dnat) {
		(fold.problems ??= []).push({line, message: `line ${line}: bad dnat target ${dnat[1]!}`});
	}
}

/** One table's decode as named steps: the verdict maps give the entries, the chains the paths and endpoints. */
class NftTableDecoder {
	private readonly externalChains = new Map<string, ExternalChain>();
	private readonly masquerades = new Map<string, NatMasquerade[]>();
	private readonly clusterIps: Set<string | undefined>;
	private readonly firewalls: Map<string, NftElement>;

	constructor(private readonly table: NftTable, private readonly endpointChains: Map<string, EndpointFold>, private readonly drafts: Map<string, FlowDraft>, private readonly problems: NatProblem[]) {
		this.clusterIps = new Set(this.elementsOf('cluster-ips').map(element => element.key[0]));
		this.firewalls = new Map(this.elementsOf('firewall-ips').map(element => [element.key.join(' . '), element]));
	}

	/** Returns the masquerade mark. */
	decode(): string | null {
		this.serviceIps();
		this.serviceNodePorts();
		this.noEndpointMaps();
		for (const draft of this.drafts.values()) {
			if (!draft.key.startsWith(`${this.table.family}/`)) {
				continue;
			}

			if (draft.chain && this.table.chains.has(draft.chain)) {
				draft.endpoints = this.dispatch(draft, draft.chain);
			}

			if (draft.localChain && this.table.chains.has(draft.localChain)) {
				draft.localEndpoints = this.dispatch(draft, draft.localChain);
			}
		}

		return markOf(this.rulesOf('mark-for-masquerade').map(rule => rule.text));
	}

	private rulesOf(chain: string): NftRule[] {
		return this.table.chains.get(chain) ?? [];
	}

	private elementsOf(set: string): NftElement[] {
		return this.table.sets.get(set)?.elements ?? [];
	}

	private draftFor(chain: string, line: number): FlowDraft | null {
		const parsed = parseChainName(chain);
		if (!parsed) {
			this.problems.push({line, message: `line ${line}: not a kube-proxy service chain: ${chain}`});
			return null;
		}

		return this.draftNamed(parsed.namespace, parsed.name, parsed.port, parsed.protocol);
	}

	private draftNamed(namespace: string, name: string, port: string, protocol: string): FlowDraft {
		const key = `${this.table.family}/${namespace}/${name}/${protocol}/${port}`;
		let draft = this.drafts.get(key);
		if (!draft) {
			draft = newDraft(key);
			draft.service = `${namespace}/${name}`;
			draft.port = port;
			draft.protocol = protocolOf(protocol);
			draft.identified = true;
			this.drafts.set(key, draft);
		}

		return draft;
	}

	private kindOf(ip: string, protocol: string, port: string): NatEntryKind {
		if (this.clusterIps.has(ip)) {
			return 'clusterIP';
		}

		return this.firewalls.has(`${ip} . ${protocol} . ${port}`) ? 'loadBalancer' : 'externalIP';
	}

	/** `service-ips`: ClusterIP, external and load-balancer IP entries. */
	private serviceIps(): void {
		for (const element of this.elementsOf('service-ips')) {
			const [ip, protocol, port] = element.key;
			const target = verdictChain(element.value);
			if (!ip || !protocol || !port || !target) {
				this.problems.push({line: element.line, message: `line ${element.line}: service-ips element is not \`ip . proto . port : goto chain\``});
				continue;
			}

			const draft = this.draftFor(target, element.line);
			if (draft) {
				const firewall = this.firewalls.get(`${ip} . ${protocol} . ${port}`);
				const firewallChain = firewall ? verdictChain(firewall.value) : null;
				this.addWalked(draft, this.kindOf(ip, protocol, port), ip, Number(port), target, element.line, this.firewallRanges(firewallChain), firewallChain ? [firewallChain] : []);
			}
		}
	}

	private serviceNodePorts(): void {
		for (const element of this.elementsOf('service-nodeports')) {
			const [protocol, port] = element.key;
			const target = verdictChain(element.value);
			if (!protocol || !port || !target) {
				this.problems.push({line: element.line, message: `line ${element.line}: service-nodeports element is not \`proto . port : goto chain\``});
				continue;
			}

			const draft = this.draftFor(target, element.line);
			if (draft) {
				this.addWalked(draft, 'nodePort', null, Number(port), target, element.line, [], []);
			}
		}
	}

	/** `no-endpoint-services` / `no-endpoint-nodeports`: where kube-proxy drops or rejects. */
	private noEndpointMaps(): void {
		for (const [mapName, nodePort] of [['no-endpoint-services', false], ['no-endpoint-nodeports', true]] as const) {
			for (const element of this.elementsOf(mapName)) {
				const named = servicePortFromComment(element.comment);
				const [first, second, third] = element.key;
				const protocol = nodePort ? first : second;
				const portText = nodePort ? second : third;
				if (!named || !protocol || !portText) {
					this.problems.push({line: element.line, message: `line ${element.line}: ${mapName} element without a service comment or port`});
					continue;
				}

				const draft = this.draftNamed(named.service.split('/')[0]!, named.service.split('/')[1]!, named.port, protocol);
				const port = Number(portText);
				const ip = nodePort ? null : first!;
				const kind = nodePort ? 'nodePort' : this.kindOf(ip!, protocol, portText);
				if (!draft.entries.some(entry => entry.kind === kind && entry.ip === ip && entry.port === port)) {
					addEntry(draft, {kind, ip, port, sourceRanges: [], localOnly: false, path: [], target: 'none', line: element.line});
				}

				if (draft.noEndpoints !== 'reject') {
					draft.noEndpoints = element.value === 'drop' ? 'drop' : 'reject';
				}

				if (!draft.noEndpointsLines.includes(element.line)) {
					draft.noEndpointsLines.push(element.line);
				}
			}
		}
	}

	private firewallRanges(chain: string | null): string[] {
		for (const rule of chain ? this.rulesOf(chain) : []) {
			const match = /ip6? saddr != (?:\{ ?([^}]*?) ?\}|(\S+)) drop/.exec(rule.text);
			if (match) {
				return (match[1] ?? match[2]!).split(',').map(range => range.trim()).filter(Boolean);
			}
		}

		return [];
	}

	/** Follow an entry through external- to service- or local-, and add it with its path. */
	private addWalked(draft: FlowDraft, kind: NatEntryKind, ip: string | null, port: number, start: string, line: number, sourceRanges: string[], prefix: string[]) {
		const walk = {path: [...prefix], localOnly: false, target: 'none' as 'cluster' | 'local' | 'none'};
		let current: string | null = start;
		for (let depth = 0; current && depth < 6; depth++) {
			walk.path.push(current);
			if (!this.table.chains.has(current) && (this.endpointChains.get(current)?.missing ?? true)) {
				this.problems.push({line, message: `line ${line}: map element points to missing chain ${current}`});
				break;
			}

			const prefixName: string | undefined = parseChainName(current)?.prefix;
			if (prefixName === 'service' || prefixName === 'local') {
				if (prefixName === 'service') {
					draft.chain ??= current;
				} else {
					draft.localChain ??= current;
					walk.localOnly = true;
				}

				walk.target = prefixName === 'service' ? 'cluster' : 'local';
				this.collectMasquerade(draft, current);
				break;
			}

			if (prefixName !== 'external') {
				break;
			}

			this.collectMasquerade(draft, current);
			current = this.externalChain(draft, current, walk);
		}

		addEntry(draft, {kind, ip, port, sourceRanges, localOnly: walk.localOnly, path: walk.path, target: walk.target, line});
	}

	/** `external-…`: pod and node traffic go to the cluster-wide chain (policy Local), the rest on; returns the next chain. */
	private externalChain(draft: FlowDraft, chain: string, walk: {localOnly: boolean}): string | null {
		let external = this.externalChains.get(chain);
		if (!external) {
			external = this.readExternalChain(chain);
			this.externalChains.set(chain, external);
		}

		for (const bypass of external.bypasses) {
			draft.chain ??= bypass.target;
			addBypass(draft, bypass);
		}

		walk.localOnly ||= external.localOnly;
		if (!external.next && walk.localOnly) {
			// Policy Local without a local endpoint: no goto to the local- chain; the
			// no-endpoint maps drop what falls off the end.
			markLocalDrop(draft);
		}

		return external.next;
	}

	/** An external- chain once for all the entries that go through it. */
	private readExternalChain(chain: string): ExternalChain {
		const external: ExternalChain = {next: null, localOnly: false, bypasses: []};
		for (const rule of this.rulesOf(chain)) {
			const jump = /(?:^|\s)(?:goto|jump) ((?:service|local)-\S+)$/.exec(rule.text);
			const match = jump ? rule.text.slice(0, jump.index).trim() : '';
			if (jump && match === '') {
				external.next ??= jump[1]!;
			} else if (jump) {
				external.localOnly = true;
				const node = /fib saddr type local/.test(match) && !/ip6? saddr/.test(match);
				if (jump[1]!.startsWith('service-')) {
					external.bypasses.push({from: node ? 'node' : 'pods', condition: nftCondition(match), chain, target: jump[1]!, line: rule.line});
				}
			}
		}

		external.localOnly ||= external.next?.startsWith('local-') ?? false;
		return external;
	}

	/** A chain's masquerade rules, read once for all the entries that go through it. */
	private collectMasquerade(draft: FlowDraft, chain: string) {
		let marks = this.masquerades.get(chain);
		if (!marks) {
			marks = this.rulesOf(chain).filter(rule => /(?:^|\s)jump mark-for-masquerade$/.test(rule.text))
				.map(rule => ({chain, condition: nftCondition(rule.text.replace(/\s*jump mark-for-masquerade$/, '')), line: rule.line}));
			this.masquerades.set(chain, marks);
		}

		for (const mark of marks) {
			addMasquerade(draft, mark);
		}
	}

	/** A service- or local- chain: affinity, the `numgen random mod N vmap` ladder, a single endpoint. */
	private dispatch(draft: FlowDraft, chain: string): NatEndpoint[] {
		const endpoints: NatEndpoint[] = [];
		for (const rule of this.rulesOf(chain)) {
			const affinity = /ip6? saddr @(\S+) goto (endpoint-\S+)/.exec(rule.text);
			if (affinity) {
				const timeout = this.table.sets.get(affinity[1]!)?.timeoutSeconds;
				if (timeout === null || timeout === undefined) {
					this.problems.push({line: rule.line, message: `line ${rule.line}: affinity set ${affinity[1]!} is missing or has no timeout`});
				} else {
					draft.affinity = {timeoutSeconds: timeout};
				}

				continue;
			}

			const numgen = /numgen random mod (\d+) vmap \{(.*)\}/.exec(rule.text);
			const direct = numgen ? null : /^(?:goto|jump) (endpoint-\S+)$/.exec(rule.text);
			if ((numgen || direct) && endpoints.reduce((sum, each) => sum + each.probability, 0) >= 1 - 1e-9) {
				// Every new connection already took a verdict above: nothing reaches this rule.
				this.problems.push({line: rule.line, message: `line ${rule.line}: unreachable rule after every connection was sent to an endpoint in ${chain}: ${rule.raw.trim()}`});
				continue;
			}

			if (numgen) {
				this.numgenEndpoints(chain, rule.line, Number(numgen[1]), numgen[2]!, endpoints);
				continue;
			}

			const target = direct ? this.endpointOf(direct[1]!, rule.line) : null;
			if (target) {
				const taken = endpoints.reduce((sum, each) => sum + each.probability, 0);
				endpoints.push({ip: target.ip, port: target.port, probability: Math.max(0, 1 - taken), chain: direct![1]!, written: null, line: rule.line, hairpinMasquerade: target.hairpin});
			}
		}

		return endpoints;
	}

	private numgenEndpoints(chain: string, line: number, modulus: number, items: string, endpoints: NatEndpoint[]): void {
		const seen = new Set<number>();
		for (const item of items.split(',')) {
			const parsed = vmapItem(item);
			if (!parsed) {
				this.problems.push({line, message: `line ${line}: bad vmap element "${item.trim()}" in ${chain}`});
				continue;
			}

			const [index, target] = parsed;
			if (index >= modulus || seen.has(index)) {
				this.problems.push({line, message: `line ${line}: vmap index ${index} is out of range or repeated for mod ${modulus} in ${chain}`});
				continue;
			}

			seen.add(index);
			const endpoint = this.endpointOf(target, line);
			if (endpoint) {
				endpoints.push({ip: endpoint.ip, port: endpoint.port, probability: 1 / modulus, chain: target, written: 1 / modulus, line, hairpinMasquerade: endpoint.hairpin});
			}
		}
	}

	/** An endpoint- chain's dnat target, its problems told once, when a Service first sends traffic to it. */
	private endpointOf(chain: string, line: number): EndpointTarget | null {
		const fold = this.endpointChains.get(chain) ?? this.foldDeclared(chain);
		if (!fold.told) {
			fold.told = true;
			this.problems.push(...(fold.problems ?? []));
			if (fold.missing) {
				this.problems.push({line, message: `line ${line}: jump to missing endpoint chain ${chain}`});
			} else if (fold.ip === null) {
				this.problems.push({line, message: `line ${line}: endpoint chain ${chain} has no dnat rule`});
			}
		}

		// The fold is the target itself: no second object for each of a large table's endpoints.
		return fold.ip === null ? null : fold as EndpointTarget;
	}

	/** A chain jumped to as an endpoint whose rules the table kept (the `add rule` form, another name). */
	private foldDeclared(chain: string): EndpointFold {
		const declared = this.table.chains.get(chain);
		const fold = newFold(!declared);
		for (const rule of declared ?? []) {
			foldEndpointRule(fold, rule.text, rule.line);
		}

		this.endpointChains.set(chain, fold);
		return fold;
	}
}

/** ` 3 : goto endpoint-…` -> [3, endpoint-…], or null. */
function vmapItem(item: string): [number, string] | null {
	const match = /^\s*(\d+)\s*:\s*(?:goto|jump)\s+(\S+)\s*$/.exec(item);
	return match ? [Number(match[1]), match[2]!] : null;
}

function verdictChain(value: string | null): string | null {
	const match = value ? /^(?:goto|jump)\s+(\S+)$/.exec(value) : null;
	return match ? match[1]! : null;
}

function markOf(texts: string[]): string | null {
	for (const text of texts) {
		const match = /mark set (?:meta )?mark (?:or|\|) (0x[0-9a-f]+)/i.exec(text);
		if (match) {
			return `0x${Number.parseInt(match[1]!, 16).toString(16)}`;
		}
	}

	return null;
}

/** Human wording of the match part of an nft masquerade rule. */
function nftCondition(match: string): string {
	const parts: string[] = [];
	const source = /ip6? saddr (!= )?(\S+)/.exec(match);
	if (source) {
		parts.push(`${source[1] ? 'source not in' : 'source'} ${source[2]!}`);
	}

	if (/fib saddr type local/.test(match)) {
		parts.push('source is a local address');
	}

	// kube-proxy's bridge and interface-prefix detectors match on the input interface.
	const inInterface = /iifname (!= )?"?([^"\s]+)"?/.exec(match);
	if (inInterface) {
		parts.push(`${inInterface[1] ? 'not ' : ''}in through ${inInterface[2]!}`);
	}

	return parts.length > 0 ? parts.join(', ') : 'always';
}
