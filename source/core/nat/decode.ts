import {Buffer} from 'node:buffer';
import type {NatFlowTable, NatMode} from './types.js';
import {decodeIptables} from './decode-iptables.js';
import {decodeIptablesTemplates} from './decode-iptables-wasm.js';
import {decodeNft} from './decode-nft.js';
import {indexIptablesSave} from './iptables-parse.js';
import {decodeIpvs, parseIpvs} from './ipvs.js';
import {parseNft} from './nft-parse.js';

/**
 * Which tool wrote this text: `nft list` / `nft -f` text, `ipvsadm -S`/`-L` text, or otherwise
 * iptables-save / `iptables -S`. Only the first non-comment lines are looked at.
 */
export function detectNatMode(text: string): NatMode {
	const head = text.slice(0, 64 * 1024);
	if (/^\s*(table\s+(ip|ip6|inet)\s+\S+\s*\{|add\s+(table|chain|rule|map|set|element)\s+(ip|ip6|inet)\s)/m.test(head)) {
		return 'nftables';
	}

	if (/^(IP Virtual Server version|Prot LocalAddress|(TCP|UDP|SCTP)\s+\S+:\d+\s+\w+|-A\s+(-[tuf]|--(tcp|udp|sctp|fwmark)-service)\s)/m.test(head)) {
		return 'ipvs';
	}

	return 'iptables';
}

// A buffer to read a dump into before decodeNatDump (an iptables-save dump read there is decoded
// where it lies), and the call that lets the decoder work on the part that has arrived.
export {templateInput as newNatDumpBuffer, templateArrived as natDumpArrived} from './decode-iptables-wasm.js';

/** Text of `length` bytes from the start of `bytes`. */
function utf8(bytes: Uint8Array, length = bytes.length): string {
	return Buffer.from(bytes.buffer, bytes.byteOffset, length).toString('utf8');
}

/**
 * Parse and decode a rule dump (text, or the bytes a tool wrote) into the flow model. `mode`
 * overrides detection. Never throws.
 */
export function decodeNatDump(dump: string | Uint8Array, mode?: NatMode): NatFlowTable {
	mode ??= detectNatMode(typeof dump === 'string' ? dump : utf8(dump, Math.min(dump.length, 64 * 1024)));
	let bytes = typeof dump === 'string' ? undefined : dump;
	if (mode === 'iptables') {
		// kube-proxy's own shape first, read from the bytes without building a string of the dump.
		const templated = decodeIptablesTemplates(bytes ?? Buffer.from(dump as string, 'utf8'));
		if (templated.table) {
			return templated.table;
		}

		bytes &&= templated.bytes;
	}

	const text = bytes ? utf8(bytes) : dump as string;
	switch (mode) {
		case 'nftables': {
			return decodeNft(parseNft(text));
		}

		case 'ipvs': {
			return decodeIpvs(parseIpvs(text));
		}

		default: {
			return decodeIptables(indexIptablesSave(text));
		}
	}
}
