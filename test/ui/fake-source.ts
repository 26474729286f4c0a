import type {V1EndpointSlice, V1Node, V1Pod, V1Service} from '@kubernetes/client-node';
import type {ClusterSnapshot, ClusterSource, ConnectionState, WatchedResource} from '../../source/kube/types.js';

/** An in-memory ClusterSource whose snapshot the test changes by hand. */
export class FakeClusterSource implements ClusterSource {
	current: ClusterSnapshot;
	pods: V1Pod[] = [];
	/** Every setNamespace call, in order. */
	readonly namespaceCalls: Array<string | undefined> = [];
	snapshotCalls = 0;
	/** What listNamespaces answers: names, or an error (a 403) to reject with. */
	namespaceList: string[] | Error = [];
	stopped = false;
	private readonly listeners = new Set<() => void>();

	constructor(initial: Partial<ClusterSnapshot> = {}) {
		const synced: ConnectionState = {phase: 'synced', since: 0};
		this.current = {
			version: 1,
			context: 'kind-myk8s',
			namespace: undefined,
			services: [],
			endpointSlices: [],
			nodes: [],
			states: {services: synced, endpointslices: synced, nodes: synced},
			lastUpdate: 0,
			...initial,
		};
	}

	snapshot(): ClusterSnapshot {
		this.snapshotCalls++;
		return this.current;
	}

	subscribe(listener: () => void): () => void {
		this.listeners.add(listener);
		return () => {
			this.listeners.delete(listener);
		};
	}

	get listenerCount(): number {
		return this.listeners.size;
	}

	async ready(): Promise<void> {}

	async listPods(namespace: string, selector: Readonly<Record<string, string>>): Promise<V1Pod[]> {
		return this.pods.filter(
			pod =>
				pod.metadata?.namespace === namespace &&
				Object.entries(selector).every(([key, value]) => pod.metadata?.labels?.[key] === value),
		);
	}

	setNamespace(namespace: string | undefined): void {
		this.namespaceCalls.push(namespace);
	}

	async listNamespaces(): Promise<string[]> {
		if (this.namespaceList instanceof Error) {
			throw this.namespaceList;
		}

		return this.namespaceList;
	}

	async stop(): Promise<void> {
		this.stopped = true;
	}

	/** Applies a change as a watch event would: new content, version + 1, listeners told. */
	update(change: Partial<Omit<ClusterSnapshot, 'version'>>): void {
		this.current = {...this.current, ...change, version: this.current.version + 1};
		for (const listener of this.listeners) {
			listener();
		}
	}

	setState(resource: WatchedResource, state: ConnectionState): void {
		this.update({states: {...this.current.states, [resource]: state}});
	}
}

export type ServiceSpec = {
	readonly namespace?: string;
	readonly name: string;
	readonly type?: string;
	readonly clusterIP?: string;
	readonly ports?: Array<{port: number; nodePort?: number; protocol?: string; name?: string; targetPort?: number | string}>;
	readonly selector?: Record<string, string>;
	readonly externalIPs?: string[];
	readonly ingress?: Array<{ip?: string; hostname?: string}>;
	readonly externalName?: string;
	/** Epoch ms. */
	readonly created?: number;
};

/** A Service as the API returns it. */
export function service(spec: ServiceSpec): V1Service {
	const type = spec.type ?? 'ClusterIP';
	return {
		apiVersion: 'v1',
		kind: 'Service',
		metadata: {
			namespace: spec.namespace ?? 'default',
			name: spec.name,
			uid: `uid-${spec.namespace ?? 'default'}-${spec.name}`,
			creationTimestamp: spec.created === undefined ? undefined : new Date(spec.created),
		},
		spec: {
			type,
			clusterIP: spec.clusterIP,
			clusterIPs: spec.clusterIP === undefined ? undefined : [spec.clusterIP],
			ports: spec.ports?.map(port => ({protocol: 'TCP', ...port})),
			selector: spec.selector,
			externalIPs: spec.externalIPs,
			externalName: spec.externalName,
		},
		status: spec.ingress ? {loadBalancer: {ingress: spec.ingress}} : {loadBalancer: {}},
	};
}

export type EndpointSpec = {readonly ip: string; readonly ready?: boolean; readonly node?: string; readonly pod?: string};

/** One EndpointSlice of a Service, as the EndpointSlice controller writes it. */
export function slice(
	namespace: string,
	serviceName: string,
	endpoints: readonly EndpointSpec[],
	port = 8080,
	suffix = 'abcde',
): V1EndpointSlice {
	return {
		apiVersion: 'discovery.k8s.io/v1',
		kind: 'EndpointSlice',
		addressType: 'IPv4',
		metadata: {
			namespace,
			name: `${serviceName}-${suffix}`,
			labels: {'kubernetes.io/service-name': serviceName},
		},
		ports: [{port, protocol: 'TCP', name: ''}],
		endpoints: endpoints.map(endpoint => ({
			addresses: [endpoint.ip],
			conditions: {ready: endpoint.ready ?? true, serving: endpoint.ready ?? true, terminating: false},
			nodeName: endpoint.node,
			targetRef: endpoint.pod ? {kind: 'Pod', namespace, name: endpoint.pod} : undefined,
		})),
	};
}

export function node(name: string, ip: string): V1Node {
	return {
		apiVersion: 'v1',
		kind: 'Node',
		metadata: {name, labels: {'topology.kubernetes.io/zone': 'zone-a'}},
		status: {addresses: [{type: 'InternalIP', address: ip}]},
	};
}

export type PodSpec = {
	readonly namespace?: string;
	readonly name: string;
	readonly labels: Record<string, string>;
	readonly node?: string;
	readonly ip?: string;
	readonly ready?: boolean;
	/** A container waiting for this reason (e.g. `ImagePullBackOff`). */
	readonly waiting?: string;
	readonly containerPort?: {name: string; containerPort: number};
};

/** A pod as the API returns it. */
export function pod(spec: PodSpec): V1Pod {
	const ready = spec.ready ?? true;
	return {
		apiVersion: 'v1',
		kind: 'Pod',
		metadata: {namespace: spec.namespace ?? 'default', name: spec.name, labels: spec.labels},
		spec: {
			nodeName: spec.node,
			containers: [{name: 'app', image: 'sysnet4admin/echo-hname', ports: spec.containerPort ? [spec.containerPort] : []}],
		},
		status: {
			phase: spec.ip ? 'Running' : 'Pending',
			podIP: spec.ip,
			conditions: [
				{type: 'PodScheduled', status: 'True'},
				{type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? undefined : 'ContainersNotReady'},
			],
			containerStatuses: [
				{
					name: 'app',
					image: 'sysnet4admin/echo-hname',
					imageID: '',
					ready,
					restartCount: 0,
					state: spec.waiting ? {waiting: {reason: spec.waiting}} : {running: {}},
				},
			],
		},
	};
}
