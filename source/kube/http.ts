import {HttpMethod, IsomorphicFetchHttpLibrary, type KubeConfig, RequestContext} from '@kubernetes/client-node';
import {boundExecPlugins, credentialError, execPluginOf} from './exec-plugin.js';
import {KubeError, type RequestDescription, statusError, unreachableError} from './errors.js';

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export type RequestOptions = {
	readonly signal?: AbortSignal;
	/** Gives up (as a `timeout` KubeError) after this long. Default 30 s; 0 = never. */
	readonly timeoutMs?: number;
	/** Gives up (as a `timeout` KubeError) when no response headers came in this long; then only `timeoutMs` applies. 0 = no such bound. */
	readonly headersTimeoutMs?: number;
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
	/** Which CA verifies the server, for certificate errors. */
	private readonly trust: string;
	private readonly user: string | undefined;

	constructor(private readonly config: KubeConfig, execTimeoutMs = 30_000) {
		const cluster = config.getCurrentCluster();
		if (cluster === null) {
			throw new KubeError('invalid-kubeconfig', 'the current context has no cluster');
		}

		this.server = cluster.server.replace(/\/+$/, '');
		this.trust = cluster.caFile ? `the CA in ${cluster.caFile}` : cluster.caData ? `the certificate-authority-data of cluster "${cluster.name}"` : 'the system CAs';
		this.user = config.getCurrentUser()?.name;
		boundExecPlugins(config, execTimeoutMs);
	}

	/** GET a JSON document; non-2xx answers become KubeErrors worded from the Status. */
	async getJson<T>(apiPath: string, query: Query = {}, options: RequestOptions = {}): Promise<T> {
		const {response, cleanup} = await this.send(apiPath, query, options);
		try {
			let text: string;
			try {
				text = await response.body.text();
			} catch (error) {
				throw this.cutOff(error, options.signal);
			}

			if (response.httpStatusCode < 200 || response.httpStatusCode >= 300) {
				throw statusError(response.httpStatusCode, text, this.server, this.describe(apiPath, query, response.headers['retry-after']));
			}

			return this.parse<T>(text, response.headers['content-type']);
		} catch (error) {
			throw this.wrap(error, options.signal);
		} finally {
			cleanup();
		}
	}

	/** JSON, or a `garbage` error quoting what came instead (a proxy's HTML page, a truncated body). */
	private parse<T>(text: string, contentType: string | undefined): T {
		try {
			return JSON.parse(text) as T;
		} catch {
			const sample = text.replaceAll(/\s+/g, ' ').trim().slice(0, 60);
			throw new KubeError('garbage', `the API server at ${this.server} answered with something that is not JSON (${contentType ?? 'no content type'}, ${text.length} bytes${sample ? `: ${JSON.stringify(sample)}` : ''})`);
		}
	}

	/** A body that broke off after the headers: the server answered, then went away. */
	private cutOff(error: unknown, signal: AbortSignal | undefined): unknown {
		const wrapped = this.wrap(error, signal);
		if (wrapped instanceof KubeError && wrapped.kind === 'unreachable') {
			return new KubeError('unreachable', `the answer of the API server at ${this.server} was cut off: ${wrapped.message.replace(/^cannot reach the API server at \S+: /, '')}`);
		}

		return wrapped;
	}

	/** What a request asked for, in the words of an API error: `list endpointslices.discovery.k8s.io`. */
	private describe(apiPath: string, query: Query, retryAfter?: string): RequestDescription {
		const segments = apiPath.split('/').filter(Boolean);
		const rest = segments[0] === 'api' ? segments.slice(2) : segments.slice(3);
		const group = segments[0] === 'apis' ? segments[1] : undefined;
		const named = rest[0] === 'namespaces' && rest.length >= 3 ? rest.slice(2) : rest;
		const resource = named[0] === undefined ? apiPath : `${named[0]}${group ? `.${group}` : ''}`;
		const verb = query.watch === 'true' ? 'watch' : named.length > 1 ? 'get' : 'list';
		const seconds = retryAfter === undefined ? Number.NaN : Number(retryAfter);
		return {verb, resource, user: this.user, retryAfterSeconds: Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined};
	}

	/**
	 * GET a watch stream; resolves once the server answered 200, then yields batches of lines until it ends.
	 * The headers must come within `headersTimeoutMs` (default 30 s): a server that accepts and never answers is a failure.
	 */
	async streamLines(apiPath: string, query: Query, options: RequestOptions = {}): Promise<LineStream> {
		const {response, cleanup, abort} = await this.send(apiPath, query, {...options, timeoutMs: options.timeoutMs ?? 0, headersTimeoutMs: options.headersTimeoutMs ?? 30_000});
		if (response.httpStatusCode !== 200) {
			try {
				throw statusError(response.httpStatusCode, await response.body.text().catch(() => ''), this.server, this.describe(apiPath, query, response.headers['retry-after']));
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
		// A caller already gone (the source stopped) sends nothing: its abort listener would never fire.
		options.signal?.throwIfAborted();
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
		const timedOut = (): void => controller.abort(new DOMException('request timed out', 'TimeoutError'));
		const timeoutMs = options.timeoutMs ?? 30_000;
		const timer = timeoutMs > 0 ? setTimeout(timedOut, timeoutMs) : undefined;
		const headersTimeoutMs = options.headersTimeoutMs ?? 0;
		const headersTimer = headersTimeoutMs > 0 ? setTimeout(timedOut, headersTimeoutMs) : undefined;
		const onAbort = (): void => controller.abort(options.signal?.reason);
		options.signal?.addEventListener('abort', onAbort, {once: true});
		const cleanup = (): void => {
			clearTimeout(timer);
			clearTimeout(headersTimer);
			options.signal?.removeEventListener('abort', onAbort);
		};

		try {
			await this.authenticate(context, controller.signal);
			context.setSignal(controller.signal);
			const response = await this.library.send(context).toPromise();
			clearTimeout(headersTimer);
			return {response, cleanup, abort: () => controller.abort()};
		} catch (error) {
			cleanup();
			throw this.wrap(error, options.signal, controller.signal);
		}
	}

	/**
	 * Credentials from the kubeconfig. An exec plugin's failure is the plugin's, not the network's;
	 * a plugin still running when the request gives up is reported as such (it is killed separately).
	 */
	private async authenticate(context: RequestContext, signal: AbortSignal): Promise<void> {
		const plugin = execPluginOf(this.config);
		const started = performance.now();
		try {
			await raceAbort(this.config.applySecurityAuthentication(context), signal);
		} catch (error) {
			if (plugin === undefined || error instanceof KubeError) {
				throw error;
			}

			throw credentialError(plugin, error, signal.aborted, performance.now() - started);
		}
	}

	private wrap(error: unknown, callerSignal: AbortSignal | undefined, requestSignal?: AbortSignal): unknown {
		if (error instanceof KubeError || callerSignal?.aborted) {
			return error;
		}

		const reason = requestSignal?.reason as unknown;
		if (reason instanceof DOMException && reason.name === 'TimeoutError') {
			return unreachableError(this.server, reason, this.trust);
		}

		return unreachableError(this.server, error, this.trust);
	}
}

/** `promise`, or a rejection as soon as `signal` aborts (the work itself may go on). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
	if (signal.aborted) {
		return Promise.reject(signal.reason as Error);
	}

	return new Promise<T>((resolve, reject) => {
		const onAbort = (): void => reject(signal.reason as Error);
		signal.addEventListener('abort', onAbort, {once: true});
		promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
	});
}
