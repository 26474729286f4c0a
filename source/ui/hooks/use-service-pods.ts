import type {V1Pod} from '@kubernetes/client-node';
import {useEffect, useState} from 'react';
import type {ClusterSource} from '../../kube/types.js';

export type ServicePods = {
	/** The pods matching the selector; undefined until the first answer (or without a selector). */
	readonly pods: readonly V1Pod[] | undefined;
	/** The last fetch's error as one line. */
	readonly error: string | undefined;
};

function oneLine(error: unknown): string {
	return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/**
 * Pods of a Service, fetched on demand through the source (never cached cluster-wide): when the
 * view opens, when `trigger` changes (the Service's endpoints moved, or the user asked), and every
 * `intervalMs`; a fetch still in flight makes the next tick skip.
 */
export function useServicePods(
	source: ClusterSource,
	namespace: string,
	selector: Readonly<Record<string, string>> | undefined,
	trigger: string,
	intervalMs: number,
): ServicePods {
	const [state, setState] = useState<ServicePods>({pods: undefined, error: undefined});
	const selectorKey = selector ? JSON.stringify(Object.entries(selector).sort()) : undefined;

	useEffect(() => {
		if (selectorKey === undefined) {
			setState({pods: undefined, error: undefined});
			return;
		}

		const labels = Object.fromEntries(JSON.parse(selectorKey) as Array<[string, string]>);
		let cancelled = false;
		let inFlight = false;
		const fetchPods = () => {
			if (inFlight) {
				return;
			}

			inFlight = true;
			source.listPods(namespace, labels).then(
				pods => {
					inFlight = false;
					if (!cancelled) {
						setState({pods, error: undefined});
					}
				},
				(error: unknown) => {
					inFlight = false;
					if (!cancelled) {
						setState(previous => ({pods: previous.pods, error: oneLine(error)}));
					}
				},
			);
		};

		fetchPods();
		const timer = setInterval(fetchPods, intervalMs);
		return () => {
			cancelled = true;
			clearInterval(timer);
		};
	}, [source, namespace, selectorKey, trigger, intervalMs]);

	return state;
}
