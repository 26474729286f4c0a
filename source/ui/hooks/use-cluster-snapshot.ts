import {useEffect, useState} from 'react';
import type {ClusterSnapshot, ClusterSource} from '../../kube/types.js';

/** Five frames a second at most: fast enough to feel live, slow enough that bursts cost little. */
export const defaultRefreshMs = 200;

/**
 * The source's snapshot, refreshed on a timer. Change notifications only mark the snapshot dirty;
 * each tick takes one snapshot if dirty and updates React state only when its version moved, so a
 * burst of watch events costs at most one render per tick.
 */
export function useClusterSnapshot(source: ClusterSource, refreshMs: number = defaultRefreshMs): ClusterSnapshot {
	const [snapshot, setSnapshot] = useState(() => source.snapshot());

	useEffect(() => {
		let dirty = true;
		const unsubscribe = source.subscribe(() => {
			dirty = true;
		});
		const timer = setInterval(() => {
			if (!dirty) {
				return;
			}

			dirty = false;
			const next = source.snapshot();
			setSnapshot(previous => (previous.version === next.version && previous.namespace === next.namespace ? previous : next));
		}, refreshMs);
		return () => {
			clearInterval(timer);
			unsubscribe();
		};
	}, [source, refreshMs]);

	return snapshot;
}
