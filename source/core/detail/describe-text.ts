import {selectorColumn} from '../services/service-row.js';
import type {EndpointDetail, PortDetail, ServiceDetail} from './describe-service.js';

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

/** Why a resource is unknown, as the API said it. */
function unknownReasonOf(detail: ServiceDetail, resource: string): string {
	return detail.unknown.find(entry => entry.resource === resource)?.reason ?? 'not read';
}

/** `svctop describe`: readable like `kubectl describe svc`, with endpoints grouped by node. */
export function describeText(detail: ServiceDetail): string {
	const {service} = detail;
	const pairs: Array<[string, string]> = [
		['Name', service.name],
		['Namespace', service.namespace],
		['Type', service.type],
		['Age', service.age],
		['Selector', service.selector ? selectorColumn(service.selector) : '<none>'],
	];
	if (service.type === 'ExternalName') {
		pairs.push(['External Name', service.externalName ?? '<none>']);
	} else {
		pairs.push(
			['IP Family Policy', service.ipFamilyPolicy ?? '<none>'],
			['IP Families', service.ipFamilies.join(',') || '<none>'],
			['IPs', service.clusterIPs.join(',') || '<none>'],
		);
	}

	if (service.externalIPs.length > 0) {
		pairs.push(['External IPs', service.externalIPs.join(',')]);
	}

	if (service.type === 'LoadBalancer') {
		pairs.push(['LoadBalancer Ingress', service.loadBalancerPending
			? '<pending>'
			: service.loadBalancerIngress.map(entry => [entry.ip, entry.hostname].filter(Boolean).join(' / ') + (entry.ipMode ? ` (ipMode ${entry.ipMode})` : '')).join(', ')]);
		if (service.loadBalancerSourceRanges.length > 0) {
			pairs.push(['LoadBalancer Source Ranges', service.loadBalancerSourceRanges.join(',')]);
		}
	}

	for (const port of detail.ports) {
		pairs.push(['Port', formatPort(port)]);
	}

	pairs.push(['Session Affinity', service.sessionAffinityTimeoutSeconds === null ? service.sessionAffinity : `${service.sessionAffinity} (timeout ${service.sessionAffinityTimeoutSeconds}s)`]);
	if (service.externalTrafficPolicy) {
		pairs.push(['External Traffic Policy', service.externalTrafficPolicy]);
	}

	if (service.internalTrafficPolicy) {
		pairs.push(['Internal Traffic Policy', service.internalTrafficPolicy]);
	}

	if (service.healthCheckNodePort !== null) {
		pairs.push(['HealthCheck NodePort', String(service.healthCheckNodePort)]);
	}

	pairs.push(['DNS', detail.dnsNames[0] ?? '<none>']);
	for (const name of detail.dnsNames.slice(1)) {
		pairs.push(['', name]);
	}

	const lines = fields(pairs).map(line => (line.startsWith(':') ? ' ' + line.slice(1) : line));

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
				: `${group.node} (${group.nodeIP ?? 'no InternalIP'}${group.zone ? `, zone ${group.zone}` : ''})`;
			lines.push(`  ${where}`);
			lines.push(...table(group.endpoints.map(endpoint => [
				endpoint.pod ?? '-',
				endpoint.addresses.join(','),
				endpointPorts(endpoint),
				endpointState(endpoint),
			]), '    '));
		}

		if (detail.nodesWithoutEndpoints.length > 0) {
			lines.push('', 'Nodes without endpoints:');
			lines.push(...table(detail.nodesWithoutEndpoints.map(node => [node.node, node.nodeIP ?? 'no InternalIP', node.zone ? `zone ${node.zone}` : '']), '  ').map(line => line.trimEnd()));
		}

		for (const note of detail.trafficNotes) {
			lines.push(`  ${note}`);
		}
	}

	if (detail.podsFetched && service.selector) {
		lines.push('', `Pods matching the selector that are not ready endpoints: ${detail.unreadyPods.length === 0 ? '<none>' : ''}`.trimEnd());
		lines.push(...table(detail.unreadyPods.map(pod => [pod.pod, pod.node ?? '<no node>', pod.reason]), '  '));
	}

	lines.push('', `Findings: ${detail.findings.length === 0 ? '<none>' : ''}`.trimEnd());
	for (const finding of detail.findings) {
		lines.push(`  [${finding.code}] ${finding.message}`);
	}

	if (detail.unknown.length > 0) {
		// "Findings: <none>" must not read as "all is well" when part of the data was never seen.
		lines.push('', 'Not checked (could not be read):');
		lines.push(...detail.unknown.map(entry => `  ${entry.resource}: ${entry.reason}`));
	}

	return lines.join('\n') + '\n';
}
