import type {
	CoreV1Event,
	V1EndpointHints,
	V1Endpoints,
	V1EndpointSlice,
	V1Namespace,
	V1Node,
	V1Pod,
	V1Service,
	V1ServicePort,
} from '@kubernetes/client-node';

/*
 * The built-in demo cluster. Its content reproduces the walkthroughs the README describes: a kind cluster
 * `myk8s` with a control plane and three workers, the echo Deployment behind `svc-nodeport` with
 * externalTrafficPolicy Local, Services sharing externalIPs, a LoadBalancer stuck <pending>, one with a
 * cloud hostname, an ExternalName, a selectorless Service with a manual Endpoints object, kube-dns, and a
 * Service whose selector matches nothing. EndpointSlices are derived from pods the way the endpointslice
 * controller (and the mirroring controller, for manual Endpoints) would write them.
 */

/** The pod network (kube-proxy's --cluster-cidr); nodes take /24s of it. */
export const demoClusterCidr = '10.10.0.0/16';

export type DemoNode = {name: string; ip: string; podCidrPrefix: string; zone: string; controlPlane: boolean};

export const demoNodes: readonly DemoNode[] = [
	{name: 'myk8s-control-plane', ip: '172.18.0.3', podCidrPrefix: '10.10.0', zone: 'zone-a', controlPlane: true},
	{name: 'myk8s-worker', ip: '172.18.0.5', podCidrPrefix: '10.10.1', zone: 'zone-a', controlPlane: false},
	{name: 'myk8s-worker2', ip: '172.18.0.2', podCidrPrefix: '10.10.2', zone: 'zone-b', controlPlane: false},
	{name: 'myk8s-worker3', ip: '172.18.0.4', podCidrPrefix: '10.10.3', zone: 'zone-c', controlPlane: false},
];

/** A pod as the demo models it; turned into a V1Pod by `podObject`. */
export type DemoPod = {
	namespace: string;
	name: string;
	labels: Record<string, string>;
	node: string;
	ip: string;
	ipv6?: string;
	ports: Array<{name?: string; containerPort: number; protocol?: string}>;
	ready: boolean;
	terminating: boolean;
	/** Epoch ms. */
	created: number;
	/** Why the pod is not ready, shown in its Ready condition. */
	notReadyReason?: string;
};

export type DemoState = {
	namespaces: string[];
	services: V1Service[];
	pods: DemoPod[];
	/** Manual Endpoints objects (selectorless Services). */
	endpoints: V1Endpoints[];
	/** Events about Services, as the service controller records them. */
	events: CoreV1Event[];
};

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

function iso(ms: number): string {
	return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function port(p: V1ServicePort): V1ServicePort {
	return {protocol: 'TCP', ...p};
}

function service(
	namespace: string,
	name: string,
	created: number,
	spec: V1Service['spec'],
	status?: V1Service['status'],
	meta?: {labels?: Record<string, string>; annotations?: Record<string, string>},
): V1Service {
	const ipFamilies = spec?.ipFamilies ?? (spec?.type === 'ExternalName' ? undefined : ['IPv4']);
	return {
		apiVersion: 'v1',
		kind: 'Service',
		// A fixed uid: the demo's events name it in involvedObject.uid, as kubectl's lookup requires.
		metadata: {namespace, name, uid: demoUid(`Service/${namespace}/${name}`), creationTimestamp: iso(created) as unknown as Date, ...meta},
		spec: {
			sessionAffinity: 'None',
			...(spec?.type === 'ExternalName'
				? {}
				: {ipFamilies, ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster'}),
			...(spec?.type === 'NodePort' || spec?.type === 'LoadBalancer' ? {externalTrafficPolicy: 'Cluster'} : {}),
			...spec,
			clusterIPs: spec?.clusterIPs ?? (spec?.clusterIP ? [spec.clusterIP] : undefined),
		},
		status: status ?? {loadBalancer: {}},
	};
}

const echoPorts = [{name: 'http', containerPort: 8080}];

/** The pods: CoreDNS, the walkthroughs' workloads and one that never gets ready. */
function demoPods(now: number, created13d: number): DemoPod[] {
	return [
		// kube-system: CoreDNS on the control plane.
		{namespace: 'kube-system', name: 'coredns-76f75df574-8xq2p', labels: {'k8s-app': 'kube-dns'}, node: 'myk8s-control-plane', ip: '10.10.0.2', ports: [{name: 'dns', containerPort: 53, protocol: 'UDP'}, {name: 'dns-tcp', containerPort: 53}, {name: 'metrics', containerPort: 9153}], ready: true, terminating: false, created: created13d},
		{namespace: 'kube-system', name: 'coredns-76f75df574-kq9vz', labels: {'k8s-app': 'kube-dns'}, node: 'myk8s-control-plane', ip: '10.10.0.3', ports: [{name: 'dns', containerPort: 53, protocol: 'UDP'}, {name: 'dns-tcp', containerPort: 53}, {name: 'metrics', containerPort: 9153}], ready: true, terminating: false, created: created13d},
		// default: the walkthrough's pods.
		{namespace: 'default', name: 'net-pod', labels: {run: 'net-pod'}, node: 'myk8s-control-plane', ip: '10.10.0.5', ports: [], ready: true, terminating: false, created: now - 29 * minute},
		{namespace: 'default', name: 'webpod1', labels: {app: 'webpod'}, node: 'myk8s-worker', ip: '10.10.1.2', ipv6: 'fd00:10:10:1::2', ports: [{name: 'web', containerPort: 80}], ready: true, terminating: false, created: now - 29 * minute},
		{namespace: 'default', name: 'webpod2', labels: {app: 'webpod'}, node: 'myk8s-worker2', ip: '10.10.2.2', ipv6: 'fd00:10:10:2::2', ports: [{name: 'web', containerPort: 80}], ready: true, terminating: false, created: now - 29 * minute},
		{namespace: 'default', name: 'deploy-echo-5c689d5454-m4hd9', labels: {app: 'deploy-websrv', 'pod-template-hash': '5c689d5454'}, node: 'myk8s-worker', ip: '10.10.1.3', ports: echoPorts, ready: true, terminating: false, created: now - 6 * minute},
		{namespace: 'default', name: 'deploy-echo-5c689d5454-cjpfp', labels: {app: 'deploy-websrv', 'pod-template-hash': '5c689d5454'}, node: 'myk8s-worker2', ip: '10.10.2.3', ports: echoPorts, ready: true, terminating: false, created: now - 6 * minute},
		{namespace: 'default', name: 'deploy-echo-5c689d5454-b7gng', labels: {app: 'deploy-websrv', 'pod-template-hash': '5c689d5454'}, node: 'myk8s-worker3', ip: '10.10.3.4', ports: echoPorts, ready: true, terminating: false, created: now - 6 * minute},
		{namespace: 'default', name: 'whms-7d9c6b8f4-2lq8x', labels: {app: 'whms'}, node: 'myk8s-worker', ip: '10.10.1.7', ports: [{containerPort: 8080}], ready: true, terminating: false, created: now - 5 * hour},
		{namespace: 'default', name: 'whms-7d9c6b8f4-p5rzt', labels: {app: 'whms'}, node: 'myk8s-worker3', ip: '10.10.3.7', ports: [{containerPort: 8080}], ready: true, terminating: false, created: now - 5 * hour},
		{namespace: 'default', name: 'np-pods-6b9f8d7c5-4hxkq', labels: {app: 'np-pods'}, node: 'myk8s-worker', ip: '10.10.1.9', ports: [{containerPort: 80}], ready: true, terminating: false, created: now - 44 * minute},
		{namespace: 'default', name: 'np-pods-6b9f8d7c5-9wz2m', labels: {app: 'np-pods'}, node: 'myk8s-worker2', ip: '10.10.2.9', ports: [{containerPort: 80}], ready: true, terminating: false, created: now - 44 * minute},
		{namespace: 'default', name: 'np-pods-6b9f8d7c5-tj7rn', labels: {app: 'np-pods'}, node: 'myk8s-worker3', ip: '10.10.3.9', ports: [{containerPort: 80}], ready: true, terminating: false, created: now - 44 * minute},
		{namespace: 'default', name: 'zonal-echo-6d8f7b9c4-k2m7p', labels: {app: 'zonal-echo'}, node: 'myk8s-worker2', ip: '10.10.2.16', ports: [{name: 'http', containerPort: 8080}], ready: true, terminating: false, created: now - 52 * minute},
		{namespace: 'default', name: 'zonal-echo-6d8f7b9c4-w9t4x', labels: {app: 'zonal-echo'}, node: 'myk8s-worker3', ip: '10.10.3.16', ports: [{name: 'http', containerPort: 8080}], ready: true, terminating: false, created: now - 52 * minute},
		{namespace: 'default', name: 'warming-app-84d5c7b9f-x2v4n', labels: {app: 'warming-app'}, node: 'myk8s-worker2', ip: '10.10.2.11', ports: [{name: 'http', containerPort: 8080}], ready: false, terminating: false, created: now - 3 * minute, notReadyReason: 'Readiness probe failed: HTTP probe failed with statuscode: 503'},
		// test: the externalIPs walkthrough.
		{namespace: 'test', name: 'nginx-6c8cf466cd-mpfz4', labels: {app: 'nginx'}, node: 'myk8s-worker', ip: '10.10.1.15', ports: [{name: 'http', containerPort: 80}], ready: true, terminating: false, created: now - 45 * hour},
		{namespace: 'test', name: 'nginx-6c8cf466cd-xgbd7', labels: {app: 'nginx'}, node: 'myk8s-worker2', ip: '10.10.2.14', ports: [{name: 'http', containerPort: 80}], ready: true, terminating: false, created: now - 45 * hour},
	];
}

/** The Services, one or more per walkthrough (numbered as the seeds are). */
function demoServices(now: number, created13d: number): V1Service[] {
	return [
		service('default', 'kubernetes', created13d, {type: 'ClusterIP', clusterIP: '10.200.1.1', ports: [port({name: 'https', port: 443, targetPort: 6443 as never})]}, undefined, {labels: {component: 'apiserver', provider: 'kubernetes'}}),
		service('kube-system', 'kube-dns', created13d, {
			type: 'ClusterIP',
			clusterIP: '10.200.1.10',
			selector: {'k8s-app': 'kube-dns'},
			ports: [
				port({name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 as never}),
				port({name: 'dns-tcp', port: 53, targetPort: 53 as never}),
				port({name: 'metrics', port: 9153, targetPort: 9153 as never}),
			],
		}, undefined, {
			labels: {'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS'},
			annotations: {'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true'},
		}),
		// 003: the echo Deployment behind a NodePort with externalTrafficPolicy Local.
		service('default', 'svc-nodeport', now - 6 * minute, {
			type: 'NodePort',
			clusterIP: '10.200.1.60',
			selector: {app: 'deploy-websrv'},
			externalTrafficPolicy: 'Local',
			healthCheckNodePort: 32017,
			ports: [port({name: 'svc-webport', port: 9000, targetPort: 8080 as never, nodePort: 31254})],
		}, undefined, {
			// The walkthrough applies it with kubectl apply, which leaves this annotation (kubectl describe hides it).
			annotations: {'kubectl.kubernetes.io/last-applied-configuration': '{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"svc-nodeport","namespace":"default"},"spec":{"externalTrafficPolicy":"Local","ports":[{"name":"svc-webport","nodePort":31254,"port":9000,"targetPort":8080}],"selector":{"app":"deploy-websrv"},"type":"NodePort"}}\n'},
		}),
		service('default', 'svc-clusterip', now - 29 * minute, {
			type: 'ClusterIP',
			clusterIP: '10.200.1.155',
			selector: {app: 'webpod'},
			ports: [port({name: 'svc-webport', port: 9000, targetPort: 'web' as never})],
		}),
		service('default', 'svc-dualstack', now - 29 * minute, {
			type: 'ClusterIP',
			clusterIP: '10.200.1.156',
			clusterIPs: ['10.200.1.156', 'fd00:10:200::9c'],
			ipFamilies: ['IPv4', 'IPv6'],
			ipFamilyPolicy: 'PreferDualStack',
			selector: {app: 'webpod'},
			ports: [port({name: 'http', port: 80, targetPort: 80 as never})],
		}),
		// Topology-aware routing: the controller hints each endpoint for its zone; zone-a has none, so its nodes use both.
		service('default', 'svc-zonal', now - 52 * minute, {
			type: 'ClusterIP',
			clusterIP: '10.200.1.160',
			selector: {app: 'zonal-echo'},
			trafficDistribution: 'PreferSameZone',
			ports: [port({name: 'http', port: 80, targetPort: 'http' as never, appProtocol: 'http'})],
		}),
		service('default', 'svc-sticky', now - 20 * minute, {
			type: 'ClusterIP',
			clusterIP: '10.200.1.77',
			selector: {app: 'deploy-websrv'},
			sessionAffinity: 'ClientIP',
			sessionAffinityConfig: {clientIP: {timeoutSeconds: 10_800}},
			ports: [port({name: 'http', port: 80, targetPort: 'http' as never})],
		}),
		// 001: a LoadBalancer with no cloud controller stays <pending>.
		service('default', 'whms-loadbalancer', now - (4 * hour + 58 * minute), {
			type: 'LoadBalancer',
			clusterIP: '10.200.1.205',
			selector: {app: 'whms'},
			ports: [port({port: 80, targetPort: 8080 as never, nodePort: 30081})],
		}),
		// 000: an AWS classic load balancer answers with a hostname.
		service('default', 'np-svc', now - 44 * minute, {
			type: 'LoadBalancer',
			clusterIP: '10.200.1.200',
			selector: {app: 'np-pods'},
			ports: [port({port: 80, targetPort: 80 as never, nodePort: 30000})],
		}, {loadBalancer: {ingress: [{hostname: 'ac0c6f11e2b974fe0a44b970b63be449-52265006.ap-northeast-2.elb.amazonaws.com'}]}}),
		// 000: a LoadBalancer with an IP ingress, Local policy and source ranges.
		service('default', 'echo-lb', now - 44 * minute, {
			type: 'LoadBalancer',
			clusterIP: '10.200.1.90',
			selector: {app: 'deploy-websrv'},
			externalTrafficPolicy: 'Local',
			healthCheckNodePort: 31876,
			loadBalancerSourceRanges: ['192.0.2.0/24', '198.51.100.0/24'],
			ports: [port({name: 'http', port: 80, targetPort: 8080 as never, nodePort: 30080})],
		}, {loadBalancer: {ingress: [{ip: '192.0.2.127', ipMode: 'VIP'}]}}),
		// 002: ExternalName is a CNAME, nothing more.
		service('default', 'my-database', now - 211 * day, {type: 'ExternalName', externalName: 'my.database.example.com'}),
		// An ExternalName that stays inside the cluster: a CNAME to another Service's name.
		service('default', 'api-alias', now - 13 * day, {type: 'ExternalName', externalName: 'kubernetes.default.svc.cluster.local'}),
		// 000/002: a selectorless Service and its manual Endpoints.
		service('default', 'my-service', now - 2 * hour, {
			type: 'ClusterIP',
			clusterIP: '10.200.1.42',
			ports: [port({port: 80, targetPort: 9376 as never})],
		}),
		service('default', 'legacy-db', now - 2 * hour, {
			type: 'ClusterIP',
			clusterIP: '10.200.1.43',
			ports: [port({name: 'postgres', port: 5432, targetPort: 5432 as never})],
		}),
		// A selectorless Service whose hand-written Endpoints serve TCP where the Service speaks UDP.
		service('default', 'upstream-dns', now - 2 * hour, {
			type: 'ClusterIP',
			clusterIP: '10.200.1.53',
			ports: [port({name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 as never})],
		}),
		service('default', 'orphan-svc', now - 15 * minute, {
			type: 'ClusterIP',
			clusterIP: '10.200.1.99',
			selector: {app: 'no-such-app'},
			ports: [port({port: 80, targetPort: 80 as never})],
		}),
		service('default', 'warming-app', now - 3 * minute, {
			type: 'ClusterIP',
			clusterIP: '10.200.1.111',
			selector: {app: 'warming-app'},
			ports: [port({name: 'http', port: 80, targetPort: 'http' as never})],
		}),
		service('default', 'wrong-port', now - 3 * minute, {
			type: 'ClusterIP',
			clusterIP: '10.200.1.112',
			selector: {app: 'np-pods'},
			ports: [port({name: 'http', port: 80, targetPort: 8081 as never}), port({name: 'syslog', port: 514, protocol: 'UDP', targetPort: 514 as never})],
		}),
		// 004: three types sharing externalIPs.
		service('test', 'nginx-svc', now - 45 * hour, {
			type: 'ClusterIP',
			clusterIP: '10.200.1.127',
			selector: {app: 'nginx'},
			externalIPs: ['10.20.2.235', '10.20.2.236'],
			ports: [port({name: 'http', port: 80, targetPort: 80 as never})],
		}),
		service('test', 'nginx-svc-lb', now - 45 * hour, {
			type: 'LoadBalancer',
			clusterIP: '10.200.1.153',
			selector: {app: 'nginx'},
			externalIPs: ['10.20.2.235', '10.20.2.236'],
			ports: [port({name: 'http', port: 8080, targetPort: 80 as never, nodePort: 31558})],
		}),
		service('test', 'nginx-svc-np', now - 45 * hour, {
			type: 'NodePort',
			clusterIP: '10.200.1.176',
			selector: {app: 'nginx'},
			externalIPs: ['10.20.2.235', '10.20.2.236'],
			internalTrafficPolicy: 'Local',
			ports: [port({name: 'http', port: 8081, targetPort: 80 as never, nodePort: 31511})],
		}),
	];
}

/** The hand-written Endpoints of the selectorless Services (and the API server's own). */
function demoEndpoints(now: number, created13d: number): V1Endpoints[] {
	return [
		{
			apiVersion: 'v1',
			kind: 'Endpoints',
			metadata: {namespace: 'default', name: 'my-service', creationTimestamp: iso(now - 2 * hour) as unknown as Date},
			subsets: [{addresses: [{ip: '192.0.2.42'}], ports: [{port: 9376, protocol: 'TCP'}]}],
		},
		{
			apiVersion: 'v1',
			kind: 'Endpoints',
			metadata: {namespace: 'default', name: 'upstream-dns', creationTimestamp: iso(now - 2 * hour) as unknown as Date},
			subsets: [{addresses: [{ip: '192.0.2.53'}], ports: [{name: 'dns', port: 53, protocol: 'TCP'}]}],
		},
		{
			apiVersion: 'v1',
			kind: 'Endpoints',
			metadata: {namespace: 'default', name: 'kubernetes', creationTimestamp: iso(created13d) as unknown as Date},
			subsets: [{addresses: [{ip: '172.18.0.3'}], ports: [{name: 'https', port: 6443, protocol: 'TCP'}]}],
		},
	];
}

/** The service controller's events about the load balancers. */
function demoEvents(services: readonly V1Service[], now: number) {
	return [
		// 001: something keeps trying to provision whms-loadbalancer and fails; it stays <pending>.
		serviceEvent(services, 'default/whms-loadbalancer', 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer', {first: now - (4 * hour + 58 * minute), last: now - 3 * minute, count: 61}),
		serviceEvent(services, 'default/whms-loadbalancer', 'Warning', 'SyncLoadBalancerFailed', 'Error syncing load balancer: failed to ensure load balancer: timed out waiting for the load balancer to be provisioned', {first: now - (4 * hour + 53 * minute), last: now - 2 * minute, count: 60}),
		// 000: the cloud's load balancers came up.
		serviceEvent(services, 'default/np-svc', 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer', {first: now - 44 * minute, last: now - 44 * minute, count: 1}),
		serviceEvent(services, 'default/np-svc', 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer', {first: now - 43 * minute, last: now - 43 * minute, count: 1}),
		serviceEvent(services, 'default/echo-lb', 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer', {first: now - 44 * minute, last: now - 44 * minute, count: 1}),
		serviceEvent(services, 'default/echo-lb', 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer', {first: now - 42 * minute, last: now - 42 * minute, count: 1}),
		serviceEvent(services, 'default/echo-lb', 'Normal', 'UpdatedLoadBalancer', 'Updated load balancer with new hosts', {first: now - 6 * minute, last: now - 6 * minute, count: 1}),
	];
}

/** The demo cluster as it stands at `now`. */
export function initialDemoState(now: number): DemoState {
	const created13d = now - 13 * day;
	const services = demoServices(now, created13d);
	return {
		namespaces: ['default', 'kube-node-lease', 'kube-public', 'kube-system', 'test'],
		services,
		pods: demoPods(now, created13d),
		endpoints: demoEndpoints(now, created13d),
		events: demoEvents(services, now),
	};
}

/**
 * A core v1 Event about a Service as the service controller records it (source service-controller);
 * `count` repeats of it between `first` and `last` (epoch ms).
 */
export function serviceEvent(
	services: readonly V1Service[],
	key: string,
	type: 'Normal' | 'Warning',
	reason: string,
	message: string,
	times: {first: number; last: number; count: number},
): CoreV1Event {
	const [namespace, name] = key.split('/') as [string, string];
	const service = services.find(candidate => candidate.metadata?.namespace === namespace && candidate.metadata?.name === name);
	return {
		apiVersion: 'v1',
		kind: 'Event',
		metadata: {namespace, name: `${name}.${demoUid(`${key}/${reason}`).slice(0, 8)}${demoUid(`${reason}/${key}`).slice(0, 8)}`, creationTimestamp: iso(times.first) as unknown as Date},
		involvedObject: {apiVersion: 'v1', kind: 'Service', namespace, name, uid: service?.metadata?.uid},
		type,
		reason,
		message,
		source: {component: 'service-controller'},
		reportingComponent: 'service-controller',
		reportingInstance: '',
		firstTimestamp: iso(times.first) as unknown as Date,
		lastTimestamp: iso(times.last) as unknown as Date,
		count: times.count,
	};
}

export function nodeObject(node: DemoNode, now: number): V1Node {
	return {
		apiVersion: 'v1',
		kind: 'Node',
		metadata: {
			name: node.name,
			creationTimestamp: iso(now - 13 * day) as unknown as Date,
			labels: {
				'kubernetes.io/hostname': node.name,
				'kubernetes.io/os': 'linux',
				'topology.kubernetes.io/zone': node.zone,
				...(node.controlPlane ? {'node-role.kubernetes.io/control-plane': ''} : {}),
			},
		},
		spec: {podCIDR: `${node.podCidrPrefix}.0/24`, podCIDRs: [`${node.podCidrPrefix}.0/24`]},
		status: {
			addresses: [{type: 'InternalIP', address: node.ip}, {type: 'Hostname', address: node.name}],
			conditions: [{type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status'}],
		},
	};
}

export function namespaceObject(name: string, now: number): V1Namespace {
	return {
		apiVersion: 'v1',
		kind: 'Namespace',
		metadata: {name, creationTimestamp: iso(now - 13 * day) as unknown as Date, labels: {'kubernetes.io/metadata.name': name}},
		status: {phase: 'Active'},
	};
}

export function podObject(pod: DemoPod): V1Pod {
	const readyStatus = pod.ready && !pod.terminating ? 'True' : 'False';
	return {
		apiVersion: 'v1',
		kind: 'Pod',
		metadata: {
			namespace: pod.namespace,
			name: pod.name,
			uid: podUid(pod),
			labels: pod.labels,
			creationTimestamp: iso(pod.created) as unknown as Date,
			...(pod.terminating ? {deletionTimestamp: iso(pod.created + 1000) as unknown as Date, deletionGracePeriodSeconds: 30} : {}),
		},
		spec: {
			nodeName: pod.node,
			containers: [{name: pod.name.split('-')[0] ?? 'app', image: 'sysnet4admin/echo-hname', ports: pod.ports.map(p => ({...p, protocol: p.protocol ?? 'TCP'}))}],
		},
		status: {
			phase: 'Running',
			podIP: pod.ip,
			podIPs: [{ip: pod.ip}, ...(pod.ipv6 ? [{ip: pod.ipv6}] : [])],
			hostIP: demoNodes.find(n => n.name === pod.node)?.ip,
			conditions: [
				{type: 'Initialized', status: 'True'},
				{type: 'ContainersReady', status: readyStatus},
				{
					type: 'Ready',
					status: readyStatus,
					...(readyStatus === 'False' ? {reason: pod.terminating ? 'PodTerminating' : 'ContainersNotReady', message: pod.notReadyReason ?? 'containers with unready status: [app]'} : {}),
				},
			],
		},
	};
}

function podUid(pod: DemoPod): string {
	return demoUid(`${pod.namespace}/${pod.name}`);
}

/** A stable uid for a demo object (the pods' keys are namespace/name, as they always were). */
function demoUid(key: string): string {
	let h = 2_166_136_261;
	for (const c of key) {
		h = Math.imul(h ^ c.charCodeAt(0), 16_777_619) >>> 0;
	}

	const hex = h.toString(16).padStart(8, '0');
	return `${hex}-0000-4000-8000-${hex}${hex.slice(0, 4)}`;
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
	if (!selector || Object.keys(selector).length === 0) {
		return false;
	}

	return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The container port a Service port's targetPort means for one pod (named ports resolve per pod). */
function targetPortFor(servicePort: V1ServicePort, pod: DemoPod): number | undefined {
	const target = servicePort.targetPort as unknown as number | string | undefined;
	if (target === undefined) {
		return servicePort.port;
	}

	if (typeof target === 'number') {
		return target;
	}

	return pod.ports.find(p => p.name === target && (p.protocol ?? 'TCP') === (servicePort.protocol ?? 'TCP'))?.containerPort;
}

function sliceSuffix(key: string): string {
	const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
	let h = 5381;
	for (const c of key) {
		h = ((h * 33) ^ c.charCodeAt(0)) >>> 0;
	}

	let out = '';
	for (let i = 0; i < 5; i++) {
		out += alphabet[h % alphabet.length];
		h = Math.floor(h / alphabet.length) + 7 * i;
	}

	return out;
}

/**
 * The hints the EndpointSlice controller writes for a trafficDistribution: each endpoint for its own
 * zone, and for PreferSameNode also for its own node. None without a trafficDistribution.
 */
function topologyHints(trafficDistribution: string | undefined): ((node: string, zone: string) => V1EndpointHints) | undefined {
	switch (trafficDistribution) {
		case 'PreferClose':
		case 'PreferSameZone': {
			return (_node, zone) => ({forZones: [{name: zone}]});
		}

		case 'PreferSameNode': {
			return (node, zone) => ({forNodes: [{name: node}], forZones: [{name: zone}]});
		}

		default: {
			return undefined;
		}
	}
}

/**
 * The EndpointSlices the controllers would write for the current state: one slice per Service and
 * address family for selector Services (endpointslice-controller), and a mirrored slice for each
 * manual Endpoints object of a selectorless Service (endpointslicemirroring-controller).
 */
export function endpointSlicesFor(state: DemoState): V1EndpointSlice[] {
	const slices: V1EndpointSlice[] = [];
	const nodeZone = new Map(demoNodes.map(n => [n.name, n.zone]));
	for (const svc of state.services) {
		const ns = svc.metadata!.namespace!;
		const name = svc.metadata!.name!;
		if (svc.spec?.type === 'ExternalName') {
			continue;
		}

		if (svc.spec?.selector) {
			const pods = state.pods.filter(p => p.namespace === ns && selects(svc.spec!.selector, p.labels));
			for (const family of svc.spec.ipFamilies ?? ['IPv4']) {
				const v6 = family === 'IPv6';
				const members = pods.filter(p => (v6 ? p.ipv6 : p.ip));
				// The controller keeps one port list per slice; pods whose named port resolves differently would get their own slice.
				const hints = topologyHints(svc.spec.trafficDistribution);
				const ports = (svc.spec.ports ?? []).map(sp => ({
					name: sp.name ?? '',
					port: members.length > 0 ? targetPortFor(sp, members[0]!) ?? (sp.targetPort as unknown as number) : undefined,
					protocol: sp.protocol ?? 'TCP',
				}));
				slices.push({
					apiVersion: 'discovery.k8s.io/v1',
					kind: 'EndpointSlice',
					metadata: {
						namespace: ns,
						name: `${name}-${sliceSuffix(`${ns}/${name}/${family}`)}`,
						creationTimestamp: svc.metadata!.creationTimestamp,
						labels: {
							'kubernetes.io/service-name': name,
							'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
						},
						ownerReferences: [{apiVersion: 'v1', kind: 'Service', name, uid: '', controller: true, blockOwnerDeletion: true}],
					},
					addressType: family,
					endpoints: members.map(p => ({
						addresses: [v6 ? p.ipv6! : p.ip],
						conditions: {ready: p.ready && !p.terminating, serving: p.ready, terminating: p.terminating},
						nodeName: p.node,
						zone: nodeZone.get(p.node),
						...(hints ? {hints: hints(p.node, nodeZone.get(p.node) ?? '')} : {}),
						targetRef: {kind: 'Pod', namespace: ns, name: p.name, uid: podUid(p)},
					})),
					ports: members.length > 0 ? ports.map(p => ({...p, port: p.port})) : [],
				} as V1EndpointSlice);
			}

			continue;
		}

		const manual = state.endpoints.find(e => e.metadata?.namespace === ns && e.metadata?.name === name);
		if (!manual) {
			continue;
		}

		const isApiServer = ns === 'default' && name === 'kubernetes';
		slices.push({
			apiVersion: 'discovery.k8s.io/v1',
			kind: 'EndpointSlice',
			metadata: {
				namespace: ns,
				name: isApiServer ? 'kubernetes' : `${name}-${sliceSuffix(`${ns}/${name}/mirror`)}`,
				creationTimestamp: manual.metadata?.creationTimestamp,
				labels: {
					'kubernetes.io/service-name': name,
					'endpointslice.kubernetes.io/managed-by': isApiServer
						? 'endpointslice-controller.k8s.io'
						: 'endpointslicemirroring-controller.k8s.io',
				},
			},
			addressType: 'IPv4',
			endpoints: (manual.subsets ?? []).flatMap(s => (s.addresses ?? []).map(a => ({addresses: [a.ip], conditions: {ready: true}}))),
			ports: (manual.subsets ?? []).flatMap(s => (s.ports ?? []).map(p => ({name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP'}))),
		} as V1EndpointSlice);
	}

	return slices;
}
