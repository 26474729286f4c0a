import {randomBytes} from 'node:crypto';
import type {IncomingMessage, ServerResponse} from 'node:http';
import {decodeAccessReviewProto} from '../access-review-proto.js';
import type {PodAccessOptions} from '../pod-access.js';
import {enforceLabel, isPodSecurityLevel, podSecurityRejection} from '../pod-security.js';
import {findResource} from '../resources.js';
import {send, sendStatus} from '../respond.js';
import {badRequest, forbidden, notFound, type StatusBody} from '../status.js';
import type {ObjectStore} from '../store.js';
import type {Denials} from './denials.js';
import type {ExecSessions} from './exec-sessions.js';
import type {FakeKubelet} from './fake-kubelet.js';

export type Json = Record<string, any>;

/** What the pod-access requests share. */
export type PodAccessState = {
	readonly store: ObjectStore;
	readonly options: PodAccessOptions & {readonly user: string};
	readonly denials: Denials;
	readonly kubelet: FakeKubelet;
	readonly execs: ExecSessions;
};

export const podsResource = findResource('pods')!;
export const namespacesResource = findResource('namespaces')!;
const maxBodyBytes = 1024 * 1024;

export function statusOf(code: number, reason: string, message: string, details?: StatusBody['details']): StatusBody {
	return {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? {details} : {}), code};
}

function sendObject(response: ServerResponse, code: number, body: object | string): void {
	send(response, code, typeof body === 'string' ? body : JSON.stringify(body));
}

/** A JSON object (or an access review in protobuf), or why it cannot be read. */
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

export type PodRoute = {kind: 'pods' | 'pod' | 'exec' | 'review'; namespace?: string; name?: string};

/** Path shapes we serve: pods in a namespace, one pod, its exec, and the access review. */
export function routeOf(pathname: string): PodRoute | undefined {
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

/** Pod Security Admission: the namespace's enforce label against the pod's spec. */
function admissionRejection(store: ObjectStore, namespace: string, name: string, spec: Json): string | undefined {
	const level = store.get(namespacesResource, '', namespace)?.labels?.[enforceLabel];
	return isPodSecurityLevel(level) ? podSecurityRejection(name, spec, level) : undefined;
}

/** The pod a create request asks for, or the Status kube-apiserver refuses it with (checked in its order). */
function podToCreate({store, options, denials}: PodAccessState, body: Json, namespace: string): {pod: Json; name: string; spec: Json} | StatusBody {
	const metadata: Json = {...body.metadata};
	if (typeof metadata.name !== 'string' || metadata.name === '') {
		if (typeof metadata.generateName !== 'string' || metadata.generateName === '') {
			return statusOf(422, 'Invalid', 'Pod "" is invalid: metadata.name: Required value: name or generateName is required');
		}

		metadata.name = `${metadata.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
	}

	const name = String(metadata.name);
	if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
		return badRequest('the namespace of the provided object does not match the namespace sent on the request');
	}

	if (store.get(namespacesResource, '', namespace) === undefined) {
		return notFound(namespacesResource, namespace);
	}

	if (denials.denied('create', 'pods', '', namespace, false)) {
		return forbidden(podsResource, 'create', options.user, namespace);
	}

	if (store.get(podsResource, namespace, name) !== undefined) {
		return statusOf(409, 'AlreadyExists', `pods "${name}" already exists`, {name, kind: 'pods'});
	}

	const spec: Json = typeof body.spec === 'object' && body.spec !== null ? body.spec as Json : {};
	const rejection = admissionRejection(store, namespace, name, spec);
	if (rejection !== undefined) {
		return statusOf(403, 'Forbidden', rejection, {name, kind: 'pods'});
	}

	const pod = {...body, kind: 'Pod', apiVersion: 'v1', metadata: {...metadata, namespace}, spec: {restartPolicy: 'Always', ...spec}, status: {phase: 'Pending', qosClass: 'BestEffort'}};
	return {pod, name, spec};
}

/** POST pods: stored Pending (not with dryRun=All), and started when its node has a kubelet. */
export async function createPod(state: PodAccessState, request: IncomingMessage, response: ServerResponse, namespace: string, url: URL): Promise<void> {
	const body = await readBody(request);
	if (typeof body === 'string') {
		sendStatus(response, badRequest(body));
		return;
	}

	const created = podToCreate(state, body, namespace);
	if ('code' in created) {
		sendStatus(response, created);
		return;
	}

	if (url.searchParams.get('dryRun') === 'All') {
		sendObject(response, 201, created.pod);
		return;
	}

	const stored = state.store.upsert(created.pod);
	// Only a node that exists has a kubelet to run the pod; elsewhere it stays Pending, as in a cluster.
	if (state.kubelet.hasNode(created.spec.nodeName)) {
		state.kubelet.start(namespace, created.name, stored.uid);
	}

	sendObject(response, 201, stored.objectJson);
}

/** DELETE a pod: its exec sessions end with it. */
export function deletePod({store, options, denials, execs}: PodAccessState, response: ServerResponse, namespace: string, name: string): void {
	if (denials.denied('delete', 'pods', '', namespace, false)) {
		sendStatus(response, forbidden(podsResource, 'delete', options.user, namespace, name));
		return;
	}

	const stored = store.get(podsResource, namespace, name);
	if (stored === undefined) {
		sendStatus(response, notFound(podsResource, name));
		return;
	}

	execs.kill(namespace, name);
	store.remove(podsResource, namespace, name);
	sendObject(response, 200, stored.objectJson);
}

/** SelfSubjectAccessReview: allowed unless denied (and the denial is not hidden from reviews). */
export async function reviewAccess({options, denials}: PodAccessState, request: IncomingMessage, response: ServerResponse): Promise<void> {
	const body = await readBody(request);
	if (typeof body === 'string') {
		sendStatus(response, badRequest(body));
		return;
	}

	const attributes: Json = body.spec?.resourceAttributes ?? {};
	const allowed = !denials.denied(String(attributes.verb ?? ''), String(attributes.resource ?? ''), String(attributes.subresource ?? ''), attributes.namespace as string | undefined, true);
	sendObject(response, 201, {
		kind: 'SelfSubjectAccessReview',
		apiVersion: 'authorization.k8s.io/v1',
		metadata: {creationTimestamp: null},
		spec: body.spec ?? {},
		status: allowed ? {allowed: true, reason: `RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to User "${options.user}"`} : {allowed: false},
	});
}
