/** Small API objects shaped like the ones the seeds' clusters returned. */

export function service(namespace: string, name: string, labels: Record<string, string> = {}, selector: Record<string, string> | undefined = {app: name}): object {
	return {
		kind: 'Service',
		apiVersion: 'v1',
		metadata: {name, namespace, labels},
		spec: {
			type: 'ClusterIP',
			clusterIP: '10.96.0.10',
			clusterIPs: ['10.96.0.10'],
			ports: [{name: 'http', port: 80, protocol: 'TCP', targetPort: 8080}],
			...(selector === undefined ? {} : {selector}),
			sessionAffinity: 'None',
			ipFamilies: ['IPv4'],
			ipFamilyPolicy: 'SingleStack',
			internalTrafficPolicy: 'Cluster',
		},
		status: {loadBalancer: {}},
	};
}

export function endpointSlice(namespace: string, serviceName: string, suffix: string, addresses: string[]): object {
	return {
		kind: 'EndpointSlice',
		apiVersion: 'discovery.k8s.io/v1',
		metadata: {name: `${serviceName}-${suffix}`, namespace, labels: {'kubernetes.io/service-name': serviceName, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io'}},
		addressType: 'IPv4',
		endpoints: addresses.map((address, index) => ({addresses: [address], conditions: {ready: true, serving: true, terminating: false}, nodeName: `worker${index + 1}`})),
		ports: [{name: 'http', port: 8080, protocol: 'TCP'}],
	};
}

export function node(name: string, internalIp: string): object {
	return {
		kind: 'Node',
		apiVersion: 'v1',
		metadata: {name, labels: {'kubernetes.io/hostname': name}},
		status: {addresses: [{type: 'InternalIP', address: internalIp}, {type: 'Hostname', address: name}], conditions: [{type: 'Ready', status: 'True'}], nodeInfo: {kubeletVersion: 'v1.32.0'}},
	};
}

export function pod(namespace: string, name: string, labels: Record<string, string>, ip: string): object {
	return {
		kind: 'Pod',
		apiVersion: 'v1',
		metadata: {name, namespace, labels},
		spec: {nodeName: 'worker1', containers: [{name: 'echo', image: 'ealen/echo-server'}]},
		status: {phase: 'Running', podIP: ip, containerStatuses: [{name: 'echo', ready: true, restartCount: 0}]},
	};
}
