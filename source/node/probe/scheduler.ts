export type Timers = {
	now(): number;
	setTimeout(callback: () => void, ms: number): unknown;
	clearTimeout(handle: unknown): void;
};

export const realTimers: Timers = {
	now: () => performance.now(),
	setTimeout: (callback, ms) => setTimeout(callback, ms),
	clearTimeout: handle => clearTimeout(handle as NodeJS.Timeout),
};

export type ScheduleOptions = {
	/** Milliseconds between rounds; 0 runs back to back (closed loop, `concurrency` workers). */
	readonly intervalMs: number;
	/** Rounds to launch; undefined runs until aborted. */
	readonly count?: number;
	/** Rounds launched per tick (closed loop: workers). */
	readonly concurrency: number;
	/** Rounds allowed in flight at once; a tick that would exceed it is skipped, not queued. */
	readonly maxInFlight: number;
	readonly signal?: AbortSignal;
	readonly timers?: Timers;
};

export type ScheduleResult = {
	readonly launched: number;
	/** Rounds not launched because too many were still in flight. */
	readonly skipped: number;
};

/**
 * Runs `launch(round)` on a fixed-rate schedule. A round that hangs does not delay the next tick
 * (open loop): rounds overlap up to `maxInFlight`, so the rate holds while timeouts run. Resolves
 * when `count` rounds have finished, or when aborted and the rounds in flight have settled.
 */
export async function runSchedule(options: ScheduleOptions, launch: (round: number) => Promise<void>): Promise<ScheduleResult> {
	const timers = options.timers ?? realTimers;
	const {signal} = options;
	const concurrency = Math.max(1, Math.floor(options.concurrency));
	const limit = options.count ?? Number.POSITIVE_INFINITY;
	let launched = 0;
	let skipped = 0;
	if (signal?.aborted || limit <= 0) {
		return {launched, skipped};
	}

	if (options.intervalMs <= 0) {
		const worker = async () => {
			while (launched < limit && !signal?.aborted) {
				const round = launched++;
				// eslint-disable-next-line no-await-in-loop -- closed loop: one round after the other.
				await launch(round);
			}
		};

		await Promise.all(Array.from({length: concurrency}, worker));
		return {launched, skipped};
	}

	return new Promise(resolve => {
		const inFlight = new Set<Promise<void>>();
		let handle: unknown;
		let stopped = false;
		const start = timers.now();
		let tick = 0;
		let rounds = 0;
		const finishWhenIdle = () => {
			if (stopped && inFlight.size === 0) {
				signal?.removeEventListener('abort', stop);
				resolve({launched, skipped});
			}
		};

		const stop = () => {
			stopped = true;
			timers.clearTimeout(handle);
			finishWhenIdle();
		};

		const fire = () => {
			for (let i = 0; i < concurrency && rounds < limit; i++) {
				const round = rounds++;
				if (inFlight.size >= options.maxInFlight) {
					skipped++;
					continue;
				}

				launched++;
				const running = launch(round).catch(() => undefined).finally(() => {
					inFlight.delete(running);
					finishWhenIdle();
				});
				inFlight.add(running);
			}

			if (rounds >= limit) {
				stop();
				return;
			}

			tick++;
			let due = start + tick * options.intervalMs;
			const now = timers.now();
			if (now - due > options.intervalMs) {
				// Far behind (a stalled event loop): skip the missed ticks instead of bursting them.
				tick = Math.floor((now - start) / options.intervalMs) + 1;
				due = start + tick * options.intervalMs;
			}

			handle = timers.setTimeout(fire, Math.max(0, due - now));
		};

		signal?.addEventListener('abort', stop, {once: true});
		fire();
	});
}
