import {describeKubeError, KubeError} from './errors.js';
import type {KubeHttp} from './http.js';
import type {ApiObject} from './store.js';
import type {ConnectionPhase} from './types.js';

export type Backoff = {
	/** First retry delay. Default 500 ms. */
	readonly initialMs: number;
	/** Cap on the delay. Default 30 s. */
	readonly maxMs: number;
};

export type InformerSink = {
	/** A complete list: replace everything held for this resource. */
	replace(items: readonly ApiObject[]): void;
	event(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: ApiObject): void;
	state(phase: ConnectionPhase, message?: string): void;
	/** Called once, after the first list succeeded or failed (or was forbidden). */
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
};

type ListDocument = {metadata?: {resourceVersion?: string; continue?: string}; items?: ApiObject[]};

type WatchEvent = {type?: string; object?: ApiObject & {code?: number; message?: string; reason?: string}};

/** How a watch stream ended. */
type WatchOutcome = 'timeout' | 'expired' | 'dropped';

function realSleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise(resolve => {
		if (signal.aborted) {
			resolve();
			return;
		}

		const timer = setTimeout(done, ms);
		function done(): void {
			clearTimeout(timer);
			signal.removeEventListener('abort', done);
			resolve();
		}

		signal.addEventListener('abort', done, {once: true});
	});
}

/**
 * One resource's list-then-watch loop (a reflector): list in pages, watch from the list's
 * resourceVersion with bookmarks, resume from the last seen resourceVersion when a stream drops,
 * relist on 410 Expired, back off (capped, jittered) on errors, and report the phase as it goes.
 */
export class Informer {
	private readonly controller = new AbortController();
	private running: Promise<void> | undefined;
	private resourceVersion: string | undefined;
	private failures = 0;
	private settledOnce = false;
	private readonly backoff: Backoff;
	private readonly random: () => number;
	private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

	constructor(private readonly options: InformerOptions) {
		this.backoff = {initialMs: options.backoff?.initialMs ?? 500, maxMs: options.backoff?.maxMs ?? 30_000};
		this.random = options.random ?? Math.random;
		this.sleep = options.sleep ?? realSleep;
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

	/** Full jitter over an exponential step, so many clients do not retry in lockstep. */
	private nextDelay(): number {
		const step = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(this.failures, 30));
		this.failures++;
		return Math.round(step / 2 + (this.random() * step) / 2);
	}

	private async run(): Promise<void> {
		const {sink} = this.options;
		while (!this.stopped) {
			try {
				if (this.resourceVersion === undefined) {
					await this.list();
					if (this.stopped) {
						break;
					}

					sink.state('synced');
					this.settle();
				}

				const outcome = await this.watch();
				if (outcome === 'expired') {
					// History no longer reaches our resourceVersion: start over with a fresh list.
					this.resourceVersion = undefined;
				} else if (outcome === 'dropped') {
					sink.state('reconnecting', 'watch stream closed; resuming');
					await this.sleep(this.nextDelay(), this.controller.signal);
				}
			} catch (error) {
				if (this.stopped) {
					break;
				}

				if (error instanceof KubeError && error.kind === 'expired') {
					this.resourceVersion = undefined;
					continue;
				}

				const message = describeKubeError(error);
				if (error instanceof KubeError && error.kind === 'forbidden') {
					// RBAC may be fixed while we run: keep asking, slowly, from a fresh list.
					this.resourceVersion = undefined;
					sink.state('forbidden', message);
				} else {
					// The first failure after being synced is a reconnect; repeated failures are an error.
					sink.state(this.settledOnce && this.failures === 0 ? 'reconnecting' : 'error', message);
				}

				this.settle();
				await this.sleep(this.nextDelay(), this.controller.signal);
			}
		}
	}

	private async list(): Promise<void> {
		const items: ApiObject[] = [];
		let continueToken: string | undefined;
		let resourceVersion: string | undefined;
		do {
			const page = await this.options.http.getJson<ListDocument>(this.options.path, {limit: this.options.pageSize ?? 500, continue: continueToken}, {signal: this.controller.signal});
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
	}

	private async watch(): Promise<WatchOutcome> {
		const {sink, http, path} = this.options;
		// Like client-go: a server-side timeout between 5 and 10 minutes, so idle streams are renewed.
		const timeoutSeconds = this.options.watchTimeoutSeconds ?? 300 + Math.floor(this.random() * 300);
		const streamSignal = AbortSignal.any([this.controller.signal, AbortSignal.timeout((timeoutSeconds + 30) * 1000)]);
		const lines = await http.streamLines(path, {watch: 'true', resourceVersion: this.resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds}, {signal: streamSignal});
		sink.state('synced');
		this.failures = 0;
		try {
			for await (const batch of lines) {
				for (const line of batch) {
					let event: WatchEvent;
					try {
						event = JSON.parse(line) as WatchEvent;
					} catch {
						continue;
					}

					const object = event.object;
					if (event.type === 'ERROR') {
						if (object?.code === 410) {
							return 'expired';
						}

						throw new KubeError('api', object?.message ?? 'watch error', object?.code, object?.reason);
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
				return 'timeout';
			}

			if (error instanceof KubeError && error.kind !== 'unreachable') {
				throw error;
			}

			return 'dropped';
		}

		return 'timeout';
	}
}
