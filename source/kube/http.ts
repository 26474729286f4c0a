import {HttpMethod, IsomorphicFetchHttpLibrary, type KubeConfig, RequestContext} from '@kubernetes/client-node';
import {KubeError, statusError, unreachableError} from './errors.js';

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export type RequestOptions = {
	readonly signal?: AbortSignal;
	/** Gives up (as a `timeout` KubeError) after this long. Default 30 s; 0 = never. */
	readonly timeoutMs?: number;
};

/** A streaming response: the complete lines of each chunk read, so a caller handles a burst in one go. */
export type LineStream = AsyncIterable<string[]>;

/**
 * GET requests through @kubernetes/client-node's own HTTP stack (its undici dispatcher, TLS
 * material and authenticators from the kubeconfig); answers are raw API JSON, not model classes.
 */
export class KubeHttp {
	readonly server: string;
	private readonly library = new IsomorphicFetchHttpLibrary();

	constructor(private readonly config: KubeConfig) {
		const cluster = config.getCurrentCluster();
		if (cluster === null) {
			throw new KubeError('invalid-kubeconfig', 'the current context has no cluster');
		}

		this.server = cluster.server.replace(/\/+$/, '');
	}

	/** GET a JSON document; non-2xx answers become KubeErrors worded from the Status. */
	async getJson<T>(apiPath: string, query: Query = {}, options: RequestOptions = {}): Promise<T> {
		const {response, cleanup} = await this.send(apiPath, query, options);
		try {
			const text = await response.body.text();
			if (response.httpStatusCode < 200 || response.httpStatusCode >= 300) {
				throw statusError(response.httpStatusCode, text, this.server);
			}

			return JSON.parse(text) as T;
		} catch (error) {
			throw this.wrap(error, options.signal);
		} finally {
			cleanup();
		}
	}

	/** GET a watch stream; resolves once the server answered 200, then yields batches of lines until it ends. */
	async streamLines(apiPath: string, query: Query, options: RequestOptions = {}): Promise<LineStream> {
		const {response, cleanup, abort} = await this.send(apiPath, query, {...options, timeoutMs: options.timeoutMs ?? 0});
		if (response.httpStatusCode !== 200) {
			try {
				throw statusError(response.httpStatusCode, await response.body.text(), this.server);
			} finally {
				cleanup();
			}
		}

		const body = response.body.stream() as AsyncIterable<Uint8Array> | undefined;
		const wrap = (error: unknown): unknown => this.wrap(error, options.signal);
		return {
			async *[Symbol.asyncIterator]() {
				const decoder = new TextDecoder();
				let buffer = '';
				try {
					if (body === undefined) {
						return;
					}

					for await (const chunk of body) {
						buffer += decoder.decode(chunk, {stream: true});
						const end = buffer.lastIndexOf('\n');
						if (end === -1) {
							continue;
						}

						const lines = buffer.slice(0, end).split('\n').filter(line => line.trim() !== '');
						buffer = buffer.slice(end + 1);
						if (lines.length > 0) {
							yield lines;
						}
					}
				} catch (error) {
					throw wrap(error);
				} finally {
					// Leaving early (a 410 ERROR event, stop) must release the connection too.
					abort();
					cleanup();
				}
			},
		};
	}

	private async send(apiPath: string, query: Query, options: RequestOptions) {
		const url = new URL(this.server + apiPath);
		for (const [key, value] of Object.entries(query)) {
			if (value !== undefined) {
				url.searchParams.set(key, String(value));
			}
		}

		const context = new RequestContext(url.toString(), HttpMethod.GET);
		context.setHeaderParam('Accept', 'application/json');
		context.setHeaderParam('User-Agent', 'svctop');
		const controller = new AbortController();
		const timeoutMs = options.timeoutMs ?? 30_000;
		const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(new DOMException('request timed out', 'TimeoutError')), timeoutMs) : undefined;
		const onAbort = (): void => controller.abort(options.signal?.reason);
		options.signal?.addEventListener('abort', onAbort, {once: true});
		const cleanup = (): void => {
			clearTimeout(timer);
			options.signal?.removeEventListener('abort', onAbort);
		};

		try {
			await this.config.applySecurityAuthentication(context);
			context.setSignal(controller.signal);
			const response = await this.library.send(context).toPromise();
			return {response, cleanup, abort: () => controller.abort()};
		} catch (error) {
			cleanup();
			throw this.wrap(error, options.signal, controller.signal);
		}
	}

	private wrap(error: unknown, callerSignal: AbortSignal | undefined, requestSignal?: AbortSignal): unknown {
		if (error instanceof KubeError || callerSignal?.aborted) {
			return error;
		}

		if (error instanceof Error && error.message.startsWith('HTTP protocol is not allowed')) {
			return new KubeError('invalid-kubeconfig', `${this.server} is plain HTTP: set insecure-skip-tls-verify: true on its cluster to allow it`);
		}

		const reason = requestSignal?.reason as unknown;
		if (reason instanceof DOMException && reason.name === 'TimeoutError') {
			return unreachableError(this.server, reason);
		}

		if (error instanceof Error && error.name === 'TimeoutError') {
			return unreachableError(this.server, error);
		}

		return unreachableError(this.server, error);
	}
}
