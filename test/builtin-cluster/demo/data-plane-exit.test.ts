import {test} from 'node:test';
import assert from 'node:assert/strict';
import net, {type AddressInfo} from 'node:net';
import {resetSocket} from '../../../source/builtin-cluster/demo/data-plane/sockets.js';

/** A connected pair on loopback: the server's side of it, and the client. */
async function connectedPair(): Promise<{server: net.Server; accepted: net.Socket; client: net.Socket}> {
	const server = net.createServer();
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const accepted = new Promise<net.Socket>(resolve => server.once('connection', resolve));
	const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
	client.on('error', () => undefined);
	return {server, accepted: await accepted, client};
}

function closes(socket: net.Socket, withinMs: number): Promise<boolean> {
	return new Promise(resolve => {
		const timer = setTimeout(() => resolve(false), withinMs);
		socket.once('close', () => {
			clearTimeout(timer);
			resolve(true);
		});
	});
}

// The demo's splice passes the pod's FIN on (end) and resets the client's side when the pod's side
// then fails. node cannot reset a socket that has ended: EINVAL, and its handle is never closed, so
// `svctop probe --demo ... --tcp` spun at exit after its summary.
test('a spliced socket that already ended is closed (not left open) when the pod side fails', async () => {
	const {server, accepted, client} = await connectedPair();
	accepted.on('error', () => undefined);
	accepted.end();
	const closed = closes(accepted, 2000);
	resetSocket(accepted);
	assert.equal(await closed, true, 'the ended socket never closed');
	client.destroy();
	server.close();
});

test('a socket that has not ended is reset: the client sees ECONNRESET, as from kube-proxy\'s REJECT', async () => {
	const {server, accepted, client} = await connectedPair();
	const error = new Promise<string | undefined>(resolve => {
		client.removeAllListeners('error');
		client.once('error', error_ => resolve((error_ as NodeJS.ErrnoException).code));
		client.once('close', () => resolve(undefined));
	});
	resetSocket(accepted);
	assert.equal(await error, 'ECONNRESET');
	server.close();
});
