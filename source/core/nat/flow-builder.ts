import type {NatBypass, NatEndpoint, NatEntry, NatEntryKind, NatMasquerade, NatProblem, NatProtocol, NatServiceFlow} from './types.js';
import type {IptablesRule} from './iptables-rule.js';
import {sumSharesOf} from './shares.js';

/** A NatServiceFlow's field as the decoder fills it: a read-only list is a list it appends to. */
type Mutable<Value> = Value extends ReadonlyArray<infer Item> ? Item[] : Value;

/** Mutable flow used while decoding; `finishFlow` freezes it into a NatServiceFlow. */
export type FlowDraft = {-readonly [Field in Exclude<keyof NatServiceFlow, 'service' | 'protocol'>]: Mutable<NatServiceFlow[Field]>}
	& {key: string; service: string | null; protocol: NatProtocol | null};

export function newDraft(key: string): FlowDraft {
	return {
		key, service: null, port: '', protocol: null, identified: false, entries: [], chain: null, endpoints: [], localChain: null, localEndpoints: null,
		affinity: null, noEndpoints: null, noEndpointsLines: [], bypass: [], masquerade: [], scheduler: null,
	};
}

/** The draft kept under `key` in `drafts`, created on first use. */
export function draftIn(drafts: Map<string, FlowDraft>, key: string): FlowDraft {
	let draft = drafts.get(key);
	if (!draft) {
		draft = newDraft(key);
		drafts.set(key, draft);
	}

	return draft;
}

const servicePortPattern = /^([a-z0-9][-a-z0-9.]*)\/([a-z0-9][-a-z0-9.]*)(?::([-a-z0-9]*))?$/;

/**
 * The Service port named in a kube-proxy comment: `ns/svc:port cluster IP`, `ns/svc:port -> ip:port`,
 * `masquerade traffic for ns/svc:port external destinations`, `ns/svc has no endpoints`, ….
 */
export function servicePortFromComment(comment: string | null): {service: string; port: string} | null {
	if (!comment) {
		return null;
	}

	// Word by word (a 200,000-rule dump asks this of thousands of comments: no array of words).
	for (let start = 0; start <= comment.length;) {
		let end = comment.indexOf(' ', start);
		end = end === -1 ? comment.length : end;
		const slash = comment.indexOf('/', start);
		const word = slash === -1 || slash >= end ? null : comment.slice(start, end);
		start = end + 1;
		const match = word === null ? null : servicePortPattern.exec(word);
		// A CIDR such as 10.0.0.0/8 also fits the pattern (only a namespace starting with a digit can be an address).
		if (match && !(match[1]!.charCodeAt(0) <= 57 && /^\d+(\.\d+){3}$/.test(match[1]!))) {
			return {service: word!.slice(0, match[1]!.length + 1 + match[2]!.length), port: match[3] ?? ''};
		}
	}

	return null;
}

const protocols = new Map<string, NatProtocol>([['tcp', 'TCP'], ['udp', 'UDP'], ['sctp', 'SCTP']]);

export function protocolOf(text: string | null | undefined): NatProtocol | null {
	return protocols.get(text?.toLowerCase() ?? '') ?? null;
}

/** `10.0.0.1/32` -> `10.0.0.1`, `fd00::1/128` -> `fd00::1`; other CIDRs stay. */
export function hostAddress(address: string): string {
	if (address.endsWith('/32') && !address.includes(':')) {
		return address.slice(0, -3);
	}

	if (address.endsWith('/128')) {
		return address.slice(0, -4);
	}

	return address;
}

/** `10.1.2.3:80` or `[fd00::1]:80` -> address and port; null when malformed. */
export function splitHostPort(text: string): {ip: string; port: number} | null {
	const bracketed = text.startsWith('[');
	const colon = bracketed ? text.indexOf(']:') : text.indexOf(':');
	if (colon === -1 || (!bracketed && text.indexOf(':', colon + 1) !== -1)) {
		return null;
	}

	// The port is read digit by digit: no slice and no pattern for each of a dump's endpoints.
	const from = colon + (bracketed ? 2 : 1);
	let port = 0;
	for (let index = from; index < text.length; index++) {
		const digit = text.charCodeAt(index) - 48;
		if (digit < 0 || digit > 9) {
			return null;
		}

		port = (port * 10) + digit;
	}

	return colon > (bracketed ? 1 : 0) && from < text.length && port <= 65_535 ? {ip: text.slice(bracketed ? 1 : 0, colon), port} : null;
}

/** An entry, unless the flow has one of this kind, address and port already. */
export function addEntry(draft: FlowDraft, entry: NatEntry): void {
	if (!draft.entries.some(each => each.kind === entry.kind && each.ip === entry.ip && each.port === entry.port)) {
		draft.entries.push(entry);
	}
}

/** A masquerade mark, unless the flow has the one from that rule line already (chains are walked once per entry). */
export function addMasquerade(draft: FlowDraft, mark: NatMasquerade): void {
	if (!draft.masquerade.some(each => each.line === mark.line)) {
		draft.masquerade.push(mark);
	}
}

/** A Local-policy bypass, unless the flow has the one from that rule line already (chains are walked once per entry). */
export function addBypass(draft: FlowDraft, bypass: NatBypass): void {
	if (!draft.bypass.some(each => each.line === bypass.line && each.chain === bypass.chain && each.condition === bypass.condition)) {
		draft.bypass.push(bypass);
	}
}

/** Policy Local without a local endpoint: external traffic no bypass takes falls off the chain's end and is dropped. */
export function markLocalDrop(draft: FlowDraft): void {
	draft.localEndpoints ??= [];
	if (draft.noEndpoints !== 'reject') {
		draft.noEndpoints = 'drop';
	}
}

const kindOrder: Record<NatEntryKind, number> = {clusterIP: 0, externalIP: 1, loadBalancer: 2, nodePort: 3};

/** Check shares and freeze. Problems about the flow are appended to `problems`. */
export function finishFlow(draft: FlowDraft, problems: NatProblem[]): NatServiceFlow {
	const service = draft.service ?? draft.key;
	checkShares(draft, service, draft.chain, draft.endpoints, problems);
	checkShares(draft, service, draft.localChain, draft.localEndpoints ?? [], problems);
	// Dumps list the same rules in different orders (kube-proxy's map order, iptables-save's chain order, nft's set order).
	const entries = sortSmall(draft.entries.map(entry => (entry.sourceRanges.length === 0 ? entry : {...entry, sourceRanges: sortSmall([...entry.sourceRanges], compareText)})), compareEntries);
	const masquerade = draft.masquerade.length < 2 ? draft.masquerade : sortSmall([...draft.masquerade], (a, b) => compareText(a.chain, b.chain) || compareText(a.condition, b.condition));
	return {
		service, port: draft.port, protocol: draft.protocol ?? 'TCP', identified: draft.identified, entries, chain: draft.chain, endpoints: draft.endpoints,
		localChain: draft.localChain, localEndpoints: draft.localEndpoints, affinity: draft.affinity, noEndpoints: draft.noEndpoints, noEndpointsLines: draft.noEndpointsLines,
		bypass: draft.bypass.length < 2 ? draft.bypass : sortSmall([...draft.bypass], (a, b) => compareText(b.from, a.from) || compareText(a.chain, b.chain) || compareText(a.condition, b.condition)),
		masquerade, scheduler: draft.scheduler,
	};
}

/** A problem when the shares of one endpoint path do not sum to 1. */
function checkShares(draft: FlowDraft, service: string, path: string | null, endpoints: readonly NatEndpoint[], problems: NatProblem[]): void {
	if (endpoints.length === 0) {
		return;
	}

	const sum = sumSharesOf(endpoints, endpoint => endpoint.probability);
	if (Math.abs(sum - 1) > 1e-9) {
		const label = `${service}${draft.port ? `:${draft.port}` : ''}`;
		const message = `${label}: shares of ${path ?? 'the endpoint path'} sum to ${sum.toPrecision(12)}, not 1 (the rest is not load-balanced)`;
		problems.push({line: endpoints.at(-1)!.line, message});
	}
}

export function sortEntries(entries: readonly NatEntry[]): NatEntry[] {
	return sortSmall([...entries], compareEntries);
}

/** `items` sorted in place, stably; a short one by insertion, as Array#sort allocates close to a kilobyte per call. */
function sortSmall<T>(items: T[], compare: (a: T, b: T) => number): T[] {
	if (items.length > 8) {
		return items.sort(compare);
	}

	for (let index = 1; index < items.length; index++) {
		const item = items[index]!;
		let at = index;
		for (; at > 0 && compare(items[at - 1]!, item) > 0; at--) {
			items[at] = items[at - 1]!;
		}

		items[at] = item;
	}

	return items;
}

function compareEntries(a: NatEntry, b: NatEntry): number {
	return kindOrder[a.kind] - kindOrder[b.kind] || compareText(a.ip ?? '', b.ip ?? '') || a.port - b.port;
}

export function compareFlows(a: NatServiceFlow, b: NatServiceFlow): number {
	return compareText(a.service, b.service) || compareText(a.port, b.port) || compareText(a.protocol, b.protocol);
}

function compareText(a: string, b: string): number {
	return a < b ? -1 : (a > b ? 1 : 0);
}

/** Takes the flow's protocol, and its Service port from a kube-proxy comment, from the first rule that has them. */
export function identifyFlow(draft: FlowDraft, rule: Pick<IptablesRule, 'protocol' | 'comment'>): void {
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
}
