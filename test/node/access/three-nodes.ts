import type {V1EndpointSlice} from '@kubernetes/client-node';
import {generateIptablesSave} from '../../../source/builtin-cluster/generate/iptables.js';
import {clusterCIDR, endpointSlices, services} from '../../fixtures/nat/cluster.js';

/**
 * Three nodes of one cluster whose kube-proxy rules are written the way kube-proxy writes them;
 * node-c's were written from an older state of the API (svc-nodeport still had 10.10.9.9, not yet
 * 10.10.3.4): it is the stale node the cross-node comparison must find.
 */
export const labNodes = [
	{name: 'node-a', ip: '10.0.0.1'},
	{name: 'node-b', ip: '10.0.0.2'},
	{name: 'node-c', ip: '10.0.0.3'},
] as const;

export const staleNode = 'node-c';

function olderSlices(): V1EndpointSlice[] {
	return endpointSlices.map(slice => {
		if (slice.metadata?.labels?.['kubernetes.io/service-name'] !== 'svc-nodeport') {
			return slice;
		}

		const endpoints = (slice.endpoints ?? []).filter(endpoint => endpoint.addresses[0] !== '10.10.3.4');
		return {...slice, endpoints: [...endpoints, {addresses: ['10.10.9.9'], conditions: {ready: true, serving: true, terminating: false}, nodeName: 'node-b', targetRef: {kind: 'Pod', namespace: 'default', name: 'gone-1'}}]};
	});
}

/** The iptables-save dump of each lab node. */
export function labDump(node: string): string {
	const ip = labNodes.find(each => each.name === node)!.ip;
	const slices = node === staleNode ? olderSlices() : endpointSlices;
	return generateIptablesSave({services, endpointSlices: slices, nodeName: node, nodeIPs: [ip]}, {clusterCIDR});
}

export const labApi = {services, endpointSlices};

/** The lab's objects for the API server: nodes, Services, EndpointSlices. */
export function labObjects(): object[] {
	return [
		...labNodes.map(node => ({kind: 'Node', apiVersion: 'v1', metadata: {name: node.name}, status: {addresses: [{type: 'InternalIP', address: node.ip}], conditions: [{type: 'Ready', status: 'True'}]}})),
		...services.map(service => ({kind: 'Service', apiVersion: 'v1', ...service})),
		...endpointSlices.map(slice => ({kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', ...slice})),
	];
}
