import type {ParseResult} from './label-selector.js';
import type {ResourceInfo} from './resources.js';
import type {StoredObject} from './store.js';

export type FieldRequirement = {
	readonly field: string;
	readonly negated: boolean;
	readonly value: string;
};

export type FieldSelector = readonly FieldRequirement[];

/** Fields kube-apiserver lets each resource select on, beyond metadata.name and metadata.namespace. */
const extraFields: Partial<Record<string, readonly string[]>> = {
	pods: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
	nodes: ['spec.unschedulable'],
	namespaces: ['status.phase'],
	services: ['spec.clusterIP', 'spec.type'],
	// kube-apiserver's event fields: kubectl describe finds an object's events through involvedObject.*.
	events: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
};

/** Event fields read from more than one place: `source` is the component, else the reporting controller, as on the real server. */
const eventFieldPaths: Readonly<Record<string, readonly string[]>> = {
	source: ['source.component', 'reportingComponent'],
};

/** Parses `metadata.name=x,metadata.namespace!=y`; unsupported fields are a 400 as on the real server. */
export function parseFieldSelector(input: string, resource: ResourceInfo): ParseResult<FieldSelector> {
	const requirements: FieldRequirement[] = [];
	if (input.trim() === '') {
		return {ok: true, value: requirements};
	}

	for (const part of input.split(',')) {
		const match = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
		if (match === null) {
			return {ok: false, error: `invalid selector: '${input}'; can't understand '${part}'`};
		}

		const [, field, operator, value] = match;
		const allowed = field === 'metadata.name' || (field === 'metadata.namespace' && resource.namespaced) || (extraFields[resource.name]?.includes(field) ?? false);
		if (!allowed) {
			return {ok: false, error: `field label not supported: ${field}`};
		}

		requirements.push({field, negated: operator === '!=', value});
	}

	return {ok: true, value: requirements};
}

function fieldValue(object: StoredObject, field: string, parsed: () => Record<string, any>): string {
	if (field === 'metadata.name') {
		return object.name;
	}

	if (field === 'metadata.namespace') {
		return object.namespace;
	}

	for (const path of eventFieldPaths[field] ?? [field]) {
		let value: unknown = parsed();
		for (const part of path.split('.')) {
			value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
		}

		if (value !== undefined && value !== null && value !== '') {
			return String(value);
		}
	}

	return '';
}

export function matchesFields(selector: FieldSelector, object: StoredObject): boolean {
	if (selector.length === 0) {
		return true;
	}

	let cache: Record<string, any> | undefined;
	const parsed = (): Record<string, any> => (cache ??= JSON.parse(object.itemJson) as Record<string, any>);
	return selector.every(requirement => (fieldValue(object, requirement.field, parsed) === requirement.value) !== requirement.negated);
}
