/*
 * The DNS wire format (RFC 1035 section 4), just what svctop needs on both sides: the probe's A
 * query and the parsing of its answer, and, for the demo's CoreDNS stand-ins, the parsing of a
 * query and the building of its answer. EDNS(0) (RFC 6891) carries the NSID option (RFC 5001):
 * the probe asks for it and a server that has it (CoreDNS with its `nsid` plugin, whose default
 * identifier is the pod's hostname) names itself in the reply, which attributes a UDP answer
 * without conntrack.
 */

const typeA = 1;
const typeCname = 5;
const typeOpt = 41;
const classIn = 1;
const optionNsid = 3;
/** The EDNS payload size both sides advertise (the DNS flag day 2020 value). */
const ednsPayloadSize = 1232;

function encodeName(name: string): Buffer {
	const labels = name.replace(/\.$/, '').split('.').filter(label => label.length > 0);
	const out = Buffer.alloc(labels.reduce((sum, label) => sum + 1 + Math.min(63, Buffer.byteLength(label)), 0) + 1);
	let at = 0;
	for (const label of labels) {
		const bytes = Buffer.from(label);
		out[at++] = Math.min(63, bytes.length);
		bytes.copy(out, at, 0, 63);
		at += Math.min(63, bytes.length);
	}

	out[at] = 0;
	return out;
}

/** An OPT pseudo-record: root owner, payload size in CLASS, extended rcode and flags zero, then options. */
function optRecord(options: ReadonlyArray<{code: number; data: Buffer}>): Buffer {
	const optionBytes = Buffer.concat(options.map(option => {
		const head = Buffer.alloc(4);
		head.writeUInt16BE(option.code, 0);
		head.writeUInt16BE(option.data.length, 2);
		return Buffer.concat([head, option.data]);
	}));
	const record = Buffer.alloc(11);
	record[0] = 0;
	record.writeUInt16BE(typeOpt, 1);
	record.writeUInt16BE(ednsPayloadSize, 3);
	record.writeUInt32BE(0, 5);
	record.writeUInt16BE(optionBytes.length, 9);
	return Buffer.concat([record, optionBytes]);
}

export type DnsQueryOptions = {
	/** Add an OPT record asking for the server's NSID (RFC 5001). Default false. */
	readonly nsid?: boolean;
};

/** A DNS query for one A record, as sent on the wire. */
export function buildDnsQuery(id: number, name: string, options: DnsQueryOptions = {}): Buffer {
	const qname = encodeName(name);
	const question = Buffer.alloc(qname.length + 4);
	qname.copy(question);
	question.writeUInt16BE(typeA, qname.length);
	question.writeUInt16BE(classIn, qname.length + 2);
	const header = Buffer.alloc(12);
	header.writeUInt16BE(id & 0xFF_FF, 0);
	header.writeUInt16BE(0x01_00, 2); // standard query, recursion desired
	header.writeUInt16BE(1, 4); // QDCOUNT
	if (!options.nsid) {
		return Buffer.concat([header, question]);
	}

	header.writeUInt16BE(1, 10); // ARCOUNT: the OPT record
	return Buffer.concat([header, question, optRecord([{code: optionNsid, data: Buffer.alloc(0)}])]);
}

export type DnsAnswer = {
	readonly id: number;
	/** 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, ... */
	readonly rcode: number;
	/** A records of the answer section, dotted quads. */
	readonly addresses: readonly string[];
	/** The server's NSID from the OPT record, as text (hex when not printable); absent when none. */
	readonly nsid?: string;
};

export const rcodeNames: Readonly<Record<number, string>> = {0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED'};

/** Reads a possibly compressed name; returns it (lower case, no trailing dot) and where the record goes on. */
function readName(message: Buffer, start: number): {name: string; next: number} {
	const labels: string[] = [];
	let at = start;
	let next: number | undefined;
	for (let guard = 0; guard < 128; guard++) {
		const length = message[at];
		if (length === undefined) {
			throw new RangeError('name runs past the message');
		}

		if ((length & 0xC0) === 0xC0) {
			const pointer = message.readUInt16BE(at) & 0x3F_FF;
			next ??= at + 2;
			at = pointer;
			continue;
		}

		if (length === 0) {
			return {name: labels.join('.').toLowerCase(), next: next ?? at + 1};
		}

		if (at + 1 + length > message.length) {
			throw new RangeError('label runs past the message');
		}

		labels.push(message.toString('latin1', at + 1, at + 1 + length));
		at += 1 + length;
	}

	throw new RangeError('name too long or looping');
}

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

/** Printable ASCII as is (CoreDNS's default NSID is the hostname), anything else as hex. */
function nsidText(data: Buffer): string {
	return data.every(byte => byte >= 0x21 && byte <= 0x7E) ? data.toString('latin1') : data.toString('hex');
}

/** The NSID option of an OPT record's data, if any. */
function nsidOf(message: Buffer, start: number, length: number): string | undefined {
	let at = start;
	const end = start + length;
	while (at + 4 <= end) {
		const code = message.readUInt16BE(at);
		const size = message.readUInt16BE(at + 2);
		if (at + 4 + size > end) {
			return undefined;
		}

		if (code === optionNsid && size > 0) {
			return nsidText(message.subarray(at + 4, at + 4 + size));
		}

		at += 4 + size;
	}

	return undefined;
}

/** Parses a response header, its A records and the NSID of its OPT record; undefined when the bytes are not a DNS response. */
export function parseDnsResponse(message: Buffer): DnsAnswer | undefined {
	if (message.length < 12 || (message[2]! & 0x80) === 0) {
		return undefined;
	}

	try {
		const id = message.readUInt16BE(0);
		const rcode = message[3]! & 0x0F;
		const questions = message.readUInt16BE(4);
		const answers = message.readUInt16BE(6);
		const records = answers + message.readUInt16BE(8) + message.readUInt16BE(10);
		let at = 12;
		for (let i = 0; i < questions; i++) {
			at = skipName(message, at) + 4;
		}

		const addresses: string[] = [];
		let nsid: string | undefined;
		for (let i = 0; i < records; i++) {
			at = skipName(message, at);
			const type = message.readUInt16BE(at);
			const length = message.readUInt16BE(at + 8);
			at += 10;
			if (at + length > message.length) {
				throw new RangeError('record runs past the message');
			}

			if (i < answers && type === typeA && length === 4) {
				addresses.push([...message.subarray(at, at + 4)].join('.'));
			} else if (i >= answers && type === typeOpt) {
				nsid ??= nsidOf(message, at, length);
			}

			at += length;
		}

		return nsid === undefined ? {id, rcode, addresses} : {id, rcode, addresses, nsid};
	} catch {
		// A truncated answer section: what was read up to the break is not trustworthy either.
		return undefined;
	}
}

export type DnsQuestion = {
	readonly id: number;
	readonly opcode: number;
	readonly recursionDesired: boolean;
	/** Lower case, no trailing dot ('' for the root). */
	readonly name: string;
	readonly type: number;
	readonly class: number;
	/** The question section's bytes, echoed in the answer. */
	readonly questionBytes: Buffer;
	/** Whether the query carried an OPT record, and whether it asked for the NSID. */
	readonly edns?: {readonly nsid: boolean};
};

/**
 * Parses a query with exactly one question (what stub resolvers send). `formerr` when the header
 * is readable but the rest is not, undefined when it is not a query at all (too short, or a response).
 */
export function parseDnsQuery(message: Buffer): DnsQuestion | {formerr: true; id: number} | undefined {
	if (message.length < 12 || (message[2]! & 0x80) !== 0) {
		return undefined;
	}

	const id = message.readUInt16BE(0);
	try {
		if (message.readUInt16BE(4) !== 1 || message.readUInt16BE(6) !== 0) {
			return {formerr: true, id};
		}

		const {name, next} = readName(message, 12);
		const type = message.readUInt16BE(next);
		const klass = message.readUInt16BE(next + 2);
		const questionBytes = message.subarray(12, next + 4);
		let at = next + 4;
		let edns: {nsid: boolean} | undefined;
		const records = message.readUInt16BE(8) + message.readUInt16BE(10);
		for (let i = 0; i < records; i++) {
			at = skipName(message, at);
			const recordType = message.readUInt16BE(at);
			const length = message.readUInt16BE(at + 8);
			if (at + 10 + length > message.length) {
				return {formerr: true, id};
			}

			if (recordType === typeOpt) {
				let nsid = false;
				for (let option = at + 10; option + 4 <= at + 10 + length; option += 4 + message.readUInt16BE(option + 2)) {
					nsid ||= message.readUInt16BE(option) === optionNsid;
				}

				edns = {nsid};
			}

			at += 10 + length;
		}

		return {
			id,
			opcode: (message[2]! >> 3) & 0x0F,
			recursionDesired: (message[2]! & 0x01) === 1,
			name,
			type,
			class: klass,
			questionBytes,
			...(edns ? {edns} : {}),
		};
	} catch {
		return {formerr: true, id};
	}
}

export type DnsRecord =
	| {readonly type: 'A'; readonly address: string; readonly ttl: number}
	| {readonly type: 'CNAME'; readonly target: string; readonly ttl: number};

export type DnsReply = {
	readonly rcode: number;
	readonly authoritative: boolean;
	/** Owned by the question's name. */
	readonly answers: readonly DnsRecord[];
	/** Put in the OPT record when the query asked for it. */
	readonly nsid?: string;
};

function recordBytes(record: DnsRecord): Buffer {
	const data = record.type === 'A' ? Buffer.from(record.address.split('.').map(Number)) : encodeName(record.target);
	const head = Buffer.alloc(12);
	head.writeUInt16BE(0xC0_0C, 0); // the owner is the question's name, at offset 12
	head.writeUInt16BE(record.type === 'A' ? typeA : typeCname, 2);
	head.writeUInt16BE(classIn, 4);
	head.writeUInt32BE(record.ttl, 6);
	head.writeUInt16BE(data.length, 10);
	return Buffer.concat([head, data]);
}

/**
 * The answer to a parsed query: its id, opcode and RD echoed, RA set (as CoreDNS does), the
 * question repeated, the records, and an OPT record when the query had one (RFC 6891 6.1.1), with
 * the NSID when it was asked for and the server has one.
 */
export function buildDnsResponse(query: DnsQuestion, reply: DnsReply): Buffer {
	const header = Buffer.alloc(12);
	header.writeUInt16BE(query.id, 0);
	header[2] = 0x80 | (query.opcode << 3) | (reply.authoritative ? 0x04 : 0) | (query.recursionDesired ? 0x01 : 0);
	header[3] = 0x80 | (reply.rcode & 0x0F);
	header.writeUInt16BE(1, 4);
	header.writeUInt16BE(reply.answers.length, 6);
	const parts = [header, query.questionBytes, ...reply.answers.map(record => recordBytes(record))];
	if (query.edns) {
		header.writeUInt16BE(1, 10);
		const nsid = query.edns.nsid && reply.nsid !== undefined ? [{code: optionNsid, data: Buffer.from(reply.nsid, 'latin1')}] : [];
		parts.push(optRecord(nsid));
	}

	return Buffer.concat(parts);
}

/** A header-only error answer (FORMERR, NOTIMP) for a query that cannot be read further. */
export function buildDnsError(id: number, rcode: number): Buffer {
	const header = Buffer.alloc(12);
	header.writeUInt16BE(id, 0);
	header[2] = 0x80;
	header[3] = rcode & 0x0F;
	return header;
}
