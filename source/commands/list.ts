import type {ClusterSnapshot, ClusterSource} from '../kube/types.js';
import {unknownReason} from '../kube/connection-state.js';
import {serviceRows} from '../core/services/service-row.js';
import {dumpYaml} from '@kubernetes/client-node';
import {kubectlJson, kubectlServiceList, serviceListJson} from '../core/services/service-json.js';
import {formatServiceTable} from '../core/services/service-table.js';

export type ListOptions = {
	/** `-o wide`: full EXTERNAL-IP and SELECTOR. */
	readonly wide: boolean;
	/** `--json`: the document of issue 2 instead of the table. */
	readonly json: boolean;
	/** `-o json|yaml|name`: what kubectl get svc prints. */
	readonly kubectlFormat?: 'json' | 'yaml' | 'name';
	/** `-A`: show the NAMESPACE column (also shown whenever the source watches all namespaces). */
	readonly allNamespaces: boolean;
};

/** One line saying why the Service list is unusable, or undefined when it can be printed. */
export function servicesProblem(snapshot: ClusterSnapshot): string | undefined {
	const reason = unknownReason(snapshot.states.services);
	return reason === undefined ? undefined : `error: ${reason}`;
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
	const snapshot = source.snapshot();
	const problem = servicesProblem(snapshot);
	if (problem) {
		err.write(problem + '\n');
		return 1;
	}

	if (options.kubectlFormat === 'json' || options.kubectlFormat === 'yaml') {
		// kubectl prints the empty List too, and nothing on stderr.
		const list = kubectlServiceList(snapshot.services);
		out.write(options.kubectlFormat === 'json' ? kubectlJson(list) : dumpYaml(list, {sortKeys: true, lineWidth: -1}));
		return 0;
	}

	const slicesUnknown = unknownReason(snapshot.states.endpointslices);
	const slicesKnown = slicesUnknown === undefined;
	if (!slicesKnown) {
		err.write(`warning: endpoints unknown: ${slicesUnknown}\n`);
	}

	const rows = serviceRows(snapshot.services, snapshot.endpointSlices, now, {slicesKnown});
	if (options.json) {
		out.write(JSON.stringify(serviceListJson(snapshot.context, rows), null, 2) + '\n');
		return 0;
	}

	const allNamespaces = options.allNamespaces || snapshot.namespace === undefined;
	if (rows.length === 0) {
		err.write(allNamespaces ? 'No resources found\n' : `No resources found in ${snapshot.namespace} namespace.\n`);
		return 0;
	}

	if (options.kubectlFormat === 'name') {
		out.write(rows.map(row => `service/${row.name}\n`).join(''));
		return 0;
	}

	out.write(formatServiceTable(rows, {wide: options.wide, allNamespaces}));
	return 0;
}
