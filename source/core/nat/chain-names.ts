import {createHash} from 'node:crypto';

/*
 * kube-proxy names its per-service chains after a hash of the service port, so a dump without
 * comments can still be tied to a Service: hash every Service port the API knows and look the
 * chain up. The scheme (documented in kube-proxy's proxier.go): SHA-256, RFC 4648 base32, cut to
 * 16 characters for iptables and 8 for nftables. The names only the rule generators need are in
 * builtin-cluster/generate/chain-names.ts.
 */

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The first `characters` characters of the hash in base32 (5 bits each): its bits read in base 32, digit by digit. */
export function chainHash(text: string, characters: number): string {
	const bytes = createHash('sha256').update(text).digest().subarray(0, (characters * 5) / 8);
	const digits = BigInt(`0x${bytes.toString('hex')}`).toString(32).padStart(characters, '0');
	let out = '';
	for (const digit of digits) {
		out += alphabet[Number.parseInt(digit, 32)];
	}

	return out;
}

/** `ns/name:port` as kube-proxy writes it (no colon when the port is unnamed). */
export function servicePortName(namespace: string, name: string, port: string): string {
	return port ? `${namespace}/${name}:${port}` : `${namespace}/${name}`;
}

/** The 16-character hash shared by KUBE-SVC-, KUBE-SVL-, KUBE-EXT-, KUBE-FW- and KUBE-XLB- chains. */
export function iptablesServiceHash(portName: string, protocol: string): string {
	return chainHash(portName + protocol.toLowerCase(), 16);
}

/** Suffix of a kube-proxy iptables service chain (`KUBE-SVC-ABC…` -> `ABC…`), or null. */
export function iptablesChainHash(chain: string): {kind: 'SVC' | 'SVL' | 'EXT' | 'FW' | 'XLB'; hash: string} | null {
	const dash = chain.startsWith('KUBE-') ? chain.indexOf('-', 5) : -1;
	const kind = dash === -1 ? '' : chain.slice(5, dash);
	return kind === 'SVC' || kind === 'SVL' || kind === 'EXT' || kind === 'FW' || kind === 'XLB' ? {kind, hash: chain.slice(dash + 1)} : null;
}
