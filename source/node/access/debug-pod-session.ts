import {CoreV1Api, type KubeConfig, type V1Pod} from '@kubernetes/client-node';
import {describeKubeError} from '../../kube/errors.js';
import type {CommandRunner} from '../nat/read-dump.js';
import {type AccessVerdict, checkAccess, debugPodPermissions} from './access-check.js';
import {debugContainer, debugPodManifest} from './debug-pod-spec.js';
import {type ExecTarget, podRunner} from './exec-in-pod.js';

export type DebugPodOptions = {
	readonly kc: KubeConfig;
	readonly namespace: string;
	readonly image: string;
	readonly deadlineSeconds: number;
	/** How long a pod may take to run (image pull included). Default 90 s. */
	readonly startTimeoutMs?: number;
	/** Progress lines (stderr). */
	readonly log?: (line: string) => void;
	/** Ends waits and execs (Ctrl-C). */
	readonly signal?: AbortSignal;
};

export type PodReady = {readonly ok: true; readonly target: ExecTarget; readonly runner: CommandRunner} | {readonly ok: false; readonly error: string};

/** Waiting reasons after which a pod will not start by itself. */
const hopeless = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'CrashLoopBackOff', 'RunContainerError']);

const sleep = async (ms: number, signal?: AbortSignal) => new Promise<void>(resolve => {
	const timer = setTimeout(done, ms);
	function done() {
		clearTimeout(timer);
		signal?.removeEventListener('abort', done);
		resolve();
	}

	signal?.addEventListener('abort', done, {once: true});
});

/** Where a pod stands: running, still coming, or never going to run (and why). */
export function podProgress(pod: V1Pod): {state: 'running'} | {state: 'waiting'; detail: string} | {state: 'failed'; detail: string} {
	const phase = pod.status?.phase ?? 'Pending';
	const waiting = pod.status?.containerStatuses?.find(status => status.state?.waiting)?.state?.waiting;
	if (phase === 'Running' && pod.status?.containerStatuses?.every(status => status.state?.running)) {
		return {state: 'running'};
	}

	if (phase === 'Failed' || phase === 'Succeeded') {
		return {state: 'failed', detail: `the pod ended (${phase}${pod.status?.reason ? `: ${pod.status.reason}` : ''})`};
	}

	if (waiting?.reason && hopeless.has(waiting.reason)) {
		return {state: 'failed', detail: `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`};
	}

	const unscheduled = pod.status?.conditions?.find(condition => condition.type === 'PodScheduled' && condition.status === 'False');
	return {state: 'waiting', detail: waiting?.reason ?? unscheduled?.message ?? phase};
}

/** What to tell the user when the API refused the pod itself. */
export function createFailure(error: unknown, namespace: string): string {
	const message = describeKubeError(error);
	if (/violates PodSecurity/.test(message)) {
		return `Pod Security Admission rejected the debug pod in namespace ${namespace}: ${message}. Use --debug-namespace with a namespace whose enforce level is privileged (kube-system usually is), or have an admin run: kubectl label ns ${namespace} pod-security.kubernetes.io/enforce=privileged`;
	}

	return `cannot create the debug pod in namespace ${namespace}: ${message}`;
}

/**
 * The debug pods of one command or dashboard session: made on demand per node after a
 * SelfSubjectAccessReview, reused, and all deleted by close() (also those still being created).
 */
export class DebugPodSession {
	private readonly api: CoreV1Api;
	private readonly pods = new Map<string, Promise<PodReady>>();
	private readonly created = new Set<string>();
	private readonly creating = new Set<Promise<unknown>>();
	private access: Promise<AccessVerdict> | undefined;
	private closed = false;

	constructor(private readonly options: DebugPodOptions) {
		this.api = options.kc.makeApiClient(CoreV1Api);
	}

	get namespace(): string {
		return this.options.namespace;
	}

	/** The RBAC check, made once per session. */
	async checkAccess(): Promise<AccessVerdict> {
		this.access ??= checkAccess(this.options.kc, this.options.namespace, debugPodPermissions);
		return this.access;
	}

	/** A running debug pod on `node` (created the first time), or why there is none. */
	async podOn(node: string): Promise<PodReady> {
		let ready = this.pods.get(node);
		if (ready === undefined) {
			ready = this.start(node);
			this.pods.set(node, ready);
		}

		return ready;
	}

	/** Pods this session created and has not deleted yet. */
	livePods(): readonly string[] {
		return [...this.created];
	}

	/** Deletes every pod this session made, after any create still in flight has answered. */
	async close(): Promise<{deleted: string[]; failed: string[]}> {
		this.closed = true;
		await Promise.allSettled([...this.creating]);
		const deleted: string[] = [];
		const failed: string[] = [];
		await Promise.all([...this.created].map(async name => {
			const error = await this.deletePod(name);
			if (error === undefined) {
				deleted.push(name);
			} else {
				failed.push(`${this.options.namespace}/${name}: ${error}`);
			}
		}));
		return {deleted, failed};
	}

	private async start(node: string): Promise<PodReady> {
		const access = await this.checkAccess();
		if (!access.ok) {
			return {ok: false, error: access.message};
		}

		if (this.closed || this.options.signal?.aborted) {
			return {ok: false, error: 'interrupted'};
		}

		const missing = await this.missingNode(node);
		if (missing !== undefined) {
			return {ok: false, error: missing};
		}

		const manifest = debugPodManifest({node, namespace: this.options.namespace, image: this.options.image, deadlineSeconds: this.options.deadlineSeconds});
		const name = (manifest.metadata as {name: string}).name;
		const creation = this.api.createNamespacedPod({namespace: this.options.namespace, body: manifest as V1Pod});
		this.creating.add(creation);
		try {
			await creation;
			this.created.add(name);
		} catch (error) {
			return {ok: false, error: createFailure(error, this.options.namespace)};
		} finally {
			this.creating.delete(creation);
		}

		this.options.log?.(`created pod ${this.options.namespace}/${name} on node ${node} (image ${this.options.image})`);
		const running = await this.waitRunning(name);
		if (running !== undefined) {
			await this.deletePod(name);
			return {ok: false, error: `debug pod ${this.options.namespace}/${name} on node ${node}: ${running}`};
		}

		const target = {namespace: this.options.namespace, pod: name, container: debugContainer};
		return {ok: true, target, runner: podRunner(this.options.kc, target, this.options.signal)};
	}

	/** Why no pod should be made for `node` (it does not exist); undefined when it exists or nodes cannot be read. */
	private async missingNode(node: string): Promise<string | undefined> {
		try {
			await this.api.readNode({name: node});
			return undefined;
		} catch (error) {
			return (error as {code?: number}).code === 404 ? `node "${node}" not found: no debug pod created` : undefined;
		}
	}

	/** Undefined once the pod runs; otherwise why it will not (bounded, backing off between reads). */
	private async waitRunning(name: string): Promise<string | undefined> {
		const limitMs = this.options.startTimeoutMs ?? 90_000;
		const started = Date.now();
		let delay = 100;
		let last = 'Pending';
		while (Date.now() - started < limitMs) {
			if (this.closed || this.options.signal?.aborted) {
				return 'interrupted';
			}

			try {
				// eslint-disable-next-line no-await-in-loop
				const progress = podProgress(await this.api.readNamespacedPod({name, namespace: this.options.namespace}));
				if (progress.state === 'running') {
					return undefined;
				}

				if (progress.state === 'failed') {
					return progress.detail;
				}

				last = progress.detail;
			} catch (error) {
				last = describeKubeError(error);
			}

			// eslint-disable-next-line no-await-in-loop
			await sleep(delay * (0.8 + Math.random() * 0.4), this.options.signal);
			delay = Math.min(delay * 2, 2000);
		}

		return `not running after ${Math.round(limitMs / 1000)}s (last: ${last})`;
	}

	/** Undefined when gone (or already gone); three tries with backoff. */
	private async deletePod(name: string): Promise<string | undefined> {
		let error: unknown;
		for (let attempt = 0; attempt < 3; attempt++) {
			try {
				// eslint-disable-next-line no-await-in-loop
				await this.api.deleteNamespacedPod({name, namespace: this.options.namespace, gracePeriodSeconds: 0});
				this.created.delete(name);
				return undefined;
			} catch (caught) {
				if ((caught as {code?: number}).code === 404) {
					this.created.delete(name);
					return undefined;
				}

				error = caught;
			}

			// eslint-disable-next-line no-await-in-loop
			await sleep(200 * 2 ** attempt * (0.8 + Math.random() * 0.4));
		}

		return describeKubeError(error);
	}
}
