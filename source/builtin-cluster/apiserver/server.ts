import {mkdir, writeFile} from 'node:fs/promises';
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo, Socket} from 'node:net';
import path from 'node:path';
import {type Fault, type FaultOptions, FaultSwitches, type FaultTarget} from './faults.js';
import {aggregatedContentType, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo, wantsAggregatedDiscovery} from './discovery.js';
import {type FieldSelector, matchesFields, parseFieldSelector} from './field-selector.js';
import {type LabelSelector, matchesLabels, parseLabelSelector} from './label-selector.js';
import {apiVersionOf, findResource, type ResourceInfo, type ResourceName, resourceAt, resources} from './resources.js';
import {badRequest, continueExpired, expired, forbidden, listExpired, methodNotAllowed, notFound, type StatusBody, tooLargeResourceVersion, unknownPath} from './status.js';
import {ObjectStore, type StoredObject, type StoreEvent} from './store.js';
import {renderTable, wantsTable} from './table.js';
import {podAccess, type PodAccessControls, type PodAccessOptions} from './pod-access.js';

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

type Watcher = {
	readonly resource: ResourceInfo;
	readonly namespace: string | undefined;
	readonly labels: LabelSelector;
	readonly fields: FieldSelector;
	readonly response: ServerResponse;
	readonly socket: Socket;
	readonly timers: NodeJS.Timeout[];
	/** kubectl get -w asks for Table events; each event then carries a one-row Table. */
	readonly table: boolean;
	closed: boolean;
};

type ListSnapshot = {readonly items: readonly StoredObject[]; readonly resourceVersion: number};

type ContinueToken = {v: string; rv: number; start: string; snapshot?: number};

const jsonType = 'application/json';
const tableType = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const maxSnapshots = 32;

function emptyCounters(): Record<ResourceName, number> {
	return Object.fromEntries(resources.map(resource => [resource.name, 0])) as Record<ResourceName, number>;
}

function yamlString(value: string): string {
	return JSON.stringify(value);
}

function encodeContinue(token: ContinueToken): string {
	return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(value: string): ContinueToken | undefined {
	try {
		const token = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<ContinueToken>;
		if (token.v === 'meta.k8s.io/v1' && typeof token.rv === 'number' && typeof token.start === 'string') {
			return token as ContinueToken;
		}
	} catch {}

	return undefined;
}

/** `/api/v1/...` or `/apis/group/version/...` below discovery: a resource request. */
function isResourcePath(segments: readonly string[]): boolean {
	return (segments[0] === 'api' && segments.length >= 3) || (segments[0] === 'apis' && segments.length >= 4);
}

function isTrue(value: string | null): boolean {
	return value === 'true' || value === '1';
}

/**
 * Starts an in-process fake kube-apiserver over plain HTTP: list/get/watch for namespaces, nodes,
 * services, endpoints, pods and discovery.k8s.io/v1 endpointslices, with discovery for kubectl.
 */
export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
	const store = new ObjectStore(options.historyLimit ?? 10_000, options.now);
	const bookmarkIntervalMs = options.bookmarkIntervalMs ?? 60_000;
	const user = options.user ?? 'svctop-demo';
	const forbiddenResources = new Set<ResourceName>();
	const faults = new FaultSwitches();
	const watchers = new Map<ResourceName, Set<Watcher>>(resources.map(resource => [resource.name, new Set()]));
	const watchWaiters = new Set<() => void>();
	const counts: Record<Verb, Record<ResourceName, number>> = {get: emptyCounters(), list: emptyCounters(), watch: emptyCounters()};
	const log: RequestLogEntry[] = [];
	const snapshots = new Map<number, ListSnapshot>();
	let nextSnapshot = 1;
	// Pods create/delete, pods/exec and SelfSubjectAccessReview (debug pods) live in pod-access.ts.
	const access = podAccess(store, {...options, user});

	for (const name of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) {
		store.upsert({kind: 'Namespace', apiVersion: 'v1', metadata: {name, labels: {'kubernetes.io/metadata.name': name}}, spec: {finalizers: ['kubernetes']}, status: {phase: 'Active'}});
	}

	for (const object of options.objects ?? []) {
		store.upsert(object);
	}

	store.subscribe(event => {
		for (const watcher of watchers.get(event.object.resource.name)!) {
			deliver(watcher, event);
		}
	});

	function matches(watcher: Pick<Watcher, 'namespace' | 'labels' | 'fields'>, object: StoredObject): boolean {
		return (watcher.namespace === undefined || object.namespace === watcher.namespace) && matchesLabels(watcher.labels, object.labels) && matchesFields(watcher.fields, object);
	}

	function eventLine(type: string, objectJson: string): string {
		return `{"type":"${type}","object":${objectJson}}\n`;
	}

	function watchLine(watcher: Watcher, type: string, objectJson: string): string {
		if (!watcher.table) {
			return eventLine(type, objectJson);
		}

		const object = JSON.parse(objectJson) as Record<string, any>;
		return eventLine(type, JSON.stringify(renderTable(watcher.resource, [object], String(object.metadata.resourceVersion), undefined, true)));
	}

	function deliver(watcher: Watcher, event: StoreEvent): void {
		if (watcher.closed) {
			return;
		}

		const now = matches(watcher, event.object);
		const before = event.previous !== undefined && matches(watcher, event.previous);
		if (event.type === 'ADDED') {
			if (now) {
				watcher.response.write(watchLine(watcher, 'ADDED', event.object.objectJson));
			}
		} else if (event.type === 'DELETED') {
			if (before) {
				watcher.response.write(watchLine(watcher, 'DELETED', event.object.objectJson));
			}
		} else if (now) {
			watcher.response.write(watchLine(watcher, before ? 'MODIFIED' : 'ADDED', event.object.objectJson));
		} else if (before) {
			// The object left the selector: the watcher sees it deleted, in its previous state at the new version.
			const object = JSON.parse(event.previous!.objectJson) as {metadata: Record<string, unknown>};
			object.metadata.resourceVersion = String(event.resourceVersion);
			watcher.response.write(watchLine(watcher, 'DELETED', JSON.stringify(object)));
		}
	}

	function send(response: ServerResponse, status: number, body: string, contentType = jsonType): void {
		response.writeHead(status, {
			'Content-Type': contentType,
			'Content-Length': Buffer.byteLength(body),
			'Cache-Control': 'no-cache, private',
		});
		response.end(body);
	}

	function sendStatus(response: ServerResponse, body: StatusBody): void {
		send(response, body.code, JSON.stringify(body));
	}

	function sendJson(response: ServerResponse, body: object, contentType = jsonType): void {
		send(response, 200, JSON.stringify(body), contentType);
	}

	function discovery(request: IncomingMessage, response: ServerResponse, segments: string[]): boolean {
		const [root, group, version] = segments;
		if (root === 'version' && segments.length === 1) {
			sendJson(response, versionInfo());
			return true;
		}

		if ((root === 'healthz' || root === 'readyz' || root === 'livez') && segments.length === 1) {
			send(response, 200, 'ok', 'text/plain; charset=utf-8');
			return true;
		}

		if ((root === 'api' || root === 'apis') && segments.length === 1) {
			const aggregated = wantsAggregatedDiscovery(request.headers.accept);
			if (aggregated !== undefined) {
				sendJson(response, aggregatedDiscovery(root === 'api', aggregated), aggregatedContentType(aggregated));
			} else {
				sendJson(response, root === 'api' ? apiVersions(request.headers.host ?? '127.0.0.1') : apiGroupList());
			}

			return true;
		}

		if (root === 'api' && segments.length === 2) {
			const list = apiResourceList('', group);
			if (list === undefined) {
				sendStatus(response, unknownPath());
			} else {
				sendJson(response, list);
			}

			return true;
		}

		if (root === 'apis' && segments.length === 2) {
			const document = apiGroup(group);
			if (document === undefined) {
				sendStatus(response, unknownPath());
			} else {
				sendJson(response, document);
			}

			return true;
		}

		if (root === 'apis' && segments.length === 3) {
			const list = apiResourceList(group, version);
			if (list === undefined) {
				sendStatus(response, unknownPath());
			} else {
				sendJson(response, list);
			}

			return true;
		}

		return false;
	}

	function handle(request: IncomingMessage, response: ServerResponse): void {
		const url = new URL(request.url ?? '/', 'http://localhost');
		const segments = url.pathname.split('/').filter(segment => segment !== '').map(segment => decodeURIComponent(segment));
		if (!isResourcePath(segments) && faults.intercept(request, response, undefined, false)) {
			return;
		}

		if (access.handle(request, response, url) || discovery(request, response, segments)) {
			return;
		}

		let group: string;
		let version: string;
		let rest: string[];
		if (segments[0] === 'api' && segments.length >= 3) {
			group = '';
			version = segments[1];
			rest = segments.slice(2);
		} else if (segments[0] === 'apis' && segments.length >= 4) {
			group = segments[1];
			version = segments[2];
			rest = segments.slice(3);
		} else {
			send(response, 404, '404 page not found\n', 'text/plain; charset=utf-8');
			return;
		}

		let legacyWatch = false;
		if (rest[0] === 'watch') {
			legacyWatch = true;
			rest = rest.slice(1);
		}

		let namespace: string | undefined;
		let plural: string;
		let name: string | undefined;
		if (rest[0] === 'namespaces' && rest.length >= 3) {
			namespace = rest[1];
			plural = rest[2];
			name = rest[3];
			if (rest.length > 5 || (rest.length === 5 && rest[4] !== 'status')) {
				sendStatus(response, unknownPath());
				return;
			}
		} else {
			plural = rest[0];
			name = rest[1];
			if (rest.length > 3 || (rest.length === 3 && rest[2] !== 'status')) {
				sendStatus(response, unknownPath());
				return;
			}
		}

		const resource = resourceAt(group, version, plural);
		if (resource === undefined || (namespace !== undefined && !resource.namespaced) || (namespace === undefined && name !== undefined && resource.namespaced)) {
			sendStatus(response, unknownPath());
			return;
		}

		if (request.method !== 'GET') {
			sendStatus(response, methodNotAllowed(request.method ?? ''));
			return;
		}

		const query = url.searchParams;
		const watch = legacyWatch || isTrue(query.get('watch'));
		const verb: Verb = watch ? 'watch' : name === undefined ? 'list' : 'get';
		counts[verb][resource.name]++;
		if (verb !== 'watch') {
			wakeWaiters();
		}

		if (faults.intercept(request, response, resource.name, watch)) {
			return;
		}

		if (forbiddenResources.has(resource.name)) {
			sendStatus(response, forbidden(resource, verb, user, namespace, verb === 'get' ? name : undefined));
			return;
		}

		if (verb === 'get') {
			const object = store.get(resource, namespace ?? '', name!);
			if (object === undefined) {
				sendStatus(response, notFound(resource, name!));
			} else if (wantsTable(request.headers.accept)) {
				sendJson(response, renderTable(resource, [JSON.parse(object.itemJson) as Record<string, unknown>], String(store.resourceVersion), undefined, true), tableType);
			} else {
				send(response, 200, object.objectJson);
			}

			return;
		}

		const labels = parseLabelSelector(query.get('labelSelector') ?? '');
		if (!labels.ok) {
			sendStatus(response, badRequest(labels.error));
			return;
		}

		const fieldParts: string[] = [];
		if (query.get('fieldSelector')) {
			fieldParts.push(query.get('fieldSelector')!);
		}

		if (name !== undefined) {
			// A watch on a named path (legacy form) is a watch with a name field selector.
			fieldParts.push(`metadata.name=${name}`);
		}

		const fields = parseFieldSelector(fieldParts.join(','), resource);
		if (!fields.ok) {
			sendStatus(response, badRequest(fields.error));
			return;
		}

		if (watch) {
			startWatch(request, response, resource, namespace, labels.value, fields.value, query);
		} else {
			list(request, response, resource, namespace, labels.value, fields.value, query);
		}
	}

	function list(request: IncomingMessage, response: ServerResponse, resource: ResourceInfo, namespace: string | undefined, labels: LabelSelector, fields: FieldSelector, query: URLSearchParams): void {
		const filter = {namespace, labels, fields};
		const limitText = query.get('limit');
		const limit = limitText === null || limitText === '' ? 0 : Number(limitText);
		if (!Number.isInteger(limit) || limit < 0) {
			sendStatus(response, badRequest(`invalid limit: ${limitText}`));
			return;
		}

		let items: readonly StoredObject[];
		let listVersion: number;
		let start = 0;
		let snapshotId: number | undefined;
		const continueText = query.get('continue');
		if (continueText) {
			const token = decodeContinue(continueText);
			if (token === undefined) {
				sendStatus(response, badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)'));
				return;
			}

			const snapshot = token.snapshot === undefined ? undefined : snapshots.get(token.snapshot);
			if (snapshot === undefined && token.rv < store.compactedVersion) {
				sendStatus(response, continueExpired());
				return;
			}

			items = snapshot?.items ?? store.sorted(resource).filter(object => matches(filter, object));
			listVersion = snapshot?.resourceVersion ?? token.rv;
			snapshotId = snapshot === undefined ? undefined : token.snapshot;
			start = firstAfter(items, token.start);
		} else {
			const requested = query.get('resourceVersion');
			const match = query.get('resourceVersionMatch');
			const current = store.resourceVersion;
			const version = requested === null || requested === '' ? undefined : Number(requested);
			if (version !== undefined && !Number.isInteger(version)) {
				sendStatus(response, badRequest(`resourceVersion: Invalid value: "${requested}": must be an integer`));
				return;
			}

			if (match === 'Exact' && version !== undefined && version !== current) {
				const past = stateAt(resource, version);
				if (past === undefined) {
					sendStatus(response, version > current ? tooLargeResourceVersion(version, current) : listExpired());
					return;
				}

				items = past.filter(object => matches(filter, object));
				listVersion = version;
			} else {
				if (version !== undefined && version > current) {
					sendStatus(response, tooLargeResourceVersion(version, current));
					return;
				}

				const all = store.sorted(resource);
				items = namespace === undefined && labels.length === 0 && fields.length === 0 ? all.slice() : all.filter(object => matches(filter, object));
				listVersion = current;
			}
		}

		let end = items.length;
		let continueToken: string | undefined;
		if (limit > 0 && start + limit < items.length) {
			end = start + limit;
			if (snapshotId === undefined) {
				snapshotId = nextSnapshot++;
				snapshots.set(snapshotId, {items, resourceVersion: listVersion});
				if (snapshots.size > maxSnapshots) {
					snapshots.delete(snapshots.keys().next().value!);
				}
			}

			continueToken = encodeContinue({v: 'meta.k8s.io/v1', rv: listVersion, start: `${items[end - 1].key}\u0000`, snapshot: snapshotId});
		} else if (snapshotId !== undefined) {
			snapshots.delete(snapshotId);
		}

		const page = items.slice(start, end);
		if (wantsTable(request.headers.accept)) {
			const objects = page.map(object => JSON.parse(object.itemJson) as Record<string, unknown>);
			sendJson(response, renderTable(resource, objects, String(listVersion), continueToken, query.get('includeObject') !== 'None'), tableType);
			return;
		}

		let metadata = `{"resourceVersion":"${listVersion}"`;
		if (continueToken !== undefined) {
			metadata += `,"continue":"${continueToken}"`;
			if (labels.length === 0 && fields.length === 0) {
				metadata += `,"remainingItemCount":${items.length - end}`;
			}
		}

		metadata += '}';
		const head = `{"kind":"${resource.kind}List","apiVersion":"${apiVersionOf(resource)}","metadata":${metadata},"items":[`;
		send(response, 200, head + page.map(object => object.itemJson).join(',') + ']}');
	}

	function firstAfter(items: readonly StoredObject[], start: string): number {
		let low = 0;
		let high = items.length;
		while (low < high) {
			const middle = (low + high) >> 1;
			if (items[middle].key < start) {
				low = middle + 1;
			} else {
				high = middle;
			}
		}

		return low;
	}

	/** The objects of a resource as they were at `version`, rolled back from history; undefined if compacted. */
	function stateAt(resource: ResourceInfo, version: number): StoredObject[] | undefined {
		const events = store.eventsSince(version);
		if (events === undefined || version > store.resourceVersion) {
			return undefined;
		}

		const state = new Map(store.sorted(resource).map(object => [object.key, object]));
		for (let index = events.length - 1; index >= 0; index--) {
			const event = events[index];
			if (event.object.resource !== resource) {
				continue;
			}

			if (event.type === 'ADDED') {
				state.delete(event.object.key);
			} else {
				state.set(event.object.key, event.previous!);
			}
		}

		return [...state.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
	}

	function startWatch(request: IncomingMessage, response: ServerResponse, resource: ResourceInfo, namespace: string | undefined, labels: LabelSelector, fields: FieldSelector, query: URLSearchParams): void {
		const requested = query.get('resourceVersion');
		const version = requested === null || requested === '' || requested === '0' ? undefined : Number(requested);
		if (version !== undefined && !Number.isInteger(version)) {
			sendStatus(response, badRequest(`resourceVersion: Invalid value: "${requested}": must be an integer`));
			return;
		}

		const sendInitialEvents = isTrue(query.get('sendInitialEvents'));
		const bookmarks = isTrue(query.get('allowWatchBookmarks'));
		if (sendInitialEvents && (!bookmarks || query.get('resourceVersionMatch') !== 'NotOlderThan')) {
			sendStatus(response, badRequest('sendInitialEvents requires allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan'));
			return;
		}

		response.writeHead(200, {'Content-Type': jsonType, 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked'});
		response.flushHeaders();
		const watcher: Watcher = {resource, namespace, labels, fields, response, socket: request.socket, timers: [], table: wantsTable(request.headers.accept), closed: false};
		const events = version === undefined ? [] : store.eventsSince(version);
		if (events === undefined) {
			response.end(`{"type":"ERROR","object":${JSON.stringify(expired(version!, store.compactedVersion + 1))}}\n`);
			return;
		}

		const bookmark = (annotations?: Record<string, string>): string => {
			const metadata: Record<string, unknown> = {resourceVersion: String(store.resourceVersion), creationTimestamp: null};
			if (annotations !== undefined) {
				metadata.annotations = annotations;
			}

			return eventLine('BOOKMARK', JSON.stringify({kind: resource.kind, apiVersion: apiVersionOf(resource), metadata}));
		};

		if (version === undefined || sendInitialEvents) {
			// Unset or "0": synthetic ADDED events for the current state, then live changes.
			const lines: string[] = [];
			for (const object of store.sorted(resource)) {
				if (matches(watcher, object)) {
					lines.push(watchLine(watcher, 'ADDED', object.objectJson));
				}
			}

			if (lines.length > 0) {
				response.write(lines.join(''));
			}

			if (sendInitialEvents) {
				response.write(bookmark({'k8s.io/initial-events-end': 'true'}));
			}
		} else {
			for (const event of events) {
				if (event.object.resource === resource) {
					deliver(watcher, event);
				}
			}
		}

		watchers.get(resource.name)!.add(watcher);
		const close = (): void => {
			if (watcher.closed) {
				return;
			}

			watcher.closed = true;
			for (const timer of watcher.timers) {
				clearTimeout(timer);
			}

			watchers.get(resource.name)!.delete(watcher);
		};

		response.on('close', close);
		if (bookmarks) {
			const timer = setInterval(() => response.write(bookmark()), bookmarkIntervalMs);
			timer.unref();
			watcher.timers.push(timer);
		}

		const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
		if (timeoutSeconds > 0) {
			const timer = setTimeout(() => {
				close();
				response.end();
			}, timeoutSeconds * 1000);
			timer.unref();
			watcher.timers.push(timer);
		}

		wakeWaiters();
	}

	function wakeWaiters(): void {
		for (const waiter of [...watchWaiters]) {
			waiter();
		}
	}

	function waitUntil(condition: () => boolean): Promise<void> {
		return new Promise(resolve => {
			const check = (): void => {
				if (condition()) {
					watchWaiters.delete(check);
					resolve();
				}
			};

			watchWaiters.add(check);
			check();
		});
	}

	const server: Server = createServer((request, response) => {
		response.on('finish', () => {
			log.push({method: request.method ?? '', url: request.url ?? '', accept: request.headers.accept, status: response.statusCode});
			if (log.length > 1000) {
				log.splice(0, log.length - 1000);
			}
		});
		try {
			handle(request, response);
		} catch (error) {
			if (!response.headersSent) {
				send(response, 500, JSON.stringify({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String(error), reason: 'InternalError', code: 500}));
			} else {
				response.destroy();
			}
		}
	});
	server.keepAliveTimeout = 60_000;
	server.on('upgrade', access.upgrade);
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	const address = server.address() as AddressInfo;
	const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
	const url = `http://${host}:${address.port}`;

	function openWatches(resource?: ResourceName): number {
		if (resource !== undefined) {
			return watchers.get(resource)!.size;
		}

		let total = 0;
		for (const set of watchers.values()) {
			total += set.size;
		}

		return total;
	}

	function kubeconfigYaml(kubeconfig: KubeconfigOptions = {}): string {
		const name = yamlString(kubeconfig.context ?? 'svctop-demo');
		const namespace = kubeconfig.namespace ?? 'default';
		const lines = [
			'apiVersion: v1',
			'kind: Config',
			'clusters:',
			`- name: ${name}`,
			'  cluster:',
			`    server: ${yamlString(url)}`,
			'contexts:',
			`- name: ${name}`,
			'  context:',
			`    cluster: ${name}`,
			`    user: ${name}`,
			...(namespace === '' ? [] : [`    namespace: ${yamlString(namespace)}`]),
			`current-context: ${name}`,
			'users:',
			`- name: ${name}`,
			'  user:',
			'    token: svctop-demo-token',
			'preferences: {}',
			'',
		];
		return lines.join('\n');
	}

	return {
		...access.controls,
		url,
		kubeconfigYaml,
		async writeKubeconfig(directory, kubeconfig) {
			await mkdir(directory, {recursive: true});
			const file = path.join(directory, 'kubeconfig');
			await writeFile(file, kubeconfigYaml(kubeconfig), {mode: 0o600});
			return file;
		},
		upsert: object => JSON.parse(store.upsert(object).objectJson) as Record<string, unknown>,
		remove(kindOrResource, namespace, name) {
			const resource = findResource(kindOrResource);
			if (resource === undefined) {
				throw new Error(`remove: unsupported kind "${kindOrResource}"`);
			}

			return store.remove(resource, namespace ?? '', name);
		},
		cutWatches() {
			for (const set of watchers.values()) {
				for (const watcher of [...set]) {
					watcher.closed = true;
					for (const timer of watcher.timers) {
						clearTimeout(timer);
					}

					set.delete(watcher);
					watcher.socket.destroy();
				}
			}
		},
		compact() {
			store.compact();
			snapshots.clear();
		},
		setForbidden(resourceName, isForbidden) {
			const resource = findResource(resourceName);
			if (resource === undefined) {
				throw new Error(`setForbidden: unknown resource "${resourceName}"`);
			}

			if (isForbidden) {
				forbiddenResources.add(resource.name);
			} else {
				forbiddenResources.delete(resource.name);
			}
		},
		setFault(resourceName, fault, faultOptions) {
			const target = resourceName === '*' ? '*' : findResource(resourceName)?.name;
			if (target === undefined) {
				throw new Error(`setFault: unknown resource "${resourceName}"`);
			}

			faults.set(target as FaultTarget, fault, faultOptions);
		},
		resourceVersion: () => store.resourceVersion,
		count: resource => store.count(findResource(resource)!),
		counters: () => ({get: {...counts.get}, list: {...counts.list}, watch: {...counts.watch}}),
		openWatches,
		waitForWatches: (resource, count = 1) => waitUntil(() => openWatches(resource) >= count),
		waitForRequests: (verb, resource, count) => waitUntil(() => counts[verb][resource] >= count),
		requestLog: () => log.slice(),
		async close() {
			faults.release();
			access.close();
			for (const set of watchers.values()) {
				for (const watcher of set) {
					watcher.closed = true;
					for (const timer of watcher.timers) {
						clearTimeout(timer);
					}

					watcher.response.end();
				}

				set.clear();
			}

			await new Promise<void>(resolve => {
				server.close(() => resolve());
				server.closeAllConnections();
			});
		},
	};
}
