import type {V1Service} from '@kubernetes/client-node';
import type {ClusterSnapshot, ClusterSource} from '../kube/types.js';
import {unknownReason} from '../kube/connection-state.js';
import {serviceRows} from '../core/services/service-row.js';
import {kubectlJson, kubectlServiceList, serviceListJson} from '../core/services/service-json.js';
import {formatServiceTable} from '../core/services/service-table.js';
import {kubectlYaml} from '../core/services/kubectl-yaml.js';

export type ListOptions = {
	/** `-o wide`: full EXTERNAL-IP and SELECTOR. */
	readonly wide: boolean;
	/** `--json`: the document of issue 2 instead of the table. */
	readonly json: boolean;
	/** `-o json|yaml|name`: what kubectl get svc prints. */
	readonly kubectlFormat?: 'json' | 'yaml' | 'name';
	/** `-A`: show the NAMESPACE column (also shown whenever the source watches all namespaces). */
	readonly allNamespaces: boolean;
	/** `list NAME...`: only these Services, in this order, as `kubectl get svc NAME...`. */
	readonly names?: readonly string[];
};

/** A namespace with nothing to list (one that does not exist lists nothing, as kubectl shows it). */
export function emptySnapshot(context: string, namespace: string, now: number): ClusterSnapshot {
	const synced = {phase: 'synced', since: now} as const;
	return {version: 0, context, namespace, services: [], endpointSlices: [], nodes: [], states: {services: synced, endpointslices: synced, nodes: synced}, lastUpdate: now};
}

/** The Services named, in the order named; the names not found. */
function pickNamed(services: readonly V1Service[], names: readonly string[]): {found: V1Service[]; missing: string[]} {
	const found: V1Service[] = [];
	const missing: string[] = [];
	for (const name of names) {
		const service = services.find(candidate => candidate.metadata?.name === name);
		if (service) {
			found.push(service);
		} else {
			missing.push(name);
		}
	}

	return {found, missing};
}

/** One line saying why the Service list is unusable, or undefined when it can be printed. */
export function servicesProblem(snapshot: ClusterSnapshot): string | undefined {
	const state = snapshot.states.services;
	if (state.phase === 'forbidden') {
		// kubectl's own words around the API's message.
		return `Error from server (Forbidden): ${state.message ?? 'services is forbidden'}`;
	}

	const reason = unknownReason(state);
	return reason === undefined ? undefined : `svctop: ${reason}`;
}

/**
 * `svctop list`: waits for the first complete list, then prints the table (or JSON) once. Returns the
 * exit code. Problems and kubectl's "No resources found" go to `err`, as kubectl writes them to stderr.
 */
export async function runList(
	source: ClusterSource,
	options: ListOptions,
	out: NodeJS.WritableStream,
	now: number,
	err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
	await source.ready();
	return printList(source.snapshot(), options, out, now, err);
}

/** Prints one snapshot's Services as `svctop list` does; returns the exit code. */
export function printList(snapshot: ClusterSnapshot, options: ListOptions, out: NodeJS.WritableStream, now: number, err: NodeJS.WritableStream): number {
	const problem = servicesProblem(snapshot);
	if (problem) {
		err.write(problem + '\n');
		return 1;
	}

	const {found: services, missing} = options.names ? pickNamed(snapshot.services, options.names) : {found: snapshot.services, missing: []};
	printServices({...snapshot, services}, options, out, now, err);
	// kubectl prints what it found, then one line per name it did not, and exits 1.
	for (const name of missing) {
		err.write(`Error from server (NotFound): services "${name}" not found\n`);
	}

	return missing.length > 0 ? 1 : 0;
}

function printServices(snapshot: ClusterSnapshot, options: ListOptions, out: NodeJS.WritableStream, now: number, err: NodeJS.WritableStream): void {
	const named = options.names !== undefined;
	if (options.kubectlFormat === 'json' || options.kubectlFormat === 'yaml') {
		// kubectl prints the empty List too, and nothing on stderr; one name asked for prints that object alone.
		const list = kubectlServiceList(snapshot.services);
		if (named && list.items.length === 0) {
			return;
		}

		const document = named && options.names!.length === 1 ? list.items[0] : list;
		out.write(options.kubectlFormat === 'json' ? kubectlJson(document) : kubectlYaml(document));
		return;
	}

	const slicesUnknown = unknownReason(snapshot.states.endpointslices);
	if (slicesUnknown !== undefined) {
		err.write(`warning: endpoints unknown: ${slicesUnknown}\n`);
	}

	const sorted = serviceRows(snapshot.services, snapshot.endpointSlices, now, {slicesUnknown});
	const rows = named ? snapshot.services.map(service => sorted.find(row => row.name === service.metadata?.name)!) : sorted;
	if (options.json) {
		out.write(JSON.stringify(serviceListJson(snapshot.context, rows), null, 2) + '\n');
		return;
	}

	if (options.kubectlFormat === 'name') {
		// Nothing at all when empty, as kubectl -o name.
		out.write(rows.map(row => `service/${row.name}\n`).join(''));
		return;
	}

	const allNamespaces = options.allNamespaces || snapshot.namespace === undefined;
	if (rows.length === 0) {
		if (!named) {
			err.write(allNamespaces ? 'No resources found\n' : `No resources found in ${snapshot.namespace} namespace.\n`);
		}

		return;
	}

	out.write(formatServiceTable(rows, {wide: options.wide, allNamespaces}));
}
