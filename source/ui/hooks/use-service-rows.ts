import {useMemo} from 'react';
import {type ServiceRow, serviceRows} from '../../core/services/service-row.js';
import type {ClusterSnapshot} from '../../kube/types.js';
import {unknownReason} from '../../kube/connection-state.js';

/**
 * The snapshot's Services as rows, recomputed only when the snapshot's version moves or `now` does
 * (the caller ticks `now` slowly, just to keep AGE current).
 */
export function useServiceRows(snapshot: ClusterSnapshot, now: number): readonly ServiceRow[] {
	// Until the slices are listed (or when they may not be), counts are unknown: `?/?`, never 0/0.
	const slicesUnknown = unknownReason(snapshot.states.endpointslices);
	const {version, services, endpointSlices} = snapshot;
	return useMemo(
		() => serviceRows(services, endpointSlices, now, {slicesUnknown}),
		// Equal versions mean equal content, so the version stands for the arrays.
		[version, snapshot.namespace, now, slicesUnknown],
	);
}
