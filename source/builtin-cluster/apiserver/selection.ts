import {type FieldSelector, matchesFields, parseFieldSelector} from './field-selector.js';
import {type LabelSelector, matchesLabels, parseLabelSelector} from './label-selector.js';
import type {ResourceInfo} from './resources.js';
import type {StoredObject} from './store.js';

/** Which objects a list or watch asks for: a namespace (or all) and label and field selectors. */
export type Selection = {
	readonly namespace: string | undefined;
	readonly labels: LabelSelector;
	readonly fields: FieldSelector;
};

export function matchesSelection(selection: Selection, object: StoredObject): boolean {
	return (selection.namespace === undefined || object.namespace === selection.namespace) && matchesLabels(selection.labels, object.labels) && matchesFields(selection.fields, object);
}

export function selectsEverything(selection: Selection): boolean {
	return selection.namespace === undefined && selection.labels.length === 0 && selection.fields.length === 0;
}

/**
 * The selection of a list or watch request, or the Bad Request message. A watch on a named path (the
 * legacy form) is a watch with a `metadata.name` field selector.
 */
export function parseSelection(query: URLSearchParams, resource: ResourceInfo, namespace: string | undefined, name: string | undefined): {ok: true; value: Selection} | {ok: false; error: string} {
	const labels = parseLabelSelector(query.get('labelSelector') ?? '');
	if (!labels.ok) {
		return labels;
	}

	const fieldParts = [query.get('fieldSelector') || undefined, name === undefined ? undefined : `metadata.name=${name}`].filter(part => part !== undefined);
	const fields = parseFieldSelector(fieldParts.join(','), resource);
	if (!fields.ok) {
		return fields;
	}

	return {ok: true, value: {namespace, labels: labels.value, fields: fields.value}};
}
