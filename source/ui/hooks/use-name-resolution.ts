import {useEffect, useState} from 'react';
import type {NameResolution} from '../../core/detail/describe-service.js';

/** Resolves a name on this machine (source/node/resolve-name.ts in the app; a fake in tests). */
export type ResolveName = (name: string) => Promise<NameResolution>;

/** The live resolution of `name` (an ExternalName target), again whenever `trigger` changes. */
export function useNameResolution(
	resolve: ResolveName | undefined,
	name: string | undefined,
	trigger: number,
): NameResolution | undefined {
	const [resolution, setResolution] = useState<NameResolution | undefined>(undefined);
	useEffect(() => {
		setResolution(undefined);
		if (!resolve || !name) {
			return;
		}

		let cancelled = false;
		resolve(name).then(
			result => {
				if (!cancelled) {
					setResolution(result);
				}
			},
			(error: unknown) => {
				if (!cancelled) {
					setResolution({name, chain: [], addresses: [], error: error instanceof Error ? error.message : String(error)});
				}
			},
		);
		return () => {
			cancelled = true;
		};
	}, [resolve, name, trigger]);
	return resolution;
}
