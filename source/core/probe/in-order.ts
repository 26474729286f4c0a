/**
 * Hands on items in `seq` order (0, 1, 2, ...) although they arrive in the order probes end: a
 * dropped probe's timeout must not print after the answers that came later. Holds only what
 * waits for an earlier seq; `flush` gives out the rest (a run stopped with probes in flight).
 */
export function inSeqOrder<T extends {readonly seq: number}>(emit: (item: T) => void): {push(item: T): void; flush(): void} {
	const waiting = new Map<number, T>();
	let next = 0;
	return {
		push(item) {
			waiting.set(item.seq, item);
			for (let ready = waiting.get(next); ready !== undefined; ready = waiting.get(next)) {
				waiting.delete(next);
				next++;
				emit(ready);
			}
		},
		flush() {
			for (const item of [...waiting.values()].sort((a, b) => a.seq - b.seq)) {
				emit(item);
			}

			waiting.clear();
		},
	};
}
