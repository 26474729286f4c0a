import process from 'node:process';
import type {ClusterSource} from '../kube/types.js';
import {describeKubeError, KubeError} from '../kube/errors.js';
import {kubeconfigPresent} from '../kube/kubeconfig-location.js';
import {parseTarget} from '../core/services/service-target.js';
// Only the type: the built-in cluster is loaded by startBuiltinDemo, for --demo alone.
import type {Demo} from '../builtin-cluster/demo/demo.js';
import {readLocalNatDump} from '../node/nat/read-dump.js';
import {keepYoungGenerationSmall, type NatCommandOptions, obtainDump, runNat} from './nat.js';
import type {AccessConfig} from './node-access.js';

/**
 * The Kubernetes client (megabytes of code, most of a small dump's run time) is loaded by the first
 * step that talks to a cluster, so `svctop nat --file` without a kubeconfig never loads it.
 */
async function kube(demo: Demo | undefined) {
	const [{connectCluster}, {kubeContexts}, {kubeConfigFromYaml, resolveKubeConfig}] = await Promise.all([
		import('../kube/connect.js'),
		import('../kube/contexts.js'),
		import('../kube/kubeconfig.js'),
	]);
	return {connectCluster, kubeContexts, resolveKubeConfig, kubeConfigObject: demo ? kubeConfigFromYaml(demo.cluster.kubeconfigYaml) : undefined};
}

/**
 * `--demo`: the built-in cluster (its API server, data plane and rule generators) is support code, so it
 * is imported here and nowhere else in the product, never on the path of a real cluster.
 */
async function startBuiltinDemo(config: CliConfig): Promise<Demo> {
	const {startDemo} = await import('../builtin-cluster/demo/demo.js');
	return startDemo({withDataPlane: config.command === 'probe' || config.command === 'dashboard'});
}

/** Whether any node-access flag (or command) is given: the only case node-access.ts is loaded. */
function wantsNodeAccess(command: string, access: AccessConfig): boolean {
	return command === 'debug-pods' || access.debugPod || access.allNodes || access.from !== undefined || access.clean;
}

/** The dashboard's modules (Ink, React, the views), loaded only when the dashboard runs. */
async function loadDashboard() {
	const [{runDashboard}, {makeNatView, makeProbeView}] = await Promise.all([
		import('./dashboard.js'),
		import('./dashboard-screens.js'),
	]);
	return {runDashboard, makeNatView, makeProbeView};
}

export type CliConfig = {
	command: 'dashboard' | 'list' | 'describe' | 'nat' | 'probe' | 'debug-pods';
	args: string[];
	demo: boolean;
	kubeconfig?: string;
	context?: string;
	namespace?: string;
	allNamespaces: boolean;
	clusterDomain: string;
	wide: boolean;
	/** `--json`: svctop's own document. */
	json: boolean;
	/** `-o json|yaml|name`: what kubectl get svc prints (list). */
	kubectlFormat?: 'json' | 'yaml' | 'name';
	file?: string;
	natFile?: string;
	mode?: 'iptables' | 'nftables' | 'ipvs';
	service?: string;
	node?: string;
	nodeCmd?: string;
	/** Largest NAT dump read from a file or stdin, in bytes. */
	maxBytes?: number;
	/** Node access through Kubernetes (debug pods, exec); see node-access.ts. */
	access: AccessConfig;
	probe: {
		count?: number;
		intervalMs: number;
		timeoutMs: number;
		concurrency: number;
		mode: 'http' | 'tcp' | 'dns';
		path: string;
		via?: string;
		match?: string;
	};
};

const io = {
	// Made on first use: process.stdin sets up a stream (at a terminal, tty and net too) that most commands never read.
	get stdin() {
		return process.stdin;
	},
	stdout: process.stdout,
	stderr: process.stderr,
};

/**
 * Where the probe's expected shares come from when they can: the demo's own rules, or this node's
 * kube-proxy rules when running as root. Anything that fails falls back to 1/n of ready endpoints.
 */
function natRulesFor(config: CliConfig, demo: Demo | undefined) {
	if (demo) {
		return {natRules: async () => ({text: demo.ruleDump(config.node), mode: undefined}), natNode: config.node ?? demo.localNode};
	}

	if (process.platform === 'linux' && process.getuid?.() === 0) {
		const natRules = async () => {
			const dump = await readLocalNatDump({timeoutMs: 3000});
			return dump.ok ? {text: dump.text, mode: dump.mode} : undefined;
		};
		return {natRules, natNode: undefined};
	}

	return {natRules: undefined, natNode: undefined};
}

/** Does this command, with these arguments, need the API? */
function needsCluster(config: CliConfig): 'required' | 'optional' | 'none' {
	switch (config.command) {
		case 'nat': {
			return config.demo ? 'required' : 'optional';
		}

		case 'probe': {
			const target = config.args[0] ?? '';
			// host:port and URLs need no cluster; ns/name does.
			return /^[a-z]+:\/\//i.test(target) || !target.includes('/') ? 'none' : 'required';
		}

		default: {
			return 'required';
		}
	}
}

/** Which namespaces the command watches: a `ns/name` target names its own; the NAT table spans them all. */
function scopeOf(config: CliConfig): {namespace?: string; allNamespaces: boolean} {
	const target = config.args[0];
	const named = config.command === 'describe' && target?.replace(/^(services?|svc)\//, '').includes('/') ? parseTarget(target, '') : undefined;
	if (named) {
		return {namespace: named.namespace, allNamespaces: false};
	}

	if (config.command === 'probe' && target?.includes('/') && !target.includes('://')) {
		return {namespace: target.split('/')[0], allNamespaces: false};
	}

	if (config.command === 'nat' && config.namespace === undefined) {
		return {allNamespaces: true};
	}

	return {namespace: config.namespace, allNamespaces: config.allNamespaces};
}

/** After this long without the API's first answer, one line on stderr says what svctop waits for. */
const waitingNoticeMs = 1000;

/**
 * Connects as the command asks. `quiet`: no waiting notice on stderr, for the dashboard's `:ctx` (it draws
 * on the terminal then and says it is switching itself; a line written under it would tear the screen).
 */
async function connect(config: CliConfig, demo: Demo | undefined, {settleAfterFailures, quiet = false}: {settleAfterFailures?: number; quiet?: boolean} = {}): Promise<ClusterSource> {
	const {connectCluster, kubeConfigObject} = await kube(demo);
	// A server slow to answer would hold a blank screen or a silent command for up to 40 s.
	const waiting = quiet ? undefined : setTimeout(() => io.stderr.write('svctop: waiting for the API server to answer (Ctrl-C quits)…\n'), waitingNoticeMs);
	try {
		return await connectCluster({
			kubeconfig: config.kubeconfig,
			context: config.context,
			...scopeOf(config),
			kubeConfigObject,
			settleAfterFailures,
		});
	} finally {
		clearTimeout(waiting);
	}
}

/**
 * The cluster the NAT rules are checked against, or why there is none: without a kubeconfig or when
 * connecting fails, the rules still show, with a note that says they were not checked. Lists that
 * could not be read are left to natApiOf, which leaves them out of the check and says why.
 */
async function connectForCrossCheck(config: CliConfig, demo: Demo | undefined): Promise<ClusterSource | {readonly unreadable: string}> {
	if (!demo && !kubeconfigPresent(config.kubeconfig)) {
		return {unreadable: 'no kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config) and not in a cluster'};
	}

	try {
		return await connect(config, demo, {settleAfterFailures: 1});
	} catch (error) {
		return {unreadable: describeKubeError(error)};
	}
}

/** The namespace a bare name means: -n, else the context's (`default` when there is no kubeconfig to say). */
async function contextNamespace(config: CliConfig, demo: Demo | undefined): Promise<string> {
	if (config.namespace) {
		return config.namespace;
	}

	if (!demo && !kubeconfigPresent(config.kubeconfig)) {
		return 'default';
	}

	try {
		const {resolveKubeConfig, kubeConfigObject} = await kube(demo);
		return resolveKubeConfig({kubeconfig: config.kubeconfig, context: config.context, kubeConfigObject}).namespace ?? 'default';
	} catch {
		return 'default';
	}
}

/** `svctop list` (and the dashboard printing instead): a namespace that does not exist lists nothing, as kubectl says. */
async function listServices(config: CliConfig, demo: Demo | undefined): Promise<number> {
	const options = {wide: config.wide, json: config.json, kubectlFormat: config.kubectlFormat, allNamespaces: config.allNamespaces, names: config.args.length > 0 ? config.args : undefined};
	let source: ClusterSource;
	try {
		source = await connect(config, demo);
	} catch (error) {
		if (!(error instanceof KubeError && error.kind === 'not-found' && config.namespace !== undefined && error.message === `namespaces "${config.namespace}" not found`)) {
			throw error;
		}

		const {resolveKubeConfig, kubeConfigObject} = await kube(demo);
		const {context} = resolveKubeConfig({kubeconfig: config.kubeconfig, context: config.context, kubeConfigObject});
		const {emptySnapshot, printList} = await import('./list.js');
		return printList(emptySnapshot(context, config.namespace, Date.now()), options, io.stdout, Date.now(), io.stderr);
	}

	try {
		const {runList} = await import('./list.js');
		return await runList(source, options, io.stdout, Date.now(), io.stderr);
	} finally {
		await source.stop().catch(() => undefined);
	}
}

/** `:ctx` in the dashboard: the kubeconfig's contexts, each connected as at start-up. */
async function dashboardContexts(config: CliConfig, demo: Demo | undefined) {
	const {kubeContexts, kubeConfigObject} = await kube(demo);
	try {
		return {
			list: kubeContexts({kubeconfig: config.kubeconfig, kubeConfigObject}),
			async connect(context: string, allNamespaces: boolean) {
				return connect({...config, context, namespace: undefined, allNamespaces}, demo, {quiet: true}).catch((error: unknown) => {
					throw new Error(describeKubeError(error));
				});
			},
		};
	} catch {
		// In-cluster credentials, or a kubeconfig that went away: nothing to switch to.
		return undefined;
	}
}

async function runInteractive(
	config: CliConfig,
	source: ClusterSource,
	demo: Demo | undefined,
	ui: Awaited<ReturnType<typeof loadDashboard>>,
): Promise<number> {
	const loadRules = async () =>
		obtainDump(
			{json: false, file: config.natFile, mode: config.mode, nodeCmd: config.nodeCmd, node: config.node, maxBytes: config.maxBytes, dump: demo && !config.natFile ? demo.ruleDump(config.node) : undefined},
			io,
		);
	// Pods are exec'd into without a flag (that creates nothing); the debug-pod code loads only with --debug-pod.
	const access = config.access.debugPod ? (await import('./node-access.js')).startDashboardAccess(config, demo, io) : (await import('./pod-exec-access.js')).podExecAccess(config, demo);
	try {
		return await ui.runDashboard(source, {
			clusterDomain: config.clusterDomain,
			contexts: await dashboardContexts(config, demo),
			resolveName: demo?.resolveName,
			screens: {nat: ui.makeNatView(loadRules, access.vantages), probe: ui.makeProbeView({resolveAddress: demo?.resolveAddress, resolveName: demo?.resolveName, ...natRulesFor(config, demo), vantages: access.probeVantages})},
		});
	} finally {
		await access.close();
	}
}

/**
 * The last line of defence for the plain commands (the dashboard restores the terminal first):
 * one line on stderr, never a stack trace.
 */
function exitOnUncaughtErrors(): void {
	const fatal = (error: unknown) => {
		io.stderr.write(`svctop: ${describeKubeError(error)}\n`);
		process.exit(1);
	};

	process.on('uncaughtException', fatal);
	process.on('unhandledRejection', fatal);
}

/** `svctop describe NAMESPACE/NAME`. */
async function describeCommand(config: CliConfig, source: ClusterSource | undefined, demo: Demo | undefined): Promise<number> {
	const target = config.args[0];
	if (!target) {
		io.stderr.write('svctop: describe needs a Service: svctop describe NAMESPACE/NAME\n');
		return 2;
	}

	const {runDescribe} = await import('./describe.js');
	return runDescribe(source!, {target, json: config.json, clusterDomain: config.clusterDomain, resolve: demo?.resolveName}, io.stdout, Date.now(), io.stderr);
}

/** `svctop nat`: `connect` is given when a cluster is optional (asked for once the rules are read). */
async function natCommand(config: CliConfig, source: ClusterSource | undefined, demo: Demo | undefined, connect: NatCommandOptions['connect']): Promise<number> {
	keepYoungGenerationSmall();
	return runNat(
		{
			file: config.file,
			mode: config.mode,
			json: config.json,
			service: config.service,
			namespace: config.namespace,
			defaultNamespace: await contextNamespace(config, demo),
			nodeCmd: config.nodeCmd,
			node: config.node,
			maxBytes: config.maxBytes,
			source,
			connect,
			dump: demo && !config.file ? demo.ruleDump(config.node) : undefined,
		},
		io,
	);
}

/** `svctop probe TARGET`: runs until its count, or until SIGINT/SIGTERM call `onSignal` (removed by the caller). */
async function probeCommand(config: CliConfig, source: ClusterSource | undefined, demo: Demo | undefined, onSignal: () => void, signal: AbortSignal): Promise<number> {
	const target = config.args[0];
	if (!target) {
		io.stderr.write('svctop: probe needs a target: ns/name[:port], host:port or a URL\n');
		return 2;
	}

	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);
	const {runProbe} = await import('./probe.js');
	return runProbe(
		{
			target,
			...config.probe,
			json: config.json,
			source,
			resolveAddress: demo?.resolveAddress,
			resolveName: demo?.resolveName,
			...natRulesFor(config, demo),
		},
		io,
		signal,
	);
}

/** Run one CLI command; every failure becomes one line on stderr and a non-zero exit code. */
export async function runCommand(config: CliConfig): Promise<number> {
	if (config.command !== 'dashboard') {
		exitOnUncaughtErrors();
	}

	let demo: Demo | undefined;
	let source: ClusterSource | undefined;
	const abort = new AbortController();
	const onSignal = () => abort.abort();
	try {
		if (config.demo) {
			demo = await startBuiltinDemo(config);
		}

		// Node access loads client-node's generated API clients (megabytes): only when a flag asks for it.
		if (wantsNodeAccess(config.command, config.access)) {
			const nodeAccess = await import('./node-access.js');
			if (nodeAccess.usesNodeAccess(config)) {
				return await nodeAccess.runNodeAccess(config, demo, io);
			}
		}

		const need = needsCluster(config);
		// -o and --json ask for the list's output: printed, as kubectl would, instead of the dashboard.
		const printed = config.json || config.wide || config.kubectlFormat !== undefined;
		// The dashboard needs a terminal both ways: it draws on stdout and reads its keys on stdin. With
		// stdin from a file or /dev/null no key would ever arrive, so the list is printed instead.
		const dashboard = config.command === 'dashboard' && io.stdout.isTTY === true && io.stdin.isTTY === true && !printed;
		if (need === 'required' && dashboard) {
			// Load the UI while the first lists are in flight, so start-up pays for the slower of the two only.
			const [connected, ui] = await Promise.all([connect(config, demo), loadDashboard()]);
			source = connected;
			return await runInteractive(config, source, demo, ui);
		}

		if (config.command === 'list' || config.command === 'dashboard') {
			// A pipe gets the table, as kubectl would print it.
			return await listServices(config, demo);
		}

		if (need === 'required') {
			source = await connect(config, demo);
		}

		// The NAT decoder names pods and cross-checks when a cluster is reachable; without one it still
		// works. It connects once the rules are read, so bad input fails before any API wait (and
		// without a kubeconfig the Kubernetes client is never loaded).
		const connectOptional = need === 'optional' ? async () => {
			const connected = await connectForCrossCheck(config, demo);
			source = 'unreadable' in connected ? undefined : connected;
			return connected;
		} : undefined;

		switch (config.command) {
			case 'describe': {
				return await describeCommand(config, source, demo);
			}

			case 'nat': {
				return await natCommand(config, source, demo, connectOptional);
			}

			case 'probe': {
				return await probeCommand(config, source, demo, onSignal, abort.signal);
			}

			default: {
				return 2;
			}
		}
	} catch (error) {
		io.stderr.write(`svctop: ${describeKubeError(error)}\n`);
		return 1;
	} finally {
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
		await source?.stop().catch(() => undefined);
		await demo?.stop().catch(() => undefined);
	}
}
