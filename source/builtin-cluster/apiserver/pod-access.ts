import type {IncomingMessage, ServerResponse} from 'node:http';
import type {Duplex} from 'node:stream';
import type {ExecHook} from './pod-exec.js';
import {enforceLabel, type PodSecurityLevel} from './pod-security.js';
import {badRequest} from './status.js';
import type {ObjectStore} from './store.js';
import {sendStatus} from './respond.js';
import {Denials} from './pod-access/denials.js';
import {ExecSessions} from './pod-access/exec-sessions.js';
import {upgradeExec} from './pod-access/exec-upgrade.js';
import {FakeKubelet} from './pod-access/fake-kubelet.js';
import {createPod, deletePod, type Json, namespacesResource, type PodAccessState, reviewAccess, routeOf, statusOf} from './pod-access/requests.js';

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

/** Routes a request to create, delete or review; false when it is none of ours (or not the right method). */
function handle(state: PodAccessState, request: IncomingMessage, response: ServerResponse, url: URL): boolean {
	const route = routeOf(url.pathname);
	const method = request.method ?? 'GET';
	if (route === undefined) {
		return false;
	}

	const failed = (error: unknown) => sendStatus(response, statusOf(500, 'InternalError', String(error)));
	if (route.kind === 'review' && method === 'POST') {
		reviewAccess(state, request, response).catch(failed);
	} else if (route.kind === 'pods' && method === 'POST') {
		createPod(state, request, response, route.namespace!, url).catch(failed);
	} else if (route.kind === 'pod' && method === 'DELETE') {
		deletePod(state, response, route.namespace!, route.name!);
	} else if (route.kind === 'exec') {
		sendStatus(response, badRequest('Upgrade request required'));
	} else {
		return false;
	}

	return true;
}

/** Sets (or clears) a namespace's Pod Security enforce label, creating the namespace when it is missing. */
function setPodSecurity(store: ObjectStore, namespace: string, level: PodSecurityLevel | undefined): void {
	const stored = store.get(namespacesResource, '', namespace);
	const object: Json = stored === undefined ? {metadata: {name: namespace}, spec: {finalizers: ['kubernetes']}, status: {phase: 'Active'}} : JSON.parse(stored.itemJson) as Json;
	const labels: Record<string, string> = {...object.metadata.labels, 'kubernetes.io/metadata.name': namespace};
	if (level === undefined) {
		delete labels[enforceLabel];
	} else {
		labels[enforceLabel] = level;
	}

	store.upsert({...object, kind: 'Namespace', apiVersion: 'v1', metadata: {...object.metadata, labels}});
}

export function podAccess(store: ObjectStore, options: PodAccessOptions & {readonly user: string}): PodAccess {
	const execs = new ExecSessions();
	const state: PodAccessState = {store, options, denials: new Denials(), kubelet: new FakeKubelet(store, execs, options.podStartMs ?? 100), execs};
	return {
		handle: (request, response, url) => handle(state, request, response, url),
		upgrade: (request, socket, head) => upgradeExec(state, request, socket, head),
		controls: {
			denyAccess: (rule, ruleOptions = {}) => state.denials.deny(rule, ruleOptions.hiddenFromReview ?? false),
			allowAllAccess: () => state.denials.allowAll(),
			setPodSecurity: (namespace, level) => setPodSecurity(store, namespace, level),
			failImagePull: image => state.kubelet.failImagePull(image),
			openExecs: () => execs.count(),
		},
		close() {
			state.kubelet.close();
			execs.killAll();
		},
	};
}

export type {ExecHook, ExecPod, ExecAnswer} from './pod-exec.js';
export type {PodSecurityLevel} from './pod-security.js';
