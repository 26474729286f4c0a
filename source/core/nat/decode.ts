import type {NatFlowTable, NatMode} from './types.js';
import {decodeIptables} from './decode-iptables.js';
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

/** Parse and decode a rule dump into the flow model. `mode` overrides detection. Never throws. */
export function decodeNatDump(text: string, mode: NatMode = detectNatMode(text)): NatFlowTable {
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
