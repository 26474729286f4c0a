import type {NatFlowTable} from './types.js';
import {formatBytes} from '../../util/format-bytes.js';

/** How much of the dump is looked at to call it binary. */
const sniffBytes = 64 * 1024;

/**
 * Why a decoded dump is not a kube-proxy table (one line naming `source` and what was read), or null when it holds
 * Service rules: an empty file, a machine that is no node and binary data decode to 0 Service ports, which is no verdict.
 */
export function missingKubeProxyRules(dump: string | Uint8Array, table: NatFlowTable, source: string): string | null {
	return table.services.length > 0 ? null : `no kube-proxy rules found in ${source}: ${describeInput(dump)}`;
}

function describeInput(dump: string | Uint8Array): string {
	const bytes = typeof dump === 'string' ? Buffer.from(dump, 'utf8') : dump;
	if (bytes.length === 0) {
		return 'it is empty (0 bytes)';
	}

	const nul = bytes.subarray(0, sniffBytes).indexOf(0);
	if (nul !== -1) {
		return `read ${formatBytes(bytes.length)} of binary data (a NUL byte at offset ${nul}), not a rule dump`;
	}

	const text = typeof dump === 'string' ? dump : new TextDecoder().decode(dump);
	const lines = countLines(text);
	const read = `read ${formatBytes(bytes.length)} in ${lines} line${lines === 1 ? '' : 's'}`;
	if (iptablesNftAsNft(text)) {
		return `${read}: these are iptables-nft's tables as nft prints them, which kube-proxy's iptables mode writes; give iptables-save (iptables-nft-save) output instead`;
	}

	if (/^\*filter\r?$/m.test(text) && !/^\*nat\r?$/m.test(text) && text.includes('KUBE-')) {
		return `${read}: a filter table but no nat table, where kube-proxy writes its Service rules; give iptables-save (all tables) or iptables-save -t nat`;
	}

	if (/KUBE-(SERVICES|NODEPORTS|POSTROUTING|MARK-MASQ)|table ip6? kube-proxy/.test(text)) {
		return `${read}: kube-proxy's own chains are there, but no Service rules`;
	}

	return `${read}, none from kube-proxy (no KUBE- chain, no kube-proxy nftables table, no IPVS virtual service)`;
}

/**
 * `nft list ruleset` of a node whose kube-proxy runs in iptables mode over iptables-nft: KUBE- chains in `table ip nat`,
 * not read in that form (nftables-mode kube-proxy names its chains in lower case in `table ip kube-proxy`).
 */
function iptablesNftAsNft(text: string): boolean {
	return /^\s*chain KUBE-(SERVICES|NODEPORTS) \{$/m.test(text) && /^table ip6? nat \{$/m.test(text) && !/^table ip6? kube-proxy \{$/m.test(text);
}

function countLines(text: string): number {
	let lines = 0;
	for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) {
		lines++;
	}

	return text.endsWith('\n') ? lines : lines + 1;
}
