import {useCallback, useSyncExternalStore} from 'react';
import type {Store} from '../../util/snapshot-store.js';

/** Five frames a second at most: fast enough to feel live, slow enough that bursts cost little. */
export const defaultRefreshMs = 200;

/**
 * A store's snapshot, the one way views read the data layer (cluster, probe session, NAT source).
 * With `refreshMs`, change notifications only mark the store dirty and a timer passes them on at
 * most once per tick, so a burst of watch events costs at most one render per tick; without it,
 * each change (a command's effect) renders at once. A snapshot is the same object until its
 * version moves, so a notification without a new version renders nothing.
 */
export function useStore<S>(store: Store<S>, refreshMs?: number): S {
	const subscribe = useCallback(
		(onChange: () => void) => {
			if (refreshMs === undefined) {
				return store.subscribe(onChange);
			}

			let dirty = false;
			const unsubscribe = store.subscribe(() => {
				dirty = true;
			});
			const timer = setInterval(() => {
				if (dirty) {
					dirty = false;
					onChange();
				}
			}, refreshMs);
			return () => {
				clearInterval(timer);
				unsubscribe();
			};
		},
		[store, refreshMs],
	);
	return useSyncExternalStore(subscribe, () => store.snapshot());
}
