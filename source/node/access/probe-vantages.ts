import type {ProbeMode} from '../../core/probe/types.js';
import type {NatRulesLoader} from '../probe/nat-rules.js';
import type {DebugPodSession} from './debug-pod-session.js';
import {readNodeRules} from './node-rules.js';
import {detectProbeTool, probeInPod, type ProbeTool} from './remote-probe.js';
import type {RemoteProber} from './remote-probe-loop.js';

/**
 * Where the dashboard's probe view may probe from besides this machine: any node, through a debug
 * pod there. Nothing is created until a node's prober or rules are used, which the view does only
 * after the user confirmed what `describe` names.
 */
export type ProbeVantages = {
	/** Why nodes cannot be picked (svctop was started without --debug-pod); undefined when they can. */
	readonly unavailable?: string;
	/** What probing from `node` creates, for the confirmation. */
	describe(node: string): string;
	/** Probes from `node` (the same object for the same node, so the view's hooks keep it). */
	proberFor(node: string): RemoteProber;
	/** Reads `node`'s rules for the expected shares (the same function for the same node). */
	rulesFor(node: string): NatRulesLoader;
};

const nothing = async () => ({ok: false, latencyMs: 0, error: 'exec failed', execFailure: 'no debug pods without --debug-pod'});

export const noProbeVantages: ProbeVantages = {
	unavailable: 'start svctop with --debug-pod to probe from a node (through a short-lived pod there)',
	describe: () => '',
	proberFor: node => ({where: `node/${node}`, probe: nothing}),
	rulesFor: () => async () => undefined,
};

/** Node vantage points through `session`: one pod per node, shared with the NAT view's. */
export function debugPodProbeVantages(session: DebugPodSession, image: string): ProbeVantages {
	const probers = new Map<string, RemoteProber>();
	const rules = new Map<string, NatRulesLoader>();
	return {
		describe: node => `Create pod svctop-debug-${node}-* in namespace ${session.namespace} on node ${node} (image ${image}, host network, NET_ADMIN+NET_RAW; deleted when svctop exits) and probe from there?`,
		proberFor(node) {
			let prober = probers.get(node);
			if (prober === undefined) {
				// The pod and the tool in it, found once per mode; forgotten on failure so a later pick tries again.
				const tools = new Map<ProbeMode, Promise<{runner: Parameters<typeof probeInPod>[0]; tool: ProbeTool} | {error: string}>>();
				const toolFor = async (mode: ProbeMode) => {
					const pod = await session.podOn(node);
					if (!pod.ok) {
						return {error: pod.error};
					}

					const tool = await detectProbeTool(pod.runner, mode);
					return 'error' in tool ? {error: `${tool.error} (image ${image})`} : {runner: pod.runner, tool: tool.tool};
				};

				prober = {
					where: `node/${node} via debug pod`,
					async probe(target, options) {
						let ready = tools.get(options.mode);
						if (ready === undefined) {
							ready = toolFor(options.mode);
							tools.set(options.mode, ready);
						}

						const found = await ready;
						if ('error' in found) {
							tools.delete(options.mode);
							return {ok: false, latencyMs: 0, error: 'exec failed', execFailure: found.error};
						}

						return probeInPod(found.runner, found.tool, {...options, target, conntrack: true});
					},
				};
				probers.set(node, prober);
			}

			return prober;
		},
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
