import type {CoreV1Event, V1Pod} from '@kubernetes/client-node';
import {isTransient, KubeError} from './errors.js';
import {KubeHttp} from './http.js';
import {type Backoff, Informer} from './informer.js';
import {type ResolveOptions, resolveKubeConfig} from './kubeconfig.js';
import {retryTransient} from './retry.js';
import {ClusterStore} from './store.js';
import type {ClusterSource, InvolvedObject, WatchedResource} from './types.js';

export type ConnectOptions = ResolveOptions & {
	/** Retry delays for informers. Default 1 s doubling to 30 s, jittered, reset after a watch held 30 s. */
	readonly backoff?: Partial<Backoff>;
	/** Transient failures of a first list after which ready() stops waiting for it. Default 4. */
	readonly settleAfterFailures?: number;
	/** ready() resolves at the latest after this long, with unlisted resources still `connecting`. Default 30 s. */
	readonly readyTimeoutMs?: number;
	/** How long one list page, or the response headers of a watch, may take. Default 30 s. */
	readonly requestTimeoutMs?: number;
	/** How long an exec credential plugin may run. Default 30 s. */
	readonly execTimeoutMs?: number;
	/** How long the first request (reachability, namespace check) may take. Default 10 s. */
	readonly probeTimeoutMs?: number;
	/** Server-side timeout of each watch request. Default 5-10 minutes, random. */
	readonly watchTimeoutSeconds?: number;
	/** Items per list page. Default 500. */
	readonly pageSize?: number;
	/** The clock for `since` and `lastUpdate`. Default Date.now. */
	readonly now?: () => number;
};

/** A ClusterSource plus where it points. */
export type ConnectedCluster = ClusterSource & {
	readonly context: string;
	/** The API server URL. */
	readonly server: string;
	/** The namespace shown now, undefined for all namespaces. */
	namespace(): string | undefined;
};

/** `{app: 'web', tier: 'front'}` -> `app=web,tier=front` (keys sorted, as kubectl prints selectors). */
export function labelSelectorOf(selector: Readonly<Record<string, string>>): string {
	return Object.keys(selector)
		.sort()
		.map(key => `${key}=${selector[key]}`)
		.join(',');
}

function collectionPath(resource: WatchedResource, namespace: string | undefined): string {
	const scope = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
	switch (resource) {
		case 'services': {
			return `/api/v1${scope}/services`;
		}

		case 'endpointslices': {
			return `/apis/discovery.k8s.io/v1${scope}/endpointslices`;
		}

		case 'nodes': {
			return '/api/v1/nodes';
		}
	}
}

/** kubectl's field selector for an object's events (client-go's GetFieldSelector). */
export function eventFieldSelector(namespace: string, involved: InvolvedObject): string {
	return [
		`involvedObject.kind=${involved.kind}`,
		`involvedObject.name=${involved.name}`,
		`involvedObject.namespace=${namespace}`,
		...(involved.uid ? [`involvedObject.uid=${involved.uid}`] : []),
	].join(',');
}

/** Every page of an object's events, as kubectl describe reads them (500 a page, following continue). */
async function listEvents(http: KubeHttp, namespace: string, involved: InvolvedObject, pageSize: number, signal: AbortSignal): Promise<CoreV1Event[]> {
	const items: CoreV1Event[] = [];
	let token: string | undefined;
	do {
		// Each page needs the previous page's token.
		const page = await http.getJson<{items?: CoreV1Event[]; metadata?: {continue?: string}}>(
			`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
			{fieldSelector: eventFieldSelector(namespace, involved), limit: String(pageSize), ...(token ? {continue: token} : {})},
			{signal},
		);
		items.push(...(page.items ?? []));
		token = page.metadata?.continue || undefined;
	} while (token);

	return items;
}

/**
 * Checks the API answers, and that a namespace named with -n exists (a 403 on that check is fine).
 * A server that is down or failing is no reason to stop: the informers retry it with backoff and
 * the status line says so. What retrying cannot fix (credentials, TLS trust, no such namespace) is.
 */
async function probe(http: KubeHttp, namespace: string | undefined, timeoutMs: number): Promise<void> {
	try {
		if (namespace === undefined) {
			await http.getJson('/version', {}, {timeoutMs});
		} else {
			await http.getJson(`/api/v1/namespaces/${encodeURIComponent(namespace)}`, {}, {timeoutMs});
		}
	} catch (error) {
		if (error instanceof KubeError && error.kind === 'not-found' && namespace !== undefined) {
			throw new KubeError('not-found', `namespaces "${namespace}" not found`, 404, 'NotFound');
		}

		if (isTransient(error) || (error instanceof KubeError && (error.kind === 'forbidden' || error.kind === 'not-found'))) {
			return;
		}

		throw error;
	}
}

/** A Service's pods by its selector (none for no selector), retried on transient failures. */
async function listPods(http: KubeHttp, options: ConnectOptions, namespace: string, selector: Readonly<Record<string, string>>, signal: AbortSignal): Promise<V1Pod[]> {
	if (Object.keys(selector).length === 0) {
		// A Service without a selector selects no pods; an empty selector would match them all.
		return [];
	}

	const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
	const list = await retryTransient(async () => http.getJson<{items?: V1Pod[]}>(path, {labelSelector: labelSelectorOf(selector)}, {timeoutMs: options.requestTimeoutMs ?? 10_000, signal}), {initialMs: options.backoff?.initialMs, signal});
	if (typeof list !== 'object' || list === null || !Array.isArray(list.items ?? [])) {
		throw new KubeError('garbage', `the API server answered ${path} with JSON that is not a list`);
	}

	return list.items ?? [];
}

async function listNamespaces(http: KubeHttp, signal: AbortSignal): Promise<string[]> {
	const list = await http.getJson<{items?: Array<{metadata?: {name?: string}}>}>('/api/v1/namespaces', {}, {signal});
	return (list.items ?? []).map(item => item.metadata?.name ?? '').filter(name => name !== '');
}

const watchedResources = ['services', 'endpointslices', 'nodes'] as const;

/**
 * ready(): once every resource has settled (listed, or failed for good), or after `timeoutMs`. A resource
 * whose requests hang must not hold a one-shot command forever: it stays unknown, and says which server
 * did not answer in how long (not a bare "connecting").
 */
class ReadyGate {
	readonly promise: Promise<void>;
	private readonly settled = new Set<WatchedResource>();
	private readonly timer: NodeJS.Timeout;
	private open!: () => void;

	/** `startedAt`: when connecting began, for the message (the wait includes the first request). */
	constructor(store: ClusterStore, server: string, timeoutMs: number, startedAt: number) {
		this.promise = new Promise<void>(resolve => {
			this.open = resolve;
		});
		this.timer = setTimeout(() => {
			const waited = `the API server at ${server} did not answer in time (waited ${Math.round((Date.now() - startedAt) / 1000)}s)`;
			for (const resource of watchedResources) {
				if (store.state(resource).phase === 'connecting' && store.state(resource).message === undefined) {
					store.setState(resource, 'connecting', waited);
				}
			}

			this.open();
		}, timeoutMs);
		this.timer.unref();
	}

	settle(resource: WatchedResource): void {
		this.settled.add(resource);
		if (this.settled.size === watchedResources.length) {
			this.open();
		}
	}

	stop(): void {
		clearTimeout(this.timer);
	}
}

/**
 * One informer per watched resource, feeding the store. Switching namespace restarts the namespaced
 * ones; what a replaced informer still delivers is dropped (its generation is gone).
 */
class ClusterInformers {
	namespace: string | undefined;
	private readonly informers = new Map<WatchedResource, Informer>();
	private generation = 0;

	constructor(
		private readonly http: KubeHttp,
		private readonly store: ClusterStore,
		private readonly gate: ReadyGate,
		private readonly options: ConnectOptions,
		namespace: string | undefined,
	) {
		this.namespace = namespace;
		for (const resource of watchedResources) {
			this.start(resource);
		}
	}

	setNamespace(next: string | undefined, context: string): void {
		if (next === this.namespace) {
			return;
		}

		this.namespace = next;
		this.generation++;
		for (const resource of ['services', 'endpointslices'] as const) {
			void this.informers.get(resource)?.stop();
			this.store.clear(resource);
			this.store.setState(resource, 'connecting');
			this.start(resource);
		}

		this.store.setScope(context, next);
	}

	async stop(): Promise<void> {
		this.generation++;
		await Promise.all([...this.informers.values()].map(informer => informer.stop()));
	}

	private start(resource: WatchedResource): void {
		const {store, gate, options} = this;
		const mine = this.generation;
		const current = (): boolean => resource === 'nodes' || mine === this.generation;
		const informer = new Informer({
			http: this.http,
			path: collectionPath(resource, resource === 'nodes' ? undefined : this.namespace),
			backoff: options.backoff,
			settleAfterFailures: options.settleAfterFailures,
			requestTimeoutMs: options.requestTimeoutMs,
			now: options.now,
			pageSize: options.pageSize,
			watchTimeoutSeconds: options.watchTimeoutSeconds,
			sink: {
				replace(items) {
					if (current()) {
						store.replace(resource, items);
					}
				},
				event(type, object) {
					if (current()) {
						store.apply(resource, type, object);
					}
				},
				state(phase, message, retryInMs) {
					if (current()) {
						store.setState(resource, phase, message, retryInMs);
					}
				},
				settled: () => gate.settle(resource),
			},
		});
		this.informers.set(resource, informer);
		informer.start();
	}
}

/**
 * Resolves the kubeconfig as kubectl does, checks the API answers, then starts informers for
 * Services and EndpointSlices (in the namespace, or all) and Nodes. Rejects with a KubeError whose
 * message is one line: no kubeconfig, unknown context, unreachable API, unknown namespace, timeout.
 */
export async function connectCluster(options: ConnectOptions = {}): Promise<ConnectedCluster> {
	const startedAt = Date.now();
	const resolved = resolveKubeConfig(options);
	const http = new KubeHttp(resolved.kubeConfig, options.execTimeoutMs);
	await probe(http, resolved.namespaceFromFlag ? resolved.namespace : undefined, options.probeTimeoutMs ?? 10_000);

	const store = new ClusterStore(resolved.context, resolved.namespace, options.now);
	const gate = new ReadyGate(store, http.server, options.readyTimeoutMs ?? 30_000, startedAt);
	const informers = new ClusterInformers(http, store, gate, options, resolved.namespace);
	// The one-shot requests (pods, events, namespaces) end with the source: a server that never answers
	// must not hold the process open after the dashboard quits.
	const oneShots = new AbortController();
	return {
		context: resolved.context,
		server: http.server,
		namespace: () => informers.namespace,
		snapshot: () => store.snapshot(),
		subscribe: listener => store.subscribe(listener),
		ready: () => gate.promise,
		listPods: async (podNamespace, selector) => listPods(http, options, podNamespace, selector, oneShots.signal),
		listEvents: async (eventNamespace, involved) => listEvents(http, eventNamespace, involved, options.pageSize ?? 500, oneShots.signal),
		listNamespaces: async () => listNamespaces(http, oneShots.signal),
		setNamespace: next => informers.setNamespace(next, resolved.context),
		async stop() {
			oneShots.abort();
			gate.stop();
			await informers.stop();
		},
	};
}
