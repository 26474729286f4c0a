import type {V1EndpointSlice, V1Node, V1Pod, V1Service} from '@kubernetes/client-node';
import {generateIptablesSave} from '../../source/builtin-cluster/generate/iptables.js';
import {demoClusterCidr, demoNodes, endpointSlicesFor, initialDemoState, nodeObject} from '../../source/builtin-cluster/demo/cluster.js';
import type {ClusterSnapshot, ClusterSource, ConnectionState, WatchedResource} from '../../source/kube/types.js';
import {echoSlice, nodePortService, nodes as echoNodes} from '../core/probe/fixtures.js';

/**
 * The fake cluster every UI test starts from: an in-memory source and the clusters put in it
 * (`seededSource`, `demoSource`, `echoSource`), so no test repeats their set-up.
 */

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
	/** One unnamed TCP port, or the ports as the EndpointSlice controller copies them from the Service (names included). */
	port: number | NonNullable<V1EndpointSlice['ports']> = 8080,
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
		ports: typeof port === 'number' ? [{port, protocol: 'TCP', name: ''}] : port,
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

/** The clock every frame test reads: 2026-01-10 12:00:00 UTC. */
export const seedNow = Date.UTC(2026, 0, 10, 12, 0, 0);

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

/**
 * Services from the walkthroughs in /work/shared/seeds (names, addresses and ports as the posts'
 * kubectl output shows them), with their EndpointSlices.
 */
export function seedCluster(): {services: V1Service[]; endpointSlices: V1EndpointSlice[]} {
	const services = [
		service({name: 'kubernetes', clusterIP: '10.96.0.1', ports: [{port: 443, name: 'https'}], created: seedNow - (4 * day + 21 * hour)}),
		service({
			namespace: 'kube-system',
			name: 'kube-dns',
			clusterIP: '10.96.0.10',
			ports: [
				{port: 53, protocol: 'UDP', name: 'dns'},
				{port: 53, protocol: 'TCP', name: 'dns-tcp'},
				{port: 9153, name: 'metrics'},
			],
			selector: {'k8s-app': 'kube-dns'},
			created: seedNow - 13 * day,
		}),
		service({
			name: 'np-svc',
			type: 'NodePort',
			clusterIP: '10.103.126.111',
			ports: [{port: 80, nodePort: 30_000}],
			selector: {app: 'np-pods'},
			created: seedNow - (6 * minute + 41_000),
		}),
		service({
			name: 'lb-svc',
			type: 'LoadBalancer',
			clusterIP: '172.16.107.200',
			ports: [{port: 80, nodePort: 30_001}],
			selector: {app: 'np-pods'},
			ingress: [{hostname: 'ac0c6f11e2b974fe0a44b970b63be449-52265006.ap-northeast-2.elb.amazonaws.com'}],
			created: seedNow - 44_000,
		}),
		service({
			name: 'whms-loadbalancer',
			type: 'LoadBalancer',
			clusterIP: '10.111.205.225',
			ports: [{port: 80, nodePort: 30_081}],
			selector: {app: 'whms'},
			created: seedNow - (4 * hour + 58 * minute),
		}),
		service({
			namespace: 'test',
			name: 'nginx-svc',
			clusterIP: '10.105.132.127',
			ports: [{port: 80}],
			selector: {app: 'nginx'},
			externalIPs: ['10.20.2.235', '10.20.2.236'],
			created: seedNow - 45 * hour,
		}),
		service({name: 'external-db', type: 'ExternalName', externalName: 'db.example.com', created: seedNow - 2 * day}),
	];
	const endpointSlices = [
		slice('default', 'kubernetes', [{ip: '172.18.0.2'}], [{port: 6443, protocol: 'TCP', name: 'https'}]),
		slice('kube-system', 'kube-dns', [
			{ip: '10.244.0.2', node: 'myk8s-control-plane', pod: 'coredns-7db6d8ff4d-5x2kp'},
			{ip: '10.244.0.3', node: 'myk8s-control-plane', pod: 'coredns-7db6d8ff4d-qz9wd'},
		], [{port: 53, protocol: 'UDP', name: 'dns'}, {port: 53, protocol: 'TCP', name: 'dns-tcp'}, {port: 9153, protocol: 'TCP', name: 'metrics'}]),
		slice('default', 'np-svc', [
			{ip: '10.244.1.2', node: 'myk8s-worker', pod: 'np-deployment-6b96849c57-4xk2m'},
			{ip: '10.244.2.2', node: 'myk8s-worker2', pod: 'np-deployment-6b96849c57-9ptwl'},
		], 80),
		slice('default', 'lb-svc', [
			{ip: '10.244.1.2', node: 'myk8s-worker', pod: 'np-deployment-6b96849c57-4xk2m'},
			{ip: '10.244.2.2', node: 'myk8s-worker2', pod: 'np-deployment-6b96849c57-9ptwl'},
		], 80),
		slice('test', 'nginx-svc', [
			{ip: '10.244.1.7', node: 'myk8s-worker', pod: 'nginx-6c8cf466cd-xgbd7'},
			{ip: '10.244.3.4', node: 'myk8s-worker3', pod: 'nginx-6c8cf466cd-m2v5q', ready: false},
		], 80),
	];
	return {services, endpointSlices};
}

/** The seed cluster (the walkthroughs' Services), last updated at `seedNow`; `change` overrides any part. */
export function seededSource(change: Partial<ClusterSnapshot> = {}): FakeClusterSource {
	return new FakeClusterSource({...seedCluster(), lastUpdate: seedNow, ...change});
}

/**
 * The demo cluster at `now` (its Services, optionally one namespace's, EndpointSlices and four
 * nodes), and the iptables-save dump kube-proxy would write on `node` of it.
 */
export function demoSource(now: number, namespace?: string): {source: FakeClusterSource; dump(node?: string): string} {
	const state = initialDemoState(now);
	const services = state.services.filter(item => namespace === undefined || item.metadata!.namespace === namespace);
	const endpointSlices = endpointSlicesFor(state);
	const nodes = demoNodes.map(item => nodeObject(item, now));
	return {
		source: new FakeClusterSource({services, endpointSlices, nodes, namespace, lastUpdate: now}),
		dump: (node = 'myk8s-control-plane') => generateIptablesSave({services: state.services, endpointSlices, nodeName: node, nodeIPs: ['172.18.0.3']}, {clusterCIDR: demoClusterCidr}),
	};
}

/** The probe tests' cluster: svc-nodeport (policy Cluster) over the three echo pods on four nodes; `change` overrides any part. */
export function echoSource(change: Partial<ClusterSnapshot> = {}): FakeClusterSource {
	return new FakeClusterSource({services: [nodePortService('Cluster')], endpointSlices: [echoSlice()], nodes: echoNodes, ...change});
}
