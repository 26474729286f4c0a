import type {NatEndpoint, NatFlowTable, NatProblem} from './types.js';
import {noEndMarkerNote} from './cut-short.js';
import {compareFlows, finishFlow, newDraft, protocolOf, splitHostPort} from './flow-builder.js';
import {joinHostPort} from './service-ports.js';
import {ruleProblem} from './iptables-rule.js';
import {equalShares, weightShares} from './shares.js';

/** A real server; `forward` is masq, route, tunnel or local. */
type IpvsRealServer = {readonly line: number; readonly ip: string; readonly port: number; readonly weight: number; readonly forward: string};

/**
 * A virtual service: `protocol` is tcp, udp, sctp or fwm (firewall mark, the mark in `ip`);
 * `persistentSeconds` is null when it is not persistent.
 */
type IpvsVirtualService = {
	readonly line: number; readonly protocol: string; readonly ip: string; readonly port: number; readonly scheduler: string;
	readonly persistentSeconds: number | null; readonly realServers: IpvsRealServer[];
};

/** `lines`: the last line with anything on it. */
type IpvsDump = {readonly services: IpvsVirtualService[]; readonly problems: NatProblem[]; readonly lines: number};

/** The protocol of each service-address option of `ipvsadm -A`/`-a`. */
const serviceOptions: Record<string, string> = {'-t': 'tcp', '--tcp-service': 'tcp', '-u': 'udp', '--udp-service': 'udp', '--sctp-service': 'sctp', '-f': 'fwm', '--fwmark-service': 'fwm'};

const forwardNames: Record<string, string> = {
	'-m': 'masq', '--masquerading': 'masq', '-g': 'route', '--gatewaying': 'route', '-i': 'tunnel', '--ipip': 'tunnel',
	masq: 'masq', route: 'route', tunnel: 'tunnel', local: 'local',
};

/** What the lines read so far declared: services in order, by key (rules), and the last one (listing). */
type IpvsParseState = {readonly services: IpvsVirtualService[]; readonly byKey: Map<string, IpvsVirtualService>; last: IpvsVirtualService | undefined};

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
		const service: IpvsVirtualService = {line, protocol, ...hostPort, scheduler: options.get('-s') ?? options.get('--scheduler') ?? 'wlc', persistentSeconds, realServers: []};
		state.services.push(service);
		state.byKey.set(key, service);
		return undefined;
	}

	return addRuleRealServer(state.byKey.get(key), options, line);
}

/** An `-a` line's real server, added to the service it names (declared before it). */
function addRuleRealServer(service: IpvsVirtualService | undefined, options: Map<string, string>, line: number): string | undefined {
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
	service.realServers.push({line, ...realHostPort, weight: Number.isFinite(weight) ? weight : 0, forward: forwardFlag ? forwardNames[forwardFlag]! : 'route'});
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
		state.last = {line, protocol, ...hostPort, scheduler: listed[3]!, persistentSeconds: persistent ? Number(persistent[1]) : null, realServers: []};
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

	state.last.realServers.push({line, ...hostPort, forward: forwardNames[real[2]!.toLowerCase()] ?? real[2]!.toLowerCase(), weight: Number(real[3])});
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

/** Schedulers that ignore weights (apart from weight 0, which takes a server out). */
const unweighted = new Set(['rr', 'lc', 'sh', 'dh', 'sed', 'nq', 'mh', 'fo']);

/**
 * One flow per virtual service. IPVS carries no Service names, so the identity is `ip:port` until
 * the API is attached. Shares come from the weights: equal among weight > 0 for unweighted
 * schedulers (rr, lc, …), proportional for weighted ones (wrr, wlc, …); connection-based
 * schedulers then deviate from these nominal shares as load changes.
 */
export function decodeIpvs(dump: IpvsDump): NatFlowTable {
	const problems: NatProblem[] = [...dump.problems];
	const flows = dump.services.map(service => {
		const address = joinHostPort(service.ip, service.port);
		const draft = newDraft(service.protocol === 'fwm' ? `fwmark ${service.ip}` : address);
		draft.protocol = protocolOf(service.protocol) ?? 'TCP';
		draft.scheduler = service.scheduler;
		draft.chain = draft.key;
		draft.affinity = service.persistentSeconds === null ? null : {timeoutSeconds: service.persistentSeconds};
		// kube-proxy's NodePorts live in 30000-32767 on node addresses; without the API that is the only hint.
		const kind = service.port >= 30_000 && service.port <= 32_767 ? 'nodePort' : 'clusterIP';
		draft.entries.push({kind, ip: service.ip, port: service.port, sourceRanges: [], localOnly: false, path: [draft.key], target: 'cluster', line: service.line});
		const weights = service.realServers.map(real => real.weight);
		const shares = unweighted.has(service.scheduler) ? equalShares(weights) : weightShares(weights);
		draft.endpoints = service.realServers.map(({ip, port, weight, line, forward}, index): NatEndpoint => ({
			ip, port, probability: shares[index]!, chain: joinHostPort(ip, port), written: weight, line, hairpinMasquerade: false, forward,
		}));
		// kube-proxy keeps a virtual service with no real servers: connections are refused, as with weights all 0.
		if (shares.every(share => share === 0)) {
			if (service.realServers.length > 0) {
				problems.push({line: service.line, message: `line ${service.line}: ${address}: every real server has weight 0, new connections are refused`});
			}

			draft.endpoints = [];
			draft.noEndpoints = 'reject';
			draft.noEndpointsLines.push(service.line);
		}

		return finishFlow(draft, problems);
	});

	const notes = flows.length === 0 ? {} : {notes: [noEndMarkerNote('ipvsadm', dump.lines)]};
	return {mode: 'ipvs', variant: 'ipvs', services: flows.sort(compareFlows), problems, masqueradeMark: null, ...notes};
}
