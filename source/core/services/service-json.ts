import type {V1Service} from '@kubernetes/client-node';
import {compareRows, type ServiceRow} from './service-row.js';

/** One Service in `svctop list --json`; the strings are the wide-mode column values. */
export type ServiceJson = {
	namespace: string;
	name: string;
	type: string;
	clusterIP: string;
	externalIP: string;
	ports: string;
	selector: string;
	age: string;
	endpoints: {ready: number; total: number} | null;
	warnings: string[];
	/** What could not be checked and why; the warnings drawn from it are not claimed absent. */
	unknown: Array<{what: string; reason: string}>;
};

export type ServiceListJson = {
	context: string;
	services: ServiceJson[];
};

/** The document `svctop list --json` prints, sorted by namespace then name. */
export function serviceListJson(context: string, rows: readonly ServiceRow[]): ServiceListJson {
	return {
		context,
		services: [...rows].sort(compareRows).map(row => ({
			namespace: row.namespace,
			name: row.name,
			type: row.type,
			clusterIP: row.clusterIP,
			externalIP: row.externalIP,
			ports: row.ports,
			selector: row.selector,
			age: row.age,
			endpoints: row.endpoints === null ? null : {ready: row.endpoints.ready, total: row.endpoints.total},
			warnings: [...row.warnings],
			unknown: row.unknown.map(item => ({what: item.what, reason: item.reason})),
		})),
	};
}

/** What `kubectl get svc -o json|yaml` prints: a v1 List; its items are the API objects. */
export type KubectlServiceList = {
	apiVersion: 'v1';
	items: Array<Record<string, unknown>>;
	kind: 'List';
	metadata: {resourceVersion: ''};
};

/**
 * The Services as kubectl prints them with `-o json` or `-o yaml`: each object as the API returned it,
 * with its kind and apiVersion (a list's items come without them) and without `managedFields`
 * (kubectl's `--show-managed-fields=false`), in the order given.
 */
export function kubectlServiceList(services: readonly V1Service[]): KubectlServiceList {
	return {
		apiVersion: 'v1',
		items: services.map(service => {
			const {managedFields: _, ...metadata} = service.metadata ?? {};
			return {...service, apiVersion: 'v1', kind: 'Service', metadata};
		}),
		kind: 'List',
		metadata: {resourceVersion: ''},
	};
}

/** JSON as kubectl writes it (Go's encoder): keys sorted, four-space indent, `<`, `>` and `&` escaped. */
export function kubectlJson(value: unknown): string {
	return JSON.stringify(sortKeys(value), null, 4).replace(/[<>&\u2028\u2029]/g, c => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`) + '\n';
}

function sortKeys(value: unknown): unknown {
	if (Array.isArray(value)) {
		return value.map(item => sortKeys(item));
	}

	if (value !== null && typeof value === 'object') {
		return Object.fromEntries(Object.keys(value).sort().map(key => [key, sortKeys((value as Record<string, unknown>)[key])]));
	}

	return value;
}
