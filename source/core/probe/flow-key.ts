import {bytesOf, textOf, type ConntrackSpans} from './conntrack-line.js';

export type FlowProtocol = 'tcp' | 'udp';

/**
 * A flow's key by protocol, source port and original destination: a number when the destination
 * is IPv4 (no string per probe or per event), the tuple as text otherwise. The same flow gets the
 * same key from a probe and from its conntrack line.
 */
export type FlowKey = number | string;

/** Distinct (protocol, destination port) pairs that get a number; others are keyed by text. */
const maxPairs = 32;

/** Destination addresses remembered as numbers (a run dials a handful). */
const maxAddresses = 256;

/** The IPv4 address in `bytes[start, end)` (dotted decimal) as a number, or -1 (IPv6, not an address). */
export function ipv4NumberAt(bytes: Uint8Array, start: number, end: number): number {
	let value = 0;
	let part = -1;
	let dots = 0;
	for (let i = start; i < end; i++) {
		const code = bytes[i]!;
		if (code === 46 && part !== -1 && dots < 3) {
			value = (value * 256) + part;
			part = -1;
			dots++;
		} else if (code >= 48 && code <= 57) {
			part = part === -1 ? code - 48 : (part * 10) + code - 48;
			if (part > 255) {
				return -1;
			}
		} else {
			return -1;
		}
	}

	return dots === 3 && part !== -1 ? (value * 256) + part : -1;
}

function textKey(protocol: string, sourcePort: number, destinationIp: string, destinationPort: number): string {
	return `${protocol} ${sourcePort} ${destinationIp} ${destinationPort}`;
}

/**
 * Makes flow keys. A number packs the IPv4 destination (32 bits), a small id for the protocol and
 * destination port pair (5 bits) and the source port (16 bits): 53 bits, exact in a double. Ids
 * are handed out as pairs are first seen and never change, so probes and lines agree.
 */
export class FlowKeys {
	private readonly pairs = new Map<number, number>();
	private readonly addresses = new Map<string, number>();

	/** The key of a probe's flow. */
	ofProbe(protocol: FlowProtocol, sourcePort: number, destinationIp: string, destinationPort: number): FlowKey {
		let address = this.addresses.get(destinationIp);
		if (address === undefined) {
			address = ipv4NumberAt(bytesOf(destinationIp), 0, destinationIp.length);
			if (this.addresses.size >= maxAddresses) {
				this.addresses.clear();
			}

			this.addresses.set(destinationIp, address);
		}

		const pair = address === -1 ? -1 : this.pairOf(protocol === 'udp' ? 1 : 0, destinationPort);
		return pair === -1 ? textKey(protocol, sourcePort, destinationIp, destinationPort) : (((address * maxPairs) + pair) * 65_536) + sourcePort;
	}

	/** The key of the original direction of a scanned line; undefined for a protocol no probe uses. */
	ofLine(bytes: Uint8Array, spans: ConntrackSpans): FlowKey | undefined {
		const protocol = protocolAt(bytes, spans.protocolStart, spans.protocolEnd);
		if (protocol === undefined) {
			return undefined;
		}

		const {tuples} = spans;
		const address = ipv4NumberAt(bytes, tuples[2]!, tuples[3]!);
		const pair = address === -1 ? -1 : this.pairOf(protocol === 'udp' ? 1 : 0, tuples[5]!);
		return pair === -1
			? textKey(protocol, tuples[4]!, textOf(bytes, tuples[2]!, tuples[3]!), tuples[5]!)
			: (((address * maxPairs) + pair) * 65_536) + tuples[4]!;
	}

	private pairOf(protocolBit: number, destinationPort: number): number {
		const code = (destinationPort * 2) + protocolBit;
		let id = this.pairs.get(code);
		if (id === undefined) {
			if (this.pairs.size >= maxPairs) {
				return -1;
			}

			id = this.pairs.size;
			this.pairs.set(code, id);
		}

		return id;
	}
}

/** `tcp` or `udp` at `bytes[start, end)`, without making a string; undefined for anything else. */
function protocolAt(bytes: Uint8Array, start: number, end: number): FlowProtocol | undefined {
	if (end - start !== 3) {
		return undefined;
	}

	if (bytes[start] === 116 && bytes[start + 1] === 99 && bytes[start + 2] === 112) {
		return 'tcp';
	}

	return bytes[start] === 117 && bytes[start + 1] === 100 && bytes[start + 2] === 112 ? 'udp' : undefined;
}
