import type {V1Pod} from '@kubernetes/client-node';
import type {ClusterSource} from '../../kube/types.js';
import {usePoll} from './use-poll.js';

export type ServicePods = {
	/**
	 * The pods matching the selector; undefined until the first answer, without a selector, and while
	 * the last fetch failed: pods read before it may have changed since, so nothing is drawn from them.
	 */
	readonly pods: readonly V1Pod[] | undefined;
	/** The last fetch's error as one line. */
	readonly error: string | undefined;
};

/**
 * Pods of a Service, fetched on demand through the source (never cached cluster-wide): when the
 * view opens, when `trigger` changes (the Service's endpoints moved, or the user asked), and every
 * `intervalMs` after an answer (later after failures: see PollStore).
 */
export function useServicePods(
	source: ClusterSource,
	namespace: string,
	selector: Readonly<Record<string, string>> | undefined,
	trigger: string,
	intervalMs: number,
): ServicePods {
	const selectorKey = selector ? JSON.stringify(Object.entries(selector).sort()) : undefined;
	const polled = usePoll(
		selector ? async () => source.listPods(namespace, selector) : undefined,
		`${namespace}|${selectorKey}`,
		trigger,
		intervalMs,
	);
	return {pods: polled?.error === undefined ? polled?.value : undefined, error: polled?.error};
}
