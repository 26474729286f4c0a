import type {ClusterSnapshot, ConnectionState} from './types.js';

/**
 * Why a resource's objects cannot be taken as the truth, or undefined when they can (synced, or
 * listed once and now stale, which the status line says). Nothing listed is unknown, never empty.
 */
export function unknownReason(state: ConnectionState): string | undefined {
	switch (state.phase) {
		case 'synced': {
			return undefined;
		}

		case 'connecting': {
			return state.message ?? 'no answer from the API server yet';
		}

		case 'forbidden': {
			return state.message ?? 'forbidden';
		}

		case 'retrying': {
			return state.staleSince === undefined ? (state.message ?? 'could not be listed') : undefined;
		}
	}
}

/** The watched resources a Service's detail rests on that cannot be taken as the truth, with why. */
export function unknownResources(states: ClusterSnapshot['states']): Array<{resource: 'endpointslices' | 'nodes'; reason: string}> {
	const unknown: Array<{resource: 'endpointslices' | 'nodes'; reason: string}> = [];
	for (const resource of ['endpointslices', 'nodes'] as const) {
		const reason = unknownReason(states[resource]);
		if (reason !== undefined) {
			unknown.push({resource, reason});
		}
	}

	return unknown;
}

/** Whether the resource was never listed: not synced and holding nothing stale from an earlier sync. */
export function neverListed(state: ConnectionState): boolean {
	return state.phase !== 'synced' && state.staleSince === undefined;
}
