import type {ResourceInfo} from './resources.js';
import {humanDuration} from '../../core/services/human-duration.js';

/**
 * Server-side printing (meta.k8s.io/v1 Table) so `kubectl get` without `-o` prints columns. The cells
 * are a plain approximation of kube-apiserver's printers; svctop's own rows come from source/core.
 */

type Json = Record<string, any>;

type Column = {name: string; type: string; format: string; description: string; priority: number};

export function wantsTable(accept: string | undefined): boolean {
	if (accept === undefined) {
		return false;
	}

	const first = accept.split(',')[0];
	return first.includes('as=Table') && first.includes('g=meta.k8s.io');
}

function column(name: string, priority = 0, type = 'string', format = ''): Column {
	return {name, type, format, description: name, priority};
}


function age(object: Json): string {
	const timestamp = object.metadata?.creationTimestamp;
	return typeof timestamp === 'string' ? humanDuration(Date.now() - Date.parse(timestamp)) : '<unknown>';
}

function orNone(values: readonly string[]): string {
	return values.length === 0 ? '<none>' : values.join(',');
}

function serviceCells(service: Json): unknown[] {
	const spec = service.spec ?? {};
	const type = spec.type ?? 'ClusterIP';
	const clusterIp = type === 'ExternalName' ? '<none>' : (spec.clusterIPs?.[0] ?? spec.clusterIP ?? '<none>');
	// kubectl's printer collects load-balancer addresses in a set: unique and sorted. Other types show only spec.externalIPs.
	const ingress = type === 'LoadBalancer'
		? [...new Set(((service.status?.loadBalancer?.ingress ?? []) as Json[]).map(entry => (entry.ip || entry.hostname) as string).filter(Boolean))].sort()
		: [];
	const external = type === 'ExternalName' ? [spec.externalName] : [...ingress, ...(spec.externalIPs ?? [])];
	const externalText = external.length > 0 ? external.join(',') : type === 'LoadBalancer' ? '<pending>' : '<none>';
	const ports = ((spec.ports ?? []) as Json[]).map(port => (port.nodePort ? `${port.port}:${port.nodePort}/${port.protocol ?? 'TCP'}` : `${port.port}/${port.protocol ?? 'TCP'}`));
	const selector = Object.entries((spec.selector ?? {}) as Record<string, string>)
		.sort(([a], [b]) => (a < b ? -1 : 1))
		.map(([key, value]) => `${key}=${value}`);
	return [service.metadata.name, type, clusterIp, externalText, orNone(ports), age(service), orNone(selector)];
}

function sliceCells(slice: Json): unknown[] {
	const ports = ((slice.ports ?? []) as Json[]).map(port => String(port.port ?? ''));
	const addresses = ((slice.endpoints ?? []) as Json[]).flatMap(endpoint => endpoint.addresses ?? []);
	const shown = addresses.length > 3 ? `${addresses.slice(0, 3).join(',')} + ${addresses.length - 3} more...` : orNone(addresses);
	return [slice.metadata.name, slice.addressType, ports.length === 0 ? '<unset>' : ports.join(','), shown, age(slice)];
}

function nodeCells(node: Json): unknown[] {
	const ready = ((node.status?.conditions ?? []) as Json[]).find(condition => condition.type === 'Ready');
	const status = ready?.status === 'True' ? 'Ready' : ready === undefined ? 'Unknown' : 'NotReady';
	const roles = Object.keys(node.metadata.labels ?? {})
		.filter(label => label.startsWith('node-role.kubernetes.io/'))
		.map(label => label.slice('node-role.kubernetes.io/'.length));
	const addresses = (node.status?.addresses ?? []) as Json[];
	const internal = addresses.find(address => address.type === 'InternalIP')?.address ?? '<none>';
	const external = addresses.find(address => address.type === 'ExternalIP')?.address ?? '<none>';
	return [node.metadata.name, status, orNone(roles), age(node), node.status?.nodeInfo?.kubeletVersion ?? '', internal, external];
}

function podCells(pod: Json): unknown[] {
	const statuses = (pod.status?.containerStatuses ?? []) as Json[];
	const containers = (pod.spec?.containers ?? []) as Json[];
	const ready = statuses.filter(status => status.ready).length;
	const restarts = statuses.reduce((sum, status) => sum + (status.restartCount ?? 0), 0);
	return [pod.metadata.name, `${ready}/${containers.length}`, pod.status?.phase ?? 'Unknown', restarts, age(pod), pod.status?.podIP ?? '<none>', pod.spec?.nodeName ?? '<none>'];
}

function endpointsCells(endpoints: Json): unknown[] {
	const addresses: string[] = [];
	for (const subset of (endpoints.subsets ?? []) as Json[]) {
		for (const address of (subset.addresses ?? []) as Json[]) {
			for (const port of (subset.ports ?? [{}]) as Json[]) {
				addresses.push(port.port === undefined ? address.ip : `${address.ip}:${port.port}`);
			}
		}
	}

	const shown = addresses.length > 3 ? `${addresses.slice(0, 3).join(',')} + ${addresses.length - 3} more...` : orNone(addresses);
	return [endpoints.metadata.name, shown, age(endpoints)];
}

function eventCells(event: Json): unknown[] {
	const last = event.lastTimestamp ?? event.series?.lastObservedTime ?? event.eventTime ?? event.firstTimestamp;
	const seen = typeof last === 'string' ? humanDuration(Date.now() - Date.parse(last)) : '<unknown>';
	const object = event.involvedObject ?? {};
	return [seen, event.type ?? '', event.reason ?? '', `${String(object.kind ?? '').toLowerCase()}/${object.name ?? ''}`, event.message ?? ''];
}

const layouts: Record<string, {columns: Column[]; cells: (object: Json) => unknown[]}> = {
	services: {
		columns: [column('Name', 0, 'string', 'name'), column('Type'), column('Cluster-IP'), column('External-IP'), column('Port(s)'), column('Age'), column('Selector', 1)],
		cells: serviceCells,
	},
	endpointslices: {
		columns: [column('Name', 0, 'string', 'name'), column('AddressType'), column('Ports'), column('Endpoints'), column('Age')],
		cells: sliceCells,
	},
	nodes: {
		columns: [column('Name', 0, 'string', 'name'), column('Status'), column('Roles'), column('Age'), column('Version'), column('Internal-IP', 1), column('External-IP', 1)],
		cells: nodeCells,
	},
	pods: {
		columns: [column('Name', 0, 'string', 'name'), column('Ready'), column('Status'), column('Restarts', 0, 'string'), column('Age'), column('IP', 1), column('Node', 1)],
		cells: podCells,
	},
	endpoints: {
		columns: [column('Name', 0, 'string', 'name'), column('Endpoints'), column('Age')],
		cells: endpointsCells,
	},
	events: {
		columns: [column('Last Seen'), column('Type'), column('Reason'), column('Object'), column('Message')],
		cells: eventCells,
	},
	namespaces: {
		columns: [column('Name', 0, 'string', 'name'), column('Status'), column('Age')],
		cells: namespace => [namespace.metadata.name, namespace.status?.phase ?? 'Active', age(namespace)],
	},
};

/** A meta.k8s.io/v1 Table for a page of objects, rows carrying PartialObjectMetadata like the real server. */
export function renderTable(resource: ResourceInfo, objects: readonly Json[], resourceVersion: string, continueToken: string | undefined, includeObject: boolean): object {
	const layout = layouts[resource.name];
	const metadata: Json = {resourceVersion};
	if (continueToken !== undefined) {
		metadata.continue = continueToken;
	}

	return {
		kind: 'Table',
		apiVersion: 'meta.k8s.io/v1',
		metadata,
		columnDefinitions: layout.columns,
		rows: objects.map(object => {
			const row: Json = {cells: layout.cells(object)};
			if (includeObject) {
				row.object = {kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata};
			}

			return row;
		}),
	};
}
