import {type NftElement, NftReader, type NftRule, type NftTable} from './nft-parse.js';
import type {NatEndpoint, NatEntry, NatEntryKind, NatFlowTable, NatProblem} from './types.js';
import {addBypass, addEntry, addMasquerade, compareFlows, draftIn, finishFlow, type FlowDraft, markLocalDrop, protocolOf, servicePortFromComment, splitHostPort} from './flow-builder.js';

/**
 * An endpoint- chain read so far (or `missing`: jumped to, not in the table): its last good dnat target, whether
 * it marks hairpin traffic, its bad dnats, and whether those were told (when a Service first sends traffic to it).
 */
type EndpointFold = {readonly missing: boolean; ip: string | null; port: number; hairpin: boolean; problems: NatProblem[] | null; told: boolean};

/**
 * Decode kube-proxy's nftables tables (`ip kube-proxy`, `ip6 kube-proxy`) into flows. Endpoint chains
 * (most of a large table) are folded into their target as their rules are read and not kept.
 */
export class NftDecoder {
	private readonly reader = new NftReader<EndpointFold>({
		chain: name => (name.startsWith('endpoint-') ? newFold(false) : undefined),
		rule: foldEndpointRule,
	});

	/** More bytes of the dump, cut anywhere; the caller does not reuse `part`. */
	writeBytes(part: Uint8Array): void {
		this.reader.writeBytes(part);
	}

	end(): NatFlowTable {
		const dump = this.reader.end();
		const {problems} = dump;
		const drafts = new Map<string, FlowDraft>();
		let masqueradeMark: string | null = null;
		const tables = dump.tables.filter(table => table.name === 'kube-proxy' && (table.family === 'ip' || table.family === 'ip6'));
		if (tables.length === 0) {
			problems.push({line: null, message: 'no `ip kube-proxy` or `ip6 kube-proxy` table in the input'});
		}

		// Every table is decoded (a dual-stack node has both); the mark is the first one's that has one.
		for (const table of tables) {
			const mark = new NftTableDecoder(table, drafts, problems).decode();
			masqueradeMark ??= mark;
		}

		const services = [...drafts.values()].map(draft => finishFlow(draft, problems)).sort(compareFlows);
		return {mode: 'nftables', variant: 'nftables', services, problems, masqueradeMark};
	}
}

function newFold(missing: boolean): EndpointFold {
	return {missing, ip: null, port: 0, hairpin: false, problems: null, told: false};
}

function foldEndpointRule(fold: EndpointFold, text: string, line: number): void {
	fold.hairpin ||= text.includes('jump mark-for-masquerade') && /ip6? saddr \S+ jump mark-for-masquerade/.test(text);
	const written = text.includes('dnat ') ? dnatTarget(text) : null;
	const target = written === null ? null : splitHostPort(written);
	if (target) {
		fold.ip = target.ip;
		fold.port = target.port;
	} else if (written !== null) {
		(fold.problems ??= []).push({line, message: `line ${line}: bad dnat target ${written}`});
	}
}

/** Where `dnat to`, `dnat ip to` or `dnat ip6 to` is followed by a target, and where the target ends. */
const dnatPattern = /dnat (?:ip6? )?to (?=\S)/g;
const targetPattern = /\S+/y;

/** The target of `/dnat (?:ip6? )?to (\S+)/`, found without a match array (a large table has 50,000 dnat rules). */
function dnatTarget(text: string): string | null {
	dnatPattern.lastIndex = 0;
	if (!dnatPattern.test(text)) {
		return null;
	}

	targetPattern.lastIndex = dnatPattern.lastIndex;
	targetPattern.test(text);
	return text.slice(dnatPattern.lastIndex, targetPattern.lastIndex);
}

/** One table's decode as named steps: the verdict maps give the entries, the chains the paths and endpoints. */
class NftTableDecoder {
	private readonly clusterIps: Set<string | undefined>;
	private readonly firewalls: Map<string, NftElement>;

	constructor(private readonly table: NftTable<EndpointFold>, private readonly drafts: Map<string, FlowDraft>, private readonly problems: NatProblem[]) {
		this.clusterIps = new Set(this.elementsOf('cluster-ips').map(element => element.key[0]));
		this.firewalls = new Map(this.elementsOf('firewall-ips').map(element => [element.key.join(' . '), element]));
	}

	/** Returns the masquerade mark. */
	decode(): string | null {
		this.verdictMap('service-ips', false);
		this.verdictMap('service-nodeports', true);
		this.noEndpointMap('no-endpoint-services', false);
		this.noEndpointMap('no-endpoint-nodeports', true);
		const prefix = `${this.table.family}/`;
		for (const draft of [...this.drafts.values()].filter(draft => draft.key.startsWith(prefix))) {
			if (draft.chain && this.table.chains.has(draft.chain)) {
				draft.endpoints = this.dispatch(draft, draft.chain);
			}

			if (draft.localChain && this.table.chains.has(draft.localChain)) {
				draft.localEndpoints = this.dispatch(draft, draft.localChain);
			}
		}

		return markOf(this.rulesOf('mark-for-masquerade'));
	}

	private rulesOf(chain: string): NftRule[] {
		return this.table.chains.get(chain) ?? [];
	}

	private elementsOf(set: string): NftElement[] {
		return this.table.sets.get(set)?.elements ?? [];
	}

	private problem(line: number, message: string): void {
		this.problems.push({line, message: `line ${line}: ${message}`});
	}

	private draftNamed(namespace: string, name: string, port: string, protocol: string): FlowDraft {
		const draft = draftIn(this.drafts, `${this.table.family}/${namespace}/${name}/${protocol}/${port}`);
		if (!draft.identified) {
			draft.service = `${namespace}/${name}`;
			draft.port = port;
			draft.protocol = protocolOf(protocol);
			draft.identified = true;
		}

		return draft;
	}

	private kindOf(ip: string, destination: string): NatEntryKind {
		return this.clusterIps.has(ip) ? 'clusterIP' : (this.firewalls.has(destination) ? 'loadBalancer' : 'externalIP');
	}

	/** `service-ips` (ClusterIP, external and load-balancer IPs) or `service-nodeports`: an entry for each element. */
	private verdictMap(name: string, nodePort: boolean): void {
		for (const {key, value, line} of this.elementsOf(name)) {
			const ip = nodePort ? null : key[0];
			const protocol = key[nodePort ? 0 : 1];
			const port = key[nodePort ? 1 : 2];
			const target = verdictChain(value);
			if (ip === '' || ip === undefined || !protocol || !port || !target) {
				this.problem(line, nodePort ? 'service-nodeports element is not `proto . port : goto chain`' : 'service-ips element is not `ip . proto . port : goto chain`');
				continue;
			}

			const parsed = parseChainName(target);
			if (!parsed) {
				this.problem(line, `not a kube-proxy service chain: ${target}`);
				continue;
			}

			const draft = this.draftNamed(parsed.namespace, parsed.name, parsed.port, parsed.protocol);
			const destination = ip === null ? '' : `${ip} . ${protocol} . ${port}`;
			const firewall = ip === null ? null : verdictChain(this.firewalls.get(destination)?.value ?? null);
			const kind = ip === null ? 'nodePort' : this.kindOf(ip, destination);
			this.addWalked(draft, kind, ip, Number(port), target, line, this.firewallRanges(firewall), firewall ? [firewall] : []);
		}
	}

	/** `no-endpoint-services` / `no-endpoint-nodeports`: where kube-proxy drops or rejects. */
	private noEndpointMap(name: string, nodePort: boolean): void {
		for (const {key, value, comment, line} of this.elementsOf(name)) {
			const named = servicePortFromComment(comment);
			const protocol = key[nodePort ? 0 : 1];
			const portText = key[nodePort ? 1 : 2];
			if (!named || !protocol || !portText) {
				this.problem(line, `${name} element without a service comment or port`);
				continue;
			}

			const [namespace, service] = named.service.split('/') as [string, string];
			const draft = this.draftNamed(namespace, service, named.port, protocol);
			const ip = nodePort ? null : key[0]!;
			const kind = ip === null ? 'nodePort' : this.kindOf(ip, `${ip} . ${protocol} . ${portText}`);
			addEntry(draft, {kind, ip, port: Number(portText), sourceRanges: [], localOnly: false, path: [], target: 'none', line});
			draft.noEndpoints = draft.noEndpoints === 'reject' || value !== 'drop' ? 'reject' : 'drop';
			if (!draft.noEndpointsLines.includes(line)) {
				draft.noEndpointsLines.push(line);
			}
		}
	}

	/** A firewall- chain's loadBalancerSourceRanges: whatever is not from them is dropped. */
	private firewallRanges(chain: string | null): string[] {
		const match = (chain ? this.rulesOf(chain) : []).map(rule => /ip6? saddr != (?:\{ ?([^}]*?) ?\}|(\S+)) drop/.exec(rule.text)).find(Boolean);
		return match ? (match[1] ?? match[2]!).split(',').map(range => range.trim()).filter(Boolean) : [];
	}

	/** Follow an entry through external- to service- or local-, and add it with its path. */
	private addWalked(draft: FlowDraft, kind: NatEntryKind, ip: string | null, port: number, start: string, line: number, sourceRanges: string[], path: string[]) {
		let localOnly = false;
		let target: NatEntry['target'] = 'none';
		let current: string | null = start;
		for (let depth = 0; current && depth < 6; depth++) {
			path.push(current);
			if (!this.table.chains.has(current) && (this.table.taken.get(current)?.missing ?? true)) {
				this.problem(line, `map element points to missing chain ${current}`);
				break;
			}

			const prefix = chainPrefix(current);
			if (prefix === 'service' || prefix === 'local') {
				if (prefix === 'service') {
					draft.chain ??= current;
				} else {
					draft.localChain ??= current;
				}

				localOnly ||= prefix === 'local';
				target = prefix === 'service' ? 'cluster' : 'local';
				this.collectMasquerade(draft, current);
				break;
			}

			if (prefix !== 'external') {
				break;
			}

			this.collectMasquerade(draft, current);
			const external = this.externalChain(draft, current, localOnly);
			localOnly ||= external.localOnly;
			current = external.next;
		}

		addEntry(draft, {kind, ip, port, sourceRanges, localOnly, path, target, line});
	}

	/** `external-…`: pod and node traffic go to the cluster-wide chain (policy Local), the rest on to the next chain. */
	private externalChain(draft: FlowDraft, chain: string, localOnly: boolean): {next: string | null; localOnly: boolean} {
		const external = {next: null as string | null, localOnly: false};
		for (const rule of this.rulesOf(chain)) {
			const jump = /(?:^|\s)(?:goto|jump) ((?:service|local)-\S+)$/.exec(rule.text);
			const match = jump ? rule.text.slice(0, jump.index).trim() : '';
			if (jump && match === '') {
				external.next ??= jump[1]!;
			} else if (jump) {
				external.localOnly = true;
				const node = /fib saddr type local/.test(match) && !/ip6? saddr/.test(match);
				if (jump[1]!.startsWith('service-')) {
					draft.chain ??= jump[1]!;
					addBypass(draft, {from: node ? 'node' : 'pods', condition: nftCondition(match), chain, target: jump[1]!, line: rule.line});
				}
			}
		}

		external.localOnly ||= external.next?.startsWith('local-') ?? false;
		if (!external.next && (localOnly || external.localOnly)) {
			// Policy Local without a local endpoint: no goto to the local- chain; the
			// no-endpoint maps drop what falls off the end.
			markLocalDrop(draft);
		}

		return external;
	}

	private collectMasquerade(draft: FlowDraft, chain: string) {
		for (const {text, line} of this.rulesOf(chain)) {
			if (/(?:^|\s)jump mark-for-masquerade$/.test(text)) {
				addMasquerade(draft, {chain, condition: nftCondition(text.replace(/\s*jump mark-for-masquerade$/, '')), line});
			}
		}
	}

	/** A service- or local- chain: affinity, the `numgen random mod N vmap` ladder, a single endpoint. */
	private dispatch(draft: FlowDraft, chain: string): NatEndpoint[] {
		const endpoints: NatEndpoint[] = [];
		for (const {text, line, written} of this.rulesOf(chain)) {
			const affinity = text.includes('saddr @') ? /ip6? saddr @(\S+) goto (endpoint-\S+)/.exec(text) : null;
			if (affinity) {
				const timeout = this.table.sets.get(affinity[1]!)?.timeoutSeconds ?? null;
				if (timeout === null) {
					this.problem(line, `affinity set ${affinity[1]!} is missing or has no timeout`);
				} else {
					draft.affinity = {timeoutSeconds: timeout};
				}

				continue;
			}

			const numgen = /numgen random mod (\d+) vmap \{(.*)\}/.exec(text);
			const direct = numgen ? null : /^(?:goto|jump) (endpoint-\S+)$/.exec(text);
			const taken = endpoints.reduce((sum, each) => sum + each.probability, 0);
			if ((numgen || direct) && taken >= 1 - 1e-9) {
				// Every new connection already took a verdict above: nothing reaches this rule.
				this.problem(line, `unreachable rule after every connection was sent to an endpoint in ${chain}: ${written}`);
			} else if (numgen) {
				this.numgenEndpoints(chain, line, Number(numgen[1]), numgen[2]!, endpoints);
			} else if (direct) {
				this.addEndpoint(endpoints, direct[1]!, line, Math.max(0, 1 - taken), null);
			}
		}

		return endpoints;
	}

	private numgenEndpoints(chain: string, line: number, modulus: number, items: string, endpoints: NatEndpoint[]): void {
		const seen = new Set<number>();
		for (const item of items.split(',')) {
			const parsed = /^\s*(\d+)\s*:\s*(?:goto|jump)\s+(\S+)\s*$/.exec(item);
			const index = parsed ? Number(parsed[1]) : 0;
			if (!parsed) {
				this.problem(line, `bad vmap element "${item.trim()}" in ${chain}`);
			} else if (index >= modulus || seen.has(index)) {
				this.problem(line, `vmap index ${index} is out of range or repeated for mod ${modulus} in ${chain}`);
			} else {
				seen.add(index);
				this.addEndpoint(endpoints, parsed[2]!, line, 1 / modulus, 1 / modulus);
			}
		}
	}

	/** An endpoint- chain's target, unless it has none; the chain's problems are told when a Service first sends traffic to it. */
	private addEndpoint(endpoints: NatEndpoint[], chain: string, line: number, probability: number, written: number | null): void {
		let fold = this.table.taken.get(chain);
		if (!fold) {
			// A chain jumped to as an endpoint whose rules the table kept (another name), or none: folded now.
			const declared = this.table.chains.get(chain);
			fold = newFold(!declared);
			for (const rule of declared ?? []) {
				foldEndpointRule(fold, rule.text, rule.line);
			}

			this.table.taken.set(chain, fold);
		}

		if (!fold.told) {
			fold.told = true;
			for (const problem of fold.problems ?? []) {
				this.problems.push(problem);
			}

			if (fold.missing) {
				this.problem(line, `jump to missing endpoint chain ${chain}`);
			} else if (fold.ip === null) {
				this.problem(line, `endpoint chain ${chain} has no dnat rule`);
			}
		}

		if (fold.ip !== null) {
			endpoints.push({ip: fold.ip, port: fold.port, probability, chain, written, line, hairpinMasquerade: fold.hairpin});
		}
	}
}

/**
 * A kube-proxy chain name: its kind, a dash, the 8-character hash, a dash, then namespace, name, protocol and
 * port (three slashes before any `__`; endpoint chains carry `__ip/port` after the port).
 */
const chainNamePattern = /^(service|external|local|firewall|endpoint)-[A-Z2-7]{8}-(?:(?:(?!__)[^/])*\/){3}/;

/** A kube-proxy chain's kind (`service`, `external`, `local`, `firewall`, `endpoint`). */
function chainPrefix(chain: string): string | undefined {
	return chainNamePattern.exec(chain)?.[1];
}

/** `service-ULMVA6XW-ns1/svc1/tcp/p80` -> its parts. */
function parseChainName(chain: string): {namespace: string; name: string; protocol: string; port: string} | null {
	const prefix = chainPrefix(chain);
	const [namespace, name, protocol, ...port] = prefix ? chain.slice(prefix.length + 10).split('__')[0]!.split('/') : [];
	return prefix ? {namespace: namespace!, name: name!, protocol: protocol!, port: port.join('/')} : null;
}

function verdictChain(value: string | null): string | null {
	const match = value ? /^(?:goto|jump)\s+(\S+)$/.exec(value) : null;
	return match ? match[1]! : null;
}

function markOf(rules: NftRule[]): string | null {
	const match = rules.map(({text}) => /mark set (?:meta )?mark (?:or|\|) (0x[0-9a-f]+)/i.exec(text)).find(Boolean);
	return match ? `0x${Number.parseInt(match[1]!, 16).toString(16)}` : null;
}

/** Human wording of the match part of an nft masquerade rule. */
function nftCondition(match: string): string {
	const source = /ip6? saddr (!= )?(\S+)/.exec(match);
	// kube-proxy's bridge and interface-prefix detectors match on the input interface.
	const inInterface = /iifname (!= )?"?([^"\s]+)"?/.exec(match);
	return [
		source ? `${source[1] ? 'source not in' : 'source'} ${source[2]!}` : '',
		/fib saddr type local/.test(match) ? 'source is a local address' : '',
		inInterface ? `${inInterface[1] ? 'not ' : ''}in through ${inInterface[2]!}` : '',
	].filter(Boolean).join(', ') || 'always';
}
