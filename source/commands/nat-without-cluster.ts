import {existsSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {describeKubeError} from '../kube/errors.js';
import type {CliConfig} from './run-command.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Whether kubectl's lookup (and resolveKubeConfig's) can find a kubeconfig at all: --kubeconfig,
 * KUBECONFIG, ~/.kube/config, or in-cluster credentials. Only checks that something is there.
 */
export function kubeconfigPresent(kubeconfig: string | undefined, env: Env = process.env): boolean {
	if ((kubeconfig ?? '') !== '' || (env.KUBECONFIG ?? '') !== '') {
		return true;
	}

	if (existsSync(path.join(env.HOME ?? os.homedir(), '.kube', 'config'))) {
		return true;
	}

	return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token'));
}

/**
 * `svctop nat` when no cluster can answer: not the demo, no node access, and no kubeconfig to
 * connect with (the optional connection could only fail). This path never loads the Kubernetes
 * client (megabytes of code, most of a small dump's run time).
 */
export function natWithoutCluster(config: CliConfig, env: Env = process.env): boolean {
	const {access} = config;
	return config.command === 'nat' && !config.demo && !access.debugPod && !access.allNodes && access.from === undefined && !access.clean
		&& !kubeconfigPresent(config.kubeconfig, env);
}

/** runCommand for a natWithoutCluster config: what run-command does then, without its cluster modules. */
export async function runCommand(config: CliConfig): Promise<number> {
	const io = {stdin: process.stdin, stdout: process.stdout, stderr: process.stderr};
	const fatal = (error: unknown) => {
		io.stderr.write(`svctop: ${describeKubeError(error)}\n`);
		process.exit(1);
	};

	process.on('uncaughtException', fatal);
	process.on('unhandledRejection', fatal);
	try {
		const {keepYoungGenerationSmall, runNat} = await import('./nat.js');
		keepYoungGenerationSmall();
		return await runNat({
			file: config.file,
			mode: config.mode,
			json: config.json,
			service: config.service,
			namespace: config.namespace,
			// Without a kubeconfig, a bare --service name is in -n's namespace, else `default`.
			defaultNamespace: config.namespace || 'default',
			nodeCmd: config.nodeCmd,
			node: config.node,
			maxBytes: config.maxBytes,
		}, io);
	} catch (error) {
		io.stderr.write(`svctop: ${describeKubeError(error)}\n`);
		return 1;
	}
}
