import {readFileSync} from 'node:fs';
import {judgeConntrackBudget, type ConntrackTableFill} from '../../core/probe/conntrack-budget.js';

/** Holds a probe loop while this node's conntrack table is nearly full of its entries (see judgeConntrackBudget). */
export type ConntrackTableGuard = {
	/** Counts one probe sent: an entry in the table for the entries' lifetime. */
	noteProbe(): void;
	readonly held: boolean;
	/** Why the loop is held; undefined when it is not. */
	readonly reason: string | undefined;
	/** Runs `go` now when the loop is not held; else once the hold ends, or `cancel` when `signal` aborts or the guard closes first. */
	whenClear(go: () => void, cancel: () => void, signal?: AbortSignal): void;
	/** Reads the table now (also done every `everyMs`). */
	check(): void;
	/** Calls `listener` when the loop is held (with why, also when the figures move) and when it goes on (undefined). */
	subscribe(listener: (reason: string | undefined) => void): () => void;
	close(): void;
};

export type ConntrackTableGuardOptions = {
	readonly protocol: 'tcp' | 'udp';
	/** The table's fill; default: this network namespace's, from /proc. Undefined: not readable. */
	readonly read?: () => ConntrackTableFill | undefined;
	/** How long a probe's entry stays; default: the kernel's TIME_WAIT (TCP) or UDP timeout. */
	readonly lifetimeS?: number;
	/** How often the table is read. */
	readonly everyMs?: number;
};

const netfilter = '/proc/sys/net/netfilter';

function readNumber(name: string): number | undefined {
	try {
		const value = Number(readFileSync(`${netfilter}/${name}`, 'latin1').trim());
		return Number.isFinite(value) ? value : undefined;
	} catch {
		return undefined;
	}
}

/** This network namespace's conntrack table, or undefined without conntrack (module not loaded, not Linux). */
export function readConntrackTable(): ConntrackTableFill | undefined {
	const count = readNumber('nf_conntrack_count');
	const max = readNumber('nf_conntrack_max');
	return count === undefined || max === undefined ? undefined : {count, max};
}

/**
 * Starts the guard for a probe loop, or returns undefined when the table cannot be read here (nothing
 * to protect). Two file reads every `everyMs`, nothing per probe but a counter.
 */
export function startConntrackTableGuard(options: ConntrackTableGuardOptions): ConntrackTableGuard | undefined {
	const read = options.read ?? readConntrackTable;
	if (read() === undefined) {
		return undefined;
	}

	const lifetimeS = options.lifetimeS
		?? (options.protocol === 'tcp' ? readNumber('nf_conntrack_tcp_timeout_time_wait') : readNumber('nf_conntrack_udp_timeout'))
		?? (options.protocol === 'tcp' ? 120 : 30);
	const everyMs = options.everyMs ?? 500;
	// Probes per period over the entries' lifetime: their sum is how many of the table's entries are ours.
	const periods: number[] = [];
	const keptPeriods = Math.max(1, Math.ceil((lifetimeS * 1000) / everyMs));
	let current = 0;
	let own = 0;
	let held = false;
	let reason: string | undefined;
	const listeners = new Set<(reason: string | undefined) => void>();
	let waiting: Array<{go: () => void; cancel: () => void; signal?: AbortSignal; onAbort: () => void}> = [];

	const release = (run: 'go' | 'cancel') => {
		const released = waiting;
		waiting = [];
		for (const entry of released) {
			entry.signal?.removeEventListener('abort', entry.onAbort);
			entry[run]();
		}
	};

	const guard: ConntrackTableGuard = {
		noteProbe() {
			current++;
			own++;
		},
		get held() {
			return held;
		},
		get reason() {
			return reason;
		},
		whenClear(go, cancel, signal) {
			if (signal?.aborted) {
				cancel();
			} else if (held) {
				const entry = {go, cancel, signal, onAbort() {
					waiting = waiting.filter(other => other !== entry);
					cancel();
				}};
				waiting.push(entry);
				signal?.addEventListener('abort', entry.onAbort, {once: true});
			} else {
				go();
			}
		},
		check() {
			periods.push(current);
			current = 0;
			if (periods.length > keptPeriods) {
				own -= periods.shift()!;
			}

			const budget = judgeConntrackBudget(read(), own, lifetimeS, held);
			const changed = budget.held !== held || budget.reason !== reason;
			held = budget.held;
			reason = budget.reason;
			if (changed) {
				for (const listener of listeners) {
					listener(reason);
				}
			}

			if (!held) {
				release('go');
			}
		},
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		close() {
			clearInterval(timer);
			release('cancel');
		},
	};
	const timer = setInterval(() => guard.check(), everyMs);
	// The probes keep the process alive, not the guard.
	timer.unref();
	return guard;
}
