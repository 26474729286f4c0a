import http from 'node:http';
import net from 'node:net';
import type {V1EndpointSlice, V1Node, V1Service} from '@kubernetes/client-node';

export type DemoObjects = {
	services: readonly V1Service[];
	slices: readonly V1EndpointSlice[];
	nodes: readonly V1Node[];
};

export type DemoDataPlane = {
	/** The loopback listener standing in for a cluster address (ClusterIP, NodePort, external IP, LB, pod IP, DNS name). */
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
};

type AddressKind = 'clusterIP' | 'nodePort' | 'externalIP' | 'loadBalancer';

type ServiceAddress = {
	readonly key: string;
	readonly service: string;
	readonly portName: string;
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
};

type Listener<T> = {readonly server: net.Server; readonly port: number; meta: T};

const loopback = '127.0.0.1';

function addressKey(host: string, port: number): string {
	return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function serviceKeyOf(service: V1Service): string {
	return `${service.metadata?.namespace ?? 'default'}/${service.metadata?.name ?? ''}`;
}

/** Every TCP address of every Service port, as kube-proxy would program it. */
function serviceAddresses(objects: DemoObjects, clusterDomain: string): Map<string, ServiceAddress> {
	const out = new Map<string, ServiceAddress>();
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
			if ((port.protocol ?? 'TCP') !== 'TCP') {
				continue;
			}

			const base = {service: key, portName: port.name ?? ''};
			const add = (host: string, number: number, kind: AddressKind, node?: string) => {
				const address = addressKey(host, number);
				if (!out.has(address)) {
					out.set(address, {...base, key: address, kind, ...(node ? {node} : {})});
				}
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

/** Every endpoint address and port of every slice (ready or not: a pod answers when dialled directly). */
function endpointsOf(objects: DemoObjects): Map<string, Endpoint[]> {
	const byAddress = new Map<string, Endpoint[]>();
	for (const slice of objects.slices) {
		const serviceName = slice.metadata?.labels?.['kubernetes.io/service-name'];
		if (!serviceName) {
			continue;
		}

		const service = `${slice.metadata?.namespace ?? 'default'}/${serviceName}`;
		for (const endpoint of slice.endpoints ?? []) {
			for (const ip of endpoint.addresses ?? []) {
				for (const port of slice.ports ?? []) {
					if (port.port === undefined || (port.protocol ?? 'TCP') !== 'TCP') {
						continue;
					}

					const entry: Endpoint = {
						ip,
						port: port.port,
						pod: endpoint.targetRef?.name ?? null,
						hostname: endpoint.hostname ?? endpoint.targetRef?.name ?? ip,
						node: endpoint.nodeName ?? null,
						ready: endpoint.conditions?.ready !== false,
						service,
						portName: port.name ?? '',
					};
					const key = addressKey(ip, port.port);
					byAddress.set(key, [...(byAddress.get(key) ?? []), entry]);
				}
			}
		}
	}

	return byAddress;
}

function listen(server: net.Server): Promise<number> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, loopback, () => {
			server.off('error', reject);
			resolve((server.address() as net.AddressInfo).port);
		});
	});
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
 * Serves the demo cluster's traffic on 127.0.0.1: an echo HTTP server per pod endpoint, and a TCP
 * listener per Service address that picks an endpoint per connection as kube-proxy does (uniform
 * or given shares over ready endpoints; ClientIP affinity with its timeout; externalTrafficPolicy
 * Local per node, where a node without local endpoints drops the connection; no endpoints rejects)
 * and splices the connection to that pod's echo server. Objects are re-read on every connection.
 */
export async function startDemoDataPlane(getObjects: () => DemoObjects, options: DemoDataPlaneOptions = {}): Promise<DemoDataPlane> {
	const now = options.now ?? Date.now;
	const random = options.random ?? Math.random;
	const clusterDomain = options.clusterDomain ?? 'cluster.local';
	const dropHoldMs = options.dropHoldMs ?? 30_000;
	const pods = new Map<string, Listener<Endpoint>>();
	const addresses = new Map<string, Listener<ServiceAddress>>();
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

		const ready = [...endpointsOf(objects).values()].flat()
			.filter(endpoint => endpoint.service === address.service && endpoint.portName === address.portName && endpoint.ready);
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

	const onServiceConnection = (listener: Listener<ServiceAddress>, socket: net.Socket) => {
		socket.on('error', () => socket.destroy());
		const decision = pick(listener.meta, socket.remoteAddress ?? '');
		if (decision.kind === 'reject') {
			socket.resetAndDestroy();
			return;
		}

		if (decision.kind !== 'endpoint') {
			// As kube-proxy's DROP: no answer at all; the client times out. Reset after a while to free it.
			held.add(socket);
			socket.pause();
			const timer = setTimeout(() => socket.resetAndDestroy(), dropHoldMs);
			timer.unref();
			socket.once('close', () => {
				clearTimeout(timer);
				held.delete(socket);
			});
			return;
		}

		const pod = pods.get(decision.key);
		if (!pod) {
			socket.resetAndDestroy();
			void reconcile();
			return;
		}

		const upstream = net.connect({host: loopback, port: pod.port});
		upstream.on('error', () => socket.resetAndDestroy());
		socket.on('close', () => upstream.destroy());
		upstream.on('close', () => socket.destroy());
		socket.pipe(upstream);
		upstream.pipe(socket);
	};

	const reconcileOnce = async () => {
		const objects = getObjects();
		const wantedPods = endpointsOf(objects);
		const wantedAddresses = serviceAddresses(objects, clusterDomain);
		const work: Array<Promise<unknown>> = [];
		for (const [key, listener] of pods) {
			const wanted = wantedPods.get(key);
			if (wanted) {
				listener.meta = wanted[0]!;
			} else {
				pods.delete(key);
				work.push(closeServer(listener.server));
			}
		}

		for (const [key, listener] of addresses) {
			const wanted = wantedAddresses.get(key);
			if (wanted) {
				listener.meta = wanted;
			} else {
				addresses.delete(key);
				work.push(closeServer(listener.server));
			}
		}

		for (const [key, entries] of wantedPods) {
			if (pods.has(key)) {
				continue;
			}

			const holder: {listener?: Listener<Endpoint>} = {};
			const server = echoServer(() => holder.listener?.meta ?? entries[0]!);
			work.push(listen(server).then(port => {
				holder.listener = {server, port, meta: entries[0]!};
				if (closed) {
					void closeServer(server);
				} else {
					pods.set(key, holder.listener);
				}
			}, () => undefined));
		}

		for (const [key, meta] of wantedAddresses) {
			if (addresses.has(key)) {
				continue;
			}

			const holder: {listener?: Listener<ServiceAddress>} = {};
			const server = net.createServer(socket => {
				if (holder.listener) {
					onServiceConnection(holder.listener, socket);
				} else {
					socket.destroy();
				}
			});
			work.push(listen(server).then(port => {
				holder.listener = {server, port, meta};
				if (closed) {
					void closeServer(server);
				} else {
					addresses.set(key, holder.listener);
				}
			}, () => undefined));
		}

		await Promise.all(work);
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
			const listener = addresses.get(key) ?? pods.get(key);
			return listener ? {host: loopback, port: listener.port} : undefined;
		},
		reconcile,
		async close() {
			closed = true;
			clearInterval(timer);
			await reconciling;
			for (const socket of held) {
				socket.destroy();
			}

			await Promise.all([...pods.values(), ...addresses.values()].map(listener => closeServer(listener.server)));
			pods.clear();
			addresses.clear();
		},
	};
}
