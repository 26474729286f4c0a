import {useEffect, useState} from 'react';

/** A clock: epoch milliseconds. Injected so tests control time. */
export type Clock = () => number;

/** `clock()` re-read every `intervalMs`; one timer per caller, cleared on unmount. */
export function useNow(clock: Clock, intervalMs: number): number {
	const [now, setNow] = useState(clock);
	useEffect(() => {
		const timer = setInterval(() => {
			setNow(clock());
		}, intervalMs);
		return () => {
			clearInterval(timer);
		};
	}, [clock, intervalMs]);
	return now;
}
