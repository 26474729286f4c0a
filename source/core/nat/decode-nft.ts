import type {NftDump, NftElement, NftTable} from './nft-parse.js';
import type {NatEndpoint, NatEntryKind, NatFlowTable, NatProblem} from './types.js';
import {addBypass, addEntry, addMasquerade, compareFlows, finishFlow, type FlowDraft, markLocalDrop, newDraft, protocolOf, servicePortFromComment, splitHostPort} from './flow-builder.js';

const chainPattern = /^(service|external|local|firewall|endpoint)-[A-Z2-7]{8}-(.+)$/;

type ChainName = {prefix: string; namespace: string; name: string; protocol: string; port: string};

/** `service-ULMVA6XW-ns1/svc1/tcp/p80` -> its parts; endpoint chains carry `__ip/port` after the port. */
function parseChainName(chain: string): ChainName | null {
	const match = chainPattern.exec(chain);
	if (!match) {
		return null;
	}

	const base = match[2]!.split('__')[0]!;
	const parts = base.split('/');
	if (parts.length < 4) {
		return null;
	}

	return {prefix: match[1]!, namespace: parts[0]!, name: parts[1]!, protocol: parts[2]!, port: parts.slice(3).join('/')};
}

/** Decode kube-proxy's nftables tables (`ip kube-proxy`, `ip6 kube-proxy`) into flows. */
export function decodeNft(dump: NftDump): NatFlowTable {
	const problems: NatProblem[] = [...dump.problems];
	const drafts = new Map<string, FlowDraft>();
	let masqueradeMark: string | null = null;
	const tables = dump.tables.filter(table => table.name === 'kube-proxy' && (table.family === 'ip' || table.family === 'ip6'));
	if (tables.length === 0) {
		problems.push({line: null, message: 'no `ip kube-proxy` or `ip6 kube-proxy` table in the input'});
	}

	for (const table of tables) {
		masqueradeMark ??= decodeTable(table);
	}

	return {
		mode: 'nftables',
		variant: 'nftables',
		services: [...drafts.values()].map(draft => finishFlow(draft, problems)).sort(compareFlows),
		problems,
		masqueradeMark,
	};

	function decodeTable(table: NftTable): string | null {
		const rulesOf = (chain: string) => table.chains.get(chain)?.rules ?? [];
		const elementsOf = (set: string): NftElement[] => table.sets.get(set)?.elements ?? [];
		const clusterIps = new Set(elementsOf('cluster-ips').map(element => element.key[0]));
		const firewalls = new Map(elementsOf('firewall-ips').map(element => [element.key.join(' . '), element]));
		const endpointCache = new Map<string, {ip: string; port: number; hairpin: boolean} | null>();

		const draftFor = (chain: string, line: number): FlowDraft | null => {
			const parsed = parseChainName(chain);
			if (!parsed) {
				problems.push({line, message: `line ${line}: not a kube-proxy service chain: ${chain}`});
				return null;
			}

			return draftNamed(parsed.namespace, parsed.name, parsed.port, parsed.protocol);
		};

		const draftNamed = (namespace: string, name: string, port: string, protocol: string): FlowDraft => {
			const key = `${table.family}/${namespace}/${name}/${protocol}/${port}`;
			let draft = drafts.get(key);
			if (!draft) {
				draft = newDraft(key);
				draft.service = `${namespace}/${name}`;
				draft.port = port;
				draft.protocol = protocolOf(protocol);
				draft.identified = true;
				drafts.set(key, draft);
			}

			return draft;
		};

		const kindOf = (ip: string, protocol: string, port: string): NatEntryKind => {
			if (clusterIps.has(ip)) {
				return 'clusterIP';
			}

			return firewalls.has(`${ip} . ${protocol} . ${port}`) ? 'loadBalancer' : 'externalIP';
		};

		for (const element of elementsOf('service-ips')) {
			const [ip, protocol, port] = element.key;
			const target = verdictChain(element.value);
			if (!ip || !protocol || !port || !target) {
				problems.push({line: element.line, message: `line ${element.line}: service-ips element is not \`ip . proto . port : goto chain\``});
				continue;
			}

			const draft = draftFor(target, element.line);
			if (draft) {
				const kind = kindOf(ip, protocol, port);
				const firewall = firewalls.get(`${ip} . ${protocol} . ${port}`);
				const sourceRanges = firewall ? firewallRanges(verdictChain(firewall.value)) : [];
				const path = firewall && verdictChain(firewall.value) ? [verdictChain(firewall.value)!] : [];
				addWalked(draft, kind, ip, Number(port), target, element.line, sourceRanges, path);
			}
		}

		for (const element of elementsOf('service-nodeports')) {
			const [protocol, port] = element.key;
			const target = verdictChain(element.value);
			if (!protocol || !port || !target) {
				problems.push({line: element.line, message: `line ${element.line}: service-nodeports element is not \`proto . port : goto chain\``});
				continue;
			}

			const draft = draftFor(target, element.line);
			if (draft) {
				addWalked(draft, 'nodePort', null, Number(port), target, element.line, [], []);
			}
		}

		for (const [mapName, nodePort] of [['no-endpoint-services', false], ['no-endpoint-nodeports', true]] as const) {
			for (const element of elementsOf(mapName)) {
				const named = servicePortFromComment(element.comment);
				const [first, second, third] = element.key;
				const protocol = nodePort ? first : second;
				const portText = nodePort ? second : third;
				if (!named || !protocol || !portText) {
					problems.push({line: element.line, message: `line ${element.line}: ${mapName} element without a service comment or port`});
					continue;
				}

				const draft = draftNamed(named.service.split('/')[0]!, named.service.split('/')[1]!, named.port, protocol);
				const port = Number(portText);
				const ip = nodePort ? null : first!;
				const kind = nodePort ? 'nodePort' : kindOf(ip!, protocol, portText);
				if (!draft.entries.some(entry => entry.kind === kind && entry.ip === ip && entry.port === port)) {
					addEntry(draft, {kind, ip, port, sourceRanges: [], localOnly: false, path: [], target: 'none', line: element.line});
				}

				const verdict = element.value === 'drop' ? 'drop' : 'reject';
				if (draft.noEndpoints !== 'reject') {
					draft.noEndpoints = verdict;
				}

				if (!draft.noEndpointsLines.includes(element.line)) {
					draft.noEndpointsLines.push(element.line);
				}
			}
		}

		for (const draft of drafts.values()) {
			if (!draft.key.startsWith(`${table.family}/`)) {
				continue;
			}

			if (draft.chain && table.chains.has(draft.chain)) {
				draft.endpoints = dispatch(draft, draft.chain);
			}

			if (draft.localChain && table.chains.has(draft.localChain)) {
				draft.localEndpoints = dispatch(draft, draft.localChain);
			}
		}

		return markOf(rulesOf('mark-for-masquerade').map(rule => rule.text));

		function firewallRanges(chain: string | null): string[] {
			for (const rule of chain ? rulesOf(chain) : []) {
				const match = /ip6? saddr != (?:\{ ?([^}]*?) ?\}|(\S+)) drop/.exec(rule.text);
				if (match) {
					return (match[1] ?? match[2]!).split(',').map(range => range.trim()).filter(Boolean);
				}
			}

			return [];
		}

		function addWalked(draft: FlowDraft, kind: NatEntryKind, ip: string | null, port: number, start: string, line: number, sourceRanges: string[], prefix: string[]) {
			const path = [...prefix];
			let localOnly = false;
			let target: 'cluster' | 'local' | 'none' = 'none';
			let current: string | null = start;
			for (let depth = 0; current && depth < 6; depth++) {
				path.push(current);
				if (!table.chains.has(current)) {
					problems.push({line, message: `line ${line}: map element points to missing chain ${current}`});
					break;
				}

				const prefixName: string | undefined = parseChainName(current)?.prefix;
				if (prefixName === 'service') {
					draft.chain ??= current;
					target = 'cluster';
					collectMasquerade(draft, current);
					break;
				}

				if (prefixName === 'local') {
					draft.localChain ??= current;
					target = 'local';
					localOnly = true;

					collectMasquerade(draft, current);
					break;
				}

				if (prefixName !== 'external') {
					break;
				}

				collectMasquerade(draft, current);
				let next: string | null = null;
				for (const rule of rulesOf(current)) {
					const jump = /(?:^|\s)(?:goto|jump) ((?:service|local)-\S+)$/.exec(rule.text);
					if (!jump) {
						continue;
					}

					const match = rule.text.slice(0, jump.index).trim();
					if (match !== '') {
						localOnly = true;
						if (jump[1]!.startsWith('service-')) {
							draft.chain ??= jump[1]!;
							const node = /fib saddr type local/.test(match) && !/ip6? saddr/.test(match);
							addBypass(draft, {from: node ? 'node' : 'pods', condition: nftCondition(match), chain: current, target: jump[1]!, line: rule.line});
						}
					} else {
						next ??= jump[1]!;
					}
				}

				if (next?.startsWith('local-')) {
					localOnly = true;
				}

				if (!next && localOnly) {
					// Policy Local without a local endpoint: no goto to the local- chain; the
					// no-endpoint maps drop what falls off the end.
					markLocalDrop(draft);
				}

				current = next;
			}

			addEntry(draft, {kind, ip, port, sourceRanges, localOnly, path, target, line});
		}

		function collectMasquerade(draft: FlowDraft, chain: string) {
			for (const rule of rulesOf(chain)) {
				if (/(?:^|\s)jump mark-for-masquerade$/.test(rule.text)) {
					addMasquerade(draft, {chain, condition: nftCondition(rule.text.replace(/\s*jump mark-for-masquerade$/, '')), line: rule.line});
				}
			}
		}

		function dispatch(draft: FlowDraft, chain: string): NatEndpoint[] {
			const endpoints: NatEndpoint[] = [];
			for (const rule of rulesOf(chain)) {
				const affinity = /ip6? saddr @(\S+) goto (endpoint-\S+)/.exec(rule.text);
				if (affinity) {
					const timeout = table.sets.get(affinity[1]!)?.timeoutSeconds;
					if (timeout === null || timeout === undefined) {
						problems.push({line: rule.line, message: `line ${rule.line}: affinity set ${affinity[1]!} is missing or has no timeout`});
					} else {
						draft.affinity = {timeoutSeconds: timeout};
					}

					continue;
				}

				const numgen = /numgen random mod (\d+) vmap \{(.*)\}/.exec(rule.text);
				if (numgen) {
					const modulus = Number(numgen[1]);
					const seen = new Set<number>();
					for (const item of numgen[2]!.split(',')) {
						const match = /^\s*(\d+)\s*:\s*(?:goto|jump)\s+(\S+)\s*$/.exec(item);
						if (!match) {
							problems.push({line: rule.line, message: `line ${rule.line}: bad vmap element "${item.trim()}" in ${chain}`});
							continue;
						}

						const index = Number(match[1]);
						if (index >= modulus || seen.has(index)) {
							problems.push({line: rule.line, message: `line ${rule.line}: vmap index ${index} is out of range or repeated for mod ${modulus} in ${chain}`});
							continue;
						}

						seen.add(index);
						const target = endpointOf(match[2]!, rule.line);
						if (target) {
							endpoints.push({
								ip: target.ip,
								port: target.port,
								probability: 1 / modulus,
								chain: match[2]!,
								written: 1 / modulus,
								line: rule.line,
								hairpinMasquerade: target.hairpin,
							});
						}
					}

					continue;
				}

				const direct = /^(?:goto|jump) (endpoint-\S+)$/.exec(rule.text);
				if (direct) {
					const target = endpointOf(direct[1]!, rule.line);
					if (target) {
						const taken = endpoints.reduce((sum, each) => sum + each.probability, 0);
						endpoints.push({ip: target.ip, port: target.port, probability: Math.max(0, 1 - taken), chain: direct[1]!, written: null, line: rule.line, hairpinMasquerade: target.hairpin});
					}
				}
			}

			return endpoints;
		}

		function endpointOf(chain: string, line: number): {ip: string; port: number; hairpin: boolean} | null {
			const cached = endpointCache.get(chain);
			if (cached !== undefined) {
				return cached;
			}

			let result: {ip: string; port: number; hairpin: boolean} | null = null;
			if (table.chains.has(chain)) {
				let hairpin = false;
				for (const rule of rulesOf(chain)) {
					if (/ip6? saddr \S+ jump mark-for-masquerade/.test(rule.text)) {
						hairpin = true;
					}

					const dnat = /dnat (?:ip6? )?to (\S+)/.exec(rule.text);
					if (dnat) {
						const split = splitHostPort(dnat[1]!);
						if (split) {
							result = {...split, hairpin};
						} else {
							problems.push({line: rule.line, message: `line ${rule.line}: bad dnat target ${dnat[1]!}`});
						}
					}
				}

				if (result) {
					result.hairpin = hairpin;
				} else {
					problems.push({line, message: `line ${line}: endpoint chain ${chain} has no dnat rule`});
				}
			} else {
				problems.push({line, message: `line ${line}: jump to missing endpoint chain ${chain}`});
			}

			endpointCache.set(chain, result);
			return result;
		}
	}
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
