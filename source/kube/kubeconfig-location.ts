import {existsSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

export const defaultServiceAccountDirectory = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Where kubectl takes the kubeconfig from, or `none` (`homeFile`: the file it looked for last). */
export type KubeconfigLocation =
	| {readonly kind: 'flag'; readonly file: string}
	| {readonly kind: 'env'; readonly files: readonly string[]}
	| {readonly kind: 'home'; readonly file: string}
	| {readonly kind: 'in-cluster'; readonly directory: string}
	| {readonly kind: 'none'; readonly homeFile: string};

/**
 * kubectl's lookup order: `--kubeconfig`, else KUBECONFIG (a path list), else ~/.kube/config, else
 * in-cluster credentials. Reads no file and loads no Kubernetes client, so it can be asked before
 * deciding to connect at all.
 */
export function kubeconfigLocation(kubeconfig: string | undefined, env: Env = process.env, serviceAccountDirectory = defaultServiceAccountDirectory): KubeconfigLocation {
	if (kubeconfig !== undefined && kubeconfig !== '') {
		return {kind: 'flag', file: kubeconfig};
	}

	if (env.KUBECONFIG !== undefined && env.KUBECONFIG !== '') {
		return {kind: 'env', files: env.KUBECONFIG.split(path.delimiter).filter(file => file !== '')};
	}

	const homeFile = path.join(env.HOME ?? os.homedir(), '.kube', 'config');
	if (existsSync(homeFile)) {
		return {kind: 'home', file: homeFile};
	}

	if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(path.join(serviceAccountDirectory, 'token'))) {
		return {kind: 'in-cluster', directory: serviceAccountDirectory};
	}

	return {kind: 'none', homeFile};
}

/** Whether kubectl's lookup finds a kubeconfig anywhere (not whether it is valid). */
export function kubeconfigPresent(kubeconfig: string | undefined, env: Env = process.env): boolean {
	return kubeconfigLocation(kubeconfig, env).kind !== 'none';
}
