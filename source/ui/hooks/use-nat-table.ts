import {useMemo} from 'react';
import {crossCheckNat} from '../../core/nat/cross-check.js';
import type {NatFlowTable} from '../../core/nat/types.js';
import type {ClusterSnapshot} from '../../kube/types.js';
import type {NatSourceSnapshot, NatSourceStore} from '../../node/nat/nat-source.js';
import {useStore} from './use-store.js';

export type NatTableState = Omit<NatSourceSnapshot, 'table'> & {
	/** Decoded and checked against the cluster snapshot; undefined until the first read finishes. */
	readonly table: NatFlowTable | undefined;
};

/**
 * The NAT source's table checked against the API. The source reads and decodes on demand (the
 * view's `r`); the cross-check follows the cluster snapshot, which changes at most a few times a second.
 */
export function useNatTable(nat: NatSourceStore, snapshot: ClusterSnapshot): NatTableState {
	const read = useStore(nat);
	const table = useMemo(() => {
		if (!read.table) {
			return undefined;
		}

		// Without a synced Service list the cross-check would call every rule stale.
		if (snapshot.states.services.phase !== 'synced') {
			return read.table;
		}

		return crossCheckNat(read.table, {services: snapshot.services, endpointSlices: snapshot.endpointSlices, namespace: snapshot.namespace});
	}, [read.table, snapshot]);
	return {...read, table};
}
