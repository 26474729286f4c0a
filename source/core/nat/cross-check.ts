import type {V1EndpointSlice} from '@kubernetes/client-node';
import type {NatApiLists, NatEndpoint, NatEntry, NatEntryKind, NatFlowTable, NatProblem, NatServiceFlow} from './types.js';
import {iptablesChainHash, iptablesServiceHash} from './chain-names.js';
import {compareFlows, sortEntries} from './flow-builder.js';
import {type PlannedServicePort, planServicePorts} from './service-ports.js';

export type NatApiObjects = NatApiLists & {
	/** The one namespace the API was asked for; undefined when it listed all of them. */
	readonly namespace?: string;
	/** False when the EndpointSlices were not listed (forbidden, failing): no endpoint is then called missing or stale (the caller says why). Default true. */
	readonly endpointSlicesListed?: boolean;
};

type ApiPort = PlannedServicePort & {readonly family: 'IPv4' | 'IPv6'; readonly hash: string};

type EndpointOwner = {pod?: string; node?: string};

/**
 * Tie the decoded rules to the API: name flows the rules left anonymous (no comments, IPVS),
 * correct entry kinds the rules cannot tell apart, attach pod and node names to endpoints, and
 * report where rules and API disagree. Pure: the same table and objects give the same result.
 */
export function crossCheckNat(table: NatFlowTable, api: NatApiObjects): NatFlowTable {
	const problems: NatProblem[] = [...table.problems];
	const apiPorts: ApiPort[] = [];
	for (const family of ['IPv4', 'IPv6'] as const) {
		for (const port of planServicePorts({services: api.services, endpointSlices: api.endpointSlices, nodeName: ''}, {family})) {
			apiPorts.push({...port, family, hash: iptablesServiceHash(port.portString, port.protocol)});
		}
	}

	const byHash = new Map(apiPorts.map(port => [port.hash, port]));
	const byName = new Map(apiPorts.map(port => [`${port.namespace}/${port.name}|${port.portName}|${port.protocol}|${port.family}`, port]));
	const owners = endpointOwners(api.endpointSlices);

	let flows = table.services.map(flow => resolveIdentity(flow));
	if (table.mode === 'ipvs') {
		flows = mergeIpvsFlows(flows);
	}

	const matched = new Set<ApiPort>();
	flows = flows.map(flow => {
		const port = apiPortOf(flow);
		if (port) {
			matched.add(port);
		}

		return {
			...flow,
			entries: sortEntries(flow.entries.map(entry => (port ? {...entry, kind: apiKind(port, entry)} : entry))),
			endpoints: flow.endpoints.map(endpoint => named(endpoint)),
			localEndpoints: flow.localEndpoints ? flow.localEndpoints.map(endpoint => named(endpoint)) : null,
		};
	});

	let unchecked = 0;
	for (const flow of flows) {
		const port = apiPortOf(flow);
		const label = `${flow.service}${flow.port ? `:${flow.port}` : ''} (${flow.protocol})`;
		if (!port && !inScope(flow, api.namespace)) {
			// The API was not asked about this namespace: its absence from the lists says nothing.
			unchecked++;
			continue;
		}

		if (!port) {
			const line = flow.entries.find(entry => entry.line !== null)?.line ?? null;
			problems.push({line, message: `${line === null ? '' : `line ${line}: `}rules for ${label}, which the API does not have`});
			continue;
		}

		if (api.endpointSlicesListed !== false) {
			compareEndpoints(flow, port, label, owners, problems);
		}
	}

	const families = new Set(flows.flatMap(flow => flow.entries.map(entry => (entry.ip?.includes(':') ? 'IPv6' : 'IPv4'))));
	for (const port of apiPorts) {
		if (!matched.has(port) && families.has(port.family)) {
			problems.push({line: null, message: `${port.portString} (${port.protocol.toUpperCase()}, ${port.clusterIP}:${port.port}): Service has no rules on this node`});
		}
	}

	const notes = [...(table.notes ?? []), ...crossCheckNotes(apiPorts, families, unchecked, api.namespace)];
	return {...table, services: flows.sort(compareFlows), problems, ...(notes.length > 0 ? {notes} : {})};

	function named(endpoint: NatEndpoint): NatEndpoint {
		const owner = owners.get(endpoint.ip);
		return owner ? {...endpoint, ...(owner.pod ? {pod: owner.pod} : {}), ...(owner.node ? {node: owner.node} : {})} : endpoint;
	}

	function apiPortOf(flow: NatServiceFlow): ApiPort | undefined {
		const family = flow.entries.some(entry => entry.ip?.includes(':')) || flow.endpoints.some(endpoint => endpoint.ip.includes(':')) ? 'IPv6' : 'IPv4';
		return byName.get(`${flow.service}|${flow.port}|${flow.protocol.toLowerCase()}|${family}`);
	}

	function resolveIdentity(flow: NatServiceFlow): NatServiceFlow {
		if (flow.identified) {
			return flow;
		}

		// A chain name's hash names the Service port; failing that, an entry's address and port.
		const byChain = [flow.chain, flow.localChain, ...flow.entries.flatMap(entry => entry.path)]
			.map(chain => byHash.get(iptablesChainHash(chain ?? '')?.hash ?? '')).find(port => port !== undefined);
		const port = byChain ?? flow.entries.map(entry => apiPorts.find(each => each.protocol === flow.protocol.toLowerCase() && entryMatches(each, entry))).find(each => each !== undefined);
		return port ? {...flow, service: `${port.namespace}/${port.name}`, port: port.portName, identified: true} : flow;
	}
}

/** What the check could not see: IPv6 rules not in the dump, Services of namespaces the API was not asked for. */
function crossCheckNotes(apiPorts: readonly ApiPort[], families: ReadonlySet<string>, unchecked: number, namespace: string | undefined): string[] {
	return [
		unreadIpv6Note(apiPorts, families),
		unchecked > 0 ? `rules of ${unchecked} Service port${unchecked === 1 ? '' : 's'} outside namespace ${namespace} were not checked against the API (it was asked for ${namespace} only; -A checks all)` : null,
	].filter(note => note !== null);
}

/**
 * Services with an IPv6 ClusterIP while the dump holds no IPv6 rule: ip6tables-save (or nft's ip6
 * table) was not read, so this is a note on what the tree leaves out, never a "no rules" finding.
 */
function unreadIpv6Note(apiPorts: readonly ApiPort[], families: ReadonlySet<string>): string | null {
	if (families.has('IPv6')) {
		return null;
	}

	const services = [...new Set(apiPorts.filter(port => port.family === 'IPv6').map(port => `${port.namespace}/${port.name}`))];
	if (services.length === 0) {
		return null;
	}

	const named = services.length > 3 ? `${services.slice(0, 3).join(', ')} and ${services.length - 3} more` : services.join(', ');
	return `the API gives ${services.length === 1 ? 'a Service' : `${services.length} Services`} an IPv6 ClusterIP (${named}), but this dump has no IPv6 rules (ip6tables-save / nft's ip6 table was not read): their IPv6 paths are not shown`;
}

/** Endpoints in the API but not in the rules, and endpoints in the rules the API does not list as usable. */
function compareEndpoints(flow: NatServiceFlow, port: ApiPort, label: string, owners: Map<string, EndpointOwner>, problems: NatProblem[]): void {
	const inRules = new Map<string, NatEndpoint>();
	for (const endpoint of [...flow.endpoints, ...(flow.localEndpoints ?? [])]) {
		inRules.set(`${endpoint.ip}|${endpoint.port}`, endpoint);
	}

	const inApi = new Set(port.clusterEndpoints.map(endpoint => `${endpoint.ip}|${endpoint.port}`));
	if (flow.chain !== null || flow.noEndpoints === 'reject') {
		for (const endpoint of port.clusterEndpoints) {
			if (!inRules.has(`${endpoint.ip}|${endpoint.port}`)) {
				const owner = owners.get(endpoint.ip);
				problems.push({line: null, message: `${label}: endpoint ${endpoint.ip}:${endpoint.port}${owner?.pod ? ` (${owner.pod}${owner.node ? ` on ${owner.node}` : ''})` : ''} is in the EndpointSlices but not in the rules`});
			}
		}
	}

	for (const [key, endpoint] of inRules) {
		if (!inApi.has(key)) {
			problems.push({line: endpoint.line, message: `${endpoint.line === null ? '' : `line ${endpoint.line}: `}${label}: rules send traffic to ${endpoint.ip}:${endpoint.port}, which the API does not list as a usable endpoint`});
		}
	}
}

/** Whether the API lists could have held this flow's Service: every namespace, or the flow's own. */
function inScope(flow: NatServiceFlow, namespace: string | undefined): boolean {
	if (namespace === undefined) {
		return true;
	}

	// A flow the rules leave anonymous (no comments) may belong to any namespace.
	return flow.identified && flow.service.split('/')[0] === namespace;
}

function entryMatches(port: PlannedServicePort, entry: NatEntry): boolean {
	if (entry.port === port.port && entry.ip !== null && isServiceAddress(port, entry.ip)) {
		return true;
	}

	return port.nodePort !== 0 && entry.port === port.nodePort && (entry.kind === 'nodePort' || entry.ip === null || !isServiceAddress(port, entry.ip));
}

function isServiceAddress(port: PlannedServicePort, ip: string): boolean {
	return ip === port.clusterIP || port.externalIPs.includes(ip) || port.loadBalancerIPs.includes(ip);
}

function apiKind(port: PlannedServicePort, entry: NatEntry): NatEntryKind {
	if (entry.ip !== null && entry.port === port.port) {
		if (entry.ip === port.clusterIP) {
			return 'clusterIP';
		}

		if (port.loadBalancerIPs.includes(entry.ip)) {
			return 'loadBalancer';
		}

		if (port.externalIPs.includes(entry.ip)) {
			return 'externalIP';
		}
	}

	if (port.nodePort !== 0 && entry.port === port.nodePort) {
		return 'nodePort';
	}

	return entry.kind;
}

/**
 * IPVS has one virtual service per address; once named, the virtual services of one Service port
 * become one flow. The ClusterIP's real servers are the cluster-wide list; a virtual service with
 * a different (smaller) list is the Local-policy path.
 */
function mergeIpvsFlows(flows: NatServiceFlow[]): NatServiceFlow[] {
	const groups = new Map<string, NatServiceFlow[]>();
	const out: NatServiceFlow[] = [];
	for (const flow of flows) {
		if (!flow.identified) {
			out.push(flow);
			continue;
		}

		const key = `${flow.service}|${flow.port}|${flow.protocol}`;
		const group = groups.get(key) ?? [];
		group.push(flow);
		groups.set(key, group);
	}

	for (const group of groups.values()) {
		const main = group.find(flow => flow.entries.some(entry => entry.kind === 'clusterIP')) ?? group[0]!;
		const clusterSet = endpointSet(main.endpoints);
		let localEndpoints: readonly NatEndpoint[] | null = null;
		let localChain: string | null = null;
		const entries: NatEntry[] = [];
		for (const flow of group) {
			const local = flow !== main && endpointSet(flow.endpoints) !== clusterSet;
			if (local) {
				localEndpoints ??= flow.endpoints;
				localChain ??= flow.chain;
			}

			entries.push(...flow.entries.map(entry => (local ? {...entry, localOnly: true, target: (flow.endpoints.length > 0 ? 'local' : 'none') as NatEntry['target']} : entry)));
		}

		const refused = group.some(flow => flow !== main && flow.noEndpoints !== null);
		out.push({
			...main,
			entries,
			localEndpoints,
			localChain,
			affinity: main.affinity ?? group.find(flow => flow.affinity)?.affinity ?? null,
			noEndpoints: main.noEndpoints ?? (refused ? 'reject' : null),
			noEndpointsLines: group.flatMap(flow => flow.noEndpointsLines),
		});
	}

	return out;
}

function endpointSet(endpoints: readonly NatEndpoint[]): string {
	return endpoints.map(endpoint => `${endpoint.ip}:${endpoint.port}`).sort().join(',');
}

function endpointOwners(slices: readonly V1EndpointSlice[]): Map<string, EndpointOwner> {
	const owners = new Map<string, EndpointOwner>();
	for (const slice of slices) {
		for (const endpoint of slice.endpoints ?? []) {
			for (const address of endpoint.addresses ?? []) {
				owners.set(address, {pod: endpoint.targetRef?.kind === 'Pod' ? endpoint.targetRef.name : undefined, node: endpoint.nodeName});
			}
		}
	}

	return owners;
}
