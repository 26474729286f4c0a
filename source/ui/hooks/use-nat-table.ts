import {useMemo} from 'react';
import {natApiChanged} from '../../core/nat/api-changed.js';
import {natApiOf} from '../../core/nat/api-of.js';
import {crossCheckNat} from '../../core/nat/cross-check.js';
import {filterNatServices} from '../../core/nat/render.js';
import {type NoRulesVerdict, whyNoRules} from '../../core/nat/why-no-rules.js';
import type {NatFlowTable} from '../../core/nat/types.js';
import type {ClusterSnapshot} from '../../kube/types.js';
import type {NatSourceSnapshot, NatSourceStore} from '../../node/nat/nat-source.js';
import {useStore} from './use-store.js';

export type NatTableState = Omit<NatSourceSnapshot, 'table' | 'cluster'> & {
	/**
	 * Decoded and checked against the API as it was when the rules were read, cut to `serviceKey` when
	 * one is given; undefined until the first read finishes.
	 */
	readonly table: NatFlowTable | undefined;
	/** Why the rules were not (fully) checked against the API, e.g. the Services were not listed; undefined when they were. */
	readonly unchecked: string | undefined;
	/** Why `serviceKey` has no flow in the table (as expected for ExternalName and headless); undefined when it has one. */
	readonly noRules: NoRulesVerdict | undefined;
	/** The API (of `serviceKey`, or all of it) changed since the rules were read: the findings are of then. */
	readonly apiChanged: boolean;
};

/**
 * The NAT source's table checked against the cluster snapshot kept with it (the API when the
 * rules were read): checking an old dump against the live API would call every later change a
 * problem. The source reads only on demand (the view's `r`); a later change of the API is one flag.
 */
export function useNatTable(nat: NatSourceStore, snapshot: ClusterSnapshot, serviceKey?: string): NatTableState {
	const {table: decoded, cluster, ...read} = useStore(nat);
	// A source opened without a cluster keeps no snapshot: the live one is all there is.
	const then = cluster ?? snapshot;
	const {table, unchecked, noRules} = useMemo(() => {
		if (!decoded) {
			return {table: undefined, unchecked: undefined, noRules: undefined};
		}

		const {api, unchecked} = natApiOf(then);
		const checked = api ? crossCheckNat(decoded, api) : decoded;
		const table = serviceKey === undefined ? checked : filterNatServices(checked, serviceKey);
		// The verdict reads the whole table: which address families the dump holds.
		const ruleless = serviceKey !== undefined && table.services.length === 0;
		return {table, unchecked, noRules: ruleless ? whyNoRules(serviceKey, checked, api, unchecked) : undefined};
	}, [decoded, then, serviceKey]);
	const apiChanged = useMemo(() => decoded !== undefined && cluster !== undefined && natApiChanged(cluster, snapshot, serviceKey), [decoded, cluster, snapshot, serviceKey]);
	return {...read, table, unchecked, noRules, apiChanged};
}
