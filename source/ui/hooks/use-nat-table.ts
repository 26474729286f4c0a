import {useEffect, useMemo, useState} from 'react';
import {crossCheckNat} from '../../core/nat/cross-check.js';
import {refuseCutShort} from '../../core/nat/cut-short.js';
import type {NatFlowTable} from '../../core/nat/types.js';
import type {ClusterSnapshot} from '../../kube/types.js';
import {NatDecoder} from '../../node/nat/nat-decoder.js';
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
	/** While a large dump decodes: how much of it is done, e.g. `decoding 40% of 24 MB`. */
	readonly progress: string | undefined;
};

type Decoded = {table?: NatFlowTable; origin?: string; error?: string; loadedAt?: number};

/** The decoded dump (off this thread when large), or the one line saying it holds no kube-proxy rules (never an empty table). */
async function decodedState(decoder: NatDecoder, dump: Extract<NatDump, {ok: true}>, clock: () => number, onProgress: (done: number, total: number) => void): Promise<Decoded | undefined> {
	const cutShort = refuseCutShort(dump.text, dump.source);
	if (cutShort) {
		return {error: cutShort, origin: dump.source, loadedAt: clock()};
	}

	const result = await decoder.decode(dump, onProgress);
	if (result === 'superseded') {
		return undefined;
	}

	if (result.missing) {
		return {error: `${result.missing}${dump.tried ? ` (tried ${dump.tried.join('; ')})` : ''}`, origin: dump.source, loadedAt: clock()};
	}

	return {table: result.table, origin: dump.source, loadedAt: clock()};
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
	const [decoded, setDecoded] = useState<Decoded>({});
	const [loading, setLoading] = useState(true);
	const [progress, setProgress] = useState<string | undefined>(undefined);
	// One decoder per view: one decode at a time, a newer one superseding an older one.
	const decoder = useMemo(() => new NatDecoder(), []);
	useEffect(() => () => {
		decoder.close();
	}, [decoder]);

	useEffect(() => {
		let cancelled = false;
		setLoading(true);
		setProgress(undefined);
		const onProgress = (done: number, total: number) => {
			if (!cancelled) {
				setProgress(`decoding ${Math.floor((100 * done) / total)}% of ${(total / 1024 / 1024).toFixed(0)} MB`);
			}
		};

		load()
			.then(async dump => {
				const next = cancelled ? undefined : (dump.ok ? await decodedState(decoder, dump, clock, onProgress) : {error: dump.error, loadedAt: clock()});
				if (next && !cancelled) {
					setDecoded(next);
				}
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
	}, [load, generation, clock, decoder]);

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

	return {table: checked, origin: decoded.origin, error: decoded.error, loading, loadedAt: decoded.loadedAt, progress: loading ? progress : undefined};
}
