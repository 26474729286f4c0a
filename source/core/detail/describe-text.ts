import type {EndpointDetail, PortDetail, ServiceDetail, UnknownData} from './describe-service.js';
import {kubectlDescribeText} from './kubectl-fields.js';
import {hasTopology, type NodeTopology, type TopologyDetail, trafficDistributionMeaning, trafficDistributionName} from './topology.js';

/** `name port -> targetPort (nodePort N) /PROTO`, with a named targetPort resolved per pod. */
export function formatPort(port: PortDetail): string {
	let target = String(port.targetPort);
	if (typeof port.targetPort === 'string' && port.podTargetPorts.length > 0) {
		const numbers = [...new Set(port.podTargetPorts.map(entry => entry.port))];
		target += numbers.length === 1 && numbers[0] !== null
			? ` (${numbers[0]} in every pod)`
			: ` (${port.podTargetPorts.map(entry => `${entry.pod}: ${entry.port ?? 'not declared'}`).join(', ')})`;
	}

	const name = port.name || '<unset>';
	const nodePort = port.nodePort === null ? '' : ` (nodePort ${port.nodePort})`;
	return `${name} ${port.port} -> ${target}${nodePort} /${port.protocol}`;
}

/** `ready`, `not ready, serving, terminating`, ...: the EndpointSlice conditions in words. */
export function endpointState(endpoint: EndpointDetail): string {
	const flags = [endpoint.ready ? 'ready' : 'not ready'];
	if (!endpoint.ready && endpoint.serving) {
		flags.push('serving');
	}

	if (endpoint.terminating) {
		flags.push('terminating');
	}

	return flags.join(', ');
}

function endpointPorts(endpoint: EndpointDetail): string {
	const entries = Object.entries(endpoint.ports);
	return entries.length > 0 ? entries.map(([name, port]) => `${name || '<unset>'}=${port}`).join(',') : '<no ports>';
}

/** Aligned `key: value` lines like kubectl describe (values start in one column). */
function fields(pairs: ReadonlyArray<[string, string]>): string[] {
	const width = Math.max(...pairs.map(([key]) => key.length)) + 2;
	return pairs.map(([key, value]) => `${`${key}:`.padEnd(width)}${value}`);
}

/** Cells aligned in columns two spaces apart, the last one unpadded. */
export function alignRows(rows: ReadonlyArray<readonly string[]>): string[] {
	const widths: number[] = [];
	for (const row of rows) {
		for (const [index, cell] of row.entries()) {
			widths[index] = Math.max(widths[index] ?? 0, cell.length);
		}
	}

	return rows.map(row => row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index]! + 2))).join(''));
}

function table(rows: ReadonlyArray<readonly string[]>, indent: string): string[] {
	return alignRows(rows).map(line => indent + line);
}

/**
 * The Topology section: trafficDistribution, each ready endpoint's hints, and for each node the
 * endpoints its kube-proxy uses for Cluster-policy traffic. One line when there is nothing to say.
 */
export function topologyLines(topology: TopologyDetail, endpoints: ReadonlyArray<{readonly label: string; readonly hints: string}> = []): string[] {
	if (!hasTopology(topology)) {
		return ['Topology: <none> (no trafficDistribution, no hints)'];
	}

	const lines = topology.trafficDistribution
		? [`Topology: trafficDistribution ${trafficDistributionName(topology.trafficDistribution)}`, `  ${trafficDistributionMeaning(topology.trafficDistribution)}`]
		: ['Topology: hints without a trafficDistribution'];
	lines.push(`  hints: zone on ${topology.zoneHinted} of ${topology.readyEndpoints} ready endpoints, node on ${topology.nodeHinted} (used only if all have one)`);
	for (const row of alignRows(endpoints.map(endpoint => [endpoint.label, endpoint.hints]))) {
		lines.push(`    ${row}`);
	}

	if (topology.appliesTo.length === 0) {
		lines.push('  hints do not apply: every traffic policy of this Service is Local');
		return lines;
	}

	if (topology.nodes === null) {
		lines.push(`  per node, for ${topology.appliesTo.join(' and ')}: unknown (nodes could not be read)`);
		return lines;
	}

	lines.push(`  per node, for ${topology.appliesTo.join(' and ')}:`);
	lines.push(...table(topology.nodes.map(node => [node.node, node.zone ?? '<no zone>', nodeUse(node, topology.readyEndpoints)]), '    '));
	return lines;
}

/** `zonal-1 (zone hint)`, `all 2 (no endpoint hinted for zone-a)`. */
function nodeUse(node: NodeTopology, ready: number): string {
	const used = node.mode === null && ready > 0 && node.endpoints.length === ready ? `all ${ready}` : node.endpoints.join(',') || '<none>';
	return `${used} (${node.reason})`;
}

/** `forZones=zone-b forNodes=myk8s-worker2`, or `<none>`. */
export function hintText(endpoint: EndpointDetail): string {
	const parts: string[] = [];
	if (endpoint.hints.forZones.length > 0) {
		parts.push(`forZones=${endpoint.hints.forZones.join(',')}`);
	}

	if (endpoint.hints.forNodes.length > 0) {
		parts.push(`forNodes=${endpoint.hints.forNodes.join(',')}`);
	}

	return parts.length > 0 ? parts.join(' ') : '<none>';
}

/** The endpoints of every node group, labelled and with their hints, for topologyLines. */
export function endpointHints(detail: ServiceDetail): Array<{label: string; hints: string}> {
	return detail.nodes.flatMap(group => group.endpoints.map(endpoint => ({label: endpoint.pod ?? endpoint.ip, hints: hintText(endpoint)})));
}

/** Why a resource is unknown, as the API said it. */
function unknownReasonOf(detail: ServiceDetail, resource: string): string {
	return detail.unknown.find(entry => entry.resource === resource)?.reason ?? 'not read';
}

/** `unknown (<the API's reason>)` for the first of `resources` that could not be read. */
export function unknownText(detail: ServiceDetail, ...resources: ReadonlyArray<UnknownData['resource']>): string {
	const resource = resources.find(name => detail.unknown.some(entry => entry.resource === name)) ?? resources[0]!;
	return `unknown (${resource}: ${unknownReasonOf(detail, resource)})`;
}

/** The Topology section of a Service, or one line saying it is unknown without the EndpointSlices. */
export function detailTopologyLines(detail: ServiceDetail): string[] {
	return detail.topology ? topologyLines(detail.topology, endpointHints(detail)) : [`Topology: ${unknownText(detail, 'endpointslices')}`];
}

/** A node's InternalIP, `no InternalIP` when its Node has none, or unknown when the nodes could not be read (the reason is under Not checked). */
export function nodeIPText(detail: ServiceDetail, nodeIP: string | null): string {
	if (nodeIP !== null) {
		return nodeIP;
	}

	return detail.unknown.some(entry => entry.resource === 'nodes') ? 'InternalIP unknown (nodes could not be read)' : 'no InternalIP';
}

/** `zone zone-a`; without the Node objects the zone is the one the EndpointSlice gives the endpoints, said so. */
export function nodeZoneText(detail: ServiceDetail, zone: string | null): string {
	if (zone === null) {
		return '';
	}

	return detail.unknown.some(entry => entry.resource === 'nodes') ? `zone ${zone} (from the EndpointSlice)` : `zone ${zone}`;
}

/** `svctop describe`: readable like `kubectl describe svc`, with endpoints grouped by node. */
export function describeText(detail: ServiceDetail): string {
	const {service} = detail;
	const pairs: Array<[string, string]> = [['Age', service.age]];
	// What kubectl leaves out: a pending load balancer (no ingress line at all) and the affinity timeout.
	if (service.loadBalancerPending) {
		pairs.push(['LoadBalancer', '<pending> (no ingress in the status yet)']);
	}

	if (service.sessionAffinityTimeoutSeconds !== null) {
		pairs.push(['ClientIP timeout', `${service.sessionAffinityTimeoutSeconds}s`]);
	}

	pairs.push(['DNS', detail.dnsNames[0] ?? '<none>']);
	for (const name of detail.dnsNames.slice(1)) {
		pairs.push(['', name]);
	}

	// kubectl's own description first, then svctop's sections.
	const lines = [...kubectlDescribeText(detail.kubectl, detail.events).replace(/\n$/, '').split('\n'), ''];
	lines.push(...fields(pairs).map(line => (line.startsWith(':') ? ' ' + line.slice(1) : line)));

	if (detail.externalName) {
		const resolution = detail.externalName.resolution;
		lines.push('', `Resolved ${resolution?.resolver ? `in ${resolution.resolver}` : 'on this machine'}:`);
		if (!resolution) {
			lines.push('  (not resolved)');
		} else if (resolution.error !== undefined) {
			lines.push(`  ${[resolution.name, ...resolution.chain].join(' -> ')}: ${resolution.error}`);
		} else {
			lines.push(`  ${[resolution.name, ...resolution.chain].join(' -> ')} -> ${resolution.addresses.join(', ')}`);
		}
	} else if (detail.endpoints === null) {
		lines.push('', `Endpoints: unknown (${unknownReasonOf(detail, 'endpointslices')})`);
	} else {
		lines.push('', `Endpoints: ${detail.endpoints.ready}/${detail.endpoints.total} ready${detail.slices.length > 0 ? ` (slices: ${detail.slices.map(slice => `${slice.name}${slice.managedBy ? ` by ${slice.managedBy}` : ''}`).join(', ')})` : ''}`);
		if (detail.nodes.length === 0) {
			lines.push('  <none>');
		}

		for (const group of detail.nodes) {
			const where = group.node === null
				? 'no node (addresses without a nodeName)'
				: `${group.node} (${[nodeIPText(detail, group.nodeIP), nodeZoneText(detail, group.zone)].filter(Boolean).join(', ')})`;
			lines.push(`  ${where}`);
			lines.push(...table(group.endpoints.map(endpoint => [
				endpoint.pod ?? '-',
				endpoint.addresses.join(','),
				endpointPorts(endpoint),
				endpointState(endpoint),
			]), '    '));
		}

		if (detail.nodesWithoutEndpoints === null) {
			lines.push('', `Nodes without endpoints: ${unknownText(detail, 'nodes')}`);
		} else if (detail.nodesWithoutEndpoints.length > 0) {
			lines.push('', 'Nodes without endpoints:');
			lines.push(...table(detail.nodesWithoutEndpoints.map(node => [node.node, nodeIPText(detail, node.nodeIP), nodeZoneText(detail, node.zone)]), '  ').map(line => line.trimEnd()));
		}

		for (const note of detail.trafficNotes) {
			lines.push(`  ${note}`);
		}

		lines.push('', ...detailTopologyLines(detail));
	}

	if (detail.podsFetched && service.selector && detail.unreadyPods === null) {
		lines.push('', `Pods matching the selector that are not ready endpoints: ${unknownText(detail, 'endpointslices')}`);
	} else if (detail.podsFetched && service.selector && detail.unreadyPods) {
		lines.push('', `Pods matching the selector that are not ready endpoints: ${detail.unreadyPods.length === 0 ? '<none>' : ''}`.trimEnd());
		lines.push(...table(detail.unreadyPods.map(pod => [pod.pod, pod.node ?? '<no node>', pod.reason]), '  '));
	}

	// "<none>" must not read as "all is well" when part of the data was never seen (listed under Not checked).
	const none = detail.unknown.length > 0 ? '<none> from what could be read (see Not checked)' : '<none>';
	lines.push('', `Findings: ${detail.findings.length === 0 ? none : ''}`.trimEnd());
	for (const finding of detail.findings) {
		lines.push(`  [${finding.code}] ${finding.message}`);
	}

	if (detail.unknown.length > 0) {
		lines.push('', 'Not checked (could not be read):');
		lines.push(...detail.unknown.map(entry => `  ${entry.resource}: ${entry.reason}`));
	}

	return lines.join('\n') + '\n';
}
