import {errorLine} from './error-line.js';
import {SnapshotStore} from './snapshot-store.js';

export type PollSnapshot<T> = {
	readonly version: number;
	/** The last value fetched; undefined until the first answer. */
	readonly value: T | undefined;
	/** The last fetch's error as one line, with ` (asking again…)` while the next fetch is out; cleared by the next answer. */
	readonly error: string | undefined;
};

/** The longest wait between fetches after failures, as client-go's informers back off (unless the interval is longer). */
export const maxPollBackoffMs = 30_000;

/**
 * The wait before the next fetch after `failures` failures in a row (the last one `error`): the
 * interval, doubled per failure up to `maxPollBackoffMs`, jittered by ±20% so that many dashboards do
 * not retry in step, and never shorter than the server's Retry-After (an error carrying
 * `retryAfterSeconds`, as the API's do).
 */
export function pollDelayMs(intervalMs: number, failures: number, error: unknown, random = Math.random): number {
	if (failures === 0) {
		return intervalMs;
	}

	const backoff = Math.min(Math.max(maxPollBackoffMs, intervalMs), intervalMs * (2 ** failures)) * (0.8 + (0.4 * random()));
	const retryAfter = (error as {retryAfterSeconds?: unknown} | undefined)?.retryAfterSeconds;
	return Math.round(Math.max(backoff, typeof retryAfter === 'number' ? retryAfter * 1000 : 0));
}

/**
 * A value fetched on demand through the cluster source (a Service's pods or events, never cached
 * cluster-wide) as a store: on `refresh()`, which supersedes a fetch in flight (its answer is
 * ignored), and on a timer: the next fetch is due an interval after the last answer, later after
 * failures (see pollDelayMs), so a failing API server is not asked at the same pace. A failed fetch
 * keeps the last value beside its error.
 */
export class PollStore<T> extends SnapshotStore<PollSnapshot<T>> {
	private value: T | undefined;
	private error: string | undefined;
	private generation = 0;
	private inFlight = false;
	private timer: NodeJS.Timeout | undefined;
	private timed = false;
	private failures = 0;
	private closed = false;

	constructor(private readonly fetch: () => Promise<T>, private readonly intervalMs: number) {
		super();
	}

	/** Fetches now; an answer still to come for an older fetch is ignored. */
	refresh(): void {
		if (this.closed) {
			return;
		}

		const generation = ++this.generation;
		const wasInFlight = this.inFlight;
		this.inFlight = true;
		// The last failure stays shown until the answer, but not as if nobody were asking any more.
		if (this.error !== undefined && !wasInFlight) {
			this.changed();
		}

		this.fetch().then(
			value => {
				this.settle(generation, () => {
					this.value = value;
					this.error = undefined;
				});
			},
			(error: unknown) => {
				this.settle(generation, () => {
					this.error = errorLine(error);
				}, error);
			},
		);
	}

	/** Fetches `intervalMs` from now and after each answer (later after failures); a tick that finds a fetch in flight waits for its answer. */
	startTimer(): void {
		this.timed = true;
		this.schedule(this.intervalMs);
	}

	close(): void {
		this.closed = true;
		clearTimeout(this.timer);
	}

	protected build(version: number): PollSnapshot<T> {
		return {version, value: this.value, error: this.error === undefined || !this.inFlight ? this.error : `${this.error} (asking again…)`};
	}

	private settle(generation: number, apply: () => void, error?: unknown): void {
		if (generation !== this.generation || this.closed) {
			return;
		}

		this.inFlight = false;
		apply();
		this.failures = this.error === undefined ? 0 : this.failures + 1;
		this.schedule(pollDelayMs(this.intervalMs, this.failures, error));
		this.changed();
	}

	private schedule(ms: number): void {
		clearTimeout(this.timer);
		if (!this.timed || this.closed) {
			return;
		}

		this.timer = setTimeout(() => {
			this.timer = undefined;
			// A fetch the user asked for is out: its answer schedules the next.
			if (!this.inFlight) {
				this.refresh();
			}
		}, ms);
	}
}
