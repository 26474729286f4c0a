import {useEffect, useMemo, useState} from 'react';
import type {ClusterSnapshot, ClusterSource} from '../../kube/types.js';

export type NamespaceNames = {
	/** For completion: the cluster's list together with the namespaces the snapshot shows. */
	readonly names: readonly string[];
	/** The cluster's own list; undefined until it answers or when it cannot be read (a 403 is no error here). */
	readonly listed: readonly string[] | undefined;
};

/** Namespace names: the cluster's list, fetched once per source, and the names completion offers. */
export function useNamespaceNames(source: ClusterSource, snapshot: ClusterSnapshot): NamespaceNames {
	const [listed, setListed] = useState<readonly string[] | undefined>(undefined);
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
		const names = new Set(listed ?? []);
		for (const service of snapshot.services) {
			names.add(service.metadata?.namespace ?? '');
		}

		names.add(snapshot.namespace ?? '');
		names.delete('');
		return {names: [...names].sort(), listed};
	}, [listed, snapshot.services, snapshot.namespace]);
}
