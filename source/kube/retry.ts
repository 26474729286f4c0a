import {isTransient, KubeError} from './errors.js';

export type RetryOptions = {
	/** Attempts in all. Default 3. */
	readonly attempts?: number;
	/** The first wait; it doubles after each failure. Default 1 s. */
	readonly initialMs?: number;
	/** Give up rather than wait past this much time in all. Default 10 s. */
	readonly budgetMs?: number;
	/** Waits `ms`. Default a real timer; tests may pass a fake. */
	readonly sleep?: (ms: number) => Promise<void>;
	/** Aborted (the source stopped): no further attempt; the request's own failure is thrown. */
	readonly signal?: AbortSignal;
};

const realSleep = async (ms: number): Promise<void> => new Promise(resolve => {
	setTimeout(resolve, ms);
});

/**
 * Runs a one-shot request, retrying what may pass (5xx, 429 with its Retry-After, a reset or
 * refused connection, a garbled answer) a few times with doubling, jittered waits, within a budget.
 * Anything else, or the last failure, is thrown as it is.
 */
export async function retryTransient<T>(request: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
	const attempts = options.attempts ?? 3;
	const sleep = options.sleep ?? realSleep;
	let waited = 0;
	let step = options.initialMs ?? 1000;
	for (let attempt = 1; ; attempt++) {
		try {
			return await request();
		} catch (error) {
			const retryAfterMs = error instanceof KubeError && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0;
			const wait = Math.max(Math.round(step * (0.8 + 0.4 * Math.random())), retryAfterMs);
			if (attempt >= attempts || options.signal?.aborted || !isTransient(error) || waited + wait > (options.budgetMs ?? 10_000)) {
				throw error;
			}

			await sleep(wait);
			waited += wait;
			step *= 2;
		}
	}
}
