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
async function listEvents(http: KubeHttp, namespace: string, involved: InvolvedObject, pageSize: number): Promise<CoreV1Event[]> {
	const items: CoreV1Event[] = [];
	let token: string | undefined;
	do {
		// Each page needs the previous page's token.
		const page = await http.getJson<{items?: CoreV1Event[]; metadata?: {continue?: string}}>(
			`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
			{fieldSelector: eventFieldSelector(namespace, involved), limit: String(pageSize), ...(token ? {continue: token} : {})},
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
	let namespace = resolved.namespace;
	let generation = 0;
	const informers = new Map<WatchedResource, Informer>();
	const settled = new Set<WatchedResource>();
	let resolveReady!: () => void;
	const readyPromise = new Promise<void>(resolve => {
		resolveReady = resolve;
	});
	// A resource whose requests hang must not hold a one-shot command forever: it stays unknown,
	// and says which server did not answer in how long (not a bare "connecting").
	const readyTimer = setTimeout(() => {
		const waited = `the API server at ${http.server} did not answer in time (waited ${Math.round((Date.now() - startedAt) / 1000)}s)`;
		for (const resource of ['services', 'endpointslices', 'nodes'] as const) {
			if (store.state(resource).phase === 'connecting' && store.state(resource).message === undefined) {
				store.setState(resource, 'connecting', waited);
			}
		}

		resolveReady();
	}, options.readyTimeoutMs ?? 30_000);
	readyTimer.unref();

	function startInformer(resource: WatchedResource): void {
		const mine = generation;
		const current = (): boolean => resource === 'nodes' || mine === generation;
		const informer = new Informer({
			http,
			path: collectionPath(resource, resource === 'nodes' ? undefined : namespace),
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
				settled() {
					settled.add(resource);
					if (settled.size === 3) {
						resolveReady();
					}
				},
			},
		});
		informers.set(resource, informer);
		informer.start();
	}

	for (const resource of ['services', 'endpointslices', 'nodes'] as const) {
		startInformer(resource);
	}

	return {
		context: resolved.context,
		server: http.server,
		namespace: () => namespace,
		snapshot: () => store.snapshot(),
		subscribe: listener => store.subscribe(listener),
		ready: () => readyPromise,
		async listPods(podNamespace, selector) {
			if (Object.keys(selector).length === 0) {
				// A Service without a selector selects no pods; an empty selector would match them all.
				return [];
			}

			const path = `/api/v1/namespaces/${encodeURIComponent(podNamespace)}/pods`;
			const list = await retryTransient(async () => http.getJson<{items?: V1Pod[]}>(path, {labelSelector: labelSelectorOf(selector)}, {timeoutMs: options.requestTimeoutMs ?? 10_000}), {initialMs: options.backoff?.initialMs});
			if (typeof list !== 'object' || list === null || !Array.isArray(list.items ?? [])) {
				throw new KubeError('garbage', `the API server answered ${path} with JSON that is not a list`);
			}

			return list.items ?? [];
		},
		listEvents: async (eventNamespace, involved) => listEvents(http, eventNamespace, involved, options.pageSize ?? 500),
		async listNamespaces() {
			const list = await http.getJson<{items?: Array<{metadata?: {name?: string}}>}>('/api/v1/namespaces', {});
			return (list.items ?? []).map(item => item.metadata?.name ?? '').filter(name => name !== '');
		},
		setNamespace(next) {
			if (next === namespace) {
				return;
			}

			namespace = next;
			generation++;
			for (const resource of ['services', 'endpointslices'] as const) {
				void informers.get(resource)?.stop();
				store.clear(resource);
				store.setState(resource, 'connecting');
				startInformer(resource);
			}

			store.setScope(resolved.context, namespace);
		},
		async stop() {
			generation++;
			clearTimeout(readyTimer);
			await Promise.all([...informers.values()].map(informer => informer.stop()));
		},
	};
}
