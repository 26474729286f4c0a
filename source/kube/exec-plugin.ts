import {type ChildProcess, spawn, type SpawnOptions} from 'node:child_process';
import type {KubeConfig} from '@kubernetes/client-node';
import {KubeError} from './errors.js';

/** The exec credential plugin of the current user, as the kubeconfig names it. */
export type ExecPlugin = {readonly command: string; readonly timeoutMs: number};

type ExecAuthLike = {execFn: (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess};

const timeouts = new WeakMap<KubeConfig, number>();

/** The current user's exec plugin, undefined when the user authenticates otherwise. */
export function execPluginOf(config: KubeConfig): ExecPlugin | undefined {
	const user = config.getCurrentUser();
	const exec = (user?.exec ?? (user?.authProvider?.config as {exec?: unknown} | undefined)?.exec) as {command?: string} | undefined;
	return exec?.command ? {command: exec.command, timeoutMs: timeouts.get(config) ?? 30_000} : undefined;
}

/**
 * client-node runs exec plugins with no time limit, so a plugin that never exits (waiting for a
 * browser login, a hung helper) would hang every request. Give each run `timeoutMs`, then kill it.
 */
export function boundExecPlugins(config: KubeConfig, timeoutMs: number): void {
	timeouts.set(config, timeoutMs);
	const authenticators = (config as unknown as {authenticators?: unknown[]}).authenticators ?? [];
	for (const authenticator of authenticators) {
		const candidate = authenticator as Partial<ExecAuthLike>;
		if (typeof candidate.execFn === 'function' && authenticator?.constructor?.name === 'ExecAuth') {
			candidate.execFn = (command, args, options) => spawn(command, args, {...options, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL'});
		}
	}
}

/**
 * A plugin's failure as one line: its stderr, that it did not finish in time, or that it failed
 * without a word. `elapsedMs`: how long the attempt took; a plugin that printed nothing is said to
 * have been killed only when it ran that long.
 */
export function credentialError(plugin: ExecPlugin, error: unknown, aborted: boolean, elapsedMs: number): KubeError {
	const seconds = Math.round(plugin.timeoutMs / 1000);
	const text = error instanceof Error ? error.message : String(error);
	const stderr = text.replaceAll(/\s*\n\s*/g, ' ').trim();
	if (aborted) {
		return new KubeError('auth-plugin', `the exec credential plugin "${plugin.command}" did not finish before the request timed out`);
	}

	if (stderr === '' && elapsedMs < plugin.timeoutMs * 0.9) {
		return new KubeError('auth-plugin', `the exec credential plugin "${plugin.command}" failed without printing why (it must print an ExecCredential and exit 0)`);
	}

	if (stderr === '') {
		return new KubeError('auth-plugin', `the exec credential plugin "${plugin.command}" was killed after ${seconds}s without answering (it must print an ExecCredential and exit)`);
	}

	if (error instanceof SyntaxError) {
		return new KubeError('auth-plugin', `the exec credential plugin "${plugin.command}" printed something that is not an ExecCredential: ${stderr}`);
	}

	if ((error as {code?: unknown}).code === 'ENOENT') {
		return new KubeError('auth-plugin', `the exec credential plugin "${plugin.command}" was not found (${stderr})`);
	}

	return new KubeError('auth-plugin', `the exec credential plugin "${plugin.command}" failed: ${stderr}`);
}
