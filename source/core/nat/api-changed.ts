import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import type {NatApiLists} from './types.js';

/**
 * Whether the Services or EndpointSlices (of `serviceKey`, `namespace/name`, if given) differ between the API when the
 * rules were read (`then`, the findings' ground) and now: after a change the findings may be out of date.
 */
export function natApiChanged(then: NatApiLists, now: NatApiLists, serviceKey?: string): boolean {
	const serviceOf = (object: V1Service) => `${object.metadata?.namespace}/${object.metadata?.name}`;
	const sliceOf = (object: V1EndpointSlice) => `${object.metadata?.namespace}/${object.metadata?.labels?.['kubernetes.io/service-name']}`;
	return differ(then.services, now.services, serviceKey === undefined ? undefined : object => serviceOf(object) === serviceKey)
		|| differ(then.endpointSlices, now.endpointSlices, serviceKey === undefined ? undefined : object => sliceOf(object) === serviceKey);
}

type ApiObject = V1Service | V1EndpointSlice;

function differ<T extends ApiObject>(then: readonly T[], now: readonly T[], wanted: ((object: T) => boolean) | undefined): boolean {
	if (then === now) {
		return false;
	}

	const before = wanted ? then.filter(wanted) : then;
	const after = wanted ? now.filter(wanted) : now;
	// The lists are kept in namespace/name order: a change shows at the same index.
	return before.length !== after.length || before.some((object, index) => !same(object, after[index]!));
}

/** The same object, or one with the same uid and resourceVersion (a relist gives new copies of unchanged objects). */
function same(a: ApiObject, b: ApiObject): boolean {
	const version = a.metadata?.resourceVersion;
	return a === b || (version !== undefined && version === b.metadata?.resourceVersion && a.metadata?.uid === b.metadata?.uid && a.metadata?.name === b.metadata?.name && a.metadata?.namespace === b.metadata?.namespace);
}
