import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {type Cluster, type Context, KubeConfig, type User} from '@kubernetes/client-node';
import {KubeError} from './errors.js';
import {defaultServiceAccountDirectory, type Env, type KubeconfigLocation, kubeconfigLocation} from './kubeconfig-location.js';

export type ResolveOptions = {
	/** `--kubeconfig FILE`: the only file read when given. */
	readonly kubeconfig?: string;
	/** `--context NAME`; default the kubeconfig's current-context. */
	readonly context?: string;
	/** `-n NS`; default the context's namespace, then `default`. */
	readonly namespace?: string;
	/** `-A`: every namespace (the resolved namespace is then undefined). */
	readonly allNamespaces?: boolean;
	/** An already loaded config (the demo cluster); skips file lookup but not context selection. */
	readonly kubeConfigObject?: KubeConfig;
	/** Environment to read KUBECONFIG, HOME and KUBERNETES_SERVICE_* from. Default process.env. */
	readonly env?: Readonly<Record<string, string | undefined>>;
	/** Where in-cluster credentials live. Default /var/run/secrets/kubernetes.io/serviceaccount. */
	readonly serviceAccountDirectory?: string;
};

export type ResolvedConfig = {
	/** Set to the chosen context, ready for client-node. */
	readonly kubeConfig: KubeConfig;
	readonly context: string;
	/** The API server URL of the context's cluster. */
	readonly server: string;
	/** The namespace to show, undefined for all namespaces. */
	readonly namespace: string | undefined;
	/** Whether -n named the namespace (only then is it checked for existence). */
	readonly namespaceFromFlag: boolean;
	/** Where the config came from: file paths, `in-cluster` or `provided`. */
	readonly origin: string;
};

function loadFile(file: string): KubeConfig {
	if (!existsSync(file)) {
		throw new KubeError('no-kubeconfig', `kubeconfig ${file} does not exist`);
	}

	const config = new KubeConfig();
	try {
		// loadFromFile also resolves relative certificate paths against the file's directory, as kubectl does.
		config.loadFromFile(file);
	} catch (error) {
		const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
		throw new KubeError('invalid-kubeconfig', `invalid kubeconfig ${file}: ${reason}`);
	}

	return config;
}

function firstByName<T extends {name: string}>(lists: ReadonlyArray<readonly T[]>): T[] {
	const seen = new Map<string, T>();
	for (const list of lists) {
		for (const item of list) {
			if (!seen.has(item.name)) {
				seen.set(item.name, item);
			}
		}
	}

	return [...seen.values()];
}

/**
 * KUBECONFIG's files merged as kubectl merges them: the first file that names a cluster, user or
 * context wins, and the first non-empty current-context wins. Missing files are skipped.
 */
export function mergeKubeconfigFiles(files: readonly string[]): KubeConfig | undefined {
	const configs = files.filter(file => existsSync(file)).map(file => loadFile(file));
	if (configs.length === 0) {
		return undefined;
	}

	const merged = new KubeConfig();
	merged.loadFromOptions({
		clusters: firstByName<Cluster>(configs.map(config => config.getClusters())),
		users: firstByName<User>(configs.map(config => config.getUsers())),
		contexts: firstByName<Context>(configs.map(config => config.getContexts())),
		currentContext: configs.map(config => config.getCurrentContext()).find(name => typeof name === 'string' && name !== '') ?? '',
	});
	return merged;
}

type Loaded = {readonly config: KubeConfig; readonly origin: string; readonly inClusterNamespace: string | undefined};

/** The kubeconfig from where kubectl's lookup found it (files read, merged, or in-cluster credentials). */
function loadFrom(location: KubeconfigLocation, env: Env): Loaded {
	switch (location.kind) {
		case 'flag':
		case 'home': {
			return {config: loadFile(location.file), origin: location.file, inClusterNamespace: undefined};
		}

		case 'env': {
			const origin = location.files.join(path.delimiter);
			const config = mergeKubeconfigFiles(location.files);
			if (config === undefined) {
				throw new KubeError('no-kubeconfig', `no kubeconfig found: none of the files in KUBECONFIG exist (${origin})`);
			}

			return {config, origin, inClusterNamespace: undefined};
		}

		case 'in-cluster': {
			const namespaceFile = path.join(location.directory, 'namespace');
			const inClusterNamespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() || undefined : undefined;
			return {config: loadInCluster(env, location.directory), origin: 'in-cluster', inClusterNamespace};
		}

		case 'none': {
			throw new KubeError('no-kubeconfig', `no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ${location.homeFile}`);
		}
	}
}

/** In-cluster credentials, once kubeconfigLocation has found them there. */
function loadInCluster(env: Env, directory: string): KubeConfig {
	const config = new KubeConfig();
	const host = env.KUBERNETES_SERVICE_HOST!.includes(':') ? `[${env.KUBERNETES_SERVICE_HOST}]` : env.KUBERNETES_SERVICE_HOST;
	const caFile = path.join(directory, 'ca.crt');
	config.loadFromClusterAndUser(
		{name: 'inCluster', server: `https://${host}:${env.KUBERNETES_SERVICE_PORT}`, caFile: existsSync(caFile) ? caFile : undefined, skipTLSVerify: false},
		{name: 'inClusterUser', authProvider: {name: 'tokenFile', config: {tokenFile: path.join(directory, 'token')}}},
	);
	return config;
}

/** A kubeconfig given as text (the demo's, a test's), loaded as one from a file would be. */
export function kubeConfigFromYaml(yaml: string): KubeConfig {
	const config = new KubeConfig();
	config.loadFromString(yaml);
	const cluster = config.getCurrentCluster();
	if (cluster) {
		allowPlainHttp(config, cluster);
	}

	return config;
}

/**
 * A plain `http://` server (what `kubectl proxy` serves) has no TLS to verify, and kubectl talks to
 * it as it is. client-node refuses it unless TLS verification is off, so say that for this cluster.
 */
function allowPlainHttp(config: KubeConfig, cluster: Cluster): void {
	if (!cluster.server.startsWith('http:') || cluster.skipTLSVerify) {
		return;
	}

	const clusters = config.getClusters().map(candidate => (candidate.name === cluster.name ? {...candidate, skipTLSVerify: true} : candidate));
	config.loadFromOptions({clusters, users: config.getUsers(), contexts: config.getContexts(), currentContext: config.getCurrentContext()});
}

/**
 * Finds the kubeconfig, context and namespace exactly as kubectl does: `--kubeconfig`, else
 * KUBECONFIG (a path list, merged), else ~/.kube/config, else in-cluster credentials.
 */
export function resolveKubeConfig(options: ResolveOptions = {}): ResolvedConfig {
	const env = options.env ?? process.env;
	const serviceAccountDirectory = options.serviceAccountDirectory ?? defaultServiceAccountDirectory;
	const {config, origin, inClusterNamespace} = options.kubeConfigObject === undefined
		? loadFrom(kubeconfigLocation(options.kubeconfig, env, serviceAccountDirectory), env)
		: {config: options.kubeConfigObject, origin: 'the demo cluster\'s kubeconfig', inClusterNamespace: undefined};
	const contextName = options.context !== undefined && options.context !== '' ? options.context : config.getCurrentContext();
	if (!contextName) {
		throw new KubeError('unknown-context', `no current context in ${origin}: pass --context (contexts: ${config.getContexts().map(context => context.name).join(', ') || 'none'})`);
	}

	const context = config.getContextObject(contextName);
	if (context === null) {
		throw new KubeError('unknown-context', `context "${contextName}" does not exist in ${origin}`);
	}

	const cluster = config.getCluster(context.cluster);
	if (cluster === null) {
		throw new KubeError('invalid-kubeconfig', `cluster "${context.cluster}" of context "${contextName}" does not exist in ${origin}`);
	}

	if (!cluster.server) {
		throw new KubeError('invalid-kubeconfig', `cluster "${context.cluster}" has no server in ${origin}`);
	}

	config.setCurrentContext(contextName);
	allowPlainHttp(config, cluster);
	const flagNamespace = options.namespace !== undefined && options.namespace !== '' ? options.namespace : undefined;
	const namespace = options.allNamespaces ? undefined : (flagNamespace ?? (context.namespace || undefined) ?? inClusterNamespace ?? 'default');
	return {kubeConfig: config, context: contextName, server: cluster.server, namespace, namespaceFromFlag: !options.allNamespaces && flagNamespace !== undefined, origin};
}
