import {useEffect, useMemo, useState} from 'react';
import {crossCheckNat} from '../../core/nat/cross-check.js';
import {decodeNatDump} from '../../core/nat/decode.js';
import {refuseCutShort} from '../../core/nat/cut-short.js';
import {missingKubeProxyRules} from '../../core/nat/no-rules.js';
import type {NatFlowTable} from '../../core/nat/types.js';
import type {ClusterSnapshot} from '../../kube/types.js';
import type {NatDump} from '../../node/nat/read-dump.js';

/** Reads the rule dump the NAT view shows: the node's own tools, a file, another node's command, the demo. */
export type NatDumpLoader = () => Promise<NatDump>;

export type NatTableState = {
	/** Decoded and checked against the snapshot; undefined until the first load finishes. */
	readonly table: NatFlowTable | undefined;
	/** Where the dump came from, e.g. `iptables-save` or a file name. */
	readonly origin: string | undefined;
	/** One line, when reading the dump failed. */
	readonly error: string | undefined;
	readonly loading: boolean;
	/** Epoch ms of the last finished load. */
	readonly loadedAt: number | undefined;
};

/** The decoded dump, or the one line saying it holds no kube-proxy rules (never an empty table). */
function decodedState(dump: Extract<NatDump, {ok: true}>, loadedAt: number): {table?: NatFlowTable; origin?: string; error?: string; loadedAt: number} {
	const cutShort = refuseCutShort(dump.text, dump.source);
	if (cutShort) {
		return {error: cutShort, origin: dump.source, loadedAt};
	}

	const table = decodeNatDump(dump.text, dump.mode);
	const missing = missingKubeProxyRules(dump.text, table, dump.source);
	if (missing) {
		return {error: `${missing}${dump.tried ? ` (tried ${dump.tried.join('; ')})` : ''}`, origin: dump.source, loadedAt};
	}

	return {table, origin: dump.source, loadedAt};
}

/**
 * Loads and decodes the dump once per `generation` (the view bumps it on `r`): rules are read on
 * demand, not on a timer, because iptables-save on a large node is expensive. The cross-check with
 * the API follows the snapshot, which changes at most a few times a second.
 */
export function useNatTable(
	load: NatDumpLoader,
	snapshot: ClusterSnapshot,
	generation: number,
	clock: () => number,
): NatTableState {
	const [decoded, setDecoded] = useState<{table?: NatFlowTable; origin?: string; error?: string; loadedAt?: number}>({});
	const [loading, setLoading] = useState(true);

	useEffect(() => {
		let cancelled = false;
		setLoading(true);
		load()
			.then(dump => {
				if (cancelled) {
					return;
				}

				setDecoded(dump.ok ? decodedState(dump, clock()) : {error: dump.error, loadedAt: clock()});
			})
			.catch((error: unknown) => {
				if (!cancelled) {
					setDecoded({error: error instanceof Error ? error.message.split('\n')[0] : String(error), loadedAt: clock()});
				}
			})
			.finally(() => {
				if (!cancelled) {
					setLoading(false);
				}
			});
		return () => {
			cancelled = true;
		};
	}, [load, generation, clock]);

	const checked = useMemo(() => {
		if (!decoded.table) {
			return undefined;
		}

		// Without a synced Service list the cross-check would call every rule stale.
		if (snapshot.states.services.phase !== 'synced') {
			return decoded.table;
		}

		return crossCheckNat(decoded.table, {services: snapshot.services, endpointSlices: snapshot.endpointSlices, namespace: snapshot.namespace});
	}, [decoded.table, snapshot]);

	return {table: checked, origin: decoded.origin, error: decoded.error, loading, loadedAt: decoded.loadedAt};
}
