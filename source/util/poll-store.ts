import {errorLine} from './error-line.js';
import {SnapshotStore} from './snapshot-store.js';

export type PollSnapshot<T> = {
	readonly version: number;
	/** The last value fetched; undefined until the first answer. */
	readonly value: T | undefined;
	/** The last fetch's error as one line; cleared by the next answer. */
	readonly error: string | undefined;
};

/**
 * A value fetched on demand through the cluster source (a Service's pods or events, never cached
 * cluster-wide) as a store: on `refresh()`, which supersedes a fetch in flight (its answer is
 * ignored), and on a timer whose tick is dropped while a fetch is in flight. A failed fetch keeps
 * the last value beside its error.
 */
export class PollStore<T> extends SnapshotStore<PollSnapshot<T>> {
	private value: T | undefined;
	private error: string | undefined;
	private generation = 0;
	private inFlight = false;
	private timer: NodeJS.Timeout | undefined;
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
		this.inFlight = true;
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
				});
			},
		);
	}

	/** Fetches every `intervalMs` from now, a tick dropped while a fetch is in flight. */
	startTimer(): void {
		clearInterval(this.timer);
		this.timer = setInterval(() => {
			if (!this.inFlight) {
				this.refresh();
			}
		}, this.intervalMs);
	}

	close(): void {
		this.closed = true;
		clearInterval(this.timer);
	}

	protected build(version: number): PollSnapshot<T> {
		return {version, value: this.value, error: this.error};
	}

	private settle(generation: number, apply: () => void): void {
		if (generation !== this.generation || this.closed) {
			return;
		}

		this.inFlight = false;
		apply();
		this.changed();
	}
}
