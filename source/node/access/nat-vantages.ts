import type {NatTextDump} from '../nat/read-dump.js';
import type {DebugPodSession} from './debug-pod-session.js';
import {readNodeRules} from './node-rules.js';

/**
 * Where the dashboard's NAT view may read rules from besides this machine: any node, through a
 * debug pod there. Nothing is created until the view calls a node's loader, which it does only
 * after the user confirmed what `describe` names.
 */
export type NatVantages = {
	/** Why other nodes cannot be picked (svctop was started without --debug-pod); undefined when they can. */
	readonly unavailable?: string;
	/** What reading `node` creates, for the confirmation. */
	describe(node: string): string;
	/** Reads `node`'s rules (the same function for the same node, so the view's hook keeps it). */
	loaderFor(node: string): () => Promise<NatTextDump>;
};

export const noNatVantages: NatVantages = {
	unavailable: 'start svctop with --debug-pod to read another node\'s rules (through a short-lived pod there)',
	describe: () => '',
	loaderFor: () => async () => ({ok: false, error: 'no debug pods without --debug-pod'}),
};

export function debugPodVantages(session: DebugPodSession, image: string): NatVantages {
	const loaders = new Map<string, () => Promise<NatTextDump>>();
	return {
		describe: node => `Create pod svctop-debug-${node}-* in namespace ${session.namespace} on node ${node} (image ${image}, host network, NET_ADMIN+NET_RAW; deleted when svctop exits)?`,
		loaderFor(node) {
			let loader = loaders.get(node);
			if (loader === undefined) {
				loader = async () => {
					const pod = await session.podOn(node);
					if (!pod.ok) {
						return {ok: false, error: pod.error};
					}

					const dump = await readNodeRules(pod.runner, `node ${node} (pod ${pod.target.pod})`);
					return dump.ok ? {ok: true, text: dump.text, mode: dump.mode, source: dump.source} : dump;
				};

				loaders.set(node, loader);
			}

			return loader;
		},
	};
}
