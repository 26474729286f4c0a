import process from 'node:process';
import {KubeConfig} from '@kubernetes/client-node';
import type {Demo} from '../builtin-cluster/demo/demo.js';
import {connectCluster} from '../kube/connect.js';
import {describeKubeError} from '../kube/errors.js';
import {kubeConfigFromYaml, resolveKubeConfig} from '../kube/kubeconfig.js';
import type {ClusterSource} from '../kube/types.js';
import {defaultDeadlineSeconds, longDeadlineSeconds} from '../node/access/debug-pod-spec.js';
import {DebugPodSession} from '../node/access/debug-pod-session.js';
import {debugPodVantages} from '../node/access/nat-vantages.js';
import {debugPodProbeVantages} from '../node/access/probe-vantages.js';
import {runDebugPods} from './debug-pods.js';
import {type DashboardAccess, kubeConfigOf, podExecAccess} from './pod-exec-access.js';
import {runAllNodesNat, runNodeNat} from './node-nat.js';
import {runProbeFrom} from './probe-from.js';
import type {CliConfig} from './run-command.js';

/** The node-access flags as parsed. */
export type AccessConfig = {
	/** `--debug-pod`: svctop may create pods; without it, it writes nothing. */
	readonly debugPod: boolean;
	readonly image: string;
	readonly namespace: string;
	readonly allNodes: boolean;
	/** `--from node/NAME` or `pod/NS/NAME`. */
	readonly from?: string;
	readonly clean: boolean;
};

export type AccessIo = {
	readonly stdin: NodeJS.ReadableStream;
	readonly stdout: NodeJS.WritableStream;
	readonly stderr: NodeJS.WritableStream;
};

/** Does this command line reach nodes through Kubernetes (debug pods or exec)? */
export function usesNodeAccess(config: CliConfig): boolean {
	return config.command === 'debug-pods' || (config.command === 'nat' && (config.access.debugPod || config.access.allNodes)) || (config.command === 'probe' && config.access.from !== undefined)
		|| misplacedAccessFlag(config) !== undefined;
}

/**
 * A node-access flag that its command takes but cannot use as given. (A flag of another command is
 * refused when the command line is read: every command takes only the flags its help lists.)
 */
function misplacedAccessFlag(config: CliConfig): string | undefined {
	const {access, command} = config;
	if (command === 'probe' && access.debugPod && access.from === undefined) {
		return 'probe --debug-pod needs --from node/NAME (the node to probe from)';
	}

	return undefined;
}

/** A mistake in the node-access flags, as one line; undefined when they fit together. */
export function accessUsageError(config: CliConfig): string | undefined {
	const {access} = config;
	const misplaced = misplacedAccessFlag(config);
	if (misplaced !== undefined) {
		return misplaced;
	}

	if (access.allNodes && !access.debugPod) {
		return '--all-nodes reads every node through a debug pod on each: add --debug-pod to allow svctop to create them';
	}

	if (config.command === 'nat' && access.debugPod && !access.allNodes && !config.node) {
		return 'nat --debug-pod needs --node NAME or --all-nodes';
	}

	if (config.command === 'nat' && (config.file !== undefined || config.nodeCmd !== undefined)) {
		return '--debug-pod reads the rules in the cluster: leave out --file and --node-cmd';
	}

	if (config.command === 'probe' && (access.from?.startsWith('node/') || access.from === 'nodes') && !access.debugPod) {
		return `--from ${access.from} runs the probe in a pod on ${access.from === 'nodes' ? 'each node' : 'that node'}: add --debug-pod to allow svctop to create ${access.from === 'nodes' ? 'them' : 'it'}`;
	}

	if (config.command === 'probe' && access.from === 'nodes' && config.probe.count === undefined) {
		return '--from nodes probes from each node in turn: give --count (rounds per node)';
	}

	return undefined;
}


/**
 * Runs `body` with a debug-pod session and deletes every pod it made when the body ends, fails,
 * or the user presses Ctrl-C (SIGINT) or the process gets SIGTERM.
 */
export async function withDebugPods(config: CliConfig, kc: KubeConfig, io: AccessIo, body: (session: DebugPodSession, signal: AbortSignal) => Promise<number>): Promise<number> {
	const abort = new AbortController();
	let interrupted: NodeJS.Signals | undefined;
	const onSignal = (signal: NodeJS.Signals) => {
		interrupted ??= signal;
		io.stderr.write(`svctop: ${signal}: deleting the debug pods\n`);
		abort.abort();
	};

	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	const session = new DebugPodSession({
		kc,
		namespace: config.access.namespace,
		image: config.access.image,
		deadlineSeconds: config.command === 'nat' ? defaultDeadlineSeconds : longDeadlineSeconds,
		log: line => io.stderr.write(`svctop: ${line}\n`),
		signal: abort.signal,
	});
	let code = 1;
	try {
		code = await body(session, abort.signal);
	} finally {
		const {deleted, failed} = await session.close();
		for (const name of deleted) {
			io.stderr.write(`svctop: deleted pod ${session.namespace}/${name}\n`);
		}

		for (const line of failed) {
			io.stderr.write(`svctop: could not delete pod ${line}; remove it with svctop debug-pods --clean\n`);
		}

		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
		if (failed.length > 0) {
			code = 1;
		}
	}

	return interrupted === undefined ? code : interrupted === 'SIGINT' ? 130 : 143;
}

/** The API as the NAT cross-check reads it; optional for one node, when it cannot be reached the rules still show. */
async function connectForNat(config: CliConfig, kc: KubeConfig, demo: Demo | undefined): Promise<ClusterSource> {
	return connectCluster({kubeconfig: config.kubeconfig, context: config.context, namespace: config.namespace, allNamespaces: config.namespace === undefined, kubeConfigObject: demo ? kc : undefined});
}

/** A bare --service NAME is in -n's namespace, else the context's, as `svctop nat` reads it. */
function qualifiedService({service, namespace}: CliConfig, kc: KubeConfig): string | undefined {
	return service === undefined || service.includes('/') ? service : `${namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default'}/${service}`;
}

/** `debug-pods`, `nat --debug-pod`, `nat --all-nodes` and `probe --from`. Returns the exit code. */
export async function runNodeAccess(config: CliConfig, demo: Demo | undefined, io: AccessIo): Promise<number> {
	const usage = accessUsageError(config);
	if (usage !== undefined) {
		io.stderr.write(`svctop: ${usage}\n`);
		return 2;
	}

	const kc = kubeConfigOf(config, demo);
	if (config.command === 'debug-pods') {
		return runDebugPods(kc, {clean: config.access.clean, namespace: config.access.namespace, json: config.json}, io, Date.now());
	}

	if (config.command === 'probe') {
		return runProbeFrom(config, kc, io, demo);
	}

	let source: ClusterSource | undefined;
	try {
		let apiUnreadable: string | undefined;
		source = await connectForNat(config, kc, demo).catch((error: unknown) => {
			apiUnreadable = describeKubeError(error);
			return undefined;
		});
		const natOptions = {json: config.json, mode: config.mode, service: qualifiedService(config, kc), source, apiUnreadable};
		if (config.access.allNodes) {
			if (source === undefined) {
				io.stderr.write('svctop: --all-nodes needs the API to list the nodes, and it cannot be reached\n');
				return 1;
			}

			return await withDebugPods(config, kc, io, async (session, signal) => runAllNodesNat(session, source!, natOptions, io, signal));
		}

		return await withDebugPods(config, kc, io, async (session, signal) => runNodeNat(session, config.node!, natOptions, io, signal));
	} finally {
		await source?.stop().catch(() => undefined);
	}
}

/**
 * The dashboard's NAT and probe vantage points: with --debug-pod, any node through a debug pod
 * made only after the user confirmed it in the view (one pod per node, shared by both views);
 * close() deletes what was made (also on SIGTERM).
 */
export function startDashboardAccess(config: CliConfig, demo: Demo | undefined, io: AccessIo): DashboardAccess {
	if (!config.access.debugPod) {
		return podExecAccess(config, demo);
	}

	const kc = kubeConfigOf(config, demo);
	const session = new DebugPodSession({kc, namespace: config.access.namespace, image: config.access.image, deadlineSeconds: longDeadlineSeconds});
	const close = async () => {
		const {failed} = await session.close();
		for (const line of failed) {
			io.stderr.write(`svctop: could not delete pod ${line}; remove it with svctop debug-pods --clean\n`);
		}
	};

	const onTerm = () => {
		void close().finally(() => process.exit(143));
	};

	process.once('SIGTERM', onTerm);
	return {
		vantages: debugPodVantages(session, config.access.image),
		probeVantages: debugPodProbeVantages(session, config.access.image, kc),
		async close() {
			process.off('SIGTERM', onTerm);
			await close();
		},
	};
}
