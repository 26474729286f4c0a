/**
 * Whether a probe loop may go on filling this node's conntrack table. Every probe leaves an entry
 * that outlives it (TCP: TIME_WAIT, 120 s by default; UDP: 30 s), so a fast loop holds thousands:
 * at 5,000 probes a second, more than a node's usual 262,144 within a minute. When the table is
 * full the kernel evicts closing entries and, failing that, drops new connections of every
 * workload on the node. The loop is held while the table is nearly full and its own entries are a
 * large part of that, and goes on once the table has room again (hysteresis: no flapping).
 */

/** The table as /proc/sys/net/netfilter reads: entries now, the most it holds. */
export type ConntrackTableFill = {readonly count: number; readonly max: number};

/** Held from this share of the table on (when the probes' own entries matter: see `minOwnEntries`). */
export const holdAtShare = 0.75;

/** Resumed below this share. */
export const resumeBelowShare = 0.6;

/** Fewer of the probes' entries than this do not hold a loop: the table is full for other reasons, which probing at that pace does not change. */
export const minOwnEntries = 1000;

export type ConntrackBudget = {
	readonly held: boolean;
	/** Why the loop is held, for the screen and the CLI; undefined when it is not. */
	readonly reason?: string;
};

/**
 * The budget for the next probes. `own`: probes sent within the entries' lifetime (`lifetimeS`),
 * each still an entry; `held`: whether the loop is held now.
 */
export function judgeConntrackBudget(fill: ConntrackTableFill | undefined, own: number, lifetimeS: number, held: boolean): ConntrackBudget {
	// Unreadable (no conntrack here, another OS): nothing to protect, and nothing is claimed.
	if (fill === undefined || fill.max <= 0) {
		return {held: false};
	}

	const share = fill.count / fill.max;
	const hold = held ? share >= resumeBelowShare && own >= minOwnEntries : share >= holdAtShare && own >= minOwnEntries;
	if (!hold) {
		return {held: false};
	}

	const percent = (value: number) => `${Math.floor(value * 100)}%`;
	return {
		held: true,
		reason: `this node's conntrack table is ${percent(share)} full (${fill.count.toLocaleString('en-US')} of ${fill.max.toLocaleString('en-US')} entries), ${Math.min(own, fill.count).toLocaleString('en-US')} of them left by these probes within ${lifetimeS} s; probing resumes below ${percent(resumeBelowShare)}`,
	};
}
