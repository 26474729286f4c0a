import type {NatFlowTable, NatProblem} from './types.js';
import {noEndMarkerNote} from './cut-short.js';
import {compareFlows, finishFlow, type FlowDraft, newDraft, protocolOf, splitHostPort} from './flow-builder.js';
import {joinHostPort} from './service-ports.js';
import {ruleProblem} from './iptables-rule.js';
import {equalShares, weightShares} from './shares.js';

/** A flow per virtual service, its real servers' shares not yet set; `lines`: the last line with anything on it. */
type IpvsDump = {readonly services: FlowDraft[]; readonly problems: NatProblem[]; readonly lines: number};

/** The protocol of each service-address option of `ipvsadm -A`/`-a`. */
const serviceOptions: Record<string, string> = {'-t': 'tcp', '--tcp-service': 'tcp', '-u': 'udp', '--udp-service': 'udp', '--sctp-service': 'sctp', '-f': 'fwm', '--fwmark-service': 'fwm'};

const forwardNames: Record<string, string> = {
	'-m': 'masq', '--masquerading': 'masq', '-g': 'route', '--gatewaying': 'route', '-i': 'tunnel', '--ipip': 'tunnel',
	masq: 'masq', route: 'route', tunnel: 'tunnel', local: 'local',
};

/** What the lines read so far declared: services in order, by key (rules), and the last one (listing). */
type IpvsParseState = {readonly services: FlowDraft[]; readonly byKey: Map<string, FlowDraft>; last: FlowDraft | undefined};

/** Parse `ipvsadm -S -n` (rules) or `ipvsadm -Ln` (listing) text. Never throws. */
export function parseIpvs(text: string): IpvsDump {
	const state: IpvsParseState = {services: [], byKey: new Map(), last: undefined};
	const problems: NatProblem[] = [];
	let lines = 0;
	for (const [index, written] of text.split('\n').entries()) {
		const line = index + 1;
		const raw = written.replace(/\r$/, '');
		const trimmed = raw.trim();
		lines = trimmed === '' ? lines : line;
		// Blank lines, comments and a listing's headings say nothing.
		if (trimmed === '' || trimmed.startsWith('#') || /^(IP Virtual Server version|Prot LocalAddress|-> RemoteAddress)/.test(trimmed)) {
			continue;
		}

		const words = trimmed.split(/\s+/);
		const problem = ruleCommands.has(words[0]!) ? readRuleLine(state, words, line) : readListingLine(state, trimmed, line);
		if (problem !== undefined) {
			ruleProblem(problems, line, raw, problem);
		}
	}

	return {services: state.services, problems, lines};
}

/** The `ipvsadm -S` commands: add a virtual service, add a real server. */
const ruleCommands = new Set(['-A', '--add-service', '-a', '--add-server']);

/** One `ipvsadm -S` line (`-A` service or `-a` real server); returns what is wrong with it, if anything. */
function readRuleLine(state: IpvsParseState, words: string[], line: number): string | undefined {
	const options = readOptions(words.slice(1));
	const kindOption = Object.keys(serviceOptions).find(option => options.has(option));
	const address = kindOption ? options.get(kindOption) : undefined;
	if (!kindOption || !address) {
		return 'no -t, -u, --sctp-service or -f service address';
	}

	const protocol = serviceOptions[kindOption]!;
	const hostPort = protocol === 'fwm' ? {ip: address, port: 0} : splitHostPort(address);
	if (!hostPort) {
		return `bad service address ${address}`;
	}

	const key = `${protocol} ${hostPort.ip} ${hostPort.port}`;
	if (words[0] === '-A' || words[0] === '--add-service') {
		const persistent = options.get('-p') ?? options.get('--persistent');
		const persistentSeconds = persistent === undefined ? null : (persistent === '' ? 300 : Number(persistent));
		const service = newService(line, protocol, hostPort, options.get('-s') ?? options.get('--scheduler') ?? 'wlc', persistentSeconds);
		state.services.push(service);
		state.byKey.set(key, service);
		return undefined;
	}

	return addRuleRealServer(state.byKey.get(key), options, line);
}

/** An `-a` line's real server, added to the service it names (declared before it). */
function addRuleRealServer(service: FlowDraft | undefined, options: Map<string, string>, line: number): string | undefined {
	const real = options.get('-r') ?? options.get('--real-server');
	const realHostPort = real ? splitHostPort(real) : null;
	if (!service) {
		return 'real server for a virtual service not declared before it';
	}

	if (!realHostPort) {
		return `bad real server ${real ?? '(none)'}`;
	}

	const weight = Number(options.get('-w') ?? options.get('--weight') ?? '1');
	const forwardFlag = Object.keys(forwardNames).find(option => option.startsWith('-') && options.has(option));
	addRealServer(service, line, realHostPort, Number.isFinite(weight) ? weight : 0, forwardFlag ? forwardNames[forwardFlag]! : 'route');
	return undefined;
}

/** One `ipvsadm -Ln` line: a service, or a real server of the last service; returns what is wrong with it, if anything. */
function readListingLine(state: IpvsParseState, trimmed: string, line: number): string | undefined {
	const listed = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\S+)(.*)$/.exec(trimmed);
	if (listed) {
		const protocol = listed[1]!.toLowerCase();
		const hostPort = protocol === 'fwm' ? {ip: listed[2]!, port: 0} : splitHostPort(listed[2]!);
		if (!hostPort) {
			return `bad service address ${listed[2]!}`;
		}

		const persistent = /persistent\s+(\d+)/.exec(listed[4]!);
		state.last = newService(line, protocol, hostPort, listed[3]!, persistent ? Number(persistent[1]) : null);
		state.services.push(state.last);
		return undefined;
	}

	const real = /^->\s+(\S+)\s+(\w+)\s+(\d+)(?:\s+\d+\s+\d+)?$/.exec(trimmed);
	if (!real) {
		return 'not an ipvsadm line';
	}

	const hostPort = splitHostPort(real[1]!);
	if (!state.last || !hostPort) {
		return state.last ? `bad real server ${real[1]!}` : 'real server before any virtual service';
	}

	addRealServer(state.last, line, hostPort, Number(real[3]), forwardNames[real[2]!.toLowerCase()] ?? real[2]!.toLowerCase());
	return undefined;
}

function readOptions(words: string[]): Map<string, string> {
	const options = new Map<string, string>();
	for (let index = 0; index < words.length; index++) {
		const next = words[index + 1];
		const hasValue = next !== undefined && !next.startsWith('-');
		options.set(words[index]!, hasValue ? next : '');
		index += hasValue ? 1 : 0;
	}

	return options;
}

/**
 * A virtual service's flow: `protocol` is tcp, udp, sctp or fwm (firewall mark, the mark in `ip`). IPVS
 * carries no Service names, so the identity is `ip:port` until the API is attached.
 */
function newService(line: number, protocol: string, {ip, port}: {ip: string; port: number}, scheduler: string, persistentSeconds: number | null): FlowDraft {
	const draft = newDraft(protocol === 'fwm' ? `fwmark ${ip}` : joinHostPort(ip, port));
	draft.protocol = protocolOf(protocol) ?? 'TCP';
	draft.scheduler = scheduler;
	draft.chain = draft.key;
	draft.affinity = persistentSeconds === null ? null : {timeoutSeconds: persistentSeconds};
	// kube-proxy's NodePorts live in 30000-32767 on node addresses; without the API that is the only hint.
	const kind = port >= 30_000 && port <= 32_767 ? 'nodePort' : 'clusterIP';
	draft.entries.push({kind, ip, port, sourceRanges: [], localOnly: false, path: [draft.key], target: 'cluster', line});
	return draft;
}

/** A real server (`forward` is masq, route, tunnel or local) with its weight as written; its share is set by decodeIpvs. */
function addRealServer(service: FlowDraft, line: number, {ip, port}: {ip: string; port: number}, weight: number, forward: string): void {
	service.endpoints.push({ip, port, probability: 0, chain: joinHostPort(ip, port), written: weight, line, hairpinMasquerade: false, forward});
}

/** Schedulers that ignore weights (apart from weight 0, which takes a server out). */
const unweighted = new Set(['rr', 'lc', 'sh', 'dh', 'sed', 'nq', 'mh', 'fo']);

/**
 * One flow per virtual service. Shares come from the weights: equal among weight > 0 for unweighted
 * schedulers (rr, lc, …), proportional for weighted ones (wrr, wlc, …); connection-based
 * schedulers then deviate from these nominal shares as load changes.
 */
export function decodeIpvs(dump: IpvsDump): NatFlowTable {
	const problems: NatProblem[] = [...dump.problems];
	const flows = dump.services.map(draft => {
		const weights = draft.endpoints.map(real => real.written!);
		const shares = unweighted.has(draft.scheduler!) ? equalShares(weights) : weightShares(weights);
		draft.endpoints = draft.endpoints.map((real, index) => ({...real, probability: shares[index]!}));
		// kube-proxy keeps a virtual service with no real servers: connections are refused, as with weights all 0.
		if (shares.every(share => share === 0)) {
			const {ip, port, line} = draft.entries[0]!;
			if (draft.endpoints.length > 0) {
				problems.push({line, message: `line ${line!}: ${joinHostPort(ip!, port)}: every real server has weight 0, new connections are refused`});
			}

			draft.endpoints = [];
			draft.noEndpoints = 'reject';
			draft.noEndpointsLines.push(line!);
		}

		return finishFlow(draft, problems);
	});

	const notes = flows.length === 0 ? {} : {notes: [noEndMarkerNote('ipvsadm', dump.lines)]};
	return {mode: 'ipvs', variant: 'ipvs', services: flows.sort(compareFlows), problems, masqueradeMark: null, ...notes};
}
