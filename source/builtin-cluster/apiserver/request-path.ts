import {type ResourceInfo, resourceAt} from './resources.js';

/** What a path under /api/VERSION or /apis/GROUP/VERSION names. */
export type ResourcePath = {
	readonly resource: ResourceInfo;
	readonly namespace: string | undefined;
	readonly name: string | undefined;
	/** The old `/watch/` path prefix, which asks for a watch without `?watch=true`. */
	readonly legacyWatch: boolean;
};

/** A boolean query parameter as kube-apiserver reads it. */
export function queryFlag(query: URLSearchParams, name: string): boolean {
	const value = query.get(name);
	return value === 'true' || value === '1';
}

/** `/api/v1/...` or `/apis/group/version/...` below discovery: a resource request. */
export function isResourcePath(segments: readonly string[]): boolean {
	return (segments[0] === 'api' && segments.length >= 3) || (segments[0] === 'apis' && segments.length >= 4);
}

/**
 * The resource a path names, `unknown` when it names none (kube-apiserver's 404 Status), `not-api`
 * when it is not below /api or /apis at all (its plain-text 404). Subresources other than status are unknown.
 */
export function parseResourcePath(segments: readonly string[]): ResourcePath | 'unknown' | 'not-api' {
	if (!isResourcePath(segments)) {
		return 'not-api';
	}

	const [group, version, afterVersion] = segments[0] === 'api' ? ['', segments[1]!, 2] : [segments[1]!, segments[2]!, 3];
	let rest = segments.slice(afterVersion);
	const legacyWatch = rest[0] === 'watch';
	if (legacyWatch) {
		rest = rest.slice(1);
	}

	const namespaced = rest[0] === 'namespaces' && rest.length >= 3;
	const [namespace, plural, name, subresource, extra] = namespaced ? [rest[1], rest[2], rest[3], rest[4], rest[5]] : [undefined, rest[0], rest[1], rest[2], rest[3]];
	if (extra !== undefined || (subresource !== undefined && subresource !== 'status')) {
		return 'unknown';
	}

	const resource = plural === undefined ? undefined : resourceAt(group, version, plural);
	if (resource === undefined || (namespace !== undefined && !resource.namespaced) || (namespace === undefined && name !== undefined && resource.namespaced)) {
		return 'unknown';
	}

	return {resource, namespace, name, legacyWatch};
}
