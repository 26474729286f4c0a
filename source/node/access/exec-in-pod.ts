import {Writable} from 'node:stream';
import type {KubeConfig, V1Status} from '@kubernetes/client-node';
import type {CommandResult, CommandRunner} from '../nat/read-dump.js';

/** Where an exec runs: a pod and its container. */
export type ExecTarget = {readonly namespace: string; readonly pod: string; readonly container: string};

export type ExecOptions = {
	readonly timeoutMs: number;
	readonly signal?: AbortSignal;
	/** Sees stdout as it arrives (a probe loop reads it line by line). */
	readonly onStdout?: (chunk: Buffer) => void;
};

/** Why the exec failed before the command ran: an HTTP answer to the upgrade, or none at all. */
function upgradeFailure(error: unknown, target: ExecTarget): string {
	const message = error instanceof Error ? error.message : typeof error === 'object' && error !== null && 'message' in error ? String((error as {message: unknown}).message) : String(error);
	const code = /Unexpected server response: (\d+)/.exec(message)?.[1];
	const where = `pods/exec in ${target.namespace}/${target.pod}`;
	switch (code) {
		case '403': {
			return `${where} is forbidden (403): you need create and get on pods/exec in namespace ${target.namespace}`;
		}

		case '404': {
			return `${where}: the pod is gone (404)`;
		}

		case '400': {
			return `${where} was refused (400): the pod is not running, or it has ended`;
		}

		case undefined: {
			return `${where} failed: ${message.split('\n')[0]}`;
		}

		default: {
			return `${where} failed with HTTP ${code}`;
		}
	}
}

/** The exit code in kubelet's final Status: 0 on Success, the ExitCode cause on NonZeroExitCode. */
export function exitCodeOf(status: V1Status): number | null {
	if (status.status === 'Success') {
		return 0;
	}

	const cause = status.details?.causes?.find(each => each.reason === 'ExitCode');
	return cause?.message === undefined ? null : Number(cause.message);
}

function collector(chunks: Buffer[], onChunk?: (chunk: Buffer) => void): Writable {
	return new Writable({
		write(chunk: Buffer, _encoding, callback) {
			chunks.push(chunk);
			onChunk?.(chunk);
			callback();
		},
	});
}

/**
 * Runs argv in a pod through pods/exec (client-node's Exec over WebSocket); never a shell string.
 * Never throws: the result says what ran, how it ended, or why it could not start.
 */
export async function execInPod(kc: KubeConfig, target: ExecTarget, argv: readonly string[], options: ExecOptions): Promise<CommandResult & {readonly failure?: string}> {
	const out: Buffer[] = [];
	const err: Buffer[] = [];
	const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
	return new Promise(resolve => {
		let settled = false;
		let socket: {close(): void} | undefined;
		const finish = (result: CommandResult & {failure?: string}) => {
			if (!settled) {
				settled = true;
				clearTimeout(timer);
				options.signal?.removeEventListener('abort', onAbort);
				socket?.close();
				resolve(result);
			}
		};

		const timer = setTimeout(() => finish({stdout: text(out), stderr: text(err), code: null, timedOut: true, failure: `${argv[0] ?? ''} in ${target.pod} did not finish within ${Math.round(options.timeoutMs / 1000)}s`}), options.timeoutMs);
		const onAbort = () => finish({stdout: text(out), stderr: text(err), code: null, timedOut: false, failure: 'interrupted'});
		options.signal?.addEventListener('abort', onAbort, {once: true});
		const onStatus = (status: V1Status) => {
			const code = exitCodeOf(status);
			const failure = code === null ? status.message ?? 'exec failed' : undefined;
			const enoent = /executable file not found/.test(status.message ?? '');
			finish({stdout: text(out), stderr: text(err) + (failure ?? ''), code, timedOut: false, errorCode: enoent ? 'ENOENT' : undefined, failure});
		};

		import('./pod-api.js')
			.then(async ({execFor}) => execFor(kc).exec(target.namespace, target.pod, target.container, [...argv], collector(out, options.onStdout), collector(err), null, false, onStatus))
			.then(connection => {
				socket = connection;
				if (settled) {
					connection.close();
				}

				connection.on('close', () => finish({stdout: text(out), stderr: text(err), code: null, timedOut: false, failure: `the exec connection to ${target.pod} closed before the command ended`}));
			})
			.catch((error: unknown) => finish({stdout: '', stderr: '', code: null, timedOut: false, failure: upgradeFailure(error, target)}));
	});
}

/** A CommandRunner that runs in the pod, so the node-rule readers work unchanged through exec. */
export function podRunner(kc: KubeConfig, target: ExecTarget, signal?: AbortSignal): CommandRunner {
	return async (argv, timeoutMs) => execInPod(kc, target, argv, {timeoutMs, signal});
}
