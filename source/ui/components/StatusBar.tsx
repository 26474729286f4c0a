import {Box, Text} from 'ink';
import type {ClusterSnapshot, ConnectionState, WatchedResource} from '../../kube/types.js';
import {neverListed} from '../../kube/connection-state.js';
import {formatAgo, formatConnection} from '../format.js';
import {type Clock, useNow} from '../hooks/use-now.js';

export type StatusBarProps = {
	readonly snapshot: ClusterSnapshot;
	readonly clock: Clock;
	/** How often the "updated … ago" text is refreshed. Default: 1000 ms. */
	readonly tickMs?: number;
};

const resources: readonly WatchedResource[] = ['services', 'endpointslices', 'nodes'];

/** Red when the data is missing; yellow when it is on its way or stale. */
function colorOf(state: ConnectionState): string {
	switch (state.phase) {
		case 'synced': {
			return 'green';
		}

		case 'connecting': {
			return 'yellow';
		}

		case 'retrying': {
			return state.staleSince === undefined ? 'red' : 'yellow';
		}

		case 'forbidden': {
			return 'red';
		}
	}
}

/**
 * Two lines: context, namespace and the age of the last change; then the state of each informer.
 * It keeps its own one-second clock so only these two lines re-render as time passes.
 */
export default function StatusBar({snapshot, clock, tickMs = 1000}: StatusBarProps) {
	const now = useNow(clock, tickMs);
	// Nodes or slices listing says nothing about Services: with none ever loaded, claim no update.
	const updated = snapshot.lastUpdate === undefined
		? 'not listed yet'
		: neverListed(snapshot.states.services) ? 'services never listed' : `updated ${formatAgo(snapshot.lastUpdate, now)}`;
	return (
		<Box flexDirection="column" flexShrink={0}>
			<Text wrap="truncate">
				<Text bold>svctop</Text>
				{`  context ${snapshot.context}  namespace ${snapshot.namespace ?? 'all'}  ${updated}`}
			</Text>
			<Text wrap="truncate">
				{resources.map((resource, index) => (
					<Text key={resource} color={colorOf(snapshot.states[resource])}>
						{index > 0 ? '  ' : ''}
						{formatConnection(resource, snapshot.states[resource], now)}
					</Text>
				))}
			</Text>
		</Box>
	);
}
