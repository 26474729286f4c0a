/*
 * The template tier of the iptables decoder, in AssemblyScript (compiled to WebAssembly by
 * build.mjs). It reads the dump as bytes and accepts it only when every rule the flow tree is
 * built from is written exactly the way kube-proxy (1.24+, policy Cluster, no affinity, no
 * firewall) and iptables-save write it: one space between words, quoted comments without
 * escapes, IPv4. It does no decoding of its own beyond that: it files what each rule says into
 * flat records, and decode-iptables-wasm.ts builds the flows from them with the same functions
 * the other decoders use. On anything else it gives up and the JavaScript decoders take the dump.
 *
 * Why WebAssembly: a one-shot `svctop nat` on a 200,000-rule dump spends most of its time in
 * JavaScript that V8 has not optimized yet; this code is compiled before it runs.
 *
 * The record layouts below are read by decode-iptables-wasm.ts: change both together.
 */

/** Where the caller copies the dump; below it, 64 KiB for this module's own data. */
const input: usize = 65536;

// What a hashed chain (KUBE-SVC-, KUBE-SEP-, KUBE-EXT- and 16 base32 characters) is.
const kindSvc: u8 = 1;
const kindSep: u8 = 2;
const kindExt: u8 = 3;

// Chain record, 40 bytes, by id (declaration order):
//   0 u8 kind, 1 u8 hairpin mark (SEP), 2 u8 block seen, 3 u8 has DNAT (SEP)
//   4 i32 string: name, 8 i32 string: DNAT address (SEP), 12 i32 DNAT port (SEP) or next KUBE-SVC- id (EXT, -1 none)
//   16 i32 first jump record, 20 i32 jump records, 24 i32 first mark record, 28 i32 mark records,
//   and for this module only: 32 u32 where the name is in the dump (36: padding)
const chainSize: usize = 40;
// Jump record (KUBE-SVC- to KUBE-SEP-), 16 bytes: f64 probability as written (-1 when none), i32 endpoint chain id, i32 line.
const jumpSize: usize = 16;
// Mark record (a rule of a KUBE-SVC- or KUBE-EXT- chain jumping to KUBE-MARK-MASQ), 8 bytes: i32 line, i32 string: `! -s` range (-1 when none).
const markSize: usize = 8;
// Entry record, 32 bytes: u8 rule (1 a KUBE-SERVICES jump to a Service, 2 a KUBE-NODEPORTS one, 3 the KUBE-SERVICES
//   jump to KUBE-NODEPORTS), u8 protocol (1 tcp, 2 udp, 3 sctp), i32 flow (the Service port: entries whose target
//   chains share a hash share it, numbered as first seen), i32 string: address (-1 none), i32 port, u32 + u32 where
//   the comment's text starts and ends in memory (read only when needed), i32 target chain id, i32 line
const entrySize: usize = 32;

// Plain chains (every chain that is not hashed), 12 bytes each: u32 name offset, u32 name length, u8 table, u8 role,
// u8 block seen. A dump with more of them than kube-proxy writes is declined.
const plainLimit: i32 = 256;
const plainSize: usize = 12;
const roleIgnored: u8 = 0;
const roleServices: u8 = 1;
const roleNodePorts: u8 = 2;
const roleMarkMasq: u8 = 3;
// KUBE-SERVICES, KUBE-EXTERNAL-SERVICES, KUBE-NODEPORTS of the filter table: REJECT/DROP rules the JavaScript decoders read.
const roleMustBeEmpty: u8 = 4;

let heap: usize = 0;
// True while scanArrived runs: the caller may be reading into the memory, which must not grow then.
let arriving = false;
// The dump's length, and the end of what may be read now (the dump's end once it has all arrived).
let length: usize = 0;
let end: usize = 0;
// Where the tables start (after the dump).
let tables: usize = 0;
let cursor: usize = 0;
let lineNumber: i32 = 0;
let failedLine: i32 = 0;

// Hashed chains by name: open addressing, 16-byte slots (see newTable), kept under half full.
let tableMask: u32 = 0;
let table: usize = 0;
let chains: usize = 0;
let chainCount: i32 = 0;
let chainLimit: i32 = 0;
// Flows (Service ports) named by entry rules; their keys share the chains' table.
let flowCount: i32 = 0;
let jumps: usize = 0;
let jumpCount: i32 = 0;
let jumpLimit: i32 = 0;
let marks: usize = 0;
let markCount: i32 = 0;
let markLimit: i32 = 0;
let entries: usize = 0;
let entryCount: i32 = 0;
let entryLimit: i32 = 0;
let plains: usize = 0;
let plainCount: i32 = 0;
let strings: usize = 0;
let stringsEnd: usize = 0;
let stringLimit: usize = 0;
let stringCount: i32 = 0;
let masqueradeMark: i32 = -1;

// The table being read: 0 none, 1 nat, 2 filter; tables seen as bits.
let currentTable: u8 = 0;
let tablesSeen: u8 = 0;
// The previous rule's chain: a hashed id, or a plain index with plainBit set; -1 none.
const plainBit: i32 = 1 << 30;
let previousChain: i32 = -1;
let previousName: usize = 0;
let previousNameLength: usize = 0;
let lastBlock: i32 = -1;

// Set by hashedName: a hashed chain's 16 characters and kind (see there).
let keyHigh: u64 = 0;
let keyLow: u64 = 0;
const kindBits: u64 = (<u64>1 << 63) | (<u64>1 << 55);
const letterA = i8x16.splat(65);
const letterZ = i8x16.splat(90);
const digit2 = i8x16.splat(50);
const digit7 = i8x16.splat(55);
// A slot of the chains' table: u64 + u64 key, i32 chain id + 1 (0 = empty; flows keep their number + 1 there).
const slotSize: usize = 24;
const slotValue: usize = 16;

function allocate(bytes: usize): usize {
	const at = heap;
	heap = (heap + bytes + 15) & ~15;
	const pages = <i32>((heap + 0xFFFF) >> 16);
	const have = memory.size();
	if (pages > have) {
		// Never while a read into the memory is under way (scanArrived checks the room first).
		if (arriving) {
			unreachable();
		}

		// Growing costs the engine a good deal each time: by half again at least.
		memory.grow(max(pages - have, have >> 1));
	}

	return at;
}

/** A region of `bytes` holding the first `used` bytes of the one at `from` (which is left behind). */
function moved(from: usize, used: usize, bytes: usize): usize {
	const to = allocate(bytes);
	memory.copy(to, from, used);
	return to;
}

/** Prepare for a dump of `dumpLength` bytes at `input`, in fresh memory with room for the tables after it. */
export function begin(dumpLength: usize): void {
	length = dumpLength;
	end = input + length;
	cursor = input;
	// A newline after the dump, so a look one byte past a line's end never reads the tables.
	heap = (end + 31) & ~15;
	tables = heap;
	store<u8>(end, 10);
	lineNumber = 0;
	failedLine = 0;
	sawEscape = false;
	// The record tables start at what a kube-proxy dump of this length holds (a chain, an endpoint
	// jump, for about every 400 bytes; an entry or a mark for about every 2,000) and double when
	// full. The caller hands over fresh (zeroed) memory, and pages are only paid for when touched.
	const expected = <i32>(length / 400);
	chainLimit = max(1024, expected);
	chains = allocate(<usize>chainLimit * chainSize);
	// Sized for a dump of about 500 bytes a chain (kube-proxy writes more); doubled when half full.
	table = 0;
	let bits: u32 = 12;
	while ((<usize>1 << bits) < length / 256) {
		bits++;
	}

	newTable(bits);
	jumpLimit = max(1024, expected);
	jumps = allocate(<usize>jumpLimit * jumpSize);
	markLimit = max(1024, expected / 5);
	marks = allocate(<usize>markLimit * markSize);
	entryLimit = max(1024, expected / 5);
	entries = allocate(<usize>entryLimit * entrySize);
	plains = allocate(<usize>plainLimit * plainSize);
	// Names and addresses: about a tenth of the dump.
	stringLimit = max(65536, length / 8);
	strings = allocate(stringLimit);
	stringsEnd = strings;
	chainCount = 0;
	flowCount = 0;
	jumpCount = 0;
	markCount = 0;
	entryCount = 0;
	plainCount = 0;
	stringCount = 0;
	masqueradeMark = -1;
	lastCidrString = -1;
	currentTable = 0;
	tablesSeen = 0;
	previousChain = -1;
	lastBlock = -1;
}

/**
 * Read up to `lines` lines: the number read, 0 at the end of the dump, -1 when the dump is not
 * one this tier reads (failedLine says where). The caller calls again until 0 so the engine
 * can swap in optimized code between calls.
 */
export function scan(lines: i32): i32 {
	const read = readLines(length, lines, false);
	if (read != 0) {
		return read;
	}

	// The end: every table closed, the nat table seen.
	if (currentTable != 0 || (tablesSeen & 1) == 0) {
		failedLine = lineNumber;
		return -1;
	}

	return 0;
}

/**
 * Read up to `lines` of the whole lines among the first `available` bytes of the dump (the rest is
 * still being read into memory): the number read, -1 when the dump is not one this tier reads.
 */
export function scanArrived(available: usize, lines: i32): i32 {
	const read = readLines(available, lines, true);
	if (read >= 0) {
		// A partial line may have shown an escape that is not there once the line is whole.
		sawEscape = false;
	}

	return read;
}

/**
 * Up to `count` lines among the first `available` bytes: the number read, -1 when one is not this
 * tier's. While the dump is still `arriving`, only whole lines, and none where a line could need
 * more memory than is free: growing the memory while a read into it is under way is not safe.
 */
function readLines(available: usize, count: i32, stillArriving: bool): i32 {
	end = input + available;
	arriving = stillArriving;
	let read = 0;
	while (cursor < end && read < count) {
		const lineEnd = newline(cursor);
		if (stillArriving && (lineEnd == end || heap + mostAllocatedBy(lineEnd - cursor) > <usize>memory.size() << 16)) {
			break;
		}

		lineNumber++;
		read++;
		if (sawEscape || !line(cursor, lineEnd)) {
			failedLine = lineNumber;
			arriving = false;
			return -1;
		}

		cursor = lineEnd + 1;
	}

	arriving = false;
	return read;
}

/** The most memory one line of `lineLength` bytes can take: every table that is full doubles, the strings grow. */
function mostAllocatedBy(lineLength: usize): usize {
	let bytes = lineLength + 1024;
	if (chainCount == chainLimit) {
		bytes += <usize>chainLimit * 2 * chainSize;
	}

	if (<u32>(chainCount + flowCount + 1) * 2 > tableMask) {
		bytes += (<usize>tableMask + 1) * 2 * slotSize;
	}

	if (jumpCount == jumpLimit) {
		bytes += <usize>jumpLimit * 2 * jumpSize;
	}

	if (markCount == markLimit) {
		bytes += <usize>markLimit * 2 * markSize;
	}

	if (entryCount == entryLimit) {
		bytes += <usize>entryLimit * 2 * entrySize;
	}

	if (stringsEnd + (lineLength * 2) + 2 > strings + stringLimit) {
		bytes += (stringLimit + (lineLength * 2) + 2) * 2;
	}

	return bytes;
}

const newlines = i8x16.splat(10);
const backslashes = i8x16.splat(92);
const carriageReturns = i8x16.splat(13);
// Set when a line holds a backslash or a carriage return: escapes are for the JavaScript tokenizer.
let sawEscape = false;

/** The next `\n` at or after `from`, or the end of the dump; notes escapes on the way (sawEscape). */
function newline(from: usize): usize {
	let at = from;
	while (at + 16 <= end) {
		const bytes = v128.load(at);
		const found = i8x16.bitmask(i8x16.eq(bytes, newlines));
		const escapes = i8x16.bitmask(v128.or(i8x16.eq(bytes, backslashes), i8x16.eq(bytes, carriageReturns)));
		if (found != 0) {
			const offset = ctz(found);
			if ((escapes & ((1 << offset) - 1)) != 0) {
				sawEscape = true;
			}

			return at + <usize>offset;
		}

		if (escapes != 0) {
			sawEscape = true;
		}

		at += 16;
	}

	while (at < end) {
		const code = load<u8>(at);
		if (code == 10) {
			break;
		}

		if (code == 92 || code == 13) {
			sawEscape = true;
		}

		at++;
	}

	return at;
}

function line(from: usize, to: usize): bool {
	const first = load<u8>(from);
	if (first == 45) {
		return currentTable != 0 && to - from > 3 && load<u8>(from + 1) == 65 && load<u8>(from + 2) == 32 && rule(from + 3, to);
	}

	if (first == 58) {
		return currentTable != 0 && declaration(from + 1, to);
	}

	if (first == 42) {
		return openTable(from + 1, to);
	}

	if (to - from == 6 && literal(from, 'COMMIT')) {
		if (currentTable == 0) {
			return false;
		}

		currentTable = 0;
		previousChain = -1;
		return true;
	}

	// Blank lines and comments.
	return to == from || first == 35;
}

function openTable(from: usize, to: usize): bool {
	let which: u8 = 0;
	if (to - from == 3 && literal(from, 'nat')) {
		which = 1;
	} else if (to - from == 6 && literal(from, 'filter')) {
		which = 2;
	}

	if (currentTable != 0 || which == 0 || (tablesSeen & which) != 0) {
		return false;
	}

	tablesSeen |= which;
	currentTable = which;
	return true;
}

/** `:NAME POLICY [packets:bytes]`; hashed chains only as kube-proxy declares them, in the nat table. */
function declaration(from: usize, to: usize): bool {
	// kube-proxy's own, `:KUBE-SVC-` and 16 characters then ` - [0:0]`, is looked at whole; the rest word by word.
	let nameEnd = from + 25;
	let kind = to - from == 33 && load<u8>(nameEnd) == 32 ? hashedName(from, nameEnd) : 0;
	if (kind <= 0) {
		nameEnd = from;
		while (nameEnd < to && load<u8>(nameEnd) != 32) {
			nameEnd++;
		}

		kind = hashedName(from, nameEnd);
	}

	if (kind < 0) {
		return false;
	}

	if (kind > 0) {
		// ` - [0:0]` as one little-endian word.
		if (currentTable != 1 || to - nameEnd != 8 || load<u64>(nameEnd) != 0x5D303A305B202D20) {
			return false;
		}

		if (chainCount == chainLimit) {
			chains = moved(chains, <usize>chainLimit * chainSize, <usize>chainLimit * 2 * chainSize);
			chainLimit *= 2;
		}

		const slot = slotOf();
		if (load<i32>(slot, slotValue) != 0) {
			return false;
		}

		store<u64>(slot, keyHigh);
		store<u64>(slot, keyLow, 8);
		store<i32>(slot, chainCount + 1, slotValue);
		// The record's other fields start at 0 in fresh memory.
		const chain = chains + (<usize>chainCount * chainSize);
		store<u8>(chain, <u8>kind);
		store<i32>(chain, addString(from, nameEnd), 4);
		store<i32>(chain, -1, 8);
		if (kind == kindExt) {
			store<i32>(chain, -1, 12);
		}

		store<u32>(chain, <u32>from, 32);
		chainCount++;
		growTableIfHalfFull();

		return true;
	}

	// A plain chain: printable words, counters in brackets; not a name that looks like a Service chain's.
	if (nameEnd == from || looksHashed(from, nameEnd) || load<u8>(from) == 45 || !printable(from, nameEnd) || plainCount == plainLimit || findPlain(from, nameEnd - from) >= 0) {
		return false;
	}

	let at = nameEnd + 1;
	const policy = at;
	while (at < to && load<u8>(at) != 32) {
		at++;
	}

	if (at == policy || at >= to || !printable(policy, at) || load<u8>(at + 1) != 91 || load<u8>(to - 1) != 93) {
		return false;
	}

	const colon = digitsFrom(at + 2, to);
	if (colon == at + 2 || colon >= to || load<u8>(colon) != 58 || digitsFrom(colon + 1, to) != to - 1 || colon + 1 == to - 1) {
		return false;
	}

	const plain = plains + (<usize>plainCount * plainSize);
	store<u32>(plain, <u32>(from - input));
	store<u32>(plain, <u32>(nameEnd - from), 4);
	store<u8>(plain, currentTable, 8);
	store<u8>(plain, roleOf(from, nameEnd - from), 9);
	store<u8>(plain, 0, 10);
	plainCount++;
	return true;
}

function looksHashed(from: usize, to: usize): bool {
	if (to - from < 8 || !literal(from, 'KUBE-')) {
		return false;
	}

	return literal(from + 5, 'SVC-') || literal(from + 5, 'SVL-') || literal(from + 5, 'EXT-') || literal(from + 5, 'FW-') || literal(from + 5, 'XLB-');
}

function roleOf(name: usize, length: usize): u8 {
	const services = length == 13 && literal(name, 'KUBE-SERVICES');
	const nodePorts = length == 14 && literal(name, 'KUBE-NODEPORTS');
	if (currentTable == 2) {
		return services || nodePorts || (length == 22 && literal(name, 'KUBE-EXTERNAL-SERVICES')) ? roleMustBeEmpty : roleIgnored;
	}

	if (services) {
		return roleServices;
	}

	if (nodePorts) {
		return roleNodePorts;
	}

	return length == 14 && literal(name, 'KUBE-MARK-MASQ') ? roleMarkMasq : roleIgnored;
}

function findPlain(name: usize, length: usize): i32 {
	for (let index = 0; index < plainCount; index++) {
		const plain = plains + (<usize>index * plainSize);
		if (load<u32>(plain, 4) == <u32>length && load<u8>(plain, 8) == currentTable && sameBytes(input + <usize>load<u32>(plain), name, length)) {
			return index;
		}
	}

	return -1;
}

/** `-A CHAIN …` after the `-A `. */
function rule(from: usize, to: usize): bool {
	// Most rules continue the previous rule's chain.
	let chain = previousChain;
	let nameEnd = from + previousNameLength;
	if (chain < 0 || nameEnd >= to || load<u8>(nameEnd) != 32 || !sameBytes(from, previousName, previousNameLength)) {
		nameEnd = from;
		while (nameEnd < to && load<u8>(nameEnd) != 32) {
			nameEnd++;
		}

		if (nameEnd == from || nameEnd >= to) {
			return false;
		}

		chain = blockStart(from, nameEnd);
		if (chain < 0) {
			return false;
		}

		previousChain = chain;
		previousName = from;
		previousNameLength = nameEnd - from;
	}

	const body = nameEnd + 1;
	if ((chain & plainBit) != 0) {
		const plain = plains + (<usize>(chain & ~plainBit) * plainSize);
		const role = load<u8>(plain, 9);
		if (role == roleServices) {
			return servicesRule(body, to);
		}

		if (role == roleNodePorts) {
			return nodePortsRule(body, to);
		}

		if (role == roleMarkMasq) {
			return markRule(body, to);
		}

		return role == roleIgnored;
	}

	const record = chains + (<usize>chain * chainSize);
	const kind = load<u8>(record);
	if (kind == kindSep) {
		return endpointRule(record, body, to);
	}

	if (kind == kindSvc) {
		return serviceChainRule(record, body, to);
	}

	return externalRule(record, body, to);
}

/** The chain of a rule that starts a new block: its id (plainBit set for a plain one), -1 to give up. */
function blockStart(name: usize, nameEnd: usize): i32 {
	const kind = hashedName(name, nameEnd);
	if (kind < 0) {
		return -1;
	}

	if (kind > 0) {
		if (currentTable != 1) {
			return -1;
		}

		// iptables-save writes the blocks in declaration order: try the next one first.
		let id = lastBlock + 1;
		if (id >= chainCount || !sameName(chains + (<usize>id * chainSize), name)) {
			id = declared();
			if (id < 0) {
				return -1;
			}
		}

		const record = chains + (<usize>id * chainSize);
		if (load<u8>(record, 2) != 0) {
			return -1;
		}

		store<u8>(record, 1, 2);
		lastBlock = id;
		return id;
	}

	const index = findPlain(name, nameEnd - name);
	if (index < 0) {
		return -1;
	}

	const plain = plains + (<usize>index * plainSize);
	if (load<u8>(plain, 10) != 0) {
		return -1;
	}

	store<u8>(plain, 1, 10);
	return index | plainBit;
}

function sameName(record: usize, name: usize): bool {
	const declaredAt = <usize>load<u32>(record, 32);
	return load<u64>(declaredAt) == load<u64>(name) && load<u64>(declaredAt + 8) == load<u64>(name + 8) && load<u64>(declaredAt + 17) == load<u64>(name + 17);
}

// KUBE-SEP-: `-s IP/32 [comment] -j KUBE-MARK-MASQ` and `-p PROTO [comment] -m PROTO -j DNAT --to-destination IP:PORT`.
function endpointRule(record: usize, from: usize, to: usize): bool {
	let at = from;
	if (literal(at, '-s ')) {
		at = address(at + 3, to);
		if (at == 0 || !literal(at, '/32 ')) {
			return false;
		}

		at = optionalComment(at + 4, to);
		if (at == 0 || to - at != 17 || !literal(at, '-j KUBE-MARK-MASQ')) {
			return false;
		}

		store<u8>(record, 1, 1);
		return true;
	}

	if (!literal(at, '-p ') || load<u8>(record, 3) != 0) {
		return false;
	}

	const protocolStart = at + 3;
	at = protocol(protocolStart, to);
	if (at == 0 || load<u8>(at) != 32) {
		return false;
	}

	const protocolLength = at - protocolStart;
	at = optionalComment(at + 1, to);
	if (at == 0 || !literal(at, '-m ') || !sameBytes(at + 3, protocolStart, protocolLength)) {
		return false;
	}

	at += 3 + protocolLength;
	if (!literal(at, ' -j DNAT --to-destination ')) {
		return false;
	}

	const ipStart = at + 26;
	at = address(ipStart, to);
	if (at == 0 || load<u8>(at) != 58) {
		return false;
	}

	const port = number(at + 1, to);
	if (port < 0 || cursorAfterNumber != to) {
		return false;
	}

	store<u8>(record, 1, 3);
	store<i32>(record, addString(ipStart, at), 8);
	store<i32>(record, port, 12);
	return true;
}

// KUBE-SVC-: the cluster IP's mark `[! -s CIDR] -d IP/32 -p PROTO [comment] -m PROTO --dport N -j KUBE-MARK-MASQ`,
// and the jumps `[comment] [-m statistic --mode random --probability 0.DIGITS] -j KUBE-SEP-…`.
function serviceChainRule(record: usize, from: usize, to: usize): bool {
	let at = from;
	if (literal(at, '! -s ') || literal(at, '-d ')) {
		let source = -1;
		if (load<u8>(at) == 33) {
			const cidrStart = at + 5;
			at = cidr(cidrStart, to);
			if (at == 0 || load<u8>(at) != 32) {
				return false;
			}

			source = cidrString(cidrStart, at);
			at++;
		}

		at = destinationMatch(at, to);
		if (at == 0 || to - at != 17 || !literal(at, '-j KUBE-MARK-MASQ')) {
			return false;
		}

		return addMark(record, source);
	}

	at = optionalComment(at, to);
	if (at == 0) {
		return false;
	}

	let probability: f64 = -1;
	if (literal(at, '-m statistic --mode random --probability 0.')) {
		const digitsStart = at + 43;
		at = digitsFrom(digitsStart, to);
		const digits = <i32>(at - digitsStart);
		if (digits < 1 || digits > 15 || load<u8>(at) != 32) {
			return false;
		}

		// m / 10^k with both exact (under 2^53): correctly rounded, as Number() reads the text.
		let value: u64 = 0;
		for (let digit = digitsStart; digit < at; digit++) {
			value = (value * 10) + <u64>(load<u8>(digit) - 48);
		}

		probability = <f64>value / powerOfTen(digits);
		at++;
	}

	if (to - at != 28 || !literal(at, '-j ')) {
		return false;
	}

	const target = reference(at + 3, to, kindSep);
	if (target < 0) {
		return false;
	}

	if (jumpCount == jumpLimit) {
		jumps = moved(jumps, <usize>jumpLimit * jumpSize, <usize>jumpLimit * 2 * jumpSize);
		jumpLimit *= 2;
	}

	if (load<i32>(record, 20) == 0) {
		store<i32>(record, jumpCount, 16);
	}

	store<i32>(record, load<i32>(record, 20) + 1, 20);
	const jump = jumps + (<usize>jumpCount * jumpSize);
	store<f64>(jump, probability);
	store<i32>(jump, target, 8);
	store<i32>(jump, lineNumber, 12);
	jumpCount++;
	return true;
}

// KUBE-EXT- with policy Cluster: `[comment] -j KUBE-MARK-MASQ` and `-j KUBE-SVC-…`.
function externalRule(record: usize, from: usize, to: usize): bool {
	if (to - from == 28 && literal(from, '-j KUBE-SVC-')) {
		const next = reference(from + 3, to, kindSvc);
		if (next < 0) {
			return false;
		}

		// The first jump is the one taken.
		if (load<i32>(record, 12) < 0) {
			store<i32>(record, next, 12);
		}

		return true;
	}

	const at = optionalComment(from, to);
	return at != 0 && to - at == 17 && literal(at, '-j KUBE-MARK-MASQ') && addMark(record, -1);
}

// kube-proxy writes the same cluster CIDR in every Service's mark: one string for a run of them.
let lastCidr: usize = 0;
let lastCidrLength: usize = 0;
let lastCidrString: i32 = -1;

function cidrString(from: usize, to: usize): i32 {
	const length = to - from;
	if (lastCidrString < 0 || length != lastCidrLength || !sameBytes(from, lastCidr, length)) {
		lastCidr = from;
		lastCidrLength = length;
		lastCidrString = addString(from, to);
	}

	return lastCidrString;
}

function addMark(record: usize, source: i32): bool {
	if (markCount == markLimit) {
		marks = moved(marks, <usize>markLimit * markSize, <usize>markLimit * 2 * markSize);
		markLimit *= 2;
	}

	if (load<i32>(record, 28) == 0) {
		store<i32>(record, markCount, 24);
	}

	store<i32>(record, load<i32>(record, 28) + 1, 28);
	const mark = marks + (<usize>markCount * markSize);
	store<i32>(mark, lineNumber);
	store<i32>(mark, source, 4);
	markCount++;
	return true;
}

// KUBE-SERVICES: `-d IP/32 -p PROTO -m comment --comment "…" -m PROTO --dport N -j KUBE-SVC-…|KUBE-EXT-…`,
// and the last rule `[! -d CIDR] -m comment --comment "…" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`.
function servicesRule(from: usize, to: usize): bool {
	if (literal(from, '-d ')) {
		return serviceEntry(1, from, to);
	}

	let at = from;
	if (literal(at, '! -d ')) {
		at = cidr(at + 5, to);
		if (at == 0 || load<u8>(at) != 32) {
			return false;
		}

		at++;
	}

	if (!literal(at, '-m comment --comment ')) {
		return false;
	}

	at = quoted(at + 21, to);
	if (at == 0 || to - at != 47 || !literal(at, ' -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')) {
		return false;
	}

	return addEntry(3, -1, -1, 0, 0, 0, -1);
}

// KUBE-NODEPORTS: `-p PROTO -m comment --comment "…" -m PROTO --dport N -j KUBE-EXT-…`.
function nodePortsRule(from: usize, to: usize): bool {
	return literal(from, '-p ') && serviceEntry(2, from, to);
}

function serviceEntry(chain: i32, from: usize, to: usize): bool {
	let at = from;
	let destination = -1;
	if (chain == 1) {
		const ipStart = at + 3;
		at = address(ipStart, to);
		if (at == 0 || !literal(at, '/32 ')) {
			return false;
		}

		destination = addString(ipStart, at);
		at += 4;
	}

	if (!literal(at, '-p ')) {
		return false;
	}

	const protocolStart = at + 3;
	at = protocol(protocolStart, to);
	if (at == 0 || !literal(at, ' -m comment --comment ')) {
		return false;
	}

	const protocolLength = at - protocolStart;
	const commentStart = at + 23;
	at = quoted(at + 22, to);
	if (at == 0 || load<u8>(at) != 32 || !literal(at + 1, '-m ') || !sameBytes(at + 4, protocolStart, protocolLength)) {
		return false;
	}

	const commentEnd = at - 1;
	at += 4 + protocolLength;
	if (!literal(at, ' --dport ')) {
		return false;
	}

	const port = number(at + 9, to);
	at = cursorAfterNumber;
	if (port < 0 || to - at != 29 || !literal(at, ' -j KUBE-')) {
		return false;
	}

	const kind = hashedName(at + 4, to);
	if (kind != kindSvc && kind != kindExt) {
		return false;
	}

	if (chain == 2 && kind != kindExt) {
		return false;
	}

	const target = declared();
	if (target < 0) {
		return false;
	}

	// The flow: the same characters under no chain kind, in the chains' table.
	keyHigh &= ~kindBits;
	const slot = slotOf();
	let flow = load<i32>(slot, slotValue) - 1;
	if (flow < 0) {
		flow = flowCount++;
		store<u64>(slot, keyHigh);
		store<u64>(slot, keyLow, 8);
		store<i32>(slot, flow + 1, slotValue);
		// Last: growing the table rehashes with keyHigh/keyLow.
		growTableIfHalfFull();
	}

	const code = load<u8>(protocolStart);
	return addEntry(chain | ((code == 116 ? 1 : (code == 117 ? 2 : 3)) << 8), flow, destination, port, commentStart, commentEnd, target);
}

function addEntry(ruleAndProtocol: i32, flow: i32, destination: i32, port: i32, commentStart: usize, commentEnd: usize, target: i32): bool {
	if (entryCount == entryLimit) {
		entries = moved(entries, <usize>entryLimit * entrySize, <usize>entryLimit * 2 * entrySize);
		entryLimit *= 2;
	}

	const entry = entries + (<usize>entryCount * entrySize);
	store<i32>(entry, ruleAndProtocol);
	store<i32>(entry, flow, 4);
	store<i32>(entry, destination, 8);
	store<i32>(entry, port, 12);
	store<u32>(entry, <u32>commentStart, 16);
	store<u32>(entry, <u32>commentEnd, 20);
	store<i32>(entry, target, 24);
	store<i32>(entry, lineNumber, 28);
	entryCount++;
	return true;
}

// KUBE-MARK-MASQ: `-j MARK --set-xmark VALUE[/MASK]` or `-j MARK --or-mark VALUE`; the first one is the mark.
function markRule(from: usize, to: usize): bool {
	let at = from;
	if (literal(at, '-j MARK --set-xmark ')) {
		at += 20;
	} else if (literal(at, '-j MARK --or-mark ')) {
		at += 18;
	} else {
		return false;
	}

	const orMark = load<u8>(from + 10) == 111;
	const valueStart = at;
	while (at < to && isMarkCharacter(load<u8>(at))) {
		at++;
	}

	if (at == valueStart) {
		return false;
	}

	const valueEnd = at;
	if (at < to && load<u8>(at) == 47) {
		at++;
		const maskStart = at;
		while (at < to && isMarkCharacter(load<u8>(at))) {
			at++;
		}

		// A mask after --or-mark is not iptables-save's.
		if (at == maskStart || orMark) {
			return false;
		}
	}

	if (at != to) {
		return false;
	}

	if (masqueradeMark < 0) {
		masqueradeMark = addString(valueStart, valueEnd);
	}

	return true;
}

function isMarkCharacter(code: u8): bool {
	return (code >= 48 && code <= 57) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70) || code == 120;
}

/** `-d IP/32 -p PROTO [comment] -m PROTO --dport N ` at `from`; where the next word starts, 0 when not. */
function destinationMatch(from: usize, to: usize): usize {
	if (!literal(from, '-d ')) {
		return 0;
	}

	let at = address(from + 3, to);
	if (at == 0 || !literal(at, '/32 -p ')) {
		return 0;
	}

	const protocolStart = at + 7;
	at = protocol(protocolStart, to);
	if (at == 0 || load<u8>(at) != 32) {
		return 0;
	}

	const protocolLength = at - protocolStart;
	at = optionalComment(at + 1, to);
	if (at == 0 || !literal(at, '-m ') || !sameBytes(at + 3, protocolStart, protocolLength)) {
		return 0;
	}

	at += 3 + protocolLength;
	if (!literal(at, ' --dport ')) {
		return 0;
	}

	const port = number(at + 9, to);
	at = cursorAfterNumber;
	return port < 0 || load<u8>(at) != 32 ? 0 : at + 1;
}

/** `-m comment --comment "…" ` or nothing at `from`: where the next word starts, 0 when malformed. */
function optionalComment(from: usize, to: usize): usize {
	if (!literal(from, '-m comment --comment ')) {
		return from;
	}

	const at = quoted(from + 21, to);
	return at == 0 || load<u8>(at) != 32 ? 0 : at + 1;
}

const quotes = i8x16.splat(34);
const controls = i8x16.splat(32);

/**
 * A `"…"` comment at `from` with no quote, backslash, control or non-ASCII byte inside: the
 * position after it, 0 when not. Sixteen bytes at a time; a line's end is a control byte.
 */
function quoted(from: usize, to: usize): usize {
	if (load<u8>(from) != 34) {
		return 0;
	}

	let at = from + 1;
	for (; at + 16 <= end; at += 16) {
		const bytes = v128.load(at);
		const quote = i8x16.bitmask(i8x16.eq(bytes, quotes));
		// Signed: bytes of 128 and up are negative, so "under 32" also catches them.
		const odd = i8x16.bitmask(v128.or(i8x16.lt_s(bytes, controls), i8x16.eq(bytes, backslashes)));
		if (quote != 0) {
			const offset = ctz(quote);
			return (odd & ((1 << offset) - 1)) != 0 || at + <usize>offset >= to ? 0 : at + <usize>offset + 1;
		}

		if (odd != 0) {
			return 0;
		}
	}

	for (; at < to; at++) {
		const code = load<u8>(at);
		if (code == 34) {
			return at + 1;
		}

		if (code == 92 || code >= 128 || code < 32) {
			return 0;
		}
	}

	return 0;
}

/** tcp, udp or sctp at `from`: the position after it, 0 when none. */
function protocol(from: usize, to: usize): usize {
	if (literal(from, 'tcp') || literal(from, 'udp')) {
		return from + 3 <= to ? from + 3 : 0;
	}

	return literal(from, 'sctp') && from + 4 <= to ? from + 4 : 0;
}

/** A dotted IPv4 address (digits and dots, 7 to 15 characters): the position after it, 0 when none. */
function address(from: usize, to: usize): usize {
	let at = from;
	let dots = 0;
	while (at < to) {
		const code = load<u8>(at);
		if (code == 46) {
			dots++;
		} else if (code < 48 || code > 57) {
			break;
		}

		at++;
	}

	return dots == 3 && at - from >= 7 && at - from <= 15 ? at : 0;
}

/** An IPv4 address with a prefix length (`10.244.0.0/16`): the position after it, 0 when none. */
function cidr(from: usize, to: usize): usize {
	const at = address(from, to);
	if (at == 0 || at >= to || load<u8>(at) != 47) {
		return 0;
	}

	const after = digitsFrom(at + 1, to);
	return after == at + 1 || after - at > 3 ? 0 : after;
}

let cursorAfterNumber: usize = 0;

/** A port (1 to 5 digits, at most 65535) at `from`, -1 when none; cursorAfterNumber is where it ends. */
function number(from: usize, to: usize): i32 {
	const after = digitsFrom(from, to);
	cursorAfterNumber = after;
	if (after == from || after - from > 5) {
		return -1;
	}


	let value = 0;
	for (let at = from; at < after; at++) {
		value = (value * 10) + <i32>(load<u8>(at) - 48);
	}

	return value > 65535 ? -1 : value;
}

function digitsFrom(from: usize, to: usize): usize {
	let at = from;
	while (at < to) {
		const code = load<u8>(at);
		if (code < 48 || code > 57) {
			break;
		}

		at++;
	}

	return at;
}

/** A jump target at `from` that must be a declared hashed chain of `kind` ending the line: its id, -1 when not. */
function reference(from: usize, to: usize, kind: u8): i32 {
	return to - from == 25 && hashedName(from, to) == <i32>kind ? declared() : -1;
}

/**
 * The kind of the chain named [from, to): a hashed kind (setting keyHigh/keyLow), 0 for a plain
 * chain, -1 for a name the JavaScript decoders must read (KUBE-SVL-, KUBE-FW-, KUBE-XLB-,
 * KUBE-MARK-DROP, or a KUBE-SVC-/SEP-/EXT- name that is not 16 base32 characters).
 */
function hashedName(from: usize, to: usize): i32 {
	const length = to - from;
	// `KUBE` and `-`, then the kind and its dash, read as whole words.
	if (length < 9 || load<u32>(from) != 0x4542554B || load<u8>(from + 4) != 45) {
		return 0;
	}

	const word = load<u32>(from + 5);
	let kind = 0;
	if (word == 0x2D435653) {
		kind = kindSvc;
	} else if (word == 0x2D504553) {
		kind = kindSep;
	} else if (word == 0x2D545845) {
		kind = kindExt;
	} else if (word == 0x2D4C5653 || word == 0x2D424C58 || (word & 0xFFFFFF) == 0x2D5746 || literal(from + 5, 'MARK-DROP')) {
		// KUBE-SVL-, KUBE-XLB-, KUBE-FW-, KUBE-MARK-DROP.
		return -1;
	} else {
		return 0;
	}

	if (length != 25) {
		return -1;
	}

	// 16 base32 characters (A-Z, 2-7), checked together.
	const name = v128.load(from + 9);
	const letters = v128.and(i8x16.ge_u(name, letterA), i8x16.le_u(name, letterZ));
	const digits = v128.and(i8x16.ge_u(name, digit2), i8x16.le_u(name, digit7));
	if (!i8x16.all_true(v128.or(letters, digits))) {
		return -1;
	}

	// The characters themselves are the key; the kind goes in two of their top bits (ASCII leaves them 0).
	keyHigh = load<u64>(from + 9) | (<u64>(kind & 1) << 63) | (<u64>(kind >> 1) << 55);
	keyLow = load<u64>(from + 17);
	return kind;
}


function growTableIfHalfFull(): void {
	if (<u32>(chainCount + flowCount) * 2 > tableMask) {
		newTable(ctz(tableMask + 1) + 1);
	}
}

/** A table of 2^bits slots holding the chains (and flows) so far. */
function newTable(bits: u32): void {
	const oldTable = table;
	const oldSlots: u32 = table == 0 ? 0 : tableMask + 1;
	tableMask = (1 << bits) - 1;
	table = allocate(<usize>(1 << bits) * slotSize);
	for (let index: u32 = 0; index < oldSlots; index++) {
		const from = oldTable + (<usize>index * slotSize);
		if (load<i32>(from, slotValue) != 0) {
			keyHigh = load<u64>(from);
			keyLow = load<u64>(from, 8);
			memory.copy(slotOf(), from, slotSize);
		}
	}
}

/** Slot of the key in keyHigh/keyLow, or of the empty slot where it would go. */
function slotOf(): usize {
	let mixed = (keyHigh * 0x9E3779B97F4A7C15) ^ keyLow;
	mixed = (mixed ^ (mixed >> 29)) * 0xBF58476D1CE4E5B9;
	let slot = <u32>(mixed >> 32) & tableMask;
	for (;;) {
		const at = table + (<usize>slot * slotSize);
		if (load<i32>(at, slotValue) == 0 || (load<u64>(at) == keyHigh && load<u64>(at, 8) == keyLow)) {
			return at;
		}

		slot = (slot + 1) & tableMask;
	}

	return 0;
}

/** Id of the declared hashed chain in keyHigh/keyLow (its kind is part of the key), -1 when none. */
function declared(): i32 {
	return load<i32>(slotOf(), slotValue) - 1;
}

function addString(from: usize, to: usize): i32 {
	const length = to - from;
	if (stringsEnd + length + 1 > strings + stringLimit) {
		const used = stringsEnd - strings;
		stringLimit = (stringLimit + length + 1) * 2;
		strings = moved(strings, used, stringLimit);
		stringsEnd = strings + used;
	}

	memory.copy(stringsEnd, from, length);
	store<u8>(stringsEnd + length, 10);
	stringsEnd += length + 1;
	return stringCount++;
}

function printable(from: usize, to: usize): bool {
	for (let at = from; at < to; at++) {
		const code = load<u8>(at);
		if (code < 33 || code > 126) {
			return false;
		}
	}

	return true;
}

/** Whether the dump holds `text` (ASCII) at `at`: eight characters at a time, against the string's UTF-16. */
function literal(at: usize, text: string): bool {
	const length = <usize>text.length;
	if (at + length > end) {
		return false;
	}

	const characters = changetype<usize>(text);
	let index: usize = 0;
	for (; index + 8 <= length; index += 8) {
		if (!i16x8.all_true(i16x8.eq(v128.load8x8_u(at + index), v128.load(characters + (index << 1))))) {
			return false;
		}
	}

	for (; index < length; index++) {
		if (<u32>load<u8>(at + index) != <u32>load<u16>(characters + (index << 1))) {
			return false;
		}
	}

	return true;
}

/** Whether `length` bytes at `left` and `right` are the same. */
function sameBytes(left: usize, right: usize, length: usize): bool {
	let index: usize = 0;
	for (; index + 8 <= length; index += 8) {
		if (load<u64>(left + index) != load<u64>(right + index)) {
			return false;
		}
	}

	for (; index < length; index++) {
		if (load<u8>(left + index) != load<u8>(right + index)) {
			return false;
		}
	}

	return true;
}

function powerOfTen(digits: i32): f64 {
	let value: f64 = 1;
	for (let index = 0; index < digits; index++) {
		value *= 10;
	}

	return value;
}

export function failed(): i32 {
	return failedLine;
}

export function chainTable(): usize {
	return chains;
}

export function jumpTable(): usize {
	return jumps;
}

export function markTable(): usize {
	return marks;
}

export function entryTable(): usize {
	return entries;
}

export function flowTotal(): i32 {
	return flowCount;
}

export function entryTotal(): i32 {
	return entryCount;
}

export function stringTable(): usize {
	return strings;
}

export function stringTableEnd(): usize {
	return stringsEnd;
}

export function mark(): i32 {
	return masqueradeMark;
}
