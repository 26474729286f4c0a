import {Buffer} from 'node:buffer';
import type {NatFlowTable, NatMode} from './types.js';
import {decodeIptables} from './decode-iptables.js';
import {decodeIptablesTemplates, templateArrived, templateInput} from './decode-iptables-wasm.js';
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

/**
 * A buffer to read a dump of `length` bytes into before decodeNatDump: an iptables-save dump read
 * there is decoded where it lies, without a copy or a string of the whole dump. Calling
 * natDumpArrived as parts of it come in lets the decoder work while the rest is read.
 */
export function newNatDumpBuffer(length: number): Uint8Array {
	return templateInput(length);
}

/** The first `available` bytes of a buffer from newNatDumpBuffer hold the dump's beginning. */
export function natDumpArrived(buffer: Uint8Array, available: number): void {
	templateArrived(buffer, available);
}

/**
 * Parse and decode a rule dump (text, or the bytes a tool wrote) into the flow model. `mode`
 * overrides detection. Never throws.
 */
export function decodeNatDump(dump: string | Uint8Array, mode?: NatMode): NatFlowTable {
	mode ??= detectNatMode(typeof dump === 'string' ? dump : Buffer.from(dump.buffer, dump.byteOffset, Math.min(dump.length, 64 * 1024)).toString('utf8'));
	let bytes = typeof dump === 'string' ? undefined : dump;
	if (mode === 'iptables') {
		// kube-proxy's own shape first, read from the bytes without building a string of the dump.
		const templated = decodeIptablesTemplates(bytes ?? Buffer.from(dump as string, 'utf8'));
		if (templated.table) {
			return templated.table;
		}

		bytes &&= templated.bytes;
	}

	const text = bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8') : dump as string;
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
