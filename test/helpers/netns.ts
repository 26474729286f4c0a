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
