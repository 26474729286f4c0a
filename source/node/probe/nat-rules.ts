import {decodeNatDump} from '../../core/nat/decode.js';
import type {NatFlowTable, NatMode} from '../../core/nat/types.js';
import {natSharesForTarget} from '../../core/probe/nat-expectation.js';
import type {SharesSource} from '../../core/probe/service-targets.js';

/** Reads kube-proxy's rules: the dump text (and its mode when known); undefined or a throw = none. */
export type NatRulesLoader = () => Promise<{readonly text: string | Uint8Array; readonly mode?: NatMode} | string | undefined>;

export type NatRules = {
	/** The last table read successfully (or undefined). */
	current(): NatFlowTable | undefined;
	/**
	 * Reads the rules again unless a read is running or the last one is younger than `minIntervalMs`
	 * (then once when it is due). Never rejects: a failed read keeps the previous table.
	 */
	refresh(): Promise<void>;
	close(): void;
};

export type NatRulesOptions = {
	/** Default 5000 ms: reading iptables-save on every watch event would cost more than it tells. */
	readonly minIntervalMs?: number;
	/** Called when a read produced a new table. */
	readonly onChange?: () => void;
	readonly now?: () => number;
};

/** A throttled, quiet cache of the node's decoded NAT table for the probe's expected shares. */
export function startNatRules(load: NatRulesLoader, options: NatRulesOptions = {}): NatRules {
	const minIntervalMs = options.minIntervalMs ?? 5000;
	const now = options.now ?? (() => performance.now());
	let table: NatFlowTable | undefined;
	let running: Promise<void> | undefined;
	let lastStart = Number.NEGATIVE_INFINITY;
	let timer: NodeJS.Timeout | undefined;
	let closed = false;

	const read = async () => {
		lastStart = now();
		try {
			const dump = await load();
			const text = typeof dump === 'string' ? dump : dump?.text;
			if (text !== undefined && !closed) {
				const decoded = decodeNatDump(text, typeof dump === 'object' ? dump.mode : undefined);
				// A dump without any Service flow (no kube-proxy here) says nothing.
				table = decoded.services.length > 0 ? decoded : undefined;
				options.onChange?.();
			}
		} catch {
			// Quietly keep what we had: the expectation falls back to 1/n of the ready endpoints.
		}
	};

	const refresh = async (): Promise<void> => {
		if (closed) {
			return;
		}

		if (running) {
			return running;
		}

		const wait = lastStart + minIntervalMs - now();
		if (wait > 0) {
			timer ??= setTimeout(() => {
				timer = undefined;
				void refresh();
			}, wait);
			timer.unref?.();
			return;
		}

		running = read().finally(() => {
			running = undefined;
		});
		return running;
	};

	return {
		current: () => table,
		refresh,
		close() {
			closed = true;
			clearTimeout(timer);
		},
	};
}

/** The shares source reading the cache's current table on every call (static `probabilities` win). */
export function natSharesFrom(rules: NatRules | undefined, dumpNode?: string, probabilities?: ReadonlyMap<string, number>): SharesSource | undefined {
	if (probabilities) {
		return probabilities;
	}

	if (!rules) {
		return undefined;
	}

	return (service, servicePort, target) => {
		const table = rules.current();
		return table ? natSharesForTarget(table, service, servicePort, target, dumpNode) : undefined;
	};
}
