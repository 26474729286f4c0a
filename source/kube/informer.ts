import {describeKubeError, isTransient, KubeError} from './errors.js';
import type {KubeHttp} from './http.js';
import type {ApiObject} from './store.js';
import type {ConnectionPhase} from './types.js';
import {abortableSleep} from '../util/abortable-sleep.js';

export type Backoff = {
	/** First retry delay. Default 1 s. */
	readonly initialMs: number;
	/** Cap on the delay. Default 30 s. */
	readonly maxMs: number;
	/** A watch that stayed up this long resets the delay to `initialMs`. Default 30 s. */
	readonly resetAfterMs: number;
};

export type InformerSink = {
	/** A complete list: replace everything held for this resource. */
	replace(items: readonly ApiObject[]): void;
	event(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: ApiObject): void;
	/** Where the informer stands; `retryInMs` is the wait before the next attempt. */
	state(phase: ConnectionPhase, message?: string, retryInMs?: number): void;
	/**
	 * Called once: after the first list succeeded, was refused (forbidden, bad credentials), or
	 * failed `settleAfterFailures` times in a row. One-shot commands print what they have then.
	 */
	settled(): void;
};

export type InformerOptions = {
	readonly http: KubeHttp;
	/** The collection path, e.g. `/api/v1/namespaces/default/services`. */
	readonly path: string;
	readonly sink: InformerSink;
	readonly backoff?: Partial<Backoff>;
	/** Items per list page, as client-go's reflector pages. Default 500. */
	readonly pageSize?: number;
	/** Server-side watch timeout. Default random between 5 and 10 minutes, as client-go picks. */
	readonly watchTimeoutSeconds?: number;
	/** Random source in [0, 1) for jitter and watch timeouts. Default Math.random. */
	readonly random?: () => number;
	/** Waits `ms` unless aborted. Default a real timer; tests may pass a fake. */
	readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
	/** The clock that measures how long a watch stayed up. Default Date.now. */
	readonly now?: () => number;
	/** Transient failures before the first list after which `settled` is called anyway. Default 4. */
	readonly settleAfterFailures?: number;
	/** How long one list page, or the response headers of a watch, may take. Default 30 s. */
	readonly requestTimeoutMs?: number;
};

type ListDocument = {metadata?: {resourceVersion?: string; continue?: string}; items?: ApiObject[]};

type WatchEvent = {type?: string; object?: ApiObject & {code?: number; message?: string; reason?: string}};

/** How a watch stream ended: the server closed it, 410 Expired, or the connection broke (with why). */
type WatchEnd = {
	readonly outcome: 'closed' | 'expired' | 'dropped';
	readonly upMs: number;
	/** The server-side timeout the watch asked for. */
	readonly timeoutMs: number;
	readonly events: number;
	readonly error?: string;
};

/**
 * One resource's list-then-watch loop (a reflector, modelled on client-go's): list in pages, watch
 * from the list's resourceVersion with bookmarks, resume from the last seen resourceVersion when a
 * stream drops, relist on 410 Expired. Every retry (a relist included) first waits an exponential,
 * jittered backoff that only resets after a watch stayed up for `resetAfterMs`, so a server that
 * fails every watch at once sees a few requests a minute, not thousands a second. A Retry-After
 * from the server lengthens the wait. The phase is reported as it goes, `synced` only while watching.
 */
export class Informer {
	private readonly controller = new AbortController();
	private running: Promise<void> | undefined;
	private resourceVersion: string | undefined;
	/** Consecutive failures since the last healthy watch: the backoff's exponent. */
	private failures = 0;
	/** Transient failures before the first successful list, for settling one-shot commands. */
	private failuresBeforeSync = 0;
	private settledOnce = false;
	/** Whether a list ever succeeded: the first one makes the data known, whatever failed before. */
	private listedOnce = false;
	private readonly backoff: Backoff;
	private readonly random: () => number;
	private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
	private readonly now: () => number;

	constructor(private readonly options: InformerOptions) {
		this.backoff = {
			initialMs: options.backoff?.initialMs ?? 1000,
			maxMs: options.backoff?.maxMs ?? 30_000,
			resetAfterMs: options.backoff?.resetAfterMs ?? 30_000,
		};
		this.random = options.random ?? Math.random;
		this.sleep = options.sleep ?? abortableSleep;
		this.now = options.now ?? Date.now;
	}

	start(): void {
		this.running ??= this.run();
	}

	async stop(): Promise<void> {
		this.controller.abort();
		await this.running;
	}

	private get stopped(): boolean {
		return this.controller.signal.aborted;
	}

	private settle(): void {
		if (!this.settledOnce) {
			this.settledOnce = true;
			this.options.sink.settled();
		}
	}

	/** The next wait: doubling from initialMs up to maxMs, +-20% jitter so clients do not retry in lockstep. */
	private nextDelay(retryAfterSeconds?: number): number {
		const step = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(this.failures, 30));
		this.failures++;
		const jittered = Math.round(step * (0.8 + 0.4 * this.random()));
		return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
	}

	/** Reports the failure, then waits out the backoff. */
	private async retryAfter(phase: 'retrying' | 'forbidden', message: string, retryAfterSeconds?: number): Promise<void> {
		const delay = this.nextDelay(retryAfterSeconds);
		this.options.sink.state(phase, message, delay);
		await this.sleep(delay, this.controller.signal);
	}

	private async run(): Promise<void> {
		while (!this.stopped) {
			try {
				if (this.resourceVersion === undefined) {
					await this.list();
					if (this.stopped) {
						break;
					}

					// Fresh data; but while relists repeat, only a watch that holds proves the resource healthy.
					if (this.failures === 0 || !this.listedOnce) {
						this.listedOnce = true;
						this.options.sink.state('synced');
					}

					this.settle();
				}

				const end = await this.watch();
				if (this.stopped) {
					break;
				}

				await this.afterWatch(end);
			} catch (error) {
				if (this.stopped) {
					break;
				}

				await this.afterError(error);
			}
		}
	}

	private async afterWatch(end: WatchEnd): Promise<void> {
		if (end.outcome === 'expired') {
			// History no longer reaches our resourceVersion: relist, but no sooner than the backoff allows.
			this.resourceVersion = undefined;
		}

		// Held this long, or until the server's timeout ended it as asked: healthy, so the backoff starts over.
		const servedItsTime = end.outcome === 'closed' && end.upMs >= end.timeoutMs * 0.9;
		if (end.upMs >= this.backoff.resetAfterMs || servedItsTime) {
			this.failures = 0;
			if (end.outcome === 'closed') {
				return;
			}
		}

		const message = end.outcome === 'expired'
			? 'watch expired (410 Gone); relisting'
			: end.outcome === 'dropped'
				? `watch broke: ${end.error ?? 'connection closed'}`
				: end.events === 0 ? 'watch closed at once with no events' : 'watch closed early';
		await this.retryAfter('retrying', message);
	}

	private async afterError(error: unknown): Promise<void> {
		const message = describeKubeError(error);
		if (error instanceof KubeError && error.kind === 'expired') {
			this.resourceVersion = undefined;
			await this.retryAfter('retrying', `watch expired (410 Gone); relisting`);
			return;
		}

		if (error instanceof KubeError && error.kind === 'forbidden') {
			// RBAC may be fixed while we run: keep asking, slowly, from a fresh list.
			this.resourceVersion = undefined;
			this.settle();
			await this.retryAfter('forbidden', message);
			return;
		}

		if (!isTransient(error) || ++this.failuresBeforeSync >= (this.options.settleAfterFailures ?? 4)) {
			this.settle();
		}

		await this.retryAfter('retrying', message, error instanceof KubeError ? error.retryAfterSeconds : undefined);
	}

	private async list(): Promise<void> {
		const items: ApiObject[] = [];
		let continueToken: string | undefined;
		let resourceVersion: string | undefined;
		do {
			const page = await this.options.http.getJson<ListDocument>(this.options.path, {limit: this.options.pageSize ?? 500, continue: continueToken}, {signal: this.controller.signal, timeoutMs: this.options.requestTimeoutMs});
			if (typeof page !== 'object' || page === null || !Array.isArray(page.items ?? [])) {
				throw new KubeError('garbage', `the API server answered ${this.options.path} with JSON that is not a list`);
			}

			for (const item of page.items ?? []) {
				items.push(item);
			}

			resourceVersion = page.metadata?.resourceVersion;
			continueToken = page.metadata?.continue || undefined;
		} while (continueToken !== undefined && !this.stopped);

		if (this.stopped) {
			return;
		}

		this.options.sink.replace(items);
		this.resourceVersion = resourceVersion ?? '0';
		this.failuresBeforeSync = 0;
	}

	private async watch(): Promise<WatchEnd> {
		const {sink, http, path} = this.options;
		// Like client-go: a server-side timeout between 5 and 10 minutes, so idle streams are renewed.
		const timeoutSeconds = this.options.watchTimeoutSeconds ?? 300 + Math.floor(this.random() * 300);
		const streamController = new AbortController();
		const streamSignal = AbortSignal.any([this.controller.signal, streamController.signal, AbortSignal.timeout((timeoutSeconds + 30) * 1000)]);
		const lines = await http.streamLines(path, {watch: 'true', resourceVersion: this.resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds}, {signal: streamSignal, headersTimeoutMs: this.options.requestTimeoutMs});
		const openedAt = this.now();
		let events = 0;
		let open = true;
		const confirm = (): void => {
			if (open) {
				sink.state('synced');
			}
		};

		if (this.failures === 0) {
			sink.state('synced');
		} else {
			// After failures, `synced` waits until the stream has held for a second (or delivered an event).
			// A real timer: this wait is no retry, and the injected sleep stands for retries only.
			void abortableSleep(1000, streamSignal).then(confirm);
		}

		const end = (outcome: WatchEnd['outcome'], error?: string): WatchEnd => {
			open = false;
			return {outcome, upMs: this.now() - openedAt, timeoutMs: timeoutSeconds * 1000, events, error};
		};

		try {
			for await (const batch of lines) {
				for (const line of batch) {
					let event: WatchEvent;
					try {
						event = JSON.parse(line) as WatchEvent;
					} catch {
						return end('dropped', `the watch stream carried a line that is not JSON: ${JSON.stringify(line.slice(0, 40))}`);
					}

					const object = event.object;
					if (event.type === 'ERROR') {
						if (object?.code === 410) {
							return end('expired');
						}

						open = false;
						throw new KubeError('api', `watch error from the API server: ${object?.message ?? 'no message'}`, object?.code, object?.reason);
					}

					if (events++ === 0 && this.failures > 0) {
						confirm();
					}

					if (object?.metadata?.resourceVersion !== undefined) {
						this.resourceVersion = object.metadata.resourceVersion;
					}

					if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
						sink.event(event.type, object!);
					}
				}
			}
		} catch (error) {
			if (this.stopped) {
				return end('closed');
			}

			if (error instanceof KubeError && error.kind !== 'unreachable') {
				open = false;
				throw error;
			}

			return end('dropped', describeKubeError(error));
		} finally {
			// Only once the stream is left: aborting it earlier would make leaving it throw.
			open = false;
			streamController.abort();
		}

		return end('closed');
	}
}
