import {Buffer} from 'node:buffer';
import type {NatFlowTable, NatMode} from './types.js';
import {decodeIptables} from './decode-iptables.js';
import {NftDecoder} from './decode-nft.js';
import {IptablesReader} from './iptables-reader.js';
import {decodeIpvs, parseIpvs} from './ipvs.js';

/** How much of the start of a dump its format is told from. */
const headBytes = 64 * 1024;

/** Which tool wrote this text (nft list or -f, ipvsadm -S or -L, else iptables-save or -S), from its first lines. */
export function detectNatMode(text: string): NatMode {
	const head = text.slice(0, headBytes);
	if (/^\s*(table\s+(ip|ip6|inet)\s+\S+\s*\{|add\s+(table|chain|rule|map|set|element)\s+(ip|ip6|inet)\s)/m.test(head)) {
		return 'nftables';
	}

	if (/^(IP Virtual Server version|Prot LocalAddress|(TCP|UDP|SCTP)\s+\S+:\d+\s+\w+|-A\s+(-[tuf]|--(tcp|udp|sctp|fwmark)-service)\s)/m.test(head)) {
		return 'ipvs';
	}

	return 'iptables';
}

/** How much of a dump given whole is passed on at a time, so progress can be told. */
const partBytes = 1024 * 1024;

/** One format's decoder, given the dump's bytes part by part. */
type FormatDecoder = {writeBytes(part: Uint8Array): void; end(): NatFlowTable};

function formatDecoder(mode: NatMode): FormatDecoder {
	if (mode === 'nftables') {
		return new NftDecoder();
	}

	if (mode === 'ipvs') {
		// ipvsadm output is small (one line per virtual and real server): kept whole and parsed at the end.
		const parts: Uint8Array[] = [];
		return {writeBytes: part => parts.push(part), end: () => decodeIpvs(parseIpvs(Buffer.concat(parts).toString('utf8')))};
	}

	const reader = new IptablesReader();
	return {writeBytes: part => reader.writeBytes(part), end: () => decodeIptables(reader.end())};
}

/**
 * Decodes a rule dump given in parts as they are read (a file is never held whole); the format is told from its first
 * 64 KB (or `mode`). The caller does not reuse a part once given. Never throws.
 */
export class NatDumpDecoder {
	private decoder: FormatDecoder | undefined;
	private readonly head: Uint8Array[] = [];
	private headLength = 0;

	constructor(mode?: NatMode) {
		this.decoder = mode === undefined ? undefined : formatDecoder(mode);
	}

	write(part: Uint8Array): void {
		if (this.decoder) {
			this.decoder.writeBytes(part);
			return;
		}

		this.head.push(part);
		this.headLength += part.length;
		if (this.headLength >= headBytes) {
			this.start();
		}
	}

	end(): NatFlowTable {
		return (this.decoder ?? this.start()).end();
	}

	private start(): FormatDecoder {
		this.decoder = formatDecoder(detectNatMode(Buffer.concat(this.head, Math.min(this.headLength, headBytes)).toString('utf8')));
		for (const part of this.head.splice(0)) {
			this.decoder.writeBytes(part);
		}

		return this.decoder;
	}
}

/** A rule dump held whole (text or bytes), decoded in parts; `onProgress` is told the bytes done after each. Never throws. */
export function decodeNatDump(dump: string | Uint8Array, mode?: NatMode, onProgress?: (done: number, total: number) => void): NatFlowTable {
	const bytes = typeof dump === 'string' ? Buffer.from(dump, 'utf8') : dump;
	const decoder = new NatDumpDecoder(mode);
	for (let from = 0; from < bytes.length; from += partBytes) {
		decoder.write(bytes.subarray(from, from + partBytes));
		onProgress?.(Math.min(bytes.length, from + partBytes), bytes.length);
	}

	return decoder.end();
}
