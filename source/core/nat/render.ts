import type {NatBypass, NatEndpoint, NatEntry, NatFlowTable, NatServiceFlow} from './types.js';
import {flowFamily, joinHostPort} from './service-ports.js';
import {formatShare} from './shares.js';

/** A CIDR entry (`127.0.0.0/8`, `::1/128`) is written unbracketed; a NodePort on every address as `*`. */
function address(ip: string | null, port: number): string {
	return ip === null || ip.includes('/') ? `${ip ?? '*'}:${port}` : joinHostPort(ip, port);
}

function endpointLine(endpoint: NatEndpoint, mode: NatFlowTable['mode']): string {
	const where = endpoint.pod ? ` (${endpoint.pod}${endpoint.node ? ` on ${endpoint.node}` : ''})` : (endpoint.node ? ` (on ${endpoint.node})` : '');
	const target = address(endpoint.ip, endpoint.port);
	if (mode === 'ipvs') {
		return `${formatShare(endpoint.probability)} -> ${endpoint.forward ?? 'masq'} ${target} (weight ${endpoint.written ?? '?'})${where}`;
	}

	return `${formatShare(endpoint.probability)} ${endpoint.chain} -> DNAT ${target}${where}`;
}

type Node = {text: string; children: Node[]};

/** The flow of one Service port as a tree of lines; each endpoint list is drawn once, under its first entry. */
function flowTree(flow: NatServiceFlow, mode: NatFlowTable['mode']): Node {
	// A dual-stack Service has a flow per family under one name: the IPv6 one says so.
	const family = flowFamily(flow) === 'IPv6' ? '  IPv6' : '';
	const root: Node = {text: `${flow.service}${flow.port ? `:${flow.port}` : ''}  ${flow.protocol}${family}${flow.scheduler ? `  (ipvs ${flow.scheduler})` : ''}`, children: []};
	const add = (text: string, endpoints: readonly NatEndpoint[] = []) => root.children.push({text, children: endpoints.map(endpoint => ({text: endpointLine(endpoint, mode), children: []}))});
	const localEndpoints = flow.localEndpoints ?? [];
	let clusterShown = false;
	let localShown = false;
	for (const entry of flow.entries) {
		const hops = entry.path.length > 0 ? ` -> ${entry.path.join(' -> ')}` : '';
		const notes = entryNotes(flow, entry, mode);
		// The kind capitalized is Kubernetes' own name for it (ClusterIP, NodePort, ExternalIP, LoadBalancer).
		const text = `${entry.kind[0]!.toUpperCase()}${entry.kind.slice(1)} ${address(entry.ip, entry.port)}${hops}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
		if (entry.target === 'cluster') {
			add(clusterShown ? `${text} (same endpoints as above)` : text, clusterShown ? [] : flow.endpoints);
			clusterShown = true;
		} else if (entry.target === 'local' && localEndpoints.length > 0) {
			add(localShown ? `${text} (same local endpoints as above)` : text, localShown ? [] : localEndpoints);
			localShown = true;
		} else {
			add(text);
		}
	}

	for (const bypass of flow.bypass) {
		add(bypassLine(bypass));
	}

	if (!clusterShown && flow.endpoints.length > 0) {
		add(`Endpoints ${flow.chain ?? ''}`.trim(), flow.endpoints);
	}

	if (!localShown && localEndpoints.length > 0) {
		add(`Local endpoints ${flow.localChain ?? ''}`.trim(), localEndpoints);
	}

	if (flow.affinity) {
		add(`Session affinity: ClientIP, ${flow.affinity.timeoutSeconds}s`);
	}

	for (const masquerade of flow.masquerade) {
		add(`Masquerade in ${masquerade.chain} ${masquerade.condition === 'always' ? 'always' : `when ${masquerade.condition}`}${masquerade.line === null ? '' : ` (line ${masquerade.line})`}`);
	}

	if ([...flow.endpoints, ...localEndpoints].some(endpoint => endpoint.hairpinMasquerade)) {
		add('Masquerade hairpin traffic (a pod reaching itself through the Service)');
	}

	if (flow.noEndpoints) {
		add(noEndpointsLine(flow, flow.noEndpointsLines.length > 0 ? ` (line ${flow.noEndpointsLines.join(', ')})` : ''));
	}

	return root;
}

/** Policy Local, and nothing on this node to send outside traffic to. */
function dropsExternal(flow: NatServiceFlow, entry: NatEntry): boolean {
	return entry.localOnly && flow.noEndpoints === 'drop' && (flow.localEndpoints?.length ?? 0) === 0 && entry.target !== 'cluster';
}

function entryNotes(flow: NatServiceFlow, entry: NatEntry, mode: NatFlowTable['mode']): string[] {
	const notes: string[] = [];
	if (dropsExternal(flow, entry)) {
		notes.push('Local: outside traffic dropped here');
	} else if (entry.localOnly) {
		// kube-proxy's IPVS proxier gives a Local virtual service every endpoint on a node without local ones (kubernetes#97081).
		notes.push(mode === 'ipvs' ? 'Local: this node\'s endpoints, or the cluster-wide ones on a node without them' : 'Local: only this node\'s endpoints');
	}

	if (entry.sourceRanges.length > 0) {
		notes.push(`only from ${entry.sourceRanges.join(', ')}`);
	}

	if (!entry.localOnly && entry.target === 'none' && flow.noEndpoints) {
		notes.push(flow.noEndpoints === 'reject' ? 'rejected: no endpoints' : entry.kind === 'clusterIP' ? 'dropped: no endpoints on this node, internalTrafficPolicy Local' : 'dropped: no endpoints here');
	}

	return notes;
}

/** The path that keeps a Local Service reachable from pods and from the node whatever the policy. */
function bypassLine(bypass: NatBypass): string {
	const who = bypass.from === 'pods' ? 'Pod traffic' : 'Node traffic';
	return `${who} (${bypass.condition}) -> ${bypass.target}: cluster-wide endpoints${bypass.line === null ? '' : ` (line ${bypass.line})`}`;
}

function noEndpointsLine(flow: NatServiceFlow, lines: string): string {
	if (flow.noEndpoints === 'reject') {
		return `No endpoints: REJECT${lines}`;
	}

	// kube-proxy drops (rather than rejects) only for a Local policy with endpoints elsewhere: say which
	// traffic that is, from the entries that end nowhere, so an internal-only drop is not told as external.
	const internal = flow.entries.some(entry => entry.kind === 'clusterIP' && entry.target === 'none');
	const external = flow.entries.some(entry => entry.kind !== 'clusterIP' && (dropsExternal(flow, entry) || entry.target === 'none'));
	const dropped = [
		internal ? 'traffic to the ClusterIP (internalTrafficPolicy Local) dropped' : '',
		external ? `traffic from outside dropped${flow.bypass.length > 0 ? ', pods and node still served' : ''}` : '',
	].filter(Boolean);
	return `No local endpoints: ${dropped.length > 0 ? dropped.join('; ') : 'traffic dropped'}${lines}`;
}

function drawTree(node: Node, prefix: string, out: string[]) {
	for (const [index, child] of node.children.entries()) {
		const last = index === node.children.length - 1;
		out.push(`${prefix}${last ? '└─ ' : '├─ '}${child.text}`);
		drawTree(child, `${prefix}${last ? '   ' : '│  '}`, out);
	}
}

/** The text view: one tree per Service port, then the problems. */
export function renderNatText(table: NatFlowTable): string {
	const out: string[] = [];
	const header = `kube-proxy mode: ${table.variant}${table.masqueradeMark ? `, masquerade mark ${table.masqueradeMark}` : ''}, ${table.services.length} service port${table.services.length === 1 ? '' : 's'}`;
	out.push(header, ...(table.notes ?? []).map(note => `Note: ${note}`), '');
	for (const flow of table.services) {
		const tree = flowTree(flow, table.mode);
		out.push(tree.text);
		drawTree(tree, '', out);
		out.push('');
	}

	if (table.problems.length > 0) {
		out.push(`Problems (${table.problems.length}):`);
		for (const problem of table.problems) {
			out.push(`  ${problem.message}`);
		}
	}

	return `${out.join('\n').trimEnd()}\n`;
}

/** Most strings here (addresses, chain names) need no escaping; the others are left to JSON.stringify. */
const needsEscaping = /[\u0000-\u001F"\\\uD800-\uDFFF]/;

function jsonString(text: string): string {
	return needsEscaping.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function jsonNumber(value: number): string {
	return Number.isFinite(value) ? String(value) : 'null';
}

/** An array as `JSON.stringify(…, null, 2)` writes it, items at `inner`, `]` at `indent` (each value's place is fixed). */
function jsonArray<T>(items: readonly T[], indent: string, inner: string, item: (value: T) => string): string {
	return items.length === 0 ? '[]' : `[\n${inner}${items.map(item).join(`,\n${inner}`)}\n${indent}]`;
}

/** An entry, at 8 spaces (services[].entries[]). */
function entryJson(entry: NatEntry): string {
	return `{\n          "kind": ${jsonString(entry.kind)},\n          "ip": ${entry.ip === null ? 'null' : jsonString(entry.ip)},\n          "port": ${jsonNumber(entry.port)},`
		+ `\n          "sourceRanges": ${jsonArray(entry.sourceRanges, '          ', '            ', jsonString)},\n          "localOnly": ${entry.localOnly}\n        }`;
}

/** An endpoint, at 8 spaces (services[].endpoints[] and localEndpoints[]). */
function endpointJson(endpoint: NatEndpoint): string {
	return `{\n          "ip": ${jsonString(endpoint.ip)},\n          "port": ${jsonNumber(endpoint.port)},\n          "probability": ${jsonNumber(endpoint.probability)},\n          "chain": ${jsonString(endpoint.chain)}\n        }`;
}

/** A bypass, at 8 spaces (services[].bypass[]). */
function bypassJson(bypass: NatBypass): string {
	return `{\n          "from": ${jsonString(bypass.from)},\n          "condition": ${jsonString(bypass.condition)},\n          "chain": ${jsonString(bypass.chain)}\n        }`;
}

/** A Service port, at 4 spaces (services[]). */
function flowJson(flow: NatServiceFlow): string {
	const endpoints = (list: readonly NatEndpoint[]) => jsonArray(list, '      ', '        ', endpointJson);
	const affinity = flow.affinity ? `{\n        "timeoutSeconds": ${jsonNumber(flow.affinity.timeoutSeconds)}\n      }` : 'null';
	return `{\n      "service": ${jsonString(flow.service)},\n      "port": ${jsonString(flow.port)},\n      "protocol": ${jsonString(flow.protocol)},`
		+ `\n      "entries": ${jsonArray(flow.entries, '      ', '        ', entryJson)},\n      "endpoints": ${endpoints(flow.endpoints)},`
		+ `\n      "localEndpoints": ${flow.localEndpoints ? endpoints(flow.localEndpoints) : 'null'},\n      "affinity": ${affinity},`
		+ `\n      "noEndpoints": ${flow.noEndpoints === null ? 'null' : jsonString(flow.noEndpoints)},\n      "bypass": ${jsonArray(flow.bypass, '      ', '        ', bypassJson)}\n    }`;
}

/**
 * The `--json` document (the issue's shape plus `bypass` and `notes`) as `JSON.stringify(…, null, 2)` writes it and a newline,
 * in parts of whole Services of about `partLength` characters. Parts stay under V8's large-object size (128 KiB), so each dies
 * young: parts of 256 Services (~0.5 MB) took twice the CPU and 9-13 MB more peak RSS on the benchmark dumps. Written straight
 * from the table (tests hold it byte for byte to JSON.stringify): stringifying copies took a quarter more CPU on the mixed dump.
 */
export function * natJsonParts(table: NatFlowTable, partLength = 32 * 1024): Generator<string> {
	// Stringified one level deeper than needed, in a wrapper array, a value comes out already indented
	// for its place in the document; only the wrapper's brackets are cut off.
	const nested = (value: unknown) => JSON.stringify([value], null, 2).slice(4, -2);
	const {services} = table;
	yield `{\n  "mode": ${JSON.stringify(table.mode)},\n  "services": ${services.length === 0 ? '[]' : '['}`;
	let part = '';
	for (let index = 0; index < services.length; index++) {
		part += `${index === 0 ? '' : ','}\n    ${flowJson(services[index]!)}`;
		if (part.length >= partLength || index === services.length - 1) {
			yield part;
			part = '';
		}
	}

	const problems = table.problems.map(({line, message}) => ({line, message}));
	yield `${services.length === 0 ? '' : '\n  ]'},\n  "problems": ${nested(problems)},\n  "notes": ${nested(table.notes ?? [])}\n}\n`;
}

/** Keep only the flows of one Service (`ns/name`, or `ns/name:port`). */
export function filterNatServices(table: NatFlowTable, service: string): NatFlowTable {
	const [name = '', port] = service.split(':');
	const services = table.services.filter(flow => flow.service === name && (port === undefined || flow.port === port));
	// This Service named whole: `shop/lb` is not in `shop/lb-local` (names are DNS labels: letters, digits, '-', '.').
	const named = new RegExp(`(?<![\\w./-])${name.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w.-]|/\\w)`);
	// Keep the problems about this Service and those about the text itself; rules the API has no Service
	// for (cross-check: unnamed IPVS virtual services) are no other Service's, this one's included.
	const problems = table.problems.filter(problem => named.test(problem.message) || /^line \d+: (?!.*\w+\/\w+)(?!rules for .*, which the API does not have$)/.test(problem.message));
	// Most notes are about the whole table (other namespaces); keep those that name this Service (IPv6 not read).
	const {notes, ...rest} = table;
	const own = (notes ?? []).filter(note => named.test(note));
	return {...rest, services, problems, ...(own.length > 0 ? {notes: own} : {})};
}
