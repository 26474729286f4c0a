import type {NatEndpoint, NatFlowTable, NatProblem} from './types.js';
import {compareFlows, finishFlow, newDraft, protocolOf, splitHostPort} from './flow-builder.js';
import {equalShares, weightShares} from './shares.js';

export type IpvsRealServer = {
	readonly line: number;
	readonly ip: string;
	readonly port: number;
	readonly weight: number;
	/** masq, route, tunnel, local. */
	readonly forward: string;
};

export type IpvsVirtualService = {
	readonly line: number;
	/** tcp, udp, sctp, or fwm for firewall-mark services. */
	readonly protocol: string;
	/** Address for tcp/udp/sctp; the mark for fwm. */
	readonly ip: string;
	readonly port: number;
	readonly scheduler: string;
	/** Persistence timeout in seconds, null when not persistent. */
	readonly persistentSeconds: number | null;
	readonly realServers: IpvsRealServer[];
};

export type IpvsDump = {
	readonly services: IpvsVirtualService[];
	readonly problems: NatProblem[];
};

const forwardNames: Record<string, string> = {
	'-m': 'masq', '--masquerading': 'masq', '-g': 'route', '--gatewaying': 'route', '-i': 'tunnel', '--ipip': 'tunnel',
	masq: 'masq', route: 'route', tunnel: 'tunnel', local: 'local',
};

/** Parse `ipvsadm -S -n` (rules) or `ipvsadm -Ln` (listing) text. Never throws. */
export function parseIpvs(text: string): IpvsDump {
	const services: IpvsVirtualService[] = [];
	const problems: NatProblem[] = [];
	const byKey = new Map<string, IpvsVirtualService>();
	let last: IpvsVirtualService | undefined;
	const lines = text.split('\n');
	for (let index = 0; index < lines.length; index++) {
		const line = index + 1;
		const raw = lines[index]!.replace(/\r$/, '');
		const trimmed = raw.trim();
		const bad = (message: string) => {
			problems.push({line, message: `line ${line}: ${message}: ${raw.length > 200 ? `${raw.slice(0, 200)}…` : raw}`});
		};

		if (trimmed === '' || trimmed.startsWith('#') || /^IP Virtual Server version/.test(trimmed) || /^Prot LocalAddress/.test(trimmed) || /^-> RemoteAddress/.test(trimmed)) {
			continue;
		}

		const words = trimmed.split(/\s+/);
		if (words[0] === '-A' || words[0] === '--add-service' || words[0] === '-a' || words[0] === '--add-server') {
			const options = readOptions(words.slice(1));
			const kindOption = ['-t', '--tcp-service', '-u', '--udp-service', '--sctp-service', '-f', '--fwmark-service'].find(option => options.has(option));
			const address = kindOption ? options.get(kindOption) : undefined;
			if (!kindOption || !address) {
				bad('no -t, -u, --sctp-service or -f service address');
				continue;
			}

			const protocol = kindOption === '-t' || kindOption === '--tcp-service' ? 'tcp' : kindOption === '-u' || kindOption === '--udp-service' ? 'udp' : kindOption === '--sctp-service' ? 'sctp' : 'fwm';
			const hostPort = protocol === 'fwm' ? {ip: address, port: 0} : splitHostPort(address);
			if (!hostPort) {
				bad(`bad service address ${address}`);
				continue;
			}

			const key = `${protocol} ${hostPort.ip} ${hostPort.port}`;
			if (words[0] === '-A' || words[0] === '--add-service') {
				const persistent = options.get('-p') ?? options.get('--persistent');
				const service: IpvsVirtualService = {
					line,
					protocol,
					ip: hostPort.ip,
					port: hostPort.port,
					scheduler: options.get('-s') ?? options.get('--scheduler') ?? 'wlc',
					persistentSeconds: persistent === undefined ? null : (persistent === '' ? 300 : Number(persistent)),
					realServers: [],
				};
				services.push(service);
				byKey.set(key, service);
				continue;
			}

			const service = byKey.get(key);
			const real = options.get('-r') ?? options.get('--real-server');
			const realHostPort = real ? splitHostPort(real) : null;
			if (!service) {
				bad('real server for a virtual service not declared before it');
				continue;
			}

			if (!realHostPort) {
				bad(`bad real server ${real ?? '(none)'}`);
				continue;
			}

			const weight = Number(options.get('-w') ?? options.get('--weight') ?? '1');
			const forwardFlag = ['-m', '--masquerading', '-g', '--gatewaying', '-i', '--ipip'].find(option => options.has(option));
			service.realServers.push({line, ...realHostPort, weight: Number.isFinite(weight) ? weight : 0, forward: forwardFlag ? forwardNames[forwardFlag]! : 'route'});
			continue;
		}

		// `ipvsadm -Ln` listing.
		const listed = /^(TCP|UDP|SCTP)\s+(\S+)\s+(\S+)(.*)$/.exec(trimmed) ?? /^(FWM)\s+(\S+)\s+(\S+)(.*)$/.exec(trimmed);
		if (listed) {
			const protocol = listed[1]!.toLowerCase();
			const hostPort = protocol === 'fwm' ? {ip: listed[2]!, port: 0} : splitHostPort(listed[2]!);
			if (!hostPort) {
				bad(`bad service address ${listed[2]!}`);
				continue;
			}

			const persistent = /persistent\s+(\d+)/.exec(listed[4]!);
			last = {line, protocol, ip: hostPort.ip, port: hostPort.port, scheduler: listed[3]!, persistentSeconds: persistent ? Number(persistent[1]) : null, realServers: []};
			services.push(last);
			continue;
		}

		const real = /^->\s+(\S+)\s+(\w+)\s+(\d+)(?:\s+\d+\s+\d+)?$/.exec(trimmed);
		if (real) {
			const hostPort = splitHostPort(real[1]!);
			if (!last || !hostPort) {
				bad(last ? `bad real server ${real[1]!}` : 'real server before any virtual service');
				continue;
			}

			last.realServers.push({line, ...hostPort, forward: forwardNames[real[2]!.toLowerCase()] ?? real[2]!.toLowerCase(), weight: Number(real[3])});
			continue;
		}

		bad('not an ipvsadm line');
	}

	return {services, problems};
}

function readOptions(words: string[]): Map<string, string> {
	const options = new Map<string, string>();
	for (let index = 0; index < words.length; index++) {
		const word = words[index]!;
		const next = words[index + 1];
		if (next !== undefined && !next.startsWith('-')) {
			options.set(word, next);
			index++;
		} else {
			options.set(word, '');
		}
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
		const address = service.ip.includes(':') ? `[${service.ip}]:${service.port}` : `${service.ip}:${service.port}`;
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
		draft.endpoints = service.realServers.map((real, index): NatEndpoint => ({
			ip: real.ip,
			port: real.port,
			probability: shares[index]!,
			chain: real.ip.includes(':') ? `[${real.ip}]:${real.port}` : `${real.ip}:${real.port}`,
			written: real.weight,
			line: real.line,
			hairpinMasquerade: false,
			forward: real.forward,
		}));
		if (service.realServers.length === 0) {
			// kube-proxy keeps the virtual service with no real servers: connections are refused.
			draft.noEndpoints = 'reject';
			draft.noEndpointsLines.push(service.line);
		} else if (shares.every(share => share === 0)) {
			problems.push({line: service.line, message: `line ${service.line}: ${address}: every real server has weight 0, new connections are refused`});
			draft.endpoints = [];
			draft.noEndpoints = 'reject';
			draft.noEndpointsLines.push(service.line);
		}

		return finishFlow(draft, problems);
	});

	return {mode: 'ipvs', variant: 'ipvs', services: flows.sort(compareFlows), problems, masqueradeMark: null};
}
