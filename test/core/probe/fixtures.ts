import type {V1EndpointSlice, V1Node, V1Service} from '@kubernetes/client-node';

/** The seeds' 003 walkthrough: deploy-echo behind svc-nodeport, one pod per worker, a control plane without pods. */
export const nodes: V1Node[] = [
	['myk8s-control-plane', '172.18.0.3'],
	['myk8s-worker', '172.18.0.5'],
	['myk8s-worker2', '172.18.0.2'],
	['myk8s-worker3', '172.18.0.4'],
].map(([name, ip]) => ({metadata: {name}, status: {addresses: [{type: 'InternalIP', address: ip!}, {type: 'Hostname', address: name!}]}}));

export function nodePortService(policy: 'Local' | 'Cluster', affinity: 'None' | 'ClientIP' = 'None'): V1Service {
	return {
		metadata: {namespace: 'default', name: 'svc-nodeport'},
		spec: {
			type: 'NodePort',
			clusterIP: '10.200.1.60',
			clusterIPs: ['10.200.1.60'],
			ports: [{name: 'svc-webport', port: 9000, targetPort: 8080 as never, nodePort: 31_254, protocol: 'TCP'}],
			externalTrafficPolicy: policy,
			sessionAffinity: affinity,
			...(affinity === 'ClientIP' ? {sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}} : {}),
		},
	};
}

export const echoPods = [
	['deploy-echo-5c689d5454-m4hd9', '10.10.1.3', 'myk8s-worker'],
	['deploy-echo-5c689d5454-cjpfp', '10.10.2.3', 'myk8s-worker2'],
	['deploy-echo-5c689d5454-b7gng', '10.10.3.4', 'myk8s-worker3'],
] as const;

export function echoSlice(readyPods = 3): V1EndpointSlice {
	return {
		metadata: {namespace: 'default', name: 'svc-nodeport-abcde', labels: {'kubernetes.io/service-name': 'svc-nodeport'}},
		addressType: 'IPv4',
		ports: [{name: 'svc-webport', port: 8080, protocol: 'TCP'}],
		endpoints: echoPods.map(([pod, ip, node], i) => ({
			addresses: [ip],
			conditions: {ready: i < readyPods},
			nodeName: node,
			targetRef: {kind: 'Pod', namespace: 'default', name: pod},
		})),
	};
}
