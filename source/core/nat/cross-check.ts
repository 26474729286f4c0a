import type {V1EndpointSlice} from '@kubernetes/client-node';
import type {NatApiLists, NatEndpoint, NatEntry, NatEntryKind, NatFlowTable, NatProblem, NatServiceFlow} from './types.js';
import {iptablesChainHash, iptablesServiceHash} from './chain-names.js';
import {compareFlows, sortEntries} from './flow-builder.js';
import {type AddressFamily, flowFamily, joinHostPort, type PlannedServicePort, planServicePorts} from './service-ports.js';

export type NatApiObjects = NatApiLists & {
	/** The one namespace the API was asked for; undefined when it listed all of them. */
	readonly namespace?: string;
	/** False when the EndpointSlices were not listed (forbidden, failing): no endpoint is then called missing or stale (the caller says why). Default true. */
	readonly endpointSlicesListed?: boolean;
};

/** A Service port the API has, with its address family and kube-proxy's chain hash. */
type ApiPort = PlannedServicePort & {readonly family: AddressFamily; readonly hash: string};

type EndpointOwner = {pod?: string; node?: string};

/** `service|port|PROTOCOL|family`: one Service port of one address family, in the rules or the API. */
export function portKey(service: string, port: string, protocol: string, family: AddressFamily): string {
	return `${service}|${port}|${protocol.toUpperCase()}|${family}`;
}

/** The API's Service ports of each family as kube-proxy sees them (on no node in particular: no local endpoints). */
export function apiPortsOf(api: NatApiLists, families: Iterable<AddressFamily> = ['IPv4', 'IPv6']): Array<PlannedServicePort & {readonly family: AddressFamily}> {
	return [...families].flatMap(family => planServicePorts({services: api.services, endpointSlices: api.endpointSlices, nodeName: ''}, {family}).map(port => ({...port, family})));
}

/**
 * Tie the decoded rules to the API: name flows the rules left anonymous (no comments, IPVS), correct entry kinds the
 * rules cannot tell apart, attach pod and node names to endpoints, and report where rules and API disagree. Pure.
 */
export function crossCheckNat(table: NatFlowTable, api: NatApiObjects): NatFlowTable {
	const problems: NatProblem[] = [...table.problems];
	const apiPorts: ApiPort[] = apiPortsOf(api).map(port => ({...port, hash: iptablesServiceHash(port.portString, port.protocol)}));
	const byHash = new Map(apiPorts.map(port => [port.hash, port]));
	const byName = new Map(apiPorts.map(port => [portKey(`${port.namespace}/${port.name}`, port.portName, port.protocol, port.family), port]));
	const owners = endpointOwners(api.endpointSlices);
	const identified = table.services.map(flow => resolveIdentity(flow));
	const matched = new Set<ApiPort>();
	let unchecked = 0;
	const flows = (table.mode === 'ipvs' ? mergeIpvsFlows(identified, byName) : identified).map(flow => {
		const port = byName.get(portKey(flow.service, flow.port, flow.protocol, flowFamily(flow)));
		const label = `${flow.service}${flow.port ? `:${flow.port}` : ''} (${flow.protocol})`;
		if (port) {
			matched.add(port);
			if (api.endpointSlicesListed !== false) {
				compareEndpoints(flow, port, label, owners, problems);
			}
		} else if (inScope(flow, api.namespace)) {
			const line = flow.entries.find(entry => entry.line !== null)?.line ?? null;
			problems.push({line, message: `${line === null ? '' : `line ${line}: `}rules for ${label}, which the API does not have`});
		} else {
			// The API was not asked about this namespace: its absence from the lists says nothing.
			unchecked++;
		}

		return {
			...flow,
			entries: sortEntries(port ? flow.entries.map(entry => ({...entry, kind: apiKind(port, entry)})) : flow.entries),
			endpoints: flow.endpoints.map(endpoint => named(endpoint)),
			localEndpoints: flow.localEndpoints?.map(endpoint => named(endpoint)) ?? null,
		};
	});

	// The families the rules hold, a flow each (a NodePort entry has no address of its own to tell by).
	const families = new Set(flows.map(flow => flowFamily(flow)));
	const rejectedUnseen: string[] = [];
	for (const port of apiPorts) {
		if (matched.has(port) || !families.has(port.family)) {
			continue;
		}

		// A port that may rightly have only filter-table rules (noFilterTable says which) is not missing from a nat-only
		// dump; unlisted EndpointSlices make every port look endpoint-less.
		if (table.filterTable === false && (port.clusterEndpoints.length === 0 || port.internalLocal || api.endpointSlicesListed === false)) {
			rejectedUnseen.push(port.portString);
		} else {
			problems.push({line: null, message: `${port.portString} (${port.protocol.toUpperCase()}, ${joinHostPort(port.clusterIP, port.port)}): Service has no rules on this node`});
		}
	}

	const notes = [...(table.notes ?? []), ...crossCheckNotes(apiPorts, families, unchecked, api.namespace, rejectedUnseen)];
	return {...table, services: flows.sort(compareFlows), problems, ...(notes.length > 0 ? {notes} : {})};

	function named(endpoint: NatEndpoint): NatEndpoint {
		const owner = owners.get(endpoint.ip);
		return owner ? {...endpoint, ...(owner.pod ? {pod: owner.pod} : {}), ...(owner.node ? {node: owner.node} : {})} : endpoint;
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

/** The first three names, then how many more: a note names a few, not thousands. */
function someOf(names: readonly string[]): string {
	return names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
}

/** Why a Service port may rightly have no nat rules, and why a nat-only dump cannot tell. */
export const noFilterTable = 'kube-proxy writes none for a Service without endpoints (with internalTrafficPolicy Local, without one on this node), only a REJECT or DROP in the filter table, which this dump lacks (iptables-save -t nat)';

/** What the check could not see: IPv6 rules, other namespaces' Services, the filter-table rules a nat-only dump lacks. */
function crossCheckNotes(apiPorts: readonly ApiPort[], families: ReadonlySet<string>, unchecked: number, namespace: string | undefined, rejectedUnseen: readonly string[]): string[] {
	const notes: string[] = [];
	// An IPv6 ClusterIP while the dump holds no IPv6 rule: ip6tables-save (or nft's ip6 table) was not
	// read, so this is a note on what the tree leaves out, never a "no rules" finding.
	const ipv6 = families.has('IPv6') ? [] : [...new Set(apiPorts.filter(port => port.family === 'IPv6').map(port => `${port.namespace}/${port.name}`))];
	if (ipv6.length > 0) {
		notes.push(`the API gives ${ipv6.length === 1 ? 'a Service' : `${ipv6.length} Services`} an IPv6 ClusterIP (${someOf(ipv6)}), but this dump has no IPv6 rules (ip6tables-save / nft's ip6 table was not read): their IPv6 paths are not shown`);
	}

	if (unchecked > 0) {
		notes.push(`rules of ${unchecked} Service port${unchecked === 1 ? '' : 's'} outside namespace ${namespace} were not checked against the API (it was asked for ${namespace} only; -A checks all)`);
	}

	if (rejectedUnseen.length > 0) {
		notes.push(`${rejectedUnseen.length === 1 ? 'a Service port' : `${rejectedUnseen.length} Service ports`} (${someOf(rejectedUnseen)}) without nat rules here: ${noFilterTable}: not checked`);
	}

	return notes;
}

/** Endpoints in the API but not in the rules, and endpoints in the rules the API does not list as usable. */
function compareEndpoints(flow: NatServiceFlow, port: ApiPort, label: string, owners: Map<string, EndpointOwner>, problems: NatProblem[]): void {
	const inRules = new Map([...flow.endpoints, ...(flow.localEndpoints ?? [])].map(endpoint => [`${endpoint.ip}|${endpoint.port}`, endpoint]));

	const inApi = new Set(port.clusterEndpoints.map(endpoint => `${endpoint.ip}|${endpoint.port}`));
	if (holdsClusterList(flow)) {
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

/**
 * Whether the rules hold the port's cluster-wide endpoint list (a REJECT for no endpoints is an empty one): not when
 * every path is Local (internalTrafficPolicy Local alone; with IPVS, both policies Local), so none can be missing from it.
 */
export function holdsClusterList(flow: NatServiceFlow): boolean {
	return flow.chain !== null || (flow.noEndpoints === 'reject' && flow.localChain === null);
}

/** Whether the API lists could have held this flow's Service: every namespace, or the flow's own. */
function inScope(flow: NatServiceFlow, namespace: string | undefined): boolean {
	// A flow the rules leave anonymous (no comments) may belong to any namespace.
	return namespace === undefined || (flow.identified && flow.service.split('/')[0] === namespace);
}

/** Whether the entry is one of the Service's addresses and port, or its NodePort (on no such address). */
function entryMatches(port: PlannedServicePort, entry: NatEntry): boolean {
	return (entry.port === port.port && entry.ip !== null && addressKind(port, entry.ip) !== null)
		|| (port.nodePort !== 0 && entry.port === port.nodePort && (entry.kind === 'nodePort' || entry.ip === null || addressKind(port, entry.ip) === null));
}

/** Which of the Service's addresses `ip` is, or null when it is none of them. */
function addressKind(port: PlannedServicePort, ip: string): NatEntryKind | null {
	return ip === port.clusterIP ? 'clusterIP' : (port.loadBalancerIPs.includes(ip) ? 'loadBalancer' : (port.externalIPs.includes(ip) ? 'externalIP' : null));
}

function apiKind(port: PlannedServicePort, entry: NatEntry): NatEntryKind {
	const byAddress = entry.ip !== null && entry.port === port.port ? addressKind(port, entry.ip) : null;
	return byAddress ?? (port.nodePort !== 0 && entry.port === port.nodePort ? 'nodePort' : entry.kind);
}

/**
 * IPVS has a virtual service per address: once named, one Service port's become one flow. Its real servers do not say
 * which path is Local, the API's policies do (proxier.go syncEndpoint: internalTrafficPolicy for the ClusterIP's,
 * externalTrafficPolicy for the others); the other virtual services hold the cluster-wide list.
 */
function mergeIpvsFlows(flows: NatServiceFlow[], apiPorts: ReadonlyMap<string, ApiPort>): NatServiceFlow[] {
	const groups = new Map<string, NatServiceFlow[]>();
	for (const flow of flows.filter(flow => flow.identified)) {
		// ipvsadm lists both families at once: a dual-stack Service's IPv4 and IPv6 virtual services are two flows.
		const key = portKey(flow.service, flow.port, flow.protocol, flowFamily(flow));
		groups.set(key, [...(groups.get(key) ?? []), flow]);
	}

	return [...flows.filter(flow => !flow.identified), ...[...groups].map(([key, group]): NatServiceFlow => {
		const port = apiPorts.get(key);
		const isLocal = (flow: NatServiceFlow) => port !== undefined && flow.entries.some(entry => (apiKind(port, entry) === 'clusterIP' ? port.internalLocal : port.externalLocal));
		const local = group.filter(flow => isLocal(flow));
		const cluster = group.filter(flow => !isLocal(flow));
		const main = cluster.find(flow => flow.entries.some(entry => entry.ip === port?.clusterIP)) ?? cluster[0];
		const target = (flow: NatServiceFlow) => (flow.endpoints.length > 0 ? 'local' : 'none') as NatEntry['target'];
		return {
			...group[0]!,
			...main,
			entries: group.flatMap(flow => (local.includes(flow) ? flow.entries.map(entry => ({...entry, localOnly: true, target: target(flow)})) : flow.entries)),
			// Every path Local: the rules hold no cluster-wide list.
			chain: main?.chain ?? null,
			endpoints: main?.endpoints ?? [],
			localEndpoints: local[0]?.endpoints ?? null,
			localChain: local[0]?.chain ?? null,
			affinity: group.find(flow => flow.affinity)?.affinity ?? null,
			noEndpoints: group.some(flow => flow.noEndpoints !== null) ? 'reject' : null,
			noEndpointsLines: group.flatMap(flow => flow.noEndpointsLines),
		};
	})];
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
