import {useEffect, useMemo, useState} from 'react';
import type {ClusterSnapshot, ClusterSource} from '../../kube/types.js';

/**
 * Namespace names for completion: the cluster's list, fetched once per source (a 403 is no
 * error here), together with the namespaces the snapshot shows.
 */
export function useNamespaceNames(source: ClusterSource, snapshot: ClusterSnapshot): readonly string[] {
	const [listed, setListed] = useState<readonly string[]>([]);
	useEffect(() => {
		let live = true;
		source.listNamespaces?.().then(
			names => {
				if (live) {
					setListed(names);
				}
			},
			() => undefined,
		);
		return () => {
			live = false;
		};
	}, [source]);

	return useMemo(() => {
		const names = new Set(listed);
		for (const service of snapshot.services) {
			names.add(service.metadata?.namespace ?? '');
		}

		names.add(snapshot.namespace ?? '');
		names.delete('');
		return [...names].sort();
	}, [listed, snapshot.services, snapshot.namespace]);
}
