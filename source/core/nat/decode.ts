import {Buffer} from 'node:buffer';
import type {NatFlowTable, NatMode} from './types.js';
import {decodeIptables} from './decode-iptables.js';
import {decodeNft} from './decode-nft.js';
import {IptablesReader} from './iptables-reader.js';
import {decodeIpvs, parseIpvs} from './ipvs.js';

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

/** How much of a dump the iptables reader is given at a time: it never holds one string of the whole dump. */
const partBytes = 1024 * 1024;

/** Text of `length` bytes from the start of `bytes`. */
function utf8(bytes: Uint8Array, length = bytes.length): string {
	return Buffer.from(bytes.buffer, bytes.byteOffset, length).toString('utf8');
}

/** Bytes of the dump read so far, of `total`; called after each part of an iptables dump given as bytes. */
export type DecodeProgress = (done: number, total: number) => void;

/**
 * Parse and decode a rule dump (text, or the bytes a tool wrote) into the flow model. `mode`
 * overrides detection. Never throws.
 */
export function decodeNatDump(dump: string | Uint8Array, mode?: NatMode, onProgress?: DecodeProgress): NatFlowTable {
	mode ??= detectNatMode(typeof dump === 'string' ? dump : utf8(dump, Math.min(dump.length, 64 * 1024)));
	switch (mode) {
		case 'nftables': {
			return decodeNft(dump);
		}

		case 'ipvs': {
			return decodeIpvs(parseIpvs(typeof dump === 'string' ? dump : utf8(dump)));
		}

		default: {
			const reader = new IptablesReader();
			if (typeof dump === 'string') {
				reader.write(dump);
			} else {
				for (let from = 0; from < dump.length; from += partBytes) {
					reader.writeBytes(dump.subarray(from, from + partBytes));
					onProgress?.(Math.min(dump.length, from + partBytes), dump.length);
				}
			}

			return decodeIptables(reader.end());
		}
	}
}
