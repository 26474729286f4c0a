import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import type {V1EndpointSlice, V1Node, V1Service} from '@kubernetes/client-node';
import {buildDnsError, buildDnsResponse, parseDnsQuery} from '../../node/probe/dns-message.js';
import {answerFromObjects} from './data-plane/dns-zone.js';

export type DemoObjects = {
	services: readonly V1Service[];
	slices: readonly V1EndpointSlice[];
	nodes: readonly V1Node[];
};

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

type AddressKind = 'clusterIP' | 'nodePort' | 'externalIP' | 'loadBalancer';

type Protocol = 'TCP' | 'UDP';

const protocols: readonly Protocol[] = ['TCP', 'UDP'];

type ServiceAddress = {
	readonly key: string;
	readonly service: string;
	readonly portName: string;
	readonly protocol: Protocol;
	readonly kind: AddressKind;
	readonly node?: string;
};

type Endpoint = {
	readonly ip: string;
	readonly port: number;
	readonly pod: string | null;
	readonly hostname: string;
	readonly node: string | null;
	readonly ready: boolean;
	readonly service: string;
	readonly portName: string;
	readonly protocol: Protocol;
};

/** What an address wants served, per protocol. */
type Wanted<T> = Partial<Record<Protocol, T>>;

/** One protocol's server on a slot; `meta` is updated in place on reconcile. */
type Side<T> = {meta: T; close(): Promise<void>};

/** One cluster address on loopback: one port number, a TCP server and/or a UDP socket on it. */
type Slot<T> = {readonly port: number; sides: Partial<Record<Protocol, Side<T>>>};

/** Binds one protocol's server for `meta` on `port` (0: any); rejects with the bind error. */
type Opener<T> = (meta: () => T, port: number) => Promise<{port: number; close(): Promise<void>}>;

const loopback = '127.0.0.1';

function addressKey(host: string, port: number): string {
	return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function serviceKeyOf(service: V1Service): string {
	return `${service.metadata?.namespace ?? 'default'}/${service.metadata?.name ?? ''}`;
}

/** Every TCP and UDP address of every Service port, as kube-proxy would program it. */
function serviceAddresses(objects: DemoObjects, clusterDomain: string): Map<string, Wanted<ServiceAddress>> {
	const out = new Map<string, Wanted<ServiceAddress>>();
	const nodeIps = objects.nodes.flatMap(node => {
		const ip = node.status?.addresses?.find(address => address.type === 'InternalIP')?.address;
		return ip && node.metadata?.name ? [{ip, node: node.metadata.name}] : [];
	});
	for (const service of objects.services) {
		const spec = service.spec ?? {};
		if (spec.type === 'ExternalName') {
			continue;
		}

		const key = serviceKeyOf(service);
		for (const port of spec.ports ?? []) {
			const declared = port.protocol ?? 'TCP';
			if (declared !== 'TCP' && declared !== 'UDP') {
				continue;
			}

			const protocol: Protocol = declared;
			const base = {service: key, portName: port.name ?? '', protocol};
			const add = (host: string, number: number, kind: AddressKind, node?: string) => {
				const address = addressKey(host, number);
				const wanted = out.get(address) ?? {};
				wanted[protocol] ??= {...base, key: address, kind, ...(node ? {node} : {})};
				out.set(address, wanted);
			};

			for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) {
				if (ip !== 'None') {
					add(ip, port.port, 'clusterIP');
					add(`${service.metadata?.name}.${service.metadata?.namespace}.svc.${clusterDomain}`, port.port, 'clusterIP');
				}
			}

			if (port.nodePort !== undefined) {
				for (const {ip, node} of nodeIps) {
					add(ip, port.nodePort, 'nodePort', node);
				}
			}

			for (const ip of spec.externalIPs ?? []) {
				add(ip, port.port, 'externalIP');
			}

			for (const ingress of service.status?.loadBalancer?.ingress ?? []) {
				const host = ingress.ip ?? ingress.hostname;
				if (host) {
					add(host, port.port, 'loadBalancer');
				}
			}
		}
	}

	return out;
}

/** Every endpoint address and TCP or UDP port of every slice (ready or not: a pod answers when dialled directly). */
function endpointsOf(objects: DemoObjects): Endpoint[] {
	const out: Endpoint[] = [];
	for (const slice of objects.slices) {
		const serviceName = slice.metadata?.labels?.['kubernetes.io/service-name'];
		if (!serviceName) {
			continue;
		}

		const service = `${slice.metadata?.namespace ?? 'default'}/${serviceName}`;
		for (const endpoint of slice.endpoints ?? []) {
			for (const ip of endpoint.addresses ?? []) {
				for (const port of slice.ports ?? []) {
					const protocol = port.protocol ?? 'TCP';
					if (port.port === undefined || (protocol !== 'TCP' && protocol !== 'UDP')) {
						continue;
					}

					out.push({
						ip,
						port: port.port,
						pod: endpoint.targetRef?.name ?? null,
						hostname: endpoint.hostname ?? endpoint.targetRef?.name ?? ip,
						node: endpoint.nodeName ?? null,
						ready: endpoint.conditions?.ready !== false,
						service,
						portName: port.name ?? '',
						protocol,
					});
				}
			}
		}
	}

	return out;
}

/**
 * The pod servers: an echo HTTP server on every TCP endpoint port, a DNS responder on every UDP
 * endpoint port 53 or named `dns` (the demo's UDP pods are CoreDNS). Other UDP endpoint ports get
 * nothing, like a pod that does not listen there: datagrams to them go unanswered.
 */
function podServers(endpoints: readonly Endpoint[]): Map<string, Wanted<Endpoint>> {
	const out = new Map<string, Wanted<Endpoint>>();
	for (const endpoint of endpoints) {
		if (endpoint.protocol === 'UDP' && endpoint.port !== 53 && endpoint.portName !== 'dns') {
			continue;
		}

		const key = addressKey(endpoint.ip, endpoint.port);
		const wanted = out.get(key) ?? {};
		wanted[endpoint.protocol] ??= endpoint;
		out.set(key, wanted);
	}

	return out;
}

function listen(server: net.Server, port: number): Promise<number> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, loopback, () => {
			server.off('error', reject);
			resolve((server.address() as net.AddressInfo).port);
		});
	});
}

function bindUdp(socket: dgram.Socket, port: number): Promise<number> {
	return new Promise((resolve, reject) => {
		socket.once('error', reject);
		socket.bind(port, loopback, () => {
			socket.off('error', reject);
			resolve(socket.address().port);
		});
	});
}

function closeUdp(socket: dgram.Socket): Promise<void> {
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

function closeServer(server: net.Server): Promise<void> {
	return new Promise(resolve => {
		server.close(() => resolve());
		(server as http.Server).closeAllConnections?.();
	});
}

/** The echo a pod serves, like the seeds' images: its hostname, IP and node, in JSON. */
function echoServer(getEndpoint: () => Endpoint): http.Server {
	return http.createServer((request, response) => {
		const endpoint = getEndpoint();
		const body = JSON.stringify({
			path: request.url,
			method: request.method,
			hostname: endpoint.hostname,
			os: {hostname: endpoint.pod ?? endpoint.hostname},
			pod: {name: endpoint.pod, ip: endpoint.ip, node: endpoint.node},
			headers: request.headers,
		});
		response.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close'});
		response.end(body);
	});
}

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
	const now = options.now ?? Date.now;
	const random = options.random ?? Math.random;
	const clusterDomain = options.clusterDomain ?? 'cluster.local';
	const dropHoldMs = options.dropHoldMs ?? 30_000;
	const udpFlowMs = options.udpFlowMs ?? 5000;
	const pods = new Map<string, Slot<Endpoint>>();
	const addresses = new Map<string, Slot<ServiceAddress>>();
	const affinity = new Map<string, {endpoint: string; last: number}>();
	const held = new Set<net.Socket>();
	let closed = false;
	let reconciling: Promise<void> | undefined;

	const pick = (address: ServiceAddress, client: string): {kind: 'endpoint'; key: string} | {kind: 'drop' | 'reject'} => {
		const objects = getObjects();
		const service = objects.services.find(candidate => serviceKeyOf(candidate) === address.service);
		if (!service) {
			return {kind: 'reject'};
		}

		const ready = endpointsOf(objects).filter(endpoint => endpoint.service === address.service
			&& endpoint.portName === address.portName
			&& endpoint.protocol === address.protocol
			&& endpoint.ready);
		let eligible = ready;
		if (address.kind === 'nodePort' && service.spec?.externalTrafficPolicy === 'Local') {
			eligible = ready.filter(endpoint => endpoint.node === address.node);
			if (eligible.length === 0 && ready.length > 0) {
				return {kind: 'drop'};
			}
		}

		if (eligible.length === 0) {
			return {kind: 'reject'};
		}

		const keys = eligible.map(endpoint => addressKey(endpoint.ip, endpoint.port));
		const timeoutSeconds = service.spec?.sessionAffinity === 'ClientIP'
			? service.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10_800
			: undefined;
		const stickyKey = `${address.service} ${address.portName} ${client}`;
		if (timeoutSeconds !== undefined) {
			const previous = affinity.get(stickyKey);
			if (previous && keys.includes(previous.endpoint) && now() - previous.last <= timeoutSeconds * 1000) {
				previous.last = now();
				return {kind: 'endpoint', key: previous.endpoint};
			}
		}

		const shares = options.probabilities?.(address.service, address.portName);
		const weights = keys.map(key => (shares ? shares.get(key) ?? 0 : 1));
		const total = weights.reduce((sum, weight) => sum + weight, 0);
		let roll = random() * (total > 0 ? total : keys.length);
		let chosen = keys.at(-1)!;
		for (const [i, key] of keys.entries()) {
			roll -= total > 0 ? weights[i]! : 1;
			if (roll < 0) {
				chosen = key;
				break;
			}
		}

		if (timeoutSeconds !== undefined) {
			affinity.set(stickyKey, {endpoint: chosen, last: now()});
		}

		return {kind: 'endpoint', key: chosen};
	};

	const onServiceConnection = (address: ServiceAddress, socket: net.Socket) => {
		socket.on('error', () => socket.destroy());
		const decision = pick(address, socket.remoteAddress ?? '');
		if (decision.kind === 'reject') {
			resetSocket(socket);
			return;
		}

		if (decision.kind !== 'endpoint') {
			// As kube-proxy's DROP: no answer at all; the client times out. Reset after a while to free it.
			held.add(socket);
			socket.pause();
			const timer = setTimeout(() => resetSocket(socket), dropHoldMs);
			timer.unref();
			socket.once('close', () => {
				clearTimeout(timer);
				held.delete(socket);
			});
			return;
		}

		const pod = pods.get(decision.key);
		if (!pod?.sides.TCP) {
			resetSocket(socket);
			void reconcile();
			return;
		}

		const upstream = net.connect({host: loopback, port: pod.port});
		upstream.on('error', () => resetSocket(socket));
		socket.on('close', () => upstream.destroy());
		upstream.on('close', () => socket.destroy());
		socket.pipe(upstream);
		upstream.pipe(socket);
	};

	/** The CoreDNS stand-in's answer to one datagram; undefined when it is not a query (ignored). */
	const dnsAnswer = (message: Buffer, endpoint: Endpoint): Buffer | undefined => {
		const query = parseDnsQuery(message);
		if (query === undefined) {
			return undefined;
		}

		if ('formerr' in query) {
			return buildDnsError(query.id, 1);
		}

		if (query.opcode !== 0) {
			return buildDnsError(query.id, 4);
		}

		const reply = answerFromObjects(getObjects(), query, clusterDomain);
		return buildDnsResponse(query, {...reply, nsid: endpoint.pod ?? endpoint.hostname});
	};

	const openEcho: Opener<Endpoint> = async (meta, port) => {
		const server = echoServer(meta);
		try {
			return {port: await listen(server, port), close: async () => closeServer(server)};
		} catch (error) {
			server.close();
			throw error;
		}
	};

	const openDnsResponder: Opener<Endpoint> = async (meta, port) => {
		const socket = dgram.createSocket('udp4');
		socket.on('message', (message, client) => {
			const answer = dnsAnswer(message, meta());
			if (answer) {
				socket.send(answer, client.port, client.address);
			}
		});
		try {
			const bound = await bindUdp(socket, port);
			socket.on('error', () => undefined);
			return {port: bound, close: async () => closeUdp(socket)};
		} catch (error) {
			await closeUdp(socket);
			throw error;
		}
	};

	const openTcpService: Opener<ServiceAddress> = async (meta, port) => {
		const server = net.createServer(socket => onServiceConnection(meta(), socket));
		try {
			return {port: await listen(server, port), close: async () => closeServer(server)};
		} catch (error) {
			server.close();
			throw error;
		}
	};

	/**
	 * The UDP side of a Service address: a flow is the client's address and port, as conntrack's
	 * entry would be. Its first datagram picks the pod; an upstream socket of its own carries the
	 * flow to the pod and the reply back, and is closed after the reply or `udpFlowMs` without one.
	 */
	const openUdpService: Opener<ServiceAddress> = async (meta, port) => {
		const socket = dgram.createSocket('udp4');
		const flows = new Map<string, {upstream: dgram.Socket; podPort: number; timer: NodeJS.Timeout}>();
		const endFlow = (key: string) => {
			const flow = flows.get(key);
			if (flow) {
				flows.delete(key);
				clearTimeout(flow.timer);
				void closeUdp(flow.upstream);
			}
		};

		socket.on('message', (message, client) => {
			const key = addressKey(client.address, client.port);
			const existing = flows.get(key);
			if (existing) {
				existing.upstream.send(message, existing.podPort, loopback);
				return;
			}

			const decision = pick(meta(), client.address);
			if (decision.kind !== 'endpoint') {
				return;
			}

			const pod = pods.get(decision.key);
			if (!pod?.sides.UDP) {
				// Nothing listens on that pod port (or its responder is not up yet): the datagram is lost.
				if (!pod) {
					void reconcile();
				}

				return;
			}

			const upstream = dgram.createSocket('udp4');
			const timer = setTimeout(() => endFlow(key), udpFlowMs);
			timer.unref();
			flows.set(key, {upstream, podPort: pod.port, timer});
			upstream.on('error', () => endFlow(key));
			upstream.on('message', reply => {
				if (!closed) {
					socket.send(reply, client.port, client.address);
				}

				endFlow(key);
			});
			upstream.send(message, pod.port, loopback);
		});
		try {
			const bound = await bindUdp(socket, port);
			socket.on('error', () => undefined);
			return {
				port: bound,
				async close() {
					for (const key of [...flows.keys()]) {
						endFlow(key);
					}

					await closeUdp(socket);
				},
			};
		} catch (error) {
			await closeUdp(socket);
			throw error;
		}
	};

	/** Opens `wanted`'s protocols on one port number: `port`, or a free one tried a few times over. */
	const openSlot = async <T>(wanted: Wanted<T>, openers: Record<Protocol, Opener<T>>, port?: number): Promise<Slot<T> | undefined> => {
		const needed = protocols.filter(protocol => wanted[protocol] !== undefined);
		for (let attempt = 0; attempt < (port === undefined ? 8 : 1); attempt++) {
			const sides: Partial<Record<Protocol, Side<T>>> = {};
			let at = port ?? 0;
			try {
				for (const protocol of needed) {
					const side: Side<T> = {meta: wanted[protocol]!, close: async () => undefined};
					// eslint-disable-next-line no-await-in-loop -- the second protocol binds the port the first got.
					const bound = await openers[protocol](() => side.meta, at);
					side.close = bound.close;
					sides[protocol] = side;
					at = bound.port;
				}

				return {port: at, sides};
			} catch {
				// The other protocol's port of that number is taken: let go and try another number.
				// eslint-disable-next-line no-await-in-loop -- release before retrying.
				await Promise.all(Object.values(sides).map(async side => side.close()));
			}
		}

		return undefined;
	};

	/** Brings one kind of slot (pods or Service addresses) in line with what is wanted. */
	const syncSlots = async <T>(slots: Map<string, Slot<T>>, wanted: Map<string, Wanted<T>>, openers: Record<Protocol, Opener<T>>) => {
		const work: Array<Promise<unknown>> = [];
		for (const [key, slot] of slots) {
			const want = wanted.get(key) ?? {};
			for (const protocol of protocols) {
				const side = slot.sides[protocol];
				if (side && want[protocol]) {
					side.meta = want[protocol];
				} else if (side) {
					delete slot.sides[protocol];
					work.push(side.close());
				}
			}

			if (Object.keys(want).length === 0) {
				slots.delete(key);
			}
		}

		for (const [key, want] of wanted) {
			const existing = slots.get(key);
			const missing: Wanted<T> = {};
			for (const protocol of protocols) {
				if (want[protocol] && !existing?.sides[protocol]) {
					missing[protocol] = want[protocol];
				}
			}

			if (Object.keys(missing).length === 0) {
				continue;
			}

			work.push(openSlot(missing, openers, existing?.port).then(async opened => {
				if (!opened) {
					return; // Tried again on the next reconcile.
				}

				if (closed) {
					await Promise.all(Object.values(opened.sides).map(async side => side.close()));
					return;
				}

				const slot = slots.get(key);
				if (slot) {
					Object.assign(slot.sides, opened.sides);
				} else {
					slots.set(key, opened);
				}
			}));
		}

		await Promise.all(work);
	};

	const reconcileOnce = async () => {
		const objects = getObjects();
		await Promise.all([
			syncSlots(pods, podServers(endpointsOf(objects)), {TCP: openEcho, UDP: openDnsResponder}),
			syncSlots(addresses, serviceAddresses(objects, clusterDomain), {TCP: openTcpService, UDP: openUdpService}),
		]);
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

			await Promise.all([...pods.values(), ...addresses.values()].flatMap(slot => Object.values(slot.sides).map(async side => side.close())));
			pods.clear();
			addresses.clear();
		},
	};
}
