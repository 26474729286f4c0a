import {apiPortsOf, holdsClusterList, portKey} from './cross-check.js';
import {type AddressFamily, addressFamily, joinHostPort, type PlannedServicePort} from './service-ports.js';
import type {NatApiLists, NatEndpoint, NatEntryKind, NatFlowTable, NatServiceFlow} from './types.js';

// Every node's rules side by side, per Service port: the same endpoints and shares everywhere, local endpoints
// of Local Services, endpoints missing or extra against the API. Unread nodes are unknown, never agreeing or stale.

/** One node's rules, or why they could not be read. */
export type NodeRules =
	| {readonly node: string; readonly table: NatFlowTable; readonly sync?: NodeSync}
	| {readonly node: string; readonly error: string};

/** kube-proxy's own sync record on the node (its metrics), epoch seconds; absent when it did not answer. */
export type NodeSync = {readonly lastSync?: number; readonly lastQueued?: number};

/** A share of new connections, as the rules give it. */
export type EndpointShare = {readonly endpoint: string; readonly probability: number};

/**
 * Which traffic a Local policy holds to the endpoints on the node it reaches: `internal` is the ClusterIP's
 * (internalTrafficPolicy), `external` the NodePort's, load balancers' and external IPs' (externalTrafficPolicy).
 */
export type LocalTraffic = 'internal' | 'external' | 'both';

/** A Local Service port: which traffic is local-only, and the nodes whose rules hold local endpoints and those whose do not. */
export type LocalPolicy = {
	readonly traffic: LocalTraffic;
	/** The entry kinds held to local endpoints on some node read, in the order clusterIP, externalIP, loadBalancer, nodePort. */
	readonly kinds: readonly NatEntryKind[];
	readonly withEndpoints: readonly string[];
	readonly without: readonly string[];
};

/** Nodes whose rules dispatch one Service port identically. */
export type DispatchVariant = {readonly nodes: readonly string[]; readonly shares: readonly EndpointShare[]};

/** A node whose endpoints disagree with the API: `missing` are in its EndpointSlices (ready), not in the rules; `extra` the reverse. */
export type StaleRules = {readonly node: string; readonly missing: readonly string[]; readonly extra: readonly string[]};

export type CrossNodePort = {
	/** `namespace/name`, or the rules' own identity when the API did not name it. */
	readonly service: string;
	readonly port: string;
	readonly protocol: string;
	readonly family: AddressFamily;
	/** Every node read dispatches identically (and has rules for it). */
	readonly agree: boolean;
	/** Groups of nodes with identical dispatch, largest first. */
	readonly variants: readonly DispatchVariant[];
	/** Nodes read that have no rules for this port at all. */
	readonly absentOn: readonly string[];
	/** For a Local Service: which traffic is local-only, and where local endpoints are; null otherwise. */
	readonly local: LocalPolicy | null;
	/** Nodes whose endpoints disagree with the API; empty when not checked. */
	readonly stale: readonly StaleRules[];
	/** Whether the rules were checked against the API: it knows this port, and they hold its cluster-wide list (not when every path is Local). */
	readonly checked: boolean;
};

export type CrossNodeReport = {
	readonly nodes: ReadonlyArray<{readonly node: string; readonly mode?: string; readonly servicePorts?: number; readonly error?: string; readonly sync?: NodeSync}>;
	readonly ports: readonly CrossNodePort[];
	/** Nodes with any stale Service port, in name order; null when nothing could be checked (no node read, or no API). */
	readonly staleNodes: readonly string[] | null;
	/** Service ports on which the nodes read disagree. */
	readonly disagreements: number;
	/** What the nodes' rules leave unchecked (e.g. IPv6 rules not read), each said once. */
	readonly notes: readonly string[];
};

/** A flow's family is its entries' (the first address the rules match), else its endpoints'. */
function familyOf(flow: NatServiceFlow): AddressFamily {
	const address = flow.entries.find(entry => entry.ip !== null)?.ip ?? flow.endpoints[0]?.ip ?? '';
	return addressFamily(address);
}

const endpointText = (endpoint: {ip: string; port: number}) => joinHostPort(endpoint.ip, endpoint.port);

/** Shares rounded so a probability written as 0.33333333349 and one computed as 1/3 compare equal. */
function sharesOf(endpoints: readonly NatEndpoint[]): EndpointShare[] {
	const total = new Map<string, number>();
	for (const endpoint of endpoints) {
		const key = endpointText(endpoint);
		total.set(key, (total.get(key) ?? 0) + endpoint.probability);
	}

	return [...total].map(([endpoint, probability]) => ({endpoint, probability: Math.round(probability * 10_000) / 10_000})).sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
}

function variantsOf(flows: ReadonlyMap<string, NatServiceFlow>): DispatchVariant[] {
	const groups = new Map<string, {nodes: string[]; shares: EndpointShare[]}>();
	for (const [node, flow] of flows) {
		const shares = sharesOf(flow.endpoints);
		const key = shares.map(share => `${share.endpoint}@${share.probability}`).join(',');
		const group = groups.get(key) ?? {nodes: [], shares};
		group.nodes.push(node);
		groups.set(key, group);
	}

	return [...groups.values()].sort((a, b) => b.nodes.length - a.nodes.length || (a.nodes[0]! < b.nodes[0]! ? -1 : 1));
}

const kindOrder: readonly NatEntryKind[] = ['clusterIP', 'externalIP', 'loadBalancer', 'nodePort'];

/**
 * The entry kinds whose traffic this node's rules hold to its own endpoints. A ClusterIP is also held (internalTrafficPolicy
 * Local) when it ends nowhere and the flow drops: kube-proxy drops, rather than rejects, a ClusterIP's traffic only for
 * that policy with endpoints on other nodes only.
 */
function localKinds(flow: NatServiceFlow): NatEntryKind[] {
	return flow.entries.filter(entry => entry.localOnly || entry.target === 'local' || (entry.kind === 'clusterIP' && entry.target === 'none' && flow.noEndpoints === 'drop')).map(entry => entry.kind);
}

/**
 * Whether the node's local list holds its own endpoints: IPVS's Local virtual services hold every endpoint on a node
 * without local ones (kubernetes#97081), so a list naming (by the API) another node's endpoint is not local.
 */
function holdsLocalEndpoints(node: string, flow: NatServiceFlow): boolean {
	const local = flow.localEndpoints ?? [];
	return local.length > 0 && local.every(endpoint => endpoint.node === undefined || endpoint.node === node);
}

function localPolicyOf(flows: ReadonlyMap<string, NatServiceFlow>): LocalPolicy | null {
	const held = new Set([...flows.values()].flatMap(flow => localKinds(flow)));
	if (held.size === 0) {
		return null;
	}

	const kinds = kindOrder.filter(kind => held.has(kind));
	const internal = held.has('clusterIP');
	const external = kinds.length > (internal ? 1 : 0);
	const withEndpoints = [...flows].filter(([node, flow]) => holdsLocalEndpoints(node, flow)).map(([node]) => node);
	return {
		traffic: internal && external ? 'both' : (internal ? 'internal' : 'external'),
		kinds,
		withEndpoints,
		without: [...flows.keys()].filter(node => !withEndpoints.includes(node)),
	};
}

/** `namespace/name:port/PROTOCOL` (no `:port` for an unnamed port), as the report names a Service port. */
function portLabel({service, port, protocol}: Pick<CrossNodePort, 'service' | 'port' | 'protocol'>): string {
	return `${service}${port ? `:${port}` : ''}/${protocol}`;
}

function difference(left: ReadonlySet<string>, right: ReadonlySet<string>): string[] {
	return [...left].filter(item => !right.has(item)).sort();
}

function staleOn(node: string, flow: NatServiceFlow | undefined, expected: PlannedServicePort): StaleRules | undefined {
	const want = new Set(expected.clusterEndpoints.map(endpointText));
	const have = new Set((flow?.endpoints ?? []).map(endpointText));
	const missing = difference(want, have);
	const extra = difference(have, want);
	return missing.length === 0 && extra.length === 0 ? undefined : {node, missing, extra};
}

export function compareNodes(rules: readonly NodeRules[], api: NatApiLists | undefined): CrossNodeReport {
	const read = rules.filter((each): each is Extract<NodeRules, {table: NatFlowTable}> => 'table' in each);
	const flowsByPort = new Map<string, Map<string, NatServiceFlow>>();
	// Only the families some node's rules hold are compared with the API (an iptables-save dump has no IPv6).
	const families = new Set<AddressFamily>();
	for (const {node, table} of read) {
		for (const flow of table.services) {
			const family = familyOf(flow);
			families.add(family);
			const key = portKey(flow.service, flow.port, flow.protocol, family);
			flowsByPort.set(key, (flowsByPort.get(key) ?? new Map<string, NatServiceFlow>()).set(node, flow));
		}
	}

	// What the API says every node's rules should send to, per port key (a node's name decides only its local endpoints).
	const expected = new Map<string, PlannedServicePort>(api === undefined ? [] : apiPortsOf(api, families)
		.map(port => [portKey(`${port.namespace}/${port.name}`, port.portName, port.protocol, port.family), port]));
	const unjudged: string[] = [];
	const ports = [...new Set([...flowsByPort.keys(), ...expected.keys()])].sort().map((key): CrossNodePort => {
		const [service, port, protocol, family] = key.split('|') as [string, string, string, AddressFamily];
		const flows = flowsByPort.get(key) ?? new Map<string, NatServiceFlow>();
		const variants = variantsOf(flows);
		const absentOn = read.map(({node}) => node).filter(node => !flows.has(node));
		const local = localPolicyOf(flows);
		// Rules with every path Local hold no cluster-wide list to compare with the API: not judged, and said so.
		const plan = [...flows.values()].every(flow => holdsClusterList(flow)) ? expected.get(key) : undefined;
		if (plan === undefined && expected.has(key)) {
			unjudged.push(portLabel({service, port, protocol}));
		}

		const stale = plan ? read.flatMap(({node}) => staleOn(node, flows.get(node), plan) ?? []) : [];
		return {service, port, protocol, family, agree: variants.length <= 1 && absentOn.length === 0, variants, absentOn, local, stale, checked: plan !== undefined};
	});

	const unjudgedNote = `stale not judged for ${unjudged.join(', ')}: every path is Local (internalTrafficPolicy Local alone; with IPVS, both policies Local), so the rules hold no cluster-wide endpoint list to compare with the API`;
	return {
		nodes: rules.map(each => ('table' in each ? {node: each.node, mode: each.table.mode, servicePorts: each.table.services.length, ...(each.sync ? {sync: each.sync} : {})} : {node: each.node, error: each.error})),
		ports,
		// Only ports checked against the API can be stale: with none of those there is no verdict.
		staleNodes: read.length === 0 || api === undefined || !ports.some(port => port.checked) ? null : [...new Set(ports.flatMap(port => port.stale.map(each => each.node)))].sort(),
		disagreements: ports.filter(port => !port.agree).length,
		notes: [...new Set(read.flatMap(each => each.table.notes ?? [])), ...(unjudged.length > 0 ? [unjudgedNote] : [])],
	};
}

/** `synced 12s ago`, and whether a change is queued but not yet written, from kube-proxy's own gauges. */
export function syncText(sync: NodeSync | undefined, nowMs: number): string {
	if (sync?.lastSync === undefined) {
		return 'last sync unknown (kube-proxy metrics did not answer)';
	}

	const ago = (seconds: number) => `${Math.max(0, Math.round(nowMs / 1000 - seconds))}s ago`;
	const pending = sync.lastQueued !== undefined && sync.lastQueued > sync.lastSync ? `; a change queued ${ago(sync.lastQueued)} is not written yet` : '';
	return `synced ${ago(sync.lastSync)}${pending}`;
}

/** The report as text: the nodes, then only the Service ports where something differs. */
export function renderCrossNodeText(report: CrossNodeReport, nowMs: number): string {
	const lines: string[] = [];
	const unread = report.nodes.filter(node => node.error !== undefined);
	lines.push(`NODES  ${report.nodes.length - unread.length} read, ${unread.length} unknown`);
	const width = Math.max(0, ...report.nodes.map(node => node.node.length));
	for (const node of report.nodes) {
		lines.push(`  ${node.node.padEnd(width)}  ${node.error === undefined ? `${node.mode}  ${node.servicePorts} service port${node.servicePorts === 1 ? '' : 's'}  ${syncText(node.sync, nowMs)}` : `unknown: ${node.error}`}`);
	}

	lines.push(...report.notes.map(note => `Note: ${note}`));
	if (unread.length === report.nodes.length) {
		// Nothing to compare: no count, no "none" may stand for rules nobody could read.
		lines.push('', 'SERVICE PORTS  unknown: no node\'s rules could be read');
		return `${lines.join('\n')}\n`;
	}

	const differing = report.ports.filter(port => !port.agree || port.stale.length > 0);
	const checked = report.ports.filter(port => port.checked).length;
	const of = checked < report.ports.length ? ` (of the ${checked} ${checked === 1 ? 'port' : 'ports'} checked against the API)` : '';
	const stale = report.staleNodes === null ? 'not checked (the API was not read, has none of these Services, or every path of theirs is Local)' : `${report.staleNodes.length === 0 ? 'none' : report.staleNodes.join(', ')}${of}`;
	lines.push('', `SERVICE PORTS  ${report.ports.length}, ${report.ports.length - report.disagreements} dispatched the same on every node read, ${report.disagreements} differ; stale nodes: ${stale}`);
	for (const port of differing) {
		lines.push('', `${portLabel(port)}  ${port.agree ? 'same on every node' : 'DIFFERS between nodes'}`);
		for (const variant of port.variants) {
			const shares = variant.shares.length === 0 ? 'no endpoints' : variant.shares.map(share => `${share.endpoint} ${Math.round(share.probability * 1000) / 10}%`).join(', ');
			lines.push(`  ${variant.nodes.join(', ')}: ${shares}`);
		}

		if (port.absentOn.length > 0) {
			lines.push(`  no rules on: ${port.absentOn.join(', ')}`);
		}

		for (const stale of port.stale) {
			const parts = [...(stale.missing.length > 0 ? [`missing ${stale.missing.join(', ')} (in the API)`] : []), ...(stale.extra.length > 0 ? [`extra ${stale.extra.join(', ')} (not in the API)`] : [])];
			lines.push(`  STALE on ${stale.node}: ${parts.join('; ')}`);
		}
	}

	lines.push(...localSection(report, 'external'), ...localSection(report, 'internal'));
	return `${lines.join('\n')}\n`;
}

// What kube-proxy does on a node without local endpoints (proxier.go: the "has no local endpoints" DROP, per policy).
const localHeadings = {
	external: 'LOCAL EXTERNAL TRAFFIC  (externalTrafficPolicy Local: traffic from outside the cluster to a NodePort, load balancer or external IP only reaches endpoints on the node it arrives at; a node without them drops it, as expected)',
	internal: 'LOCAL INTERNAL TRAFFIC  (internalTrafficPolicy Local: traffic to the ClusterIP from a node\'s pods or the node itself only reaches endpoints on that node; a node without them drops it, as expected)',
} as const;

/** The Local Service ports whose `traffic` (external or internal) is local-only, under that traffic's own heading. */
function localSection(report: CrossNodeReport, traffic: 'external' | 'internal'): string[] {
	const ports = report.ports.filter(port => port.local !== null && (port.local.traffic === traffic || port.local.traffic === 'both'));
	if (ports.length === 0) {
		return [];
	}

	return ['', localHeadings[traffic], ...ports.map(port => `  ${portLabel(port)}  local endpoints on: ${port.local!.withEndpoints.join(', ') || 'none'}; none on: ${port.local!.without.join(', ') || 'none'}`)];
}
