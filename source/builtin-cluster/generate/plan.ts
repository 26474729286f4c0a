import type {V1Node} from '@kubernetes/client-node';
import type {ServicePortsInput} from '../../core/nat/service-ports.js';

/** What the generators need: the API objects and who "this node" is. */
export type NatGeneratorInput = ServicePortsInput & {
	/** Not needed for the rules; accepted so a cluster snapshot can be passed as it is. */
	readonly nodes?: readonly V1Node[];
	/** Addresses of that node (IPVS NodePort virtual services, nftables nodeport-ips). */
	readonly nodeIPs: readonly string[];
};

export type NatGeneratorOptions = {
	/** Address family of the rules; default IPv4. */
	readonly family?: 'IPv4' | 'IPv6';
	/** Pod CIDR kube-proxy treats as "local traffic" (`--cluster-cidr`); null disables those rules. Default 10.244.0.0/16 (fd00:10:244::/56 for IPv6). */
	readonly clusterCIDR?: string | null;
	/** Masquerade mark value; default 0x4000. */
	readonly masqueradeMark?: string;
};

/** kube-proxy's per-rule probability for rule i of n: 1/(n-i), written with 10 decimals. */
export function ruleProbability(remaining: number): string {
	return (1 / remaining).toFixed(10);
}

/** Default pod CIDR per family. */
export function defaultClusterCIDR(options: NatGeneratorOptions): string | null {
	if (options.clusterCIDR !== undefined) {
		return options.clusterCIDR;
	}

	return options.family === 'IPv6' ? 'fd00:10:244::/56' : '10.244.0.0/16';
}

export {joinHostPort} from '../../core/nat/service-ports.js';
