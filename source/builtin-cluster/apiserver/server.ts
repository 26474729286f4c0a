import {mkdir, writeFile} from 'node:fs/promises';
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import path from 'node:path';
import {type Fault, type FaultOptions, FaultSwitches, type FaultTarget} from './faults.js';
import {kubeconfigYaml} from './kubeconfig-yaml.js';
import {ListServer} from './list.js';
import {podAccess, type PodAccessControls, type PodAccessOptions} from './pod-access.js';
import {isResourcePath, parseResourcePath, queryFlag, type ResourcePath} from './request-path.js';
import {findResource, type ResourceName, resources} from './resources.js';
import {send, sendJson, sendStatus, tableType} from './respond.js';
import {parseSelection} from './selection.js';
import {serveDiscovery} from './serve-discovery.js';
import {badRequest, forbidden, methodNotAllowed, notFound, unknownPath} from './status.js';
import {ObjectStore} from './store.js';
import {renderTable, wantsTable} from './table.js';
import {WatchHub} from './watch.js';

export type ApiServerOptions = PodAccessOptions & {
	/** Objects to load before listening (any supported kind, with kind and apiVersion set). */
	readonly objects?: readonly object[];
	/** Watch events kept for resuming watches; older resourceVersions get 410 Expired. Default 10,000. */
	readonly historyLimit?: number;
	/** How often a watch with allowWatchBookmarks=true gets a BOOKMARK. Default 60,000 ms, like kube-apiserver. */
	readonly bookmarkIntervalMs?: number;
	/** Address to listen on. Default 127.0.0.1. */
	readonly host?: string;
	/** Port to listen on. Default 0 (any free port). */
	readonly port?: number;
	/** The user named in 403 messages. Default `svctop-demo`. */
	readonly user?: string;
	/** The clock for creationTimestamp. Default the real one. */
	readonly now?: () => Date;
};

export type KubeconfigOptions = {
	/** Context, cluster and user name. Default `svctop-demo`. */
	readonly context?: string;
	/** The context's namespace. Default `default`; an empty string leaves it out. */
	readonly namespace?: string;
};

export type Verb = 'get' | 'list' | 'watch';

/** Requests served per verb and resource, for tests that check what a client did. */
export type RequestCounters = Readonly<Record<Verb, Readonly<Record<ResourceName, number>>>>;

export type RequestLogEntry = {
	readonly method: string;
	/** Path and query as received. */
	readonly url: string;
	readonly accept: string | undefined;
	readonly status: number;
};

export type ApiServer = PodAccessControls & {
	/** `http://127.0.0.1:PORT` */
	readonly url: string;
	/** A kubeconfig whose current context points at this server (plain HTTP, token user). */
	kubeconfigYaml(options?: KubeconfigOptions): string;
	/** Writes `kubeconfig` into `directory` (created if needed) and returns its path. */
	writeKubeconfig(directory: string, options?: KubeconfigOptions): Promise<string>;
	/** Creates or replaces an object, emitting ADDED or MODIFIED; returns the stored object. */
	upsert(object: object): Record<string, unknown>;
	/** Deletes an object (kind like `Service` or resource like `services`); emits DELETED. */
	remove(kindOrResource: string, namespace: string | undefined, name: string): boolean;
	/** Ends every open watch stream abruptly, as a proxy or apiserver restart would. */
	cutWatches(): void;
	/** Forgets history: watches and exact lists from older resourceVersions get 410. */
	compact(): void;
	/** Answers every request for `resource` (e.g. `nodes`) with a 403 Status, as RBAC would. */
	setForbidden(resource: string, forbidden: boolean): void;
	/**
	 * Breaks requests for `resource` (`*`: every request, /version and discovery included) with
	 * `fault` until it is switched off with undefined (or `times` requests got it). Requests are
	 * counted before the fault applies.
	 */
	setFault(resource: string, fault: Fault | undefined, options?: FaultOptions): void;
	/** The newest resourceVersion. */
	resourceVersion(): number;
	/** Number of stored objects of a resource. */
	count(resource: ResourceName): number;
	/** Requests served so far per verb and resource. */
	counters(): RequestCounters;
	/** Watch streams open right now, for one resource or all. */
	openWatches(resource?: ResourceName): number;
	/** Resolves once at least `count` watches of `resource` are open (tests use it instead of sleeping). */
	waitForWatches(resource: ResourceName, count?: number): Promise<void>;
	/** Resolves once `count` requests of `verb` on `resource` were served in total (open watches count when they start). */
	waitForRequests(verb: Verb, resource: ResourceName, count: number): Promise<void>;
	/** The last 1,000 requests, oldest first. */
	requestLog(): readonly RequestLogEntry[];
	close(): Promise<void>;
};

type Counts = Record<Verb, Record<ResourceName, number>>;

function emptyCounters(): Record<ResourceName, number> {
	return Object.fromEntries(resources.map(resource => [resource.name, 0])) as Record<ResourceName, number>;
}

/** Conditions tests wait on (watches open, requests served), checked again whenever one may have become true. */
class Waiters {
	private readonly pending = new Set<() => void>();

	wake(): void {
		for (const waiter of [...this.pending]) {
			waiter();
		}
	}

	until(condition: () => boolean): Promise<void> {
		return new Promise(resolve => {
			const check = (): void => {
				if (condition()) {
					this.pending.delete(check);
					resolve();
				}
			};

			this.pending.add(check);
			check();
		});
	}
}

/** What the request steps share: the objects, the switches tests flip, the counters and the list and watch servers. */
type ServerState = {
	readonly store: ObjectStore;
	readonly user: string;
	readonly forbiddenResources: Set<ResourceName>;
	readonly faults: FaultSwitches;
	readonly counts: Counts;
	readonly waiters: Waiters;
	readonly lists: ListServer;
	readonly watches: WatchHub;
	readonly access: ReturnType<typeof podAccess>;
};

/** Routing: faults for non-resource paths, pod access, discovery, then resources (or a 404). */
function handle(state: ServerState, request: IncomingMessage, response: ServerResponse): void {
	const url = new URL(request.url ?? '/', 'http://localhost');
	const segments = url.pathname.split('/').filter(segment => segment !== '').map(segment => decodeURIComponent(segment));
	if (!isResourcePath(segments) && state.faults.intercept(request, response, undefined, false)) {
		return;
	}

	if (state.access.handle(request, response, url) || serveDiscovery(request, response, segments)) {
		return;
	}

	const target = parseResourcePath(segments);
	if (target === 'not-api') {
		send(response, 404, '404 page not found\n', 'text/plain; charset=utf-8');
	} else if (target === 'unknown') {
		sendStatus(response, unknownPath());
	} else {
		serveResource(state, request, response, target, url.searchParams);
	}
}

/** A get, list or watch: counted first, then faults and RBAC denials apply, then the selectors are read. */
function serveResource(state: ServerState, request: IncomingMessage, response: ServerResponse, target: ResourcePath, query: URLSearchParams): void {
	const {resource, namespace, name} = target;
	if (request.method !== 'GET') {
		sendStatus(response, methodNotAllowed(request.method ?? ''));
		return;
	}

	const watch = target.legacyWatch || queryFlag(query, 'watch');
	const verb: Verb = watch ? 'watch' : name === undefined ? 'list' : 'get';
	state.counts[verb][resource.name]++;
	if (verb !== 'watch') {
		state.waiters.wake();
	}

	if (state.faults.intercept(request, response, resource.name, watch)) {
		return;
	}

	if (state.forbiddenResources.has(resource.name)) {
		sendStatus(response, forbidden(resource, verb, state.user, namespace, verb === 'get' ? name : undefined));
		return;
	}

	if (verb === 'get') {
		serveGet(state, request, response, target);
		return;
	}

	const selection = parseSelection(query, resource, namespace, name);
	if (!selection.ok) {
		sendStatus(response, badRequest(selection.error));
	} else if (watch) {
		state.watches.start(request, response, resource, selection.value, query);
	} else {
		state.lists.serve(request, response, resource, selection.value, query);
	}
}

function serveGet(state: ServerState, request: IncomingMessage, response: ServerResponse, {resource, namespace, name}: ResourcePath): void {
	const object = state.store.get(resource, namespace ?? '', name!);
	if (object === undefined) {
		sendStatus(response, notFound(resource, name!));
	} else if (wantsTable(request.headers.accept)) {
		sendJson(response, renderTable(resource, [JSON.parse(object.itemJson) as Record<string, unknown>], String(state.store.resourceVersion), undefined, true), tableType);
	} else {
		send(response, 200, object.objectJson);
	}
}

/** Every request: logged once answered; an exception becomes a 500 Status (or a cut connection once the headers went). */
function requestListener(state: ServerState, log: RequestLogEntry[]) {
	return (request: IncomingMessage, response: ServerResponse): void => {
		response.on('finish', () => {
			log.push({method: request.method ?? '', url: request.url ?? '', accept: request.headers.accept, status: response.statusCode});
			if (log.length > 1000) {
				log.splice(0, log.length - 1000);
			}
		});
		try {
			handle(state, request, response);
		} catch (error) {
			if (!response.headersSent) {
				send(response, 500, JSON.stringify({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String(error), reason: 'InternalError', code: 500}));
			} else {
				response.destroy();
			}
		}
	};
}

/** Listens and returns the server's URL. */
async function listen(server: Server, options: ApiServerOptions): Promise<string> {
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	const address = server.address() as AddressInfo;
	const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
	return `http://${host}:${address.port}`;
}

/** The switches tests flip: forbidden resources and faults, by resource name. */
function switches(state: ServerState): Pick<ApiServer, 'setForbidden' | 'setFault'> {
	return {
		setForbidden(resourceName, isForbidden) {
			const resource = findResource(resourceName);
			if (resource === undefined) {
				throw new Error(`setForbidden: unknown resource "${resourceName}"`);
			}

			if (isForbidden) {
				state.forbiddenResources.add(resource.name);
			} else {
				state.forbiddenResources.delete(resource.name);
			}
		},
		setFault(resourceName, fault, faultOptions) {
			const target = resourceName === '*' ? '*' : findResource(resourceName)?.name;
			if (target === undefined) {
				throw new Error(`setFault: unknown resource "${resourceName}"`);
			}

			state.faults.set(target as FaultTarget, fault, faultOptions);
		},
	};
}

/** What tests read back: versions, counts, open watches, the request log, and waits on them. */
function observers(state: ServerState, log: readonly RequestLogEntry[]): Pick<ApiServer, 'resourceVersion' | 'count' | 'counters' | 'openWatches' | 'waitForWatches' | 'waitForRequests' | 'requestLog'> {
	const {store, counts, watches, waiters} = state;
	return {
		resourceVersion: () => store.resourceVersion,
		count: resource => store.count(findResource(resource)!),
		counters: () => ({get: {...counts.get}, list: {...counts.list}, watch: {...counts.watch}}),
		openWatches: resource => watches.count(resource),
		waitForWatches: (resource, count = 1) => waiters.until(() => watches.count(resource) >= count),
		waitForRequests: (verb, resource, count) => waiters.until(() => counts[verb][resource] >= count),
		requestLog: () => log.slice(),
	};
}

/** Changes to the objects and their history. */
function mutators(state: ServerState): Pick<ApiServer, 'upsert' | 'remove' | 'cutWatches' | 'compact'> {
	return {
		upsert: object => JSON.parse(state.store.upsert(object).objectJson) as Record<string, unknown>,
		remove(kindOrResource, namespace, name) {
			const resource = findResource(kindOrResource);
			if (resource === undefined) {
				throw new Error(`remove: unsupported kind "${kindOrResource}"`);
			}

			return state.store.remove(resource, namespace ?? '', name);
		},
		cutWatches: () => state.watches.cut(),
		compact() {
			state.store.compact();
			state.lists.clear();
		},
	};
}

/** The four namespaces every cluster has, then the caller's objects. */
function loadObjects(store: ObjectStore, objects: readonly object[]): void {
	for (const name of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) {
		store.upsert({kind: 'Namespace', apiVersion: 'v1', metadata: {name, labels: {'kubernetes.io/metadata.name': name}}, spec: {finalizers: ['kubernetes']}, status: {phase: 'Active'}});
	}

	for (const object of objects) {
		store.upsert(object);
	}
}

/**
 * Starts an in-process fake kube-apiserver over plain HTTP: list/get/watch for namespaces, nodes,
 * services, endpoints, pods and discovery.k8s.io/v1 endpointslices, with discovery for kubectl.
 */
export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
	const store = new ObjectStore(options.historyLimit ?? 10_000, options.now);
	loadObjects(store, options.objects ?? []);
	const user = options.user ?? 'svctop-demo';
	const waiters = new Waiters();
	const state: ServerState = {
		store,
		user,
		forbiddenResources: new Set(),
		faults: new FaultSwitches(),
		counts: {get: emptyCounters(), list: emptyCounters(), watch: emptyCounters()},
		waiters,
		lists: new ListServer(store),
		watches: new WatchHub(store, options.bookmarkIntervalMs ?? 60_000, () => waiters.wake()),
		// Pods create/delete, pods/exec and SelfSubjectAccessReview (debug pods) live in pod-access.ts.
		access: podAccess(store, {...options, user}),
	};
	const log: RequestLogEntry[] = [];
	const server = createServer(requestListener(state, log));
	server.keepAliveTimeout = 60_000;
	server.on('upgrade', state.access.upgrade);
	const url = await listen(server, options);
	return {
		...state.access.controls,
		url,
		kubeconfigYaml: kubeconfig => kubeconfigYaml(url, kubeconfig),
		async writeKubeconfig(directory, kubeconfig) {
			await mkdir(directory, {recursive: true});
			const file = path.join(directory, 'kubeconfig');
			await writeFile(file, kubeconfigYaml(url, kubeconfig), {mode: 0o600});
			return file;
		},
		...mutators(state),
		...switches(state),
		...observers(state, log),
		async close() {
			state.faults.release();
			state.access.close();
			state.watches.close();
			await new Promise<void>(resolve => {
				server.close(() => resolve());
				server.closeAllConnections();
			});
		},
	};
}
