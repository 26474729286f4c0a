import type {IncomingMessage} from 'node:http';
import type {Duplex} from 'node:stream';
import {answerExec, type ExecAnswer, type ExecPod, execProtocols, runExec} from '../pod-exec.js';
import {badRequest, forbidden, notFound, type StatusBody} from '../status.js';
import {acceptWebSocket, isWebSocketUpgrade} from '../websocket.js';
import {type Json, type PodAccessState, podsResource, routeOf, statusOf} from './requests.js';

/** An HTTP answer written on the raw socket of a refused upgrade. */
function refuse(socket: Duplex, status: StatusBody): void {
	const body = JSON.stringify(status);
	const reason = status.code === 403 ? 'Forbidden' : status.code === 404 ? 'Not Found' : status.code === 500 ? 'Internal Server Error' : 'Bad Request';
	socket.end(`HTTP/1.1 ${status.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Why this exec cannot start, or the pod it runs in. */
function execTarget({store, options, denials}: PodAccessState, namespace: string, name: string, argv: readonly string[]): StatusBody | ExecPod {
	if (denials.denied('create', 'pods', 'exec', namespace, false) || denials.denied('get', 'pods', 'exec', namespace, false)) {
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

/** The command as run: inside the pod's (or its node's) network namespace when one is mapped. */
function launchArgv({options}: PodAccessState, pod: ExecPod, argv: readonly string[]): readonly string[] {
	const netns = pod.hostNetwork ? options.nodeNetns?.[pod.nodeName ?? ''] : options.podNetns?.[`${pod.namespace}/${pod.name}`] ?? options.nodeNetns?.[pod.nodeName ?? ''];
	return netns === undefined ? argv : ['ip', 'netns', 'exec', netns, ...argv];
}

/** The `upgrade` event: pods/exec over WebSocket, answered by the hook or run for real. */
export function upgradeExec(state: PodAccessState, request: IncomingMessage, socket: Duplex, head: Buffer): void {
	const url = new URL(request.url ?? '/', 'http://localhost');
	const route = routeOf(url.pathname);
	if (route?.kind !== 'exec' || !isWebSocketUpgrade(request)) {
		refuse(socket, statusOf(404, 'NotFound', 'the server could not find the requested resource'));
		return;
	}

	const argv = url.searchParams.getAll('command');
	const target = execTarget(state, route.namespace!, route.name!, argv);
	if ('kind' in target) {
		refuse(socket, target);
		return;
	}

	const connection = acceptWebSocket(request, socket, head, execProtocols);
	const hook = state.options.exec;
	if (typeof hook === 'function') {
		const failed = (error: unknown): ExecAnswer => ({stdout: '', stderr: `${(error as Error).message}\n`, exitCode: 1});
		void Promise.resolve()
			.then(async () => hook(target, argv))
			.catch(failed)
			.then(answer => answerExec(connection, argv, answer));
		return;
	}

	const session = runExec(connection, argv, {argv: launchArgv(state, target, argv)}, url.searchParams.get('stdin') === 'true');
	state.execs.add(target.namespace, target.name, session, listener => connection.onClose(listener));
}
