import {randomBytes} from 'node:crypto';
import type {IncomingMessage, ServerResponse} from 'node:http';
import type {Duplex} from 'node:stream';
import {decodeAccessReviewProto} from './access-review-proto.js';
import {answerExec, type ExecAnswer, type ExecHook, type ExecPod, execProtocols, runExec} from './pod-exec.js';
import {enforceLabel, isPodSecurityLevel, type PodSecurityLevel, podSecurityRejection} from './pod-security.js';
import {findResource} from './resources.js';
import {badRequest, forbidden, notFound, type StatusBody} from './status.js';
import type {ObjectStore} from './store.js';
import {acceptWebSocket, isWebSocketUpgrade} from './websocket.js';

/**
 * The writes a debug-pod client needs, beside the read-only server: pods create and delete (with a
 * status a fake kubelet moves to Running), pods/exec over WebSocket, SelfSubjectAccessReview, Pod
 * Security Admission by namespace label, and switches to deny or fail any of it on demand.
 */

export type PodAccessOptions = {
	/**
	 * How pods/exec runs: `real` runs the command (in the node's network namespace when `nodeNetns`
	 * maps it, else in this process's), a hook answers in-process. Unset: exec is refused, so a
	 * server nobody asked to run commands never does.
	 */
	readonly exec?: 'real' | ExecHook;
	/** Node name -> network namespace (`ip netns exec NETNS ...`) for pods on that node. */
	readonly nodeNetns?: Readonly<Record<string, string>>;
	/** `namespace/name` -> network namespace, for pods that are not on the host network. */
	readonly podNetns?: Readonly<Record<string, string>>;
	/** How long a scheduled pod stays Pending before it runs. Default 100 ms. */
	readonly podStartMs?: number;
};

/** A verb on a resource (and subresource) the server denies, in one namespace or all. */
export type AccessRule = {readonly verb: string; readonly resource: string; readonly subresource?: string; readonly namespace?: string};

export type PodAccessControls = {
	/**
	 * Denies a verb like RBAC would: the request gets 403 and SelfSubjectAccessReview says not allowed
	 * (unless `hiddenFromReview`, for a client that must cope with a review that was too kind).
	 */
	denyAccess(rule: AccessRule, options?: {hiddenFromReview?: boolean}): void;
	/** Lifts every denial. */
	allowAllAccess(): void;
	/** Sets the namespace's Pod Security enforce level (its label), as `kubectl label ns` would. */
	setPodSecurity(namespace: string, level: PodSecurityLevel | undefined): void;
	/** Pods with this image never start: ErrImagePull, then ImagePullBackOff. */
	failImagePull(image: string): void;
	/** Exec sessions running now. */
	openExecs(): number;
};

export type PodAccess = {
	/** Serves the request when it is one of ours; false leaves it to the read-only router. */
	handle(request: IncomingMessage, response: ServerResponse, url: URL): boolean;
	/** The `upgrade` event: pods/exec. */
	upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
	readonly controls: PodAccessControls;
	close(): void;
};

type Json = Record<string, any>;
type Denial = AccessRule & {readonly hiddenFromReview: boolean};

const podsResource = findResource('pods')!;
const namespacesResource = findResource('namespaces')!;
const maxBodyBytes = 1024 * 1024;

function sendJson(response: ServerResponse, code: number, body: object | string): void {
	const text = typeof body === 'string' ? body : JSON.stringify(body);
	response.writeHead(code, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private'});
	response.end(text);
}

function sendStatus(response: ServerResponse, status: StatusBody): void {
	sendJson(response, status.code, status);
}

function statusOf(code: number, reason: string, message: string, details?: StatusBody['details']): StatusBody {
	return {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? {details} : {}), code};
}

async function readBody(request: IncomingMessage): Promise<Json | string> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of request) {
		size += (chunk as Buffer).length;
		if (size > maxBodyBytes) {
			return 'request body too large';
		}

		chunks.push(chunk as Buffer);
	}

	const raw = Buffer.concat(chunks);
	try {
		if ((request.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf')) {
			return decodeAccessReviewProto(raw);
		}

		const body = JSON.parse(raw.toString('utf8')) as unknown;
		return typeof body === 'object' && body !== null && !Array.isArray(body) ? body as Json : 'the request body is not a JSON object';
	} catch (error) {
		return `the request body cannot be read: ${(error as Error).message}`;
	}
}

/** Path shapes we serve: pods in a namespace, one pod, its exec, and the access review. */
function routeOf(pathname: string): {kind: 'pods' | 'pod' | 'exec' | 'review'; namespace?: string; name?: string} | undefined {
	const segments = pathname.split('/').filter(Boolean).map(segment => decodeURIComponent(segment));
	if (segments.join('/') === 'apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
		return {kind: 'review'};
	}

	const [api, version, namespaces, namespace, pods, name, sub, ...rest] = segments;
	if (api !== 'api' || version !== 'v1' || namespaces !== 'namespaces' || pods !== 'pods' || rest.length > 0) {
		return undefined;
	}

	if (name === undefined) {
		return {kind: 'pods', namespace};
	}

	if (sub === undefined) {
		return {kind: 'pod', namespace, name};
	}

	return sub === 'exec' ? {kind: 'exec', namespace, name} : undefined;
}

export function podAccess(store: ObjectStore, options: PodAccessOptions & {readonly user: string}): PodAccess {
	const denials: Denial[] = [];
	const failingImages = new Set<string>();
	const timers = new Set<NodeJS.Timeout>();
	const execs = new Map<string, Set<{kill(): void}>>();
	const startMs = options.podStartMs ?? 100;

	function denied(verb: string, resource: string, subresource: string, namespace: string | undefined, forReview: boolean): boolean {
		return denials.some(rule => (rule.verb === verb || rule.verb === '*') && rule.resource === resource && (rule.subresource ?? '') === subresource
			&& (rule.namespace === undefined || rule.namespace === namespace) && !(forReview && rule.hiddenFromReview));
	}

	function later(ms: number, action: () => void): void {
		const timer = setTimeout(() => {
			timers.delete(timer);
			action();
		}, ms);
		timer.unref();
		timers.add(timer);
	}

	function currentPod(namespace: string, name: string, uid: unknown): Json | undefined {
		const stored = store.get(podsResource, namespace, name);
		return stored !== undefined && stored.uid === uid ? {kind: 'Pod', apiVersion: 'v1', ...JSON.parse(stored.itemJson) as Json} : undefined;
	}

	function killExecs(namespace: string, name: string): void {
		for (const session of execs.get(`${namespace}/${name}`) ?? []) {
			session.kill();
		}
	}

	/** The fake kubelet: the pod runs after a moment, or its image never pulls; its deadline ends it. */
	function startPod(namespace: string, name: string, uid: unknown): void {
		later(startMs, () => {
			const pod = currentPod(namespace, name, uid);
			if (pod === undefined) {
				return;
			}

			const container = (pod.spec?.containers ?? [])[0] as Json | undefined;
			const image = String(container?.image ?? '');
			const started = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
			const nodeIp = nodeAddress(String(pod.spec.nodeName));
			const base = {hostIP: nodeIp, startTime: started, qosClass: 'BestEffort', ...(pod.spec.hostNetwork && nodeIp ? {podIP: nodeIp, podIPs: [{ip: nodeIp}]} : {})};
			if (failingImages.has(image)) {
				const waiting = {reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"`};
				pod.status = {...base, phase: 'Pending', conditions: [{type: 'PodScheduled', status: 'True'}, {type: 'Ready', status: 'False', reason: 'ContainersNotReady'}], containerStatuses: [{name: container?.name, image, ready: false, restartCount: 0, started: false, state: {waiting}}]};
			} else {
				pod.status = {...base, phase: 'Running', conditions: [{type: 'PodScheduled', status: 'True'}, {type: 'Initialized', status: 'True'}, {type: 'ContainersReady', status: 'True'}, {type: 'Ready', status: 'True'}], containerStatuses: [{name: container?.name, image, imageID: `${image}@sha256:0`, ready: true, restartCount: 0, started: true, state: {running: {startedAt: started}}}]};
			}

			store.upsert(pod);
			const deadline = Number(pod.spec.activeDeadlineSeconds);
			if (Number.isFinite(deadline) && deadline > 0) {
				later(deadline * 1000, () => endPod(namespace, name, uid));
			}
		});
	}

	function endPod(namespace: string, name: string, uid: unknown): void {
		const pod = currentPod(namespace, name, uid);
		if (pod === undefined) {
			return;
		}

		killExecs(namespace, name);
		const finished = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
		const containerStatuses = (pod.status.containerStatuses ?? []).map((status: Json) => ({...status, ready: false, started: false, state: {terminated: {exitCode: 137, reason: 'Error', finishedAt: finished}}}));
		pod.status = {...pod.status, phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline', containerStatuses};
		store.upsert(pod);
	}

	function nodeAddress(nodeName: string): string | undefined {
		const node = store.get(findResource('nodes')!, '', nodeName);
		const addresses = node === undefined ? [] : (JSON.parse(node.itemJson) as Json).status?.addresses ?? [];
		return (addresses as Array<{type: string; address: string}>).find(address => address.type === 'InternalIP')?.address;
	}

	function admissionRejection(namespace: string, name: string, spec: Json): string | undefined {
		const stored = store.get(namespacesResource, '', namespace);
		const level = stored?.labels?.[enforceLabel];
		return isPodSecurityLevel(level) ? podSecurityRejection(name, spec, level) : undefined;
	}

	async function create(request: IncomingMessage, response: ServerResponse, namespace: string, url: URL): Promise<void> {
		const body = await readBody(request);
		if (typeof body === 'string') {
			sendStatus(response, badRequest(body));
			return;
		}

		const metadata: Json = {...body.metadata};
		if (typeof metadata.name !== 'string' || metadata.name === '') {
			if (typeof metadata.generateName !== 'string' || metadata.generateName === '') {
				sendStatus(response, statusOf(422, 'Invalid', 'Pod "" is invalid: metadata.name: Required value: name or generateName is required'));
				return;
			}

			metadata.name = `${metadata.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
		}

		const name = String(metadata.name);
		if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
			sendStatus(response, badRequest('the namespace of the provided object does not match the namespace sent on the request'));
			return;
		}

		if (store.get(namespacesResource, '', namespace) === undefined) {
			sendStatus(response, notFound(namespacesResource, namespace));
			return;
		}

		if (denied('create', 'pods', '', namespace, false)) {
			sendStatus(response, forbidden(podsResource, 'create', options.user, namespace));
			return;
		}

		if (store.get(podsResource, namespace, name) !== undefined) {
			sendStatus(response, statusOf(409, 'AlreadyExists', `pods "${name}" already exists`, {name, kind: 'pods'}));
			return;
		}

		const spec: Json = typeof body.spec === 'object' && body.spec !== null ? body.spec as Json : {};
		const rejection = admissionRejection(namespace, name, spec);
		if (rejection !== undefined) {
			sendStatus(response, statusOf(403, 'Forbidden', rejection, {name, kind: 'pods'}));
			return;
		}

		const pod = {...body, kind: 'Pod', apiVersion: 'v1', metadata: {...metadata, namespace}, spec: {restartPolicy: 'Always', ...spec}, status: {phase: 'Pending', qosClass: 'BestEffort'}};
		if (url.searchParams.get('dryRun') === 'All') {
			sendJson(response, 201, pod);
			return;
		}

		const stored = store.upsert(pod);
		// Only a node that exists has a kubelet to run the pod; elsewhere it stays Pending, as in a cluster.
		if (typeof spec.nodeName === 'string' && store.get(findResource('nodes')!, '', spec.nodeName) !== undefined) {
			startPod(namespace, name, stored.uid);
		}

		sendJson(response, 201, stored.objectJson);
	}

	function remove(response: ServerResponse, namespace: string, name: string): void {
		if (denied('delete', 'pods', '', namespace, false)) {
			sendStatus(response, forbidden(podsResource, 'delete', options.user, namespace, name));
			return;
		}

		const stored = store.get(podsResource, namespace, name);
		if (stored === undefined) {
			sendStatus(response, notFound(podsResource, name));
			return;
		}

		killExecs(namespace, name);
		store.remove(podsResource, namespace, name);
		sendJson(response, 200, stored.objectJson);
	}

	async function review(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const body = await readBody(request);
		if (typeof body === 'string') {
			sendStatus(response, badRequest(body));
			return;
		}

		const attributes: Json = body.spec?.resourceAttributes ?? {};
		const allowed = !denied(String(attributes.verb ?? ''), String(attributes.resource ?? ''), String(attributes.subresource ?? ''), attributes.namespace as string | undefined, true);
		sendJson(response, 201, {
			kind: 'SelfSubjectAccessReview',
			apiVersion: 'authorization.k8s.io/v1',
			metadata: {creationTimestamp: null},
			spec: body.spec ?? {},
			status: allowed ? {allowed: true, reason: `RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to User "${options.user}"`} : {allowed: false},
		});
	}

	function handle(request: IncomingMessage, response: ServerResponse, url: URL): boolean {
		const route = routeOf(url.pathname);
		const method = request.method ?? 'GET';
		if (route === undefined) {
			return false;
		}

		const failed = (error: unknown) => sendStatus(response, statusOf(500, 'InternalError', String(error)));
		if (route.kind === 'review' && method === 'POST') {
			review(request, response).catch(failed);
		} else if (route.kind === 'pods' && method === 'POST') {
			create(request, response, route.namespace!, url).catch(failed);
		} else if (route.kind === 'pod' && method === 'DELETE') {
			remove(response, route.namespace!, route.name!);
		} else if (route.kind === 'exec') {
			sendStatus(response, badRequest('Upgrade request required'));
		} else {
			return false;
		}

		return true;
	}

	function refuse(socket: Duplex, status: StatusBody): void {
		const body = JSON.stringify(status);
		const reason = status.code === 403 ? 'Forbidden' : status.code === 404 ? 'Not Found' : status.code === 500 ? 'Internal Server Error' : 'Bad Request';
		socket.end(`HTTP/1.1 ${status.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
	}

	/** Why this exec cannot start, or the pod it runs in. */
	function execTarget(namespace: string, name: string, argv: readonly string[]): StatusBody | ExecPod {
		if (denied('create', 'pods', 'exec', namespace, false) || denied('get', 'pods', 'exec', namespace, false)) {
			return forbidden(podsResource, 'create', options.user, namespace, name);
		}

		const stored = store.get(podsResource, namespace, name);
		if (stored === undefined) {
			return notFound(podsResource, name);
		}

		const pod = JSON.parse(stored.itemJson) as Json;
		const phase = pod.status?.phase;
		if (phase === 'Succeeded' || phase === 'Failed') {
			return badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
		}

		if (phase !== 'Running') {
			return badRequest(`unable to upgrade connection: container not found ("${pod.spec?.containers?.[0]?.name ?? ''}")`);
		}

		if (argv.length === 0) {
			return badRequest('you must specify at least 1 command');
		}

		if (options.exec === undefined) {
			return statusOf(500, 'InternalError', 'exec is not enabled in this API server');
		}

		return {namespace, name, nodeName: pod.spec?.nodeName, hostNetwork: pod.spec?.hostNetwork === true};
	}

	function launchArgv(pod: ExecPod, argv: readonly string[]): readonly string[] {
		const netns = pod.hostNetwork ? options.nodeNetns?.[pod.nodeName ?? ''] : options.podNetns?.[`${pod.namespace}/${pod.name}`] ?? options.nodeNetns?.[pod.nodeName ?? ''];
		return netns === undefined ? argv : ['ip', 'netns', 'exec', netns, ...argv];
	}

	function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
		const url = new URL(request.url ?? '/', 'http://localhost');
		const route = routeOf(url.pathname);
		if (route?.kind !== 'exec' || !isWebSocketUpgrade(request)) {
			refuse(socket, statusOf(404, 'NotFound', 'the server could not find the requested resource'));
			return;
		}

		const argv = url.searchParams.getAll('command');
		const target = execTarget(route.namespace!, route.name!, argv);
		if ('kind' in target) {
			refuse(socket, target);
			return;
		}

		const connection = acceptWebSocket(request, socket, head, execProtocols);
		if (typeof options.exec === 'function') {
			const hook = options.exec;
			const failed = (error: unknown): ExecAnswer => ({stdout: '', stderr: `${(error as Error).message}\n`, exitCode: 1});
			void Promise.resolve()
				.then(async () => hook(target, argv))
				.catch(failed)
				.then(answer => answerExec(connection, argv, answer));
			return;
		}

		const key = `${target.namespace}/${target.name}`;
		const session = runExec(connection, argv, {argv: launchArgv(target, argv)}, url.searchParams.get('stdin') === 'true');
		const sessions = execs.get(key) ?? new Set();
		sessions.add(session);
		execs.set(key, sessions);
		connection.onClose(() => {
			sessions.delete(session);
			if (sessions.size === 0) {
				execs.delete(key);
			}
		});
	}

	const controls: PodAccessControls = {
		denyAccess(rule, ruleOptions = {}) {
			denials.push({...rule, hiddenFromReview: ruleOptions.hiddenFromReview ?? false});
		},
		allowAllAccess() {
			denials.length = 0;
		},
		setPodSecurity(namespace, level) {
			const stored = store.get(namespacesResource, '', namespace);
			const object: Json = stored === undefined ? {metadata: {name: namespace}, spec: {finalizers: ['kubernetes']}, status: {phase: 'Active'}} : JSON.parse(stored.itemJson) as Json;
			const labels: Record<string, string> = {...object.metadata.labels, 'kubernetes.io/metadata.name': namespace};
			if (level === undefined) {
				delete labels[enforceLabel];
			} else {
				labels[enforceLabel] = level;
			}

			store.upsert({...object, kind: 'Namespace', apiVersion: 'v1', metadata: {...object.metadata, labels}});
		},
		failImagePull(image) {
			failingImages.add(image);
		},
		openExecs: () => [...execs.values()].reduce((total, sessions) => total + sessions.size, 0),
	};

	return {
		handle,
		upgrade,
		controls,
		close() {
			for (const timer of timers) {
				clearTimeout(timer);
			}

			timers.clear();
			for (const sessions of execs.values()) {
				for (const session of sessions) {
					session.kill();
				}
			}
		},
	};
}

export type {ExecHook, ExecPod, ExecAnswer} from './pod-exec.js';
export type {PodSecurityLevel} from './pod-security.js';
