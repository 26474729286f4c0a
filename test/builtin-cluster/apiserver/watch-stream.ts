import http from 'node:http';

export type WatchEvent = {type: string; object: any};

/** A raw watch request whose events a test pulls one at a time. */
export type WatchStream = {
	readonly status: number;
	next(timeoutMs?: number): Promise<WatchEvent>;
	/** Resolves with how the stream ended: 'end' (clean) or 'error' (cut). */
	ended(): Promise<'end' | 'error'>;
	close(): void;
};

export function openWatch(url: string): Promise<WatchStream> {
	return new Promise((resolve, reject) => {
		const request = http.get(url, response => {
			const queue: WatchEvent[] = [];
			const waiting: Array<(event: WatchEvent) => void> = [];
			let buffer = '';
			let endResult: 'end' | 'error' | undefined;
			const endWaiters: Array<(result: 'end' | 'error') => void> = [];
			const finish = (result: 'end' | 'error'): void => {
				if (endResult === undefined) {
					endResult = result;
					for (const waiter of endWaiters.splice(0)) {
						waiter(result);
					}
				}
			};

			response.setEncoding('utf8');
			response.on('data', (chunk: string) => {
				buffer += chunk;
				let newline = buffer.indexOf('\n');
				while (newline !== -1) {
					const event = JSON.parse(buffer.slice(0, newline)) as WatchEvent;
					buffer = buffer.slice(newline + 1);
					const waiter = waiting.shift();
					if (waiter === undefined) {
						queue.push(event);
					} else {
						waiter(event);
					}

					newline = buffer.indexOf('\n');
				}
			});
			response.on('end', () => finish('end'));
			response.on('error', () => finish('error'));
			response.on('aborted', () => finish('error'));
			request.on('error', () => finish('error'));
			resolve({
				status: response.statusCode ?? 0,
				next(timeoutMs = 5000) {
					const queued = queue.shift();
					if (queued !== undefined) {
						return Promise.resolve(queued);
					}

					return new Promise((resolveEvent, rejectEvent) => {
						const timer = setTimeout(() => rejectEvent(new Error('no watch event within the timeout')), timeoutMs);
						waiting.push(event => {
							clearTimeout(timer);
							resolveEvent(event);
						});
					});
				},
				ended() {
					return endResult === undefined ? new Promise(resolveEnd => endWaiters.push(resolveEnd)) : Promise.resolve(endResult);
				},
				close() {
					request.destroy();
				},
			});
		});
		request.on('error', reject);
	});
}
