import {lookupAddress, type EndpointEntry, type EndpointIndex} from './endpoint-index.js';
import {formatHost} from './target.js';
import type {AttributionMethod, ProbeTarget} from './types.js';

export type Attribution = {
	readonly pod: string | null;
	readonly node: string | null;
	readonly endpoint: string | null;
	readonly via: AttributionMethod;
};

export const unknownAttribution: Attribution = {pod: null, node: null, endpoint: null, via: 'unknown'};

// Character tests by code: attribution runs on every answer, a regular expression per character adds up.
function isDigitCode(code: number): boolean {
	return code >= 48 && code <= 57;
}

function isNameChar(text: string, at: number): boolean {
	const code = text.charCodeAt(at);
	return isDigitCode(code) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45;
}

function isIpContinuation(text: string, at: number): boolean {
	const code = text.charCodeAt(at);
	return isDigitCode(code) || (code === 46 && isDigitCode(text.charCodeAt(at + 1)));
}

/** Whether `needle` occurs in `text` as a whole token (not inside a longer name or address). */
export function containsToken(text: string, needle: string, kind: 'name' | 'ip'): boolean {
	let from = 0;
	for (;;) {
		const at = text.indexOf(needle, from);
		if (at === -1) {
			return false;
		}

		const end = at + needle.length;
		const before = text.charCodeAt(at - 1);
		const bounded = kind === 'name'
			? !isNameChar(text, at - 1) && !isNameChar(text, end)
			: !isDigitCode(before) && before !== 46 && !isIpContinuation(text, end);
		if (bounded) {
			return true;
		}

		from = at + 1;
	}
}

/** The endpoint candidates a response is matched against: the Service's endpoints for the probed port. */
export type ResponseCandidates = {
	readonly entries: readonly EndpointEntry[];
	/** Port name of the Service port, to build `ip:port`. */
	readonly portName: string;
};

function endpointOf(entry: EndpointEntry, portName: string): string {
	const port = entry.ports[portName];
	return port === undefined ? formatHost(entry.ip) : `${formatHost(entry.ip)}:${port}`;
}

/**
 * Finds which endpoint a response names. With `match`, its first group names the pod (or an IP);
 * otherwise the longest pod name or hostname of a candidate found in the text wins, then a pod IP.
 */
export function attributeFromResponse(
	text: string,
	candidates: ResponseCandidates,
	match?: RegExp,
): Attribution | undefined {
	if (match) {
		const found = match.exec(text)?.[1];
		if (found === undefined || found === '') {
			return undefined;
		}

		const entry = candidates.entries.find(candidate => candidate.pod === found || candidate.hostname === found || candidate.ip === found);
		return entry
			? {pod: entry.pod ?? found, node: entry.node, endpoint: endpointOf(entry, candidates.portName), via: 'response'}
			: {pod: found, node: null, endpoint: null, via: 'response'};
	}

	let best: EndpointEntry | undefined;
	let bestLength = 0;
	for (const entry of candidates.entries) {
		for (const name of [entry.pod, entry.hostname]) {
			if (name && name.length > bestLength && containsToken(text, name, 'name')) {
				best = entry;
				bestLength = name.length;
			}
		}
	}

	if (!best) {
		best = candidates.entries.find(entry => containsToken(text, entry.ip, 'ip'));
	}

	return best
		? {pod: best.pod ?? best.hostname, node: best.node, endpoint: endpointOf(best, candidates.portName), via: 'response'}
		: undefined;
}

export type AttributionInput = {
	readonly target: ProbeTarget;
	readonly index: EndpointIndex;
	/** `namespace/name` of the probed Service, when there is one. */
	readonly service?: string;
	/** The reply source of the probe's conntrack entry (the endpoint after DNAT). */
	readonly conntrackReply?: {readonly ip: string; readonly port: number};
	/** Headers and body of the response (HTTP) or its decoded text (DNS). */
	readonly responseText?: string;
	readonly candidates?: ResponseCandidates;
	readonly match?: RegExp;
	/** The address the socket was connected to, in cluster terms. */
	readonly peer?: {readonly ip: string; readonly port: number};
};

/** conntrack, then the response, then the peer address (for pod IPs and plain addresses); else unknown. */
export function attribute(input: AttributionInput): Attribution {
	const {target, index, service} = input;
	const reply = input.conntrackReply;
	// A reply source equal to the address we dialled means no DNAT happened: conntrack names nobody.
	if (reply && !(reply.ip === target.host && reply.port === target.port)) {
		const owner = lookupAddress(index, reply.ip, reply.port, service);
		return {pod: owner?.pod ?? null, node: owner?.node ?? null, endpoint: `${formatHost(reply.ip)}:${reply.port}`, via: 'conntrack'};
	}

	if (input.responseText !== undefined && (input.match || (input.candidates && input.candidates.entries.length > 0))) {
		const found = attributeFromResponse(input.responseText, input.candidates ?? {entries: [], portName: ''}, input.match);
		if (found) {
			return found;
		}
	}

	if (input.peer && (target.kind === 'endpoint' || target.kind === 'address')) {
		const owner = lookupAddress(index, input.peer.ip, input.peer.port, service);
		return {pod: owner?.pod ?? null, node: owner?.node ?? null, endpoint: `${formatHost(input.peer.ip)}:${input.peer.port}`, via: 'peer'};
	}

	return unknownAttribution;
}

/** A probe that timed out with no byte of answer: only where it was sent can be named (`attributeSentTo`). */
export function isUnansweredTimeout(result: {readonly ok: boolean; readonly error: string | null; readonly responseText?: string}): boolean {
	return !result.ok && result.error === 'timeout' && result.responseText === undefined;
}

/**
 * Where kube-proxy sent a probe that got no answer (a timeout): the endpoint conntrack's reply
 * tuple names after DNAT, from conntrack only (there is no response to read). A reply that is no
 * endpoint of the Service (not DNATed: a Local drop, no rule; or something else) names nobody.
 */
export function attributeSentTo(input: Pick<AttributionInput, 'target' | 'index' | 'service' | 'conntrackReply'>): Attribution {
	const {target, index, service} = input;
	const reply = input.conntrackReply;
	if (!reply || (reply.ip === target.host && reply.port === target.port)) {
		return unknownAttribution;
	}

	const entry = index.byIp.get(reply.ip)?.find(candidate => (service === undefined || candidate.service === service) && Object.values(candidate.ports).includes(reply.port));
	return entry === undefined
		? unknownAttribution
		: {pod: entry.pod, node: entry.node ?? index.nodeByIp.get(reply.ip) ?? null, endpoint: `${formatHost(reply.ip)}:${reply.port}`, via: 'conntrack'};
}
