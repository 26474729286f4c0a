import {execFileSync, spawnSync} from 'node:child_process';
import process from 'node:process';

/**
 * Why network namespaces and the given tools cannot be used here (not root on Linux, a tool not
 * installed), or undefined when they can. Kernel tests and benchmarks skip with this reason.
 */
export function missingTool(tools: readonly string[]): string | undefined {
	if (process.platform !== 'linux' || process.getuid?.() !== 0) {
		return 'needs root on Linux (network namespaces, iptables, conntrack)';
	}

	return tools.map(tool => (spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0 ? undefined : `${tool} is not installed`)).find(Boolean);
}

/** Runs a command, its output discarded; a failure throws with its stderr. */
export function sh(...args: string[]): void {
	execFileSync(args[0]!, args.slice(1), {stdio: ['ignore', 'ignore', 'pipe']});
}

/** Runs a command inside the network namespace `name`. */
export function inNs(name: string, ...args: string[]): void {
	sh('ip', 'netns', 'exec', name, ...args);
}

/**
 * A fresh network namespace that tracks connections, made before the file's tests and deleted after
 * them: `skip` says why it cannot be made here; `setupError()` why making it failed (a test skips with it).
 * A rule that asks for the connection state makes the namespace track connections (conntrack is
 * enabled per namespace on first use).
 */
export function trackingNamespace(prefix: string, hooks: {before: (run: () => void) => void; after: (run: () => void) => void}, tools: readonly string[] = ['ip', 'iptables']): {name: string; skip: string | undefined; setupError: () => string | undefined} {
	const name = `${prefix}${process.pid % 100_000}`;
	const skip = missingTool(tools);
	let setupError: string | undefined;
	hooks.before(() => {
		if (skip) {
			return;
		}

		try {
			sh('ip', 'netns', 'add', name);
			inNs(name, 'ip', 'link', 'set', 'lo', 'up');
			inNs(name, 'iptables', '-A', 'OUTPUT', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'ACCEPT');
		} catch (error) {
			setupError = (error as Error & {stderr?: Buffer}).stderr?.toString().trim() || (error as Error).message;
		}
	});
	hooks.after(() => {
		if (!skip) {
			spawnSync('ip', ['netns', 'del', name]);
		}
	});
	return {name, skip, setupError: () => setupError};
}
