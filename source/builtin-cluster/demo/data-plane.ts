import type net from 'node:net';
import {EndpointPicker} from './data-plane/pick-endpoint.js';
import {podOpeners} from './data-plane/pod-listeners.js';
import {serviceOpeners} from './data-plane/service-listeners.js';
import {Slots} from './data-plane/slots.js';
import {loopback} from './data-plane/sockets.js';
import {addressKey, type DemoObjects, type Endpoint, endpointsOf, podServers, type ServiceAddress, serviceAddresses} from './data-plane/wanted.js';

export type DemoDataPlane = {
	/**
	 * The loopback port standing in for a cluster address (ClusterIP, NodePort, external IP, LB, pod
	 * IP, DNS name). TCP and UDP are separate port spaces, so one address's TCP listener and UDP
	 * socket share the loopback port number and this one answer serves both protocols.
	 */
	resolveAddress(ip: string, port: number): {host: string; port: number} | undefined;
	/** Brings listeners in line with the objects now (also done on a timer and on every connection). */
	reconcile(): Promise<void>;
	close(): Promise<void>;
};

export type DemoDataPlaneOptions = {
	/** Shares per endpoint `ip:port` for one Service port, e.g. decoded from NAT rules; default uniform. */
	readonly probabilities?: (service: string, portName: string) => ReadonlyMap<string, number> | undefined;
	readonly reconcileMs?: number;
	readonly now?: () => number;
	readonly random?: () => number;
	readonly clusterDomain?: string;
	/** How long a connection to a node without local endpoints hangs before it is reset. */
	readonly dropHoldMs?: number;
	/** How long a relayed UDP flow waits for the pod's reply before its upstream socket is closed. */
	readonly udpFlowMs?: number;
};

/**
 * Serves the demo cluster's traffic on 127.0.0.1, as kube-proxy and the pods would:
 * - an echo HTTP server per TCP pod endpoint, and a DNS responder per CoreDNS pod endpoint (UDP 53)
 *   that answers for the Services from the live objects and names its pod in the NSID option;
 * - a TCP listener per Service address that picks an endpoint per connection (uniform or given
 *   shares over ready endpoints; ClientIP affinity with its timeout; externalTrafficPolicy Local per
 *   node, where a node without local endpoints drops the connection; no endpoints rejects) and
 *   splices the connection to that pod's server;
 * - a UDP socket per Service address with a UDP port, on the same loopback port number as the
 *   address's TCP listener, that picks an endpoint per new client flow with the same rules and
 *   relays the datagram to the pod and its reply back. Without an endpoint the datagram is dropped:
 *   the client hears nothing and times out, as with kube-proxy's REJECT or DROP seen from an
 *   unconnected UDP socket.
 * Objects are re-read on every connection and every new flow.
 */
export async function startDemoDataPlane(getObjects: () => DemoObjects, options: DemoDataPlaneOptions = {}): Promise<DemoDataPlane> {
	const clusterDomain = options.clusterDomain ?? 'cluster.local';
	const picker = new EndpointPicker({probabilities: options.probabilities, now: options.now ?? Date.now, random: options.random ?? Math.random});
	const held = new Set<net.Socket>();
	let closed = false;
	let reconciling: Promise<void> | undefined;
	const isClosed = () => closed;
	const pods = new Slots<Endpoint>(podOpeners(getObjects, clusterDomain), isClosed);
	const addresses = new Slots<ServiceAddress>(serviceOpeners({
		pick: (address, client) => picker.pick(getObjects(), address, client),
		pod: key => pods.get(key),
		reconcile: () => void reconcile(),
		held,
		isClosed,
		dropHoldMs: options.dropHoldMs ?? 30_000,
		udpFlowMs: options.udpFlowMs ?? 5000,
	}), isClosed);

	const reconcileOnce = async () => {
		const objects = getObjects();
		await Promise.all([pods.sync(podServers(endpointsOf(objects))), addresses.sync(serviceAddresses(objects, clusterDomain))]);
	};

	const reconcile = async () => {
		if (closed) {
			return;
		}

		// One reconcile at a time; a request during one waits for it.
		reconciling ??= reconcileOnce().finally(() => {
			reconciling = undefined;
		});
		return reconciling;
	};

	await reconcile();
	const timer = setInterval(() => void reconcile(), options.reconcileMs ?? 250);
	timer.unref();

	return {
		resolveAddress(ip, port) {
			const key = addressKey(ip, port);
			const slot = addresses.get(key) ?? pods.get(key);
			return slot ? {host: loopback, port: slot.port} : undefined;
		},
		reconcile,
		async close() {
			closed = true;
			clearInterval(timer);
			await reconciling;
			for (const socket of held) {
				socket.destroy();
			}

			await Promise.all([pods.close(), addresses.close()]);
		},
	};
}
