import {after, test} from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {probeHttp, startProbe, type RawProbeResult} from '../../../source/node/probe/probe-once.js';

const servers: net.Server[] = [];
const open = new Set<net.Socket>();

/**
 * A server that answers every request with `pieces`, written apart (so they arrive as separate
 * reads), and keeps the connection open unless told to close (`true`: a FIN) or reset (an RST).
 */
async function piecewise(pieces: readonly string[], close: boolean | 'reset' = false): Promise<number> {
	const server = net.createServer(socket => {
		open.add(socket);
		socket.on('error', () => undefined);
		socket.once('data', () => {
			let next = 0;
			const write = () => {
				if (next < pieces.length) {
					socket.write(pieces[next++]!);
					setTimeout(write, 15);
				} else if (close === 'reset') {
					socket.resetAndDestroy();
				} else if (close) {
					socket.end();
				}
			};

			write();
		});
	});
	servers.push(server);
	return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

after(async () => {
	for (const socket of open) {
		socket.destroy();
	}

	await Promise.all(servers.map(server => new Promise(resolve => server.close(resolve))));
});

const base = {host: '127.0.0.1', path: '/', timeoutMs: 1000};

test('Content-Length (any case) across split reads ends the probe without waiting for the close', async () => {
	const port = await piecewise(['HTTP/1.1 200 OK\r\ncontent-LENGTH:  11\r', '\n\r', '\nhello ', 'pod-a']);
	const result = await probeHttp({...base, port});
	assert.deepEqual([result.ok, result.error], [true, null]);
	assert.ok(result.latencyMs < 900, `latency ${result.latencyMs}`);
	assert.ok(result.responseText!.endsWith('\r\n\r\nhello pod-a'), result.responseText);
});

test('a chunked body ends at its last chunk, even when the terminator is split across reads', async () => {
	const port = await piecewise(['HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n', '5\r\npod-b\r\n', '0\r\n\r', '\n']);
	const result = await probeHttp({...base, port});
	assert.deepEqual([result.ok, result.error], [false, 'http 503']);
	assert.ok(result.latencyMs < 900, `latency ${result.latencyMs}`);
	assert.match(result.responseText!, /pod-b/);
});

test('without a length the answer ends when the server closes', async () => {
	const port = await piecewise(['HTTP/1.0 200 OK\r\n\r\n', 'pod-c says hi'], true);
	const result = await probeHttp({...base, port});
	assert.equal(result.ok, true);
	assert.ok(result.responseText!.endsWith('pod-c says hi'));
});

test('a status line that is not HTTP is a bad response', async () => {
	const port = await piecewise(['SSH-2.0-OpenSSH_9.6\r\n'], true);
	assert.equal((await probeHttp({...base, port})).error, 'bad response');
});

test('startProbe: the result is delivered once, ended early by the caller as timeout or abort', async () => {
	const port = await piecewise([]);
	for (const reason of ['timeout', 'aborted'] as const) {
		const results: RawProbeResult[] = [];
		const handle = startProbe('http', {...base, port}, result => results.push(result));
		// eslint-disable-next-line no-await-in-loop -- let the connection open first.
		await new Promise(resolve => setTimeout(resolve, 20));
		handle.end(reason);
		handle.end('timeout');
		assert.equal(results.length, 1);
		assert.equal(results[0]!.error, reason);
		assert.equal(results[0]!.aborted, reason === 'aborted' ? true : undefined);
	}
});

test('startProbe: onSent comes once the request is out, before the answer; a refused probe sends nothing', async () => {
	const port = await piecewise(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'], true);
	const order: string[] = [];
	await new Promise<void>(resolve => {
		startProbe('http', {...base, port}, result => {
			order.push(`result ${result.ok}`);
			resolve();
		}, () => order.push('sent'));
	});
	assert.deepEqual(order, ['sent', 'result true']);
	const closed = net.createServer();
	const closedPort = await new Promise<number>(resolve => closed.listen(0, '127.0.0.1', () => resolve((closed.address() as net.AddressInfo).port)));
	await new Promise(resolve => closed.close(resolve));
	const refused: string[] = [];
	await new Promise<void>(resolve => {
		startProbe('http', {...base, port: closedPort}, result => {
			refused.push(`result ${result.error}`);
			resolve();
		}, () => refused.push('sent'));
	});
	assert.deepEqual(refused, ['result refused']);
});

// A broken reply is a failure, whatever its status line promised; what arrived still names the pod.
const broken: ReadonlyArray<[string, readonly string[], true | 'reset', string]> = [
	['Content-Length 100, closed after 5 bytes', ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', 'pod-d'], true, 'truncated body'],
	['Content-Length 100, reset after 5 bytes', ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', 'pod-d'], 'reset', 'reset after headers'],
	['chunked, closed before the last chunk', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', '5\r\npod-d\r\n'], true, 'truncated body'],
	['chunked, reset before the last chunk', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', '5\r\npod-d\r\n'], 'reset', 'reset after headers'],
	['headers cut short', ['HTTP/1.1 200 OK\r\nContent-Le'], true, 'truncated headers'],
];
for (const [name, pieces, close, reason] of broken) {
	test(`a broken reply is a failure: ${name} -> ${reason}`, async () => {
		const port = await piecewise(pieces, close);
		for (const run of [probeHttp({...base, port}), new Promise<RawProbeResult>(resolve => startProbe('http', {...base, port}, resolve))]) {
			// eslint-disable-next-line no-await-in-loop -- one probe at a time against the same server.
			const result = await run;
			assert.deepEqual([result.ok, result.error], [false, reason]);
			if (reason !== 'truncated headers') {
				assert.match(result.responseText!, /pod-d/, 'the text read so far is kept for attribution');
			}
		}
	});
}

test('a complete reply followed by a reset is still a success (the body was whole)', async () => {
	const port = await piecewise(['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'pod-e'], 'reset');
	const result = await probeHttp({...base, port});
	assert.deepEqual([result.ok, result.error], [true, null]);
});

/**
 * A server that answers at once and closes `closeAfterMs` later, noting when it closed and when the
 * client's FIN came. Who closes first keeps the TIME_WAIT: the client must not (a fast probe loop
 * would fill this machine's ephemeral ports with them).
 */
async function closesLater(closeAfterMs: number | undefined): Promise<{port: number; times: {serverClosed?: number; clientClosed?: number; clientCloses: number}}> {
	const times: {serverClosed?: number; clientClosed?: number; clientCloses: number} = {clientCloses: 0};
	const server = net.createServer({allowHalfOpen: true}, socket => {
		open.add(socket);
		socket.on('error', () => undefined);
		socket.once('end', () => {
			times.clientClosed = performance.now();
			times.clientCloses++;
		});
		socket.once('data', () => {
			socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\npod-a');
			if (closeAfterMs !== undefined) {
				setTimeout(() => {
					times.serverClosed = performance.now();
					socket.end();
				}, closeAfterMs);
			}
		});
	});
	servers.push(server);
	const port = await new Promise<number>(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
	return {port, times};
}

test('after a complete answer the probe ends at once but leaves the close to the server (no TIME_WAIT on this side)', async () => {
	const {port, times} = await closesLater(150);
	const result = await probeHttp({...base, port});
	const ended = performance.now();
	assert.deepEqual([result.ok, result.error], [true, null]);
	assert.equal(times.serverClosed, undefined, 'the probe did not wait for the close');
	await new Promise(resolve => setTimeout(resolve, 300));
	assert.ok(times.serverClosed !== undefined && times.clientClosed !== undefined, JSON.stringify(times));
	assert.ok(times.clientClosed >= times.serverClosed, `the client closed ${(times.serverClosed - times.clientClosed).toFixed(1)} ms before the server`);
	assert.ok(ended < times.serverClosed);
});

test('a server that keeps the connection open after a complete answer is closed on within about a second', async () => {
	const {port, times} = await closesLater(undefined);
	const result = await probeHttp({...base, port});
	assert.equal(result.ok, true);
	for (let i = 0; i < 60 && times.clientClosed === undefined; i++) {
		// eslint-disable-next-line no-await-in-loop -- waiting for the client's close.
		await new Promise(resolve => setTimeout(resolve, 50));
	}

	assert.ok(times.clientClosed !== undefined, 'still open after 3 s');
});

test('at most 64 sockets wait for servers that keep them open: beyond that the oldest is closed at once', async () => {
	const {port, times} = await closesLater(undefined);
	for (let i = 0; i < 70; i++) {
		// eslint-disable-next-line no-await-in-loop -- one probe after another, as the engine's loop.
		const result = await probeHttp({...base, port});
		assert.equal(result.ok, true);
	}

	for (let i = 0; i < 40 && times.clientCloses < 6; i++) {
		// eslint-disable-next-line no-await-in-loop -- waiting for the closes to arrive.
		await new Promise(resolve => setTimeout(resolve, 5));
	}

	// Well before the one-second wait: only the cap can have closed them.
	assert.ok(times.clientCloses >= 6 && times.clientCloses < 70, `${times.clientCloses} closed`);
});
