import type {KubeConfig} from '@kubernetes/client-node';
import type {ProbeMode} from '../../core/probe/types.js';
import {describeKubeError} from '../../kube/errors.js';
import type {CommandRunner} from '../nat/read-dump.js';
import type {NatRulesLoader} from '../probe/nat-rules.js';
import {checkAccess, podExecPermissions} from './access-check.js';
import type {DebugPodSession} from './debug-pod-session.js';
import {podRunner} from './exec-in-pod.js';
import {readNodeRules} from './node-rules.js';
import {detectProbeTool, probeInPod, type ProbeTool} from './remote-probe.js';
import type {RemoteProber} from './remote-probe-loop.js';

/**
 * Where the dashboard's probe view may probe from besides this machine: any node, through a debug
 * pod there, or an existing pod (`pod/NS/NAME`, exec only). Nothing is created or exec'd until a
 * prober or rules are used, which the view does only after the user confirmed what `describe` names.
 */
export type ProbeVantages = {
	/** Why nodes and pods cannot be picked; undefined when they can. */
	readonly unavailable?: string;
	/** Why nodes cannot be picked while pods can (no --debug-pod: exec creates nothing, a node needs a pod). */
	readonly nodesUnavailable?: string;
	/** What probing from a node or `pod/NS/NAME` does, for the confirmation. */
	describe(vantage: string): string;
	/** Probes from a node or `pod/NS/NAME` (the same object for the same vantage, so the view's hooks keep it). */
	proberFor(vantage: string): RemoteProber;
	/** Reads `node`'s rules for the expected shares (the same function for the same node). */
	rulesFor(node: string): NatRulesLoader;
	/** The running pods of `namespace` that can be probed from, as `pod/NS/NAME` (at most maxVantagePods). */
	pods?(namespace: string): Promise<readonly string[]>;
};

export const maxVantagePods = 20;

/** `pod/NS/NAME` split, or undefined for a node name (node names have no slash). */
export function podVantage(vantage: string): {namespace: string; pod: string} | undefined {
	const match = /^pod\/([^/]+)\/([^/]+)$/.exec(vantage);
	return match ? {namespace: match[1]!, pod: match[2]!} : undefined;
}

type ToolReady = {runner: CommandRunner; tool: ProbeTool} | {error: string};

/**
 * A prober that finds its runner and tool once per mode (forgotten on failure so a later pick
 * tries again); `where` names the tool once it is known.
 */
function toolProber(where: string, find: (mode: ProbeMode) => Promise<ToolReady>, conntrack: boolean): RemoteProber {
	const tools = new Map<ProbeMode, Promise<ToolReady>>();
	let used: ProbeTool | undefined;
	return {
		get where() {
			return used === undefined ? where : `${where} with ${used}`;
		},
		async probe(target, options) {
			let ready = tools.get(options.mode);
			if (ready === undefined) {
				ready = find(options.mode);
				tools.set(options.mode, ready);
			}

			const found = await ready;
			if ('error' in found) {
				tools.delete(options.mode);
				return {ok: false, latencyMs: 0, error: 'exec failed', execFailure: found.error};
			}

			used = found.tool;
			return probeInPod(found.runner, found.tool, {...options, target, conntrack});
		},
	};
}

/** An existing pod's first container, after the RBAC check: exec only, nothing is created. */
async function podTool(kc: KubeConfig, namespace: string, name: string, mode: ProbeMode): Promise<ToolReady> {
	const access = await checkAccess(kc, namespace, podExecPermissions);
	if (!access.ok) {
		return {error: access.message};
	}

	let container: string;
	try {
		const pod = await (await import('./pod-api.js')).coreApi(kc).readNamespacedPod({name, namespace});
		if (pod.status?.phase !== 'Running') {
			return {error: `pod ${namespace}/${name} is ${pod.status?.phase ?? 'not running'}: probes need it Running`};
		}

		container = pod.spec?.containers[0]?.name ?? '';
	} catch (error) {
		return {error: `cannot read pod ${namespace}/${name}: ${describeKubeError(error)}`};
	}

	const runner = podRunner(kc, {namespace, pod: name, container});
	const tool = await detectProbeTool(runner, mode);
	return 'error' in tool ? {error: `pod ${namespace}/${name}: ${tool.error}`} : {runner, tool: tool.tool};
}

const nothing = async () => ({ok: false, latencyMs: 0, error: 'exec failed', execFailure: 'no debug pods without --debug-pod'});

export const noProbeVantages: ProbeVantages = {
	unavailable: 'start svctop with --debug-pod to probe from a node (through a short-lived pod there) or from a pod',
	describe: () => '',
	proberFor: node => ({where: `node/${node}`, probe: nothing}),
	rulesFor: () => async () => undefined,
};

/** `confirm` for `pod/NS/NAME`: exec only. */
function describePod(pod: {namespace: string; pod: string}): string {
	return `Exec into pod ${pod.namespace}/${pod.pod} (nothing is created; it probes with curl, wget or nc, whichever the pod has, named in the header) and probe from there?`;
}

/** The running pods of `namespace`, as `pod/NS/NAME`, at most maxVantagePods. */
async function runningPods(kc: KubeConfig, namespace: string): Promise<readonly string[]> {
	let list;
	try {
		list = await (await import('./pod-api.js')).coreApi(kc).listNamespacedPod({namespace, fieldSelector: 'status.phase=Running'});
	} catch (error) {
		throw new Error(describeKubeError(error));
	}

	return list.items
		.filter(pod => pod.status?.phase === 'Running' && pod.metadata?.name !== undefined)
		.slice(0, maxVantagePods)
		.map(pod => `pod/${namespace}/${pod.metadata!.name!}`);
}

/** A prober that execs into `pod/NS/NAME` (the pod has no view of the node's conntrack: attribution by the answer). */
function podProber(kc: KubeConfig, vantage: string, pod: {namespace: string; pod: string}): RemoteProber {
	return toolProber(vantage, async mode => podTool(kc, pod.namespace, pod.pod, mode), false);
}

/**
 * Without --debug-pod: existing pods through `kc`, exec only, since that creates nothing (as
 * `svctop probe --from pod/NS/NAME` does without the flag); nodes need a debug pod, so none.
 */
export function podExecProbeVantages(kc: KubeConfig): ProbeVantages {
	const probers = new Map<string, RemoteProber>();
	return {
		nodesUnavailable: 'nodes need --debug-pod (a short-lived pod on the node); pods are exec\'d into, which creates nothing',
		describe(vantage) {
			const pod = podVantage(vantage);
			return pod === undefined ? '' : describePod(pod);
		},
		proberFor(vantage) {
			const pod = podVantage(vantage);
			if (pod === undefined) {
				return {where: `node/${vantage}`, probe: nothing};
			}

			let prober = probers.get(vantage);
			if (prober === undefined) {
				prober = podProber(kc, vantage, pod);
				probers.set(vantage, prober);
			}

			return prober;
		},
		pods: async namespace => runningPods(kc, namespace),
		rulesFor: () => async () => undefined,
	};
}

/** Node vantage points through `session` (one pod per node, shared with the NAT view's) and existing pods through `kc` (exec only). */
export function debugPodProbeVantages(session: DebugPodSession, image: string, kc: KubeConfig): ProbeVantages {
	const probers = new Map<string, RemoteProber>();
	const rules = new Map<string, NatRulesLoader>();
	return {
		describe(vantage) {
			const pod = podVantage(vantage);
			return pod === undefined
				? `Create pod svctop-debug-${vantage}-* in namespace ${session.namespace} on node ${vantage} (image ${image}, host network, NET_ADMIN+NET_RAW; deleted when svctop exits) and probe from there?`
				: describePod(pod);
		},
		proberFor(vantage) {
			let prober = probers.get(vantage);
			if (prober === undefined) {
				const pod = podVantage(vantage);
				prober = pod === undefined
					? toolProber(`node/${vantage} via debug pod`, async mode => {
						const ready = await session.podOn(vantage);
						if (!ready.ok) {
							return {error: ready.error};
						}

						const tool = await detectProbeTool(ready.runner, mode);
						return 'error' in tool ? {error: `${tool.error} (image ${image})`} : {runner: ready.runner, tool: tool.tool};
					}, true)
					: podProber(kc, vantage, pod);
				probers.set(vantage, prober);
			}

			return prober;
		},
		pods: async namespace => runningPods(kc, namespace),
		rulesFor(node) {
			let loader = rules.get(node);
			if (loader === undefined) {
				loader = async () => {
					const pod = await session.podOn(node);
					if (!pod.ok) {
						return undefined;
					}

					const dump = await readNodeRules(pod.runner, `node ${node}`);
					return dump.ok ? {text: dump.text, mode: dump.mode} : undefined;
				};

				rules.set(node, loader);
			}

			return loader;
		},
	};
}
