import type dgram from 'node:dgram';
import type http from 'node:http';
import type net from 'node:net';

/** Every listener of the data plane is on loopback. */
export const loopback = '127.0.0.1';

export function listen(server: net.Server, port: number): Promise<number> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, loopback, () => {
			server.off('error', reject);
			resolve((server.address() as net.AddressInfo).port);
		});
	});
}

export function bindUdp(socket: dgram.Socket, port: number): Promise<number> {
	return new Promise((resolve, reject) => {
		socket.once('error', reject);
		socket.bind(port, loopback, () => {
			socket.off('error', reject);
			resolve(socket.address().port);
		});
	});
}

export function closeUdp(socket: dgram.Socket): Promise<void> {
	return new Promise(resolve => {
		try {
			socket.close(() => resolve());
		} catch {
			// Never bound, or closed already.
			resolve();
		}
	});
}

/**
 * A reset (RST) where one can still go out, else a plain close. Once our side has ended (a pipe
 * passes the pod's FIN on), node cannot reset the socket: it reports EINVAL and never closes the
 * handle, and the process then spins at exit waiting for it.
 */
export function resetSocket(socket: net.Socket): void {
	if (socket.writableEnded || socket.destroyed) {
		socket.destroy();
	} else {
		socket.resetAndDestroy();
	}
}

export function closeServer(server: net.Server): Promise<void> {
	return new Promise(resolve => {
		server.close(() => resolve());
		(server as http.Server).closeAllConnections?.();
	});
}
