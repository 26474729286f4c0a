import {useEffect, useMemo, useRef} from 'react';
import {type PollSnapshot, PollStore} from '../../util/poll-store.js';
import type {Store} from '../../util/snapshot-store.js';
import {useStore} from './use-store.js';

const nothing: Store<undefined> = {snapshot: () => undefined, subscribe: () => () => undefined};

/**
 * A value polled through the source (a Service's pods or events): one store per `key` (what is
 * fetched), fetched at once, again when `trigger` changes, and `intervalMs` after each answer
 * (backing off after failures). Undefined without `fetch`.
 */
export function usePoll<T>(fetch: (() => Promise<T>) | undefined, key: string, trigger: string, intervalMs: number): PollSnapshot<T> | undefined {
	// `fetch` is a fresh closure each render (the latest is used); `key` says what it fetches.
	const latest = useRef(fetch);
	latest.current = fetch;
	const hasFetch = fetch !== undefined;
	// eslint-disable-next-line react-hooks/exhaustive-deps
	const store = useMemo(() => (hasFetch ? new PollStore(async () => latest.current!(), intervalMs) : undefined), [key, hasFetch, intervalMs]);
	useEffect(() => {
		store?.refresh();
		store?.startTimer();
	}, [store, trigger]);
	useEffect(() => () => store?.close(), [store]);
	return useStore<PollSnapshot<T> | undefined>(store ?? nothing);
}
