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
	return runScheduleWithCallbacks(options, (round, roundDone) => {
		launch(round).then(roundDone, roundDone);
	});
}

/**
 * The same schedule for rounds that report their end by calling `roundDone` (exactly once): no
 * promise per round, which is what a closed loop of thousands of probes a second wants.
 */
export function runScheduleWithCallbacks(options: ScheduleOptions, launch: (round: number, roundDone: () => void) => void): Promise<ScheduleResult> {
	const timers = options.timers ?? realTimers;
	const {signal} = options;
	const concurrency = Math.max(1, Math.floor(options.concurrency));
	const limit = options.count ?? Number.POSITIVE_INFINITY;
	let launched = 0;
	let skipped = 0;
	if (signal?.aborted || limit <= 0) {
		return Promise.resolve({launched, skipped});
	}

	if (options.intervalMs <= 0) {
		return new Promise(resolve => {
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
								resolve({launched, skipped});
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

	return new Promise(resolve => {
		let inFlight = 0;
		let handle: unknown;
		let stopped = false;
		const start = timers.now();
		let tick = 0;
		let rounds = 0;
		const finishWhenIdle = () => {
			if (stopped && inFlight === 0) {
				signal?.removeEventListener('abort', stop);
				resolve({launched, skipped});
			}
		};

		const roundDone = () => {
			inFlight--;
			finishWhenIdle();
		};

		const stop = () => {
			stopped = true;
			timers.clearTimeout(handle);
			finishWhenIdle();
		};

		const fire = () => {
			for (let i = 0; i < concurrency && rounds < limit; i++) {
				const round = rounds++;
				if (inFlight >= options.maxInFlight) {
					skipped++;
					continue;
				}

				launched++;
				inFlight++;
				let ended = false;
				launch(round, () => {
					if (!ended) {
						ended = true;
						roundDone();
					}
				});
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
