import type {EndpointDetail, ServiceDetail} from '../../core/detail/describe-service.js';
import {alignRows, detailTopologyLines, endpointState, nodeIPText, nodeZoneText, unknownText} from '../../core/detail/describe-text.js';
import {kubectlDescribeText} from '../../core/detail/kubectl-fields.js';
import type {EventRow} from '../../core/detail/service-events.js';
import {wrapWords} from '../format.js';

/** The reason the view gives describeService while the first read of the events is under way. */
export const readingEvents = 'reading…';

/** The reason the view gives for the pods while their first read is under way. */
export const readingPods = 'reading…';

/** How a line is drawn: a section heading, a good or bad state, a warning, or secondary text. */
export type LineTone = 'heading' | 'good' | 'warn' | 'bad' | 'dim' | 'plain';

export type DetailLine = {readonly key: string; readonly text: string; readonly tone: LineTone};

function fieldLines(section: string, pairs: ReadonlyArray<[string, string]>): DetailLine[] {
	const width = Math.max(...pairs.map(([name]) => name.length)) + 2;
	return pairs.map(([name, value], index) => ({
		key: `${section}-${index}`,
		text: `  ${name.padEnd(width)}${value}`,
		tone: 'plain',
	}));
}

function endpointTone(endpoint: EndpointDetail): LineTone {
	if (endpoint.ready) {
		return 'good';
	}

	return endpoint.terminating ? 'dim' : 'bad';
}

function endpointPorts(endpoint: EndpointDetail): string {
	const entries = Object.entries(endpoint.ports);
	return entries.length === 0 ? '<no ports>' : entries.map(([name, port]) => (name ? `${name}=${port}` : String(port))).join(',');
}

/**
 * What `kubectl describe svc` prints, as kubectl lays it out, Events included: Warning events in
 * yellow, events that could not be read in yellow with the reason.
 */
function kubectlLines(detail: ServiceDetail, width: number): DetailLine[] {
	const reading = detail.events.state === 'unknown' && detail.events.reason === readingEvents;
	let texts = kubectlDescribeText(detail.kubectl, detail.events).replace(/\n$/, '').split('\n');
	const table = texts.indexOf('Events:');
	if (table >= 0 && detail.events.state === 'read' && texts.slice(table).some(line => line.length + 2 > width)) {
		return [...kubectlLines({...detail, events: {state: 'read', events: []}}, width).slice(0, table + 1), {key: `describe-${table}`, text: '  Events:', tone: 'plain'}, ...narrowEvents(detail.events.events, width)];
	}

	const lines: DetailLine[] = [{key: 'describe', text: 'kubectl describe', tone: 'heading'}];
	for (const [index, line] of texts.entries()) {
		let tone: LineTone = 'plain';
		if (line.startsWith('Events:') && detail.events.state === 'unknown') {
			tone = reading ? 'dim' : 'warn';
		} else if (line.startsWith('  Warning ')) {
			tone = 'warn';
		}

		lines.push({key: `describe-${index}`, text: `  ${reading ? line.replace(`unknown (${readingEvents})`, readingEvents) : line}`, tone});
	}

	return lines;
}

/** kubectl's Events table without its Message column, each message on a line of its own under its row. */
function narrowEvents(events: readonly EventRow[], width: number): DetailLine[] {
	const rows = alignRows([['Type', 'Reason', 'Age', 'From'], ['----', '------', '----', '----'], ...events.map(row => [row.type, row.reason, row.age, row.from])]);
	const lines: DetailLine[] = rows.slice(0, 2).map((text, index) => ({key: `events-head-${index}`, text: `    ${text}`, tone: 'plain'}));
	for (const [index, row] of events.entries()) {
		const tone: LineTone = row.type === 'Warning' ? 'warn' : 'plain';
		lines.push({key: `event-${index}`, text: `    ${rows[index + 2]}`, tone});
		lines.push(...wrapLine({key: `event-${index}-message`, text: `      ${row.message}`, tone}, width));
	}

	return lines;
}

/** What svctop adds to kubectl's fields: a pending load balancer, the affinity timeout, DNS names. */
function extraLines(detail: ServiceDetail): DetailLine[] {
	const {service} = detail;
	const pairs: Array<[string, string]> = [];
	if (service.loadBalancerPending) {
		pairs.push(['LoadBalancer', `<pending> (Service created ${service.age} ago)`]);
	}

	if (service.sessionAffinityTimeoutSeconds !== null) {
		pairs.push(['ClientIP timeout', `${service.sessionAffinityTimeoutSeconds}s`]);
	}

	for (const [index, name] of detail.dnsNames.entries()) {
		pairs.push([index === 0 ? 'DNS' : '', name]);
	}

	return [{key: 'extra', text: 'Not in kubectl describe', tone: 'heading'}, ...fieldLines('extra', pairs)];
}

function topologySectionLines(detail: ServiceDetail): DetailLine[] {
	return detailTopologyLines(detail).map((text, index) => ({
		key: `topology-${index}`,
		text,
		tone: index === 0 ? 'heading' : 'plain',
	}));
}

function endpointLines(detail: ServiceDetail): DetailLine[] {
	const slices = detail.slices.map(slice => `${slice.name}${slice.managedBy ? ` by ${slice.managedBy}` : ''}`).join(', ');
	const lines: DetailLine[] = [
		{
			key: 'endpoints',
			text: detail.endpoints === null
				? `Endpoints by node: unknown (${detail.unknown.find(entry => entry.resource === 'endpointslices')?.reason ?? 'not read'})`
				: `Endpoints by node: ${detail.endpoints.ready}/${detail.endpoints.total} ready${slices ? `  (slices: ${slices})` : ''}`,
			tone: 'heading',
		},
	];
	if (detail.nodes.length === 0 && detail.endpoints !== null) {
		lines.push({key: 'endpoints-none', text: '  <none>', tone: 'warn'});
	}

	for (const group of detail.nodes) {
		const groupKey = `node-${group.node ?? '<none>'}`;
		lines.push({
			key: groupKey,
			text:
				group.node === null
					? '  no node (addresses without a nodeName)'
					: `  ${[group.node, nodeIPText(detail, group.nodeIP), nodeZoneText(detail, group.zone)].filter(Boolean).join('  ')}`,
			tone: 'plain',
		});
		const texts = alignRows(
			group.endpoints.map(endpoint => [endpoint.pod ?? '-', endpoint.addresses.join(','), endpointPorts(endpoint), endpointState(endpoint)]),
		);
		for (const [index, endpoint] of group.endpoints.entries()) {
			lines.push({key: `${groupKey}-${index}`, text: `    ${texts[index]}`, tone: endpointTone(endpoint)});
		}
	}

	if (detail.nodesWithoutEndpoints === null && detail.endpoints !== null) {
		lines.push({key: 'idle-nodes', text: `Nodes without endpoints: ${unknownText(detail, 'nodes')}`, tone: 'warn'});
	} else if (detail.nodesWithoutEndpoints && detail.nodesWithoutEndpoints.length > 0) {
		lines.push({key: 'idle-nodes', text: 'Nodes without endpoints', tone: 'heading'});
		const texts = alignRows(
			detail.nodesWithoutEndpoints.map(node => [node.node, nodeIPText(detail, node.nodeIP), nodeZoneText(detail, node.zone)]),
		);
		for (const [index, text] of texts.entries()) {
			lines.push({key: `idle-node-${index}`, text: `  ${text}`.trimEnd(), tone: 'plain'});
		}
	}

	for (const [index, note] of detail.trafficNotes.entries()) {
		lines.push({key: `traffic-note-${index}`, text: `  ! ${note}`, tone: 'warn'});
	}

	return lines;
}

function podLines(detail: ServiceDetail): DetailLine[] {
	if (!detail.service.selector) {
		return [];
	}

	if (!detail.podsFetched) {
		const reason = detail.unknown.find(entry => entry.resource === 'pods')?.reason;
		return reason === undefined || reason === readingPods
			? [{key: 'pods', text: 'Pods matching the selector: fetching…', tone: 'dim'}]
			: [{key: 'pods', text: `Pods matching the selector: ${unknownText(detail, 'pods')}`, tone: 'warn'}];
	}

	const unready = detail.unreadyPods;
	const heading = `Pods matching the selector: ${detail.matchingPods ?? 0}; not ready endpoints: ${
		unready === null ? unknownText(detail, 'endpointslices') : (unready.length === 0 ? 'none' : unready.length)
	}`;
	const lines: DetailLine[] = [{key: 'pods', text: heading, tone: unready === null ? 'warn' : 'heading'}];
	const texts = alignRows((unready ?? []).map(pod => [pod.pod, pod.node ?? '<no node>', pod.reason]));
	for (const [index, text] of texts.entries()) {
		lines.push({key: `pod-${index}`, text: `  ${text}`, tone: 'bad'});
	}

	return lines;
}

function externalNameLines(detail: ServiceDetail): DetailLine[] {
	if (!detail.externalName) {
		return [];
	}

	const {target, resolution} = detail.externalName;
	let text: string;
	let tone: LineTone = 'plain';
	if (!resolution) {
		text = `  ${target}: resolving…`;
		tone = 'dim';
	} else if (resolution.error === undefined) {
		text = `  ${[resolution.name, ...resolution.chain].join(' -> ')} -> ${resolution.addresses.join(', ')}`;
	} else {
		text = `  ${[resolution.name, ...resolution.chain].join(' -> ')}: ${resolution.error}`;
		tone = 'bad';
	}

	return [
		{key: 'resolution', text: `Resolved ${resolution?.resolver ? `in ${resolution.resolver}` : 'on this machine'}`, tone: 'heading'},
		{key: 'resolution-result', text, tone},
	];
}

/**
 * `line` broken at spaces into lines of at most `width` columns, continuation lines indented under
 * the text after the line's marker. A word longer than the width is left to be cut by the screen.
 */
export function wrapLine(line: DetailLine, width: number): DetailLine[] {
	const indent = ' '.repeat(/^\s*(?:! )?/.exec(line.text)![0].length);
	return wrapWords(line.text, width, indent).map((text, index, all) => (all.length === 1 ? line : {...line, key: `${line.key}~${index}`, text}));
}

/**
 * The detail view's content as lines: a title, the findings first (what is wrong, at a glance),
 * then what kubectl describe prints (Events included) and what it leaves out, the endpoints grouped
 * by node, topology, the pods that are not endpoints and, for an
 * ExternalName, the live resolution. Findings and notes are wrapped to `width`.
 */
export function detailLines(detail: ServiceDetail, width: number): DetailLine[] {
	const {service} = detail;
	const lines: DetailLine[] = [
		{
			key: 'title',
			text: `${service.namespace}/${service.name}  ${service.type}  age ${service.age}${
				service.type === 'ExternalName' ? '' : `  endpoints ${detail.endpoints === null ? '?/? (unknown)' : `${detail.endpoints.ready}/${detail.endpoints.total} ready`}`
			}`,
			tone: 'heading',
		},
	];
	// As describe's "Not checked": "none" must not read as "all is well" when part of the data was never seen.
	const notChecked = detail.unknown.map(entry => `${entry.resource} (${entry.reason})`).join(', ');
	if (detail.findings.length === 0) {
		lines.push(notChecked
			? {key: 'findings', text: `Findings: none from what could be read; not checked: ${notChecked}`, tone: 'warn'}
			: {key: 'findings', text: 'Findings: none', tone: 'good'});
	} else {
		lines.push({key: 'findings', text: 'Findings', tone: 'heading'});
		for (const finding of detail.findings) {
			lines.push({key: `finding-${finding.code}`, text: `  ! ${finding.message} [${finding.code}]`, tone: 'warn'});
		}

		if (notChecked) {
			lines.push({key: 'findings-not-checked', text: `  ! not checked: ${notChecked}`, tone: 'warn'});
		}
	}

	lines.push(...kubectlLines(detail, width), ...extraLines(detail));
	if (service.type !== 'ExternalName') {
		lines.push(...endpointLines(detail), ...topologySectionLines(detail));
	}

	lines.push(...podLines(detail), ...externalNameLines(detail));
	// Findings and traffic notes are the point of the view: they wrap instead of being cut (event rows keep their columns).
	return uniqueKeys(lines.flatMap(line => (line.tone === 'warn' && !line.key.startsWith('describe-') && !line.key.startsWith('event-') ? wrapLine(line, width) : [line])));
}

/**
 * Each key once: two findings of one code (or any other repeat) would otherwise share a key, and
 * React then draws two rows at one place when the view scrolls.
 */
function uniqueKeys(lines: readonly DetailLine[]): DetailLine[] {
	const seen = new Map<string, number>();
	return lines.map(line => {
		const count = seen.get(line.key) ?? 0;
		seen.set(line.key, count + 1);
		return count === 0 ? line : {...line, key: `${line.key}#${count}`};
	});
}
