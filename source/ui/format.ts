import type {ConnectionState, WatchedResource} from '../kube/types.js';

/** How long ago `then` was, as the status line says it: `just now`, `4s ago`, `3m ago`, `2h ago`, `5d ago`. */
export function formatAgo(then: number, now: number): string {
	const seconds = Math.max(0, Math.floor((now - then) / 1000));
	if (seconds < 1) {
		return 'just now';
	}

	if (seconds < 120) {
		return `${seconds}s ago`;
	}

	const minutes = Math.floor(seconds / 60);
	if (minutes < 120) {
		return `${minutes}m ago`;
	}

	const hours = Math.floor(minutes / 60);
	return hours < 48 ? `${hours}h ago` : `${Math.floor(hours / 24)}d ago`;
}

const resourceLabels: Readonly<Record<WatchedResource, string>> = {
	services: 'services',
	endpointslices: 'endpointslices',
	nodes: 'nodes',
};

/** `services synced`, `nodes forbidden: nodes is forbidden: ...` */
export function formatConnection(resource: WatchedResource, state: ConnectionState): string {
	const label = `${resourceLabels[resource]} ${state.phase}`;
	return state.message && state.phase !== 'synced' ? `${label}: ${state.message}` : label;
}
