import type {V1Pod, V1Service} from '@kubernetes/client-node';
import type {ClusterSource} from '../kube/types.js';
import {describeService, type NameResolution, type UnknownData} from '../core/detail/describe-service.js';
import {unknownResources} from '../kube/connection-state.js';
import {describeJson} from '../core/detail/describe-json.js';
import {describeText} from '../core/detail/describe-text.js';
import {serviceNameLabel} from '../core/services/service-row.js';
import {resolveName} from '../node/resolve-name.js';
import type {EventsInput} from '../core/detail/service-events.js';
import {servicesProblem} from './list.js';
import {describeKubeError} from '../kube/errors.js';

export type DescribeOptions = {
	/** `NAMESPACE/NAME`, or `NAME` in the source's namespace (`default` when watching all). */
	readonly target: string;
	readonly json: boolean;
	/** Default `cluster.local`. */
	readonly clusterDomain: string;
	/** Resolves an ExternalName target; default: this machine's resolver with a 3 s timeout. */
	readonly resolve?: (name: string) => Promise<NameResolution>;
};

/** Splits `ns/name` or `name`; undefined when the target is malformed. */
export function parseTarget(target: string, fallbackNamespace: string): {namespace: string; name: string} | undefined {
	const parts = target.replace(/^(services?|svc)\//, '').split('/');
	if (parts.length === 1 && parts[0]) {
		return {namespace: fallbackNamespace, name: parts[0]};
	}

	if (parts.length === 2 && parts[0] && parts[1]) {
		return {namespace: parts[0], name: parts[1]};
	}

	return undefined;
}

function firstLine(error: unknown): string {
	return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/** The Service's events; a failure (forbidden, timeout) makes them unknown with its reason, never none. */
export async function readEvents(source: ClusterSource, service: V1Service): Promise<EventsInput> {
	if (!source.listEvents) {
		return {ok: false, reason: 'this source does not read events'};
	}

	try {
		const items = await source.listEvents(service.metadata?.namespace ?? '', {kind: 'Service', name: service.metadata?.name ?? '', uid: service.metadata?.uid});
		return {ok: true, items};
	} catch (error) {
		return {ok: false, reason: firstLine(error)};
	}
}

/**
 * `svctop describe NAMESPACE/NAME [--json]`: the detail of one Service (endpoints by node, pods that
 * are not endpoints, findings) as text or JSON. Returns the exit code; problems go to `err` as one line.
 */
export async function runDescribe(
	source: ClusterSource,
	options: DescribeOptions,
	out: NodeJS.WritableStream,
	now: number,
	err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
	const initial = source.snapshot();
	const target = parseTarget(options.target, initial.namespace ?? 'default');
	if (!target) {
		err.write(`error: expected NAMESPACE/NAME or NAME, got "${options.target}"\n`);
		return 1;
	}

	// The cache only holds the namespace being watched; switch to the target's when it differs.
	if (initial.namespace !== undefined && initial.namespace !== target.namespace) {
		source.setNamespace(target.namespace);
	}

	await source.ready();
	const snapshot = source.snapshot();
	const problem = servicesProblem(snapshot);
	if (problem) {
		err.write(problem + '\n');
		return 1;
	}

	const service = snapshot.services.find(candidate =>
		candidate.metadata?.namespace === target.namespace && candidate.metadata?.name === target.name);
	if (!service) {
		err.write(`services "${target.name}" not found${target.namespace === 'default' ? '' : ` in namespace "${target.namespace}"`}\n`);
		return 1;
	}

	const slices = snapshot.endpointSlices.filter(slice =>
		slice.metadata?.namespace === target.namespace && slice.metadata?.labels?.[serviceNameLabel] === target.name);
	const selector = service.spec?.selector;
	// Data that could not be read is unknown, said on stderr and in --json, and no finding rests on it.
	const unknown: UnknownData[] = unknownResources(snapshot.states);
	let pods: V1Pod[] | undefined;
	if (selector && Object.keys(selector).length > 0) {
		try {
			pods = await source.listPods(target.namespace, selector);
		} catch (error) {
			unknown.push({resource: 'pods', reason: describeKubeError(error)});
		}
	}

	const events = await readEvents(source, service);
	for (const entry of unknown) {
		err.write(`warning: ${entry.resource === 'endpointslices' ? 'endpoints' : entry.resource} unknown: ${entry.reason}\n`);
	}

	let resolution: NameResolution | undefined;
	if (service.spec?.type === 'ExternalName' && service.spec.externalName) {
		resolution = await (options.resolve ?? (async (name: string) => resolveName(name)))(service.spec.externalName);
	}

	const detail = describeService({
		service,
		slices,
		nodes: snapshot.nodes,
		pods,
		clusterDomain: options.clusterDomain || 'cluster.local',
		now,
		resolution,
		events,
		unknown,
	});
	out.write(options.json ? JSON.stringify(describeJson(detail), null, 2) + '\n' : describeText(detail));
	return 0;
}
