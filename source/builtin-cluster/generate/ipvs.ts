import {planServicePorts, type PlannedEndpoint} from '../../core/nat/service-ports.js';
import {joinHostPort, type NatGeneratorInput, type NatGeneratorOptions} from './plan.js';

export type IpvsGeneratorOptions = NatGeneratorOptions & {
	/** IPVS scheduler kube-proxy is configured with; default rr. */
	readonly scheduler?: string;
};

const protocolFlag: Record<string, string> = {tcp: '-t', udp: '-u', sctp: '--sctp-service'};

/**
 * `ipvsadm -S -n` text for `input.nodeName`: a virtual service per ClusterIP, external IP,
 * load-balancer IP and NodePort on each node address; real servers in masquerade mode with
 * weight 1; ClientIP affinity as persistence. A Local policy's virtual services (the ClusterIP's for
 * internalTrafficPolicy, the others for externalTrafficPolicy) get only local real servers, or the
 * cluster-wide ones on a node without local endpoints, as kube-proxy writes them. Pure.
 */
export function generateIpvsSave(input: NatGeneratorInput, options: IpvsGeneratorOptions = {}): string {
	const scheduler = options.scheduler ?? 'rr';
	const ipv6 = options.family === 'IPv6';
	const lines: string[] = [];
	const write = (flag: string, address: string, persistent: number | null, endpoints: readonly PlannedEndpoint[]) => {
		lines.push(`-A ${flag} ${address} -s ${scheduler}${persistent === null ? '' : ` -p ${persistent}`}`);
		for (const endpoint of endpoints) {
			lines.push(`-a ${flag} ${address} -r ${joinHostPort(endpoint.ip, endpoint.port)} -m -w 1`);
		}
	};

	for (const port of planServicePorts(input, options)) {
		const flag = protocolFlag[port.protocol] ?? '-t';
		// kube-proxy's syncEndpoint: a Local path gets the node's endpoints or, when it has none, the cluster-wide ones
		// (kubernetes#97081), which kube-proxy lists only for a port that is not internal-Local or is reachable from outside.
		const outside = port.nodePort !== 0 || port.externalIPs.length > 0 || port.loadBalancerIPs.length > 0;
		const cluster = port.internalLocal && !outside ? [] : port.clusterEndpoints;
		const local = port.localEndpoints.length > 0 ? port.localEndpoints : cluster;
		const internal = port.internalLocal ? local : cluster;
		const external = port.externalLocal ? local : cluster;
		write(flag, joinHostPort(port.clusterIP, port.port), port.affinitySeconds, internal);
		for (const address of [...port.externalIPs, ...port.loadBalancerIPs]) {
			write(flag, joinHostPort(address, port.port), port.affinitySeconds, external);
		}

		if (port.nodePort !== 0) {
			for (const address of input.nodeIPs.filter(each => each.includes(':') === ipv6)) {
				write(flag, joinHostPort(address, port.nodePort), port.affinitySeconds, external);
			}
		}
	}

	return `${lines.join('\n')}\n`;
}
