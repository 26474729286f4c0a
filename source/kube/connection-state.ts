import type {ConnectionState} from './types.js';

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
