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
		})),
	};
}
