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
	/**
	 * Rounds in flight at most. A tick that finds this many still out waits for the first to end
	 * (one tick is owed at most; further ticks are skipped, not queued). Closed loop: workers.
	 */
	readonly concurrency: number;
	readonly signal?: AbortSignal;
	readonly timers?: Timers;
};

export type ScheduleResult = {
	readonly launched: number;
	/** Ticks dropped because `concurrency` rounds were still in flight (and one tick was owed already). */
	readonly skipped: number;
};

/**
 * Runs `launch(round)` on a fixed-rate schedule with at most `concurrency` rounds in flight: a tick
 * that finds them all out launches when the first one ends (a round that outlasts the interval
 * delays the next, it does not pile up), further ticks meanwhile are skipped. Resolves when
 * `count` rounds have finished, or when aborted and the rounds in flight have settled.
 */
export async function runSchedule(options: ScheduleOptions, launch: (round: number) => Promise<void>): Promise<ScheduleResult> {
	return runScheduleWithCallbacks(options, (round, roundDone) => {
		launch(round).then(roundDone, roundDone);
	});
}

/**
 * The same schedule for rounds that report their end by calling `roundDone` (exactly once): no
 * promise per round, which is what a closed loop of thousands of probes a second wants.
 */
export function runScheduleWithCallbacks(options: ScheduleOptions, launch: (round: number, roundDone: () => void) => void): Promise<ScheduleResult> {
	const concurrency = Math.max(1, Math.floor(options.concurrency));
	const limit = options.count ?? Number.POSITIVE_INFINITY;
	if (options.signal?.aborted || limit <= 0) {
		return Promise.resolve({launched: 0, skipped: 0});
	}

	return options.intervalMs <= 0
		? runClosedLoop(limit, concurrency, options.signal, launch)
		: runFixedRate(options, limit, concurrency, launch);
}

/** Interval 0: `concurrency` workers, each launching its next round as soon as the last one ends. */
function runClosedLoop(limit: number, concurrency: number, signal: AbortSignal | undefined, launch: (round: number, roundDone: () => void) => void): Promise<ScheduleResult> {
	return new Promise(resolve => {
		let launched = 0;
		let workers = concurrency;
		const worker = () => {
			// A round that ends while it is being launched loops here instead of recursing.
			let launching = false;
			let endedWhileLaunching = false;
			const next = () => {
				if (launching) {
					endedWhileLaunching = true;
					return;
				}

				do {
					endedWhileLaunching = false;
					if (launched >= limit || signal?.aborted) {
						if (--workers === 0) {
							resolve({launched, skipped: 0});
						}

						return;
					}

					const round = launched++;
					launching = true;
					launch(round, next);
					launching = false;
				} while (endedWhileLaunching);
			};

			next();
		};

		for (let i = 0; i < concurrency; i++) {
			worker();
		}
	});
}

/** A tick every `intervalMs` (fixed rate, not fixed delay), at most `concurrency` rounds out, one tick owed at most. */
function runFixedRate(options: ScheduleOptions, limit: number, concurrency: number, launch: (round: number, roundDone: () => void) => void): Promise<ScheduleResult> {
	const timers = options.timers ?? realTimers;
	const {signal, intervalMs} = options;
	return new Promise(resolve => {
		let launched = 0;
		let skipped = 0;
		let inFlight = 0;
		let handle: unknown;
		let stopped = false;
		// A tick came while `concurrency` rounds were out: launch when one ends.
		let owed = false;
		const start = timers.now();
		let tick = 0;
		const finishWhenIdle = () => {
			if (stopped && inFlight === 0) {
				signal?.removeEventListener('abort', stop);
				resolve({launched, skipped});
			}
		};

		const stop = () => {
			stopped = true;
			owed = false;
			timers.clearTimeout(handle);
			finishWhenIdle();
		};

		const launchOne = () => {
			const round = launched++;
			inFlight++;
			if (launched >= limit) {
				stop();
			}

			let ended = false;
			launch(round, () => {
				if (ended) {
					return;
				}

				ended = true;
				inFlight--;
				// A round ended by the abort itself (before this schedule hears of it) launches no other.
				if (owed && !stopped && !signal?.aborted) {
					owed = false;
					launchOne();
				}

				finishWhenIdle();
			});
		};

		const fire = () => {
			if (inFlight < concurrency) {
				launchOne();
			} else if (owed) {
				skipped++;
			} else {
				owed = true;
			}

			if (!stopped) {
				handle = timers.setTimeout(fire, nextTickDelay());
			}
		};

		// Far behind (a stalled event loop): skip the missed ticks instead of bursting them.
		const nextTickDelay = () => {
			tick++;
			let due = start + tick * intervalMs;
			const now = timers.now();
			if (now - due > intervalMs) {
				tick = Math.floor((now - start) / intervalMs) + 1;
				due = start + tick * intervalMs;
			}

			return Math.max(0, due - now);
		};

		signal?.addEventListener('abort', stop, {once: true});
		fire();
	});
}
