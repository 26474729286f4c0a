import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {service, slice} from './fake-source.js';

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
		slice('default', 'kubernetes', [{ip: '172.18.0.2'}], 6443),
		slice('kube-system', 'kube-dns', [
			{ip: '10.244.0.2', node: 'myk8s-control-plane', pod: 'coredns-7db6d8ff4d-5x2kp'},
			{ip: '10.244.0.3', node: 'myk8s-control-plane', pod: 'coredns-7db6d8ff4d-qz9wd'},
		], 53),
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
