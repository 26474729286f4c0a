import {chainHash} from '../../core/nat/chain-names.js';

/* kube-proxy's names of the chains the decoders read but never name themselves (see core/nat/chain-names.ts). */

/** KUBE-SEP- chain of one endpoint (`ip:port`, IPv6 as `[ip]:port`). */
export function iptablesEndpointChain(portName: string, protocol: string, endpoint: string): string {
	return `KUBE-SEP-${chainHash(portName + protocol.toLowerCase() + endpoint, 16)}`;
}

/** nftables base name `HASH-ns/name/proto/port`, truncated as kube-proxy does past 112 characters. */
export function nftServiceBase(namespace: string, name: string, protocol: string, port: string): string {
	return hashAndTruncate(`${namespace}/${name}/${protocol.toLowerCase()}/${port}`);
}

/** nftables endpoint base `HASH-ns/name/proto/port__ip/port`; an IPv6 address with dots for colons, which chain names cannot hold. */
export function nftEndpointBase(namespace: string, name: string, protocol: string, port: string, ip: string, endpointPort: number): string {
	return hashAndTruncate(`${namespace}/${name}/${protocol.toLowerCase()}/${port}__${ip.replaceAll(':', '.')}/${endpointPort}`);
}

function hashAndTruncate(name: string): string {
	const full = `${chainHash(name, 8)}-${name}`;
	return full.length > 112 ? `${full.slice(0, 109)}...` : full;
}
