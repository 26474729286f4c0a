import {bytesOf, textOf, type ConntrackSpans} from './conntrack-line.js';

export type FlowProtocol = 'tcp' | 'udp';

/**
 * A flow's key by protocol, source address and port, and original destination: a number when both
 * addresses are IPv4 (no string per probe or per event), the tuple as text otherwise. The same flow
 * gets the same key from a probe and from its conntrack line; a pod's flow to the same Service from
 * the same port number (its own address) does not.
 */
export type FlowKey = number | string;

/** Distinct (protocol, destination port, source address) flows that get a number; others are keyed by text. */
const maxFlows = 32;

/** Addresses remembered as numbers (a run dials a handful, from one or two of its own). */
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

/** Our side of a flow: the address and port a probe's socket was given. */
export type FlowSource = {readonly address: string; readonly port: number};

function textKey(protocol: string, sourceIp: string, sourcePort: number, destinationIp: string, destinationPort: number): string {
	return `${protocol} ${sourceIp}:${sourcePort} ${destinationIp} ${destinationPort}`;
}

/**
 * Makes flow keys. A number packs the IPv4 destination (32 bits), a small id for the protocol,
 * destination port and source address (5 bits) and the source port (16 bits): 53 bits, exact in a
 * double. Ids are handed out as flows are first seen and never change, so probes and lines agree.
 */
export class FlowKeys {
	private readonly flows = new Map<number, number>();
	private readonly addresses = new Map<string, number>();

	/** The key of a probe's flow. */
	ofProbe(protocol: FlowProtocol, source: FlowSource, destinationIp: string, destinationPort: number): FlowKey {
		const destination = this.addressNumber(destinationIp);
		const sourceAddress = this.addressNumber(source.address);
		const flow = destination === -1 || sourceAddress === -1 ? -1 : this.flowOf(protocol === 'udp' ? 1 : 0, destinationPort, sourceAddress);
		return flow === -1 ? textKey(protocol, source.address, source.port, destinationIp, destinationPort) : (((destination * maxFlows) + flow) * 65_536) + source.port;
	}

	/** The key of the original direction of a scanned line; undefined for a protocol no probe uses. */
	ofLine(bytes: Uint8Array, spans: ConntrackSpans): FlowKey | undefined {
		const protocol = protocolAt(bytes, spans.protocolStart, spans.protocolEnd);
		if (protocol === undefined) {
			return undefined;
		}

		const {tuples} = spans;
		const destination = ipv4NumberAt(bytes, tuples[2]!, tuples[3]!);
		const sourceAddress = ipv4NumberAt(bytes, tuples[0]!, tuples[1]!);
		const flow = destination === -1 || sourceAddress === -1 ? -1 : this.flowOf(protocol === 'udp' ? 1 : 0, tuples[5]!, sourceAddress);
		return flow === -1
			? textKey(protocol, textOf(bytes, tuples[0]!, tuples[1]!), tuples[4]!, textOf(bytes, tuples[2]!, tuples[3]!), tuples[5]!)
			: (((destination * maxFlows) + flow) * 65_536) + tuples[4]!;
	}

	/** An address as a number (IPv4), or -1; remembered, since a run uses the same few. */
	private addressNumber(ip: string): number {
		let address = this.addresses.get(ip);
		if (address === undefined) {
			address = ipv4NumberAt(bytesOf(ip), 0, ip.length);
			if (this.addresses.size >= maxAddresses) {
				this.addresses.clear();
			}

			this.addresses.set(ip, address);
		}

		return address;
	}

	private flowOf(protocolBit: number, destinationPort: number, sourceAddress: number): number {
		// 32 bits of address, 16 of port and one of protocol: 49 bits, exact in a double.
		const code = (((sourceAddress * 65_536) + destinationPort) * 2) + protocolBit;
		let id = this.flows.get(code);
		if (id === undefined) {
			if (this.flows.size >= maxFlows) {
				return -1;
			}

			id = this.flows.size;
			this.flows.set(code, id);
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
