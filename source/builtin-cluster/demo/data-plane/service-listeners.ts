import dgram from 'node:dgram';
import net from 'node:net';
import type {Decision} from './pick-endpoint.js';
import type {Opener, Openers, Slot} from './slots.js';
import {bindUdp, closeServer, closeUdp, listen, loopback, resetSocket} from './sockets.js';
import {addressKey, type Endpoint, type ServiceAddress} from './wanted.js';

/** What a Service address's listeners ask of the data plane. */
export type ServiceRouting = {
	/** The endpoint for a new connection or flow from `client`. */
	pick(address: ServiceAddress, client: string): Decision;
	/** The pod slot serving an endpoint `ip:port`. */
	pod(key: string): Slot<Endpoint> | undefined;
	/** Brings listeners in line with the objects (a pod was picked before its server was up). */
	reconcile(): void;
	/** Connections held without an answer (kube-proxy's DROP), destroyed at close. */
	readonly held: Set<net.Socket>;
	isClosed(): boolean;
	/** How long a dropped connection hangs before it is reset. */
	readonly dropHoldMs: number;
	/** How long a relayed UDP flow waits for the pod's reply. */
	readonly udpFlowMs: number;
};

/** As kube-proxy's DROP: no answer at all; the client times out. Reset after a while to free it. */
function hold(routing: ServiceRouting, socket: net.Socket): void {
	routing.held.add(socket);
	socket.pause();
	const timer = setTimeout(() => resetSocket(socket), routing.dropHoldMs);
	timer.unref();
	socket.once('close', () => {
		clearTimeout(timer);
		routing.held.delete(socket);
	});
}

/** One TCP connection to a Service address: rejected, held, or spliced to the picked pod's server. */
function onServiceConnection(routing: ServiceRouting, address: ServiceAddress, socket: net.Socket): void {
	socket.on('error', () => socket.destroy());
	const decision = routing.pick(address, socket.remoteAddress ?? '');
	if (decision.kind === 'reject') {
		resetSocket(socket);
		return;
	}

	if (decision.kind !== 'endpoint') {
		hold(routing, socket);
		return;
	}

	const pod = routing.pod(decision.key);
	if (!pod?.sides.TCP) {
		resetSocket(socket);
		routing.reconcile();
		return;
	}

	const upstream = net.connect({host: loopback, port: pod.port});
	upstream.on('error', () => resetSocket(socket));
	socket.on('close', () => upstream.destroy());
	upstream.on('close', () => socket.destroy());
	socket.pipe(upstream);
	upstream.pipe(socket);
}

function tcpService(routing: ServiceRouting): Opener<ServiceAddress> {
	return async (meta, port) => {
		const server = net.createServer(socket => onServiceConnection(routing, meta(), socket));
		try {
			return {port: await listen(server, port), close: async () => closeServer(server)};
		} catch (error) {
			server.close();
			throw error;
		}
	};
}

type Flow = {upstream: dgram.Socket; podPort: number; timer: NodeJS.Timeout};

/**
 * The UDP flows of one Service address: a flow is the client's address and port, as conntrack's
 * entry would be. Its first datagram picks the pod; an upstream socket of its own carries the flow
 * to the pod and the reply back, and is closed after the reply or `udpFlowMs` without one.
 */
class UdpFlows {
	private readonly flows = new Map<string, Flow>();

	constructor(
		private readonly routing: ServiceRouting,
		private readonly socket: dgram.Socket,
	) {}

	relay(address: ServiceAddress, message: Buffer, client: dgram.RemoteInfo): void {
		const key = addressKey(client.address, client.port);
		const existing = this.flows.get(key);
		if (existing) {
			existing.upstream.send(message, existing.podPort, loopback);
			return;
		}

		const decision = this.routing.pick(address, client.address);
		if (decision.kind !== 'endpoint') {
			return;
		}

		const pod = this.routing.pod(decision.key);
		if (!pod?.sides.UDP) {
			// Nothing listens on that pod port (or its responder is not up yet): the datagram is lost.
			if (!pod) {
				this.routing.reconcile();
			}

			return;
		}

		this.open(key, pod.port, client).send(message, pod.port, loopback);
	}

	endAll(): void {
		for (const key of [...this.flows.keys()]) {
			this.end(key);
		}
	}

	private open(key: string, podPort: number, client: dgram.RemoteInfo): dgram.Socket {
		const upstream = dgram.createSocket('udp4');
		const timer = setTimeout(() => this.end(key), this.routing.udpFlowMs);
		timer.unref();
		this.flows.set(key, {upstream, podPort, timer});
		upstream.on('error', () => this.end(key));
		upstream.on('message', reply => {
			if (!this.routing.isClosed()) {
				this.socket.send(reply, client.port, client.address);
			}

			this.end(key);
		});
		return upstream;
	}

	private end(key: string): void {
		const flow = this.flows.get(key);
		if (flow) {
			this.flows.delete(key);
			clearTimeout(flow.timer);
			void closeUdp(flow.upstream);
		}
	}
}

/** The UDP side of a Service address, on the same port number as its TCP listener. */
function udpService(routing: ServiceRouting): Opener<ServiceAddress> {
	return async (meta, port) => {
		const socket = dgram.createSocket('udp4');
		const flows = new UdpFlows(routing, socket);
		socket.on('message', (message, client) => flows.relay(meta(), message, client));
		try {
			const bound = await bindUdp(socket, port);
			socket.on('error', () => undefined);
			return {
				port: bound,
				async close() {
					flows.endAll();
					await closeUdp(socket);
				},
			};
		} catch (error) {
			await closeUdp(socket);
			throw error;
		}
	};
}

/** kube-proxy's side of the data plane: per Service address, a TCP listener and a UDP relay. */
export function serviceOpeners(routing: ServiceRouting): Openers<ServiceAddress> {
	return {TCP: tcpService(routing), UDP: udpService(routing)};
}
