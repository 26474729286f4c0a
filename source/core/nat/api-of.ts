import type {NatApiObjects} from './cross-check.js';
import type {NatApiLists} from './types.js';

type ListState = {readonly phase: string; readonly message?: string};

/** The part of a cluster snapshot the rules are checked against. */
type NatApiSnapshot = NatApiLists & {
	readonly namespace: string | undefined;
	readonly states: {readonly services: ListState; readonly endpointslices: ListState};
};

/**
 * What the rules can be checked against in `snapshot` (taken when they were read): nothing without listed Services (every
 * rule would look stale), no endpoints without listed EndpointSlices (every endpoint would); `unchecked` says why.
 */
export function natApiOf(snapshot: NatApiSnapshot): {readonly api: NatApiObjects | undefined; readonly unchecked: string | undefined} {
	const {services, endpointslices} = snapshot.states;
	if (services.phase !== 'synced') {
		return {api: undefined, unchecked: `not checked against the API: its Services were not listed when the rules were read (${services.message ?? services.phase})`};
	}

	const endpointSlicesListed = endpointslices.phase === 'synced';
	return {
		api: {services: snapshot.services, endpointSlices: snapshot.endpointSlices, namespace: snapshot.namespace, endpointSlicesListed},
		unchecked: endpointSlicesListed ? undefined : `endpoints not checked against the API: its EndpointSlices were not listed when the rules were read (${endpointslices.message ?? endpointslices.phase})`,
	};
}
