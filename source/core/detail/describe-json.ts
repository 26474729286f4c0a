import type {ServiceDetail} from './describe-service.js';

/** `svctop describe --json`: the shape of issue 3, with a few extra fields where they help scripts. */
export function describeJson(detail: ServiceDetail): object {
	const {service} = detail;
	return {
		service: {
			namespace: service.namespace,
			name: service.name,
			type: service.type,
			clusterIPs: service.clusterIPs,
			ipFamilies: service.ipFamilies,
			ipFamilyPolicy: service.ipFamilyPolicy,
			selector: service.selector,
			sessionAffinity: service.sessionAffinity,
			sessionAffinityTimeoutSeconds: service.sessionAffinityTimeoutSeconds,
			externalTrafficPolicy: service.externalTrafficPolicy,
			internalTrafficPolicy: service.internalTrafficPolicy,
			healthCheckNodePort: service.healthCheckNodePort,
			externalIPs: service.externalIPs,
			loadBalancer: {pending: service.loadBalancerPending, ingress: service.loadBalancerIngress, sourceRanges: service.loadBalancerSourceRanges},
			externalName: service.externalName,
			publishNotReadyAddresses: service.publishNotReadyAddresses,
			age: service.age,
			labels: detail.kubectl.labels,
			annotations: detail.kubectl.annotations,
			trafficDistribution: detail.kubectl.trafficDistribution,
		},
		dnsNames: detail.dnsNames,
		ports: detail.ports.map(port => ({
			name: port.name,
			port: port.port,
			targetPort: port.targetPort,
			nodePort: port.nodePort,
			protocol: port.protocol,
			...(typeof port.targetPort === 'string'
				? {resolvedTargetPorts: Object.fromEntries(port.podTargetPorts.map(entry => [entry.pod, entry.port]))}
				: {}),
		})),
		endpoints: detail.endpoints,
		nodes: detail.nodes.map(group => ({
			node: group.node,
			nodeIP: group.nodeIP,
			zone: group.zone,
			endpoints: group.endpoints.map(endpoint => ({
				pod: endpoint.pod,
				ip: endpoint.ip,
				...(endpoint.addresses.length > 1 ? {addresses: endpoint.addresses} : {}),
				ports: endpoint.ports,
				ready: endpoint.ready,
				serving: endpoint.serving,
				terminating: endpoint.terminating,
				hints: endpoint.hints,
			})),
		})),
		nodesWithoutEndpoints: detail.nodesWithoutEndpoints,
		podsFetched: detail.podsFetched,
		unreadyPods: detail.unreadyPods?.map(pod => ({pod: pod.pod, reason: pod.reason, node: pod.node, ip: pod.ip})) ?? null,
		...(detail.externalName
			? {externalName: {
				target: detail.externalName.target,
				chain: detail.externalName.resolution?.chain ?? null,
				addresses: detail.externalName.resolution?.addresses ?? null,
				error: detail.externalName.resolution?.error ?? null,
			}}
			: {}),
		kubectl: detail.kubectl,
		events: detail.events.state === 'read' ? {state: 'read', items: detail.events.events} : detail.events,
		topology: detail.topology,
		findings: detail.findings,
		unknown: detail.unknown,
	};
}
