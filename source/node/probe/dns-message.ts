/** A DNS query for one A record, as sent on the wire (RFC 1035 section 4). */
export function buildDnsQuery(id: number, name: string): Buffer {
	const labels = name.replace(/\.$/, '').split('.').filter(label => label.length > 0);
	const question = Buffer.alloc(labels.reduce((sum, label) => sum + 1 + Buffer.byteLength(label), 0) + 1 + 4);
	let at = 0;
	for (const label of labels) {
		const bytes = Buffer.from(label);
		question[at++] = Math.min(63, bytes.length);
		bytes.copy(question, at, 0, 63);
		at += Math.min(63, bytes.length);
	}

	question[at++] = 0;
	question.writeUInt16BE(1, at); // QTYPE A
	question.writeUInt16BE(1, at + 2); // QCLASS IN
	const header = Buffer.alloc(12);
	header.writeUInt16BE(id & 0xFF_FF, 0);
	header.writeUInt16BE(0x01_00, 2); // standard query, recursion desired
	header.writeUInt16BE(1, 4); // QDCOUNT
	return Buffer.concat([header, question]);
}

export type DnsAnswer = {
	readonly id: number;
	/** 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, ... */
	readonly rcode: number;
	/** A records of the answer section, dotted quads. */
	readonly addresses: readonly string[];
};

export const rcodeNames: Readonly<Record<number, string>> = {0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED'};

function skipName(message: Buffer, start: number): number {
	let at = start;
	for (let guard = 0; guard < 128; guard++) {
		const length = message[at];
		if (length === undefined) {
			throw new RangeError('name runs past the message');
		}

		if ((length & 0xC0) === 0xC0) {
			return at + 2; // A compression pointer ends the name.
		}

		if (length === 0) {
			return at + 1;
		}

		at += 1 + length;
	}

	throw new RangeError('name too long');
}

/** Parses a response header and its A records; undefined when the bytes are not a DNS response. */
export function parseDnsResponse(message: Buffer): DnsAnswer | undefined {
	if (message.length < 12 || (message[2]! & 0x80) === 0) {
		return undefined;
	}

	try {
		const id = message.readUInt16BE(0);
		const rcode = message[3]! & 0x0F;
		const questions = message.readUInt16BE(4);
		const answers = message.readUInt16BE(6);
		let at = 12;
		for (let i = 0; i < questions; i++) {
			at = skipName(message, at) + 4;
		}

		const addresses: string[] = [];
		for (let i = 0; i < answers; i++) {
			at = skipName(message, at);
			const type = message.readUInt16BE(at);
			const length = message.readUInt16BE(at + 8);
			at += 10;
			if (type === 1 && length === 4) {
				addresses.push([...message.subarray(at, at + 4)].join('.'));
			}

			at += length;
		}

		return {id, rcode, addresses};
	} catch {
		return undefined;
	}
}
