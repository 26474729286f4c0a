import {spawn, execFile, type ChildProcess} from 'node:child_process';
import {closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {ConntrackSpans, parseConntrackLine, scanConntrackLine} from '../../core/probe/conntrack-line.js';
import {FlowKeys, ipv4NumberAt, type FlowKey, type FlowSource} from '../../core/probe/flow-key.js';

export type Endpoint = {readonly ip: string; readonly port: number};

/** Finds a probe's own conntrack entry by its source address and port; the reply source is the endpoint after DNAT. */
export type ConntrackLookup = {
	/**
	 * The entry when its NEW event is already in (the usual case: the event comes with the SYN,
	 * long before the answer): no promise and no timer. `since` (performance.now() when the probe
	 * started) rules out an older flow that used the same port.
	 */
	known(protocol: 'tcp' | 'udp', source: FlowSource, destination: Endpoint, since: number): Endpoint | undefined;
	/**
	 * For a probe whose event is not in yet: calls `onReply` once, when the event comes, or after
	 * `waitMs` with what a filtered listing says (undefined when neither has it). No promise and no
	 * timer per probe: one sweep serves every waiting probe.
	 */
	wait(protocol: 'tcp' | 'udp', source: FlowSource, destination: Endpoint, since: number, onReply: (endpoint: Endpoint | undefined) => void): void;
	/** Reads what conntrack reported until now; an entry is stamped with the time it was read. */
	readNow(): void;
	/**
	 * Called as a probe is about to start, before it takes its start time (`since`): what conntrack
	 * reported until then is read now, so it is stamped older than the probe and not taken for its
	 * entry. Skipped when the last read was a moment ago (a fast loop reads once per lookup, not once
	 * more per probe): a flow would have to start, end and free its source port within that moment
	 * to be taken for this one.
	 */
	beforeProbe(): void;
	/**
	 * Resolves once the event streams listen (a flow before that has no event and costs a listing),
	 * or once they ended or `readyMs` passed. Absent: ready from the start.
	 */
	readonly ready?: Promise<void>;
	/** False once conntrack proved useless here (missing tool, no entries); lookups then return at once. */
	readonly active: boolean;
	close(): void;
};

export type ConntrackOptions = {
	readonly protocols: ReadonlyArray<'tcp' | 'udp'>;
	/** Filter the event stream to this destination port when all targets share it. */
	readonly destinationPort?: number;
	/** Filter the event stream to this destination address (IPv4) when all targets share it: the kernel drops the rest. */
	readonly destinationAddress?: string;
	/** The conntrack executable (tests point it elsewhere). */
	readonly command?: string;
	/**
	 * How long to wait for the NEW event before asking with a filtered listing (a process each):
	 * on a busy machine the reader may lag, and a wait only delays the record, not the next probe.
	 */
	readonly waitMs?: number;
	/** How long `ready` waits for the event streams to listen at most. */
	readonly readyMs?: number;
	/** Give up after this many probes in a row found no entry at all. */
	readonly maxMisses?: number;
};

/**
 * The netlink socket buffer asked of `conntrack -E`. conntrack 1.4.7 sets it on a socket other than
 * the one events arrive on (`ss -A netlink -m` shows that one at the system's default, 212,992 bytes,
 * about 160 events): a reader more than that far behind loses events, and those probes ask a listing.
 */
const eventBufferBytes = 4 * 1024 * 1024;

/** Entries remembered from the event stream; the oldest are dropped beyond this. */
const maxRemembered = 8192;

/** Listings (a conntrack process each) running at once at most. */
const maxListings = 4;

/** How often the events are read while a probe waits for its entry (a read costs one system call). */
const sweepMs = 5;

/** How often the events are read without any probe asking, so the event file stays small. */
const drainMs = 1000;

/** Probes waiting for their entry at most; one beyond them stays unattributed (never guessed). */
const maxWaiters = 4096;

/**
 * How long a probe waits for its event while the reader has events it has not taken (it is behind,
 * not losing them) before asking a listing anyway.
 */
const maxReaderLagMs = 5000;

/** How recent a read makes `beforeProbe` skip its own. */
const freshReadMs = 2;

/** Reply endpoints remembered so that each event does not make a new one (pods are few). */
const maxReplies = 1024;

type Seen = {readonly reply: Endpoint; readonly at: number};

type Waiter = {
	readonly protocol: 'tcp' | 'udp';
	readonly source: FlowSource;
	readonly destination: Endpoint;
	/** When the wait began: `waitMs` later the event is late, `maxReaderLagMs` later a listing is asked even while the reader is behind. */
	readonly since: number;
	readonly onReply: (endpoint: Endpoint | undefined) => void;
};

/** The arguments of one event stream: NEW flows only, narrowed to the probes' destination where it is one. */
export function eventArgs(protocol: 'tcp' | 'udp', options: ConntrackOptions): string[] {
	// Where conntrack applies the buffer size to the event socket, a reader held up on a busy machine falls behind rather than losing events.
	const args = ['-E', '-e', 'NEW', '-p', protocol, '--buffer-size', String(eventBufferBytes)];
	if (options.destinationAddress !== undefined && net.isIPv4(options.destinationAddress)) {
		args.push('--orig-dst', options.destinationAddress);
	}

	if (options.destinationPort !== undefined) {
		args.push('--orig-port-dst', String(options.destinationPort));
	}

	return args;
}

/**
 * Runs `"$@"` (conntrack -E) in place of the shell (same pid), with a watcher that kills it once its
 * stdin, a pipe only we hold, ends: when we close, exit or die. Writing into a file, conntrack would
 * never learn that its reader is gone and would run on, filling memory. A background job's stdin is
 * /dev/null in a shell without job control, so the pipe goes to it as fd 3.
 */
const outlivesNoParent = 'exec 3<&0; (read _ <&3; kill "$$" 2>/dev/null) & exec "$@" 3<&-';

/** Where every event file is read into: each read is scanned before the next one. */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

/** An event file is emptied once it has grown past this and everything in it was read. */
const truncateAt = 1024 * 1024;

/**
 * The file `conntrack -E` writes its lines into (appending), read when a probe needs its entry:
 * no pipe, so no wake-up, stream chunk or string per event. It is unlinked at once (nothing is
 * left behind) and emptied once read past `truncateAt`; a line appended between the last read
 * and that truncation is lost, and its probe asks a listing as for any event that did not come.
 */
class EventFile {
	private offset = 0;

	private constructor(private readonly fd: number) {}

	/**
	 * The file, and a descriptor of it for the child to append to (the caller closes it once the child
	 * has it). In memory (/dev/shm) where there is one: on a disk file system every line would also
	 * update the journal, which costs conntrack as much again per event.
	 */
	static open(): {file: EventFile; childFd: number} {
		let lastError: unknown;
		for (const parent of ['/dev/shm', os.tmpdir()]) {
			try {
				return EventFile.openIn(parent);
			} catch (error) {
				lastError = error;
			}
		}

		throw lastError;
	}

	private static openIn(parent: string): {file: EventFile; childFd: number} {
		const dir = mkdtempSync(path.join(parent, 'svctop-conntrack-'));
		const file = path.join(dir, 'events');
		try {
			const childFd = openSync(file, 'a', 0o600);
			try {
				return {file: new EventFile(openSync(file, 'r+')), childFd};
			} catch (error) {
				closeSync(childFd);
				throw error;
			}
		} finally {
			rmSync(dir, {recursive: true, force: true});
		}
	}

	/** Calls `onLine` for each complete line appended since the last read; a partial last line waits for the next. */
	read(onLine: (bytes: Buffer, start: number, end: number) => void): void {
		for (;;) {
			const length = readSync(this.fd, readBuffer, 0, readBuffer.length, this.offset);
			let start = 0;
			let newline = readBuffer.indexOf(10, 0);
			while (newline !== -1 && newline < length) {
				onLine(readBuffer, start, newline);
				start = newline + 1;
				newline = start < length ? readBuffer.indexOf(10, start) : -1;
			}

			// A buffer full without a line end is no conntrack line: skipped rather than read forever.
			this.offset += start === 0 && length === readBuffer.length ? length : start;
			if (length < readBuffer.length) {
				if (start === length && this.offset >= truncateAt) {
					ftruncateSync(this.fd, 0);
					this.offset = 0;
				}

				return;
			}
		}
	}

	close(): void {
		closeSync(this.fd);
	}
}

/** The socket inodes a process holds (`socket:[N]` links in /proc/PID/fd); empty when it is gone. */
function socketInodes(pid: number): Set<string> {
	const inodes = new Set<string>();
	let fds: string[];
	try {
		fds = readdirSync(`/proc/${pid}/fd`);
	} catch {
		return inodes;
	}

	for (const fd of fds) {
		try {
			const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
			if (link.startsWith('socket:[')) {
				inodes.add(link.slice(8, -1));
			}
		} catch {
			// Closed while we looked.
		}
	}

	return inodes;
}

/**
 * The netfilter netlink sockets (protocol 12) among `inodes` that joined an event group, from
 * /proc/self/net/netlink (this network namespace's sockets): how many, and the bytes of events
 * queued on them that their reader has not taken yet.
 */
function eventSockets(inodes: ReadonlySet<string>): {count: number; queuedBytes: number} {
	const found = {count: 0, queuedBytes: 0};
	let table: string;
	try {
		table = inodes.size === 0 ? '' : readFileSync('/proc/self/net/netlink', 'latin1');
	} catch {
		return found;
	}

	// sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
	for (const line of table.split('\n')) {
		const fields = line.trim().split(/\s+/);
		if (fields[1] === '12' && /^[\da-f]+$/.test(fields[3] ?? '') && Number.parseInt(fields[3]!, 16) !== 0 && inodes.has(fields[9] ?? '')) {
			found.count++;
			found.queuedBytes += Number(fields[4]) || 0;
		}
	}

	return found;
}

/** Whether process `pid` holds a netlink socket in conntrack's event groups: `conntrack -E` is listening. */
export function listensForEvents(pid: number): boolean {
	return eventSockets(socketInodes(pid)).count > 0;
}

/**
 * The event reader's niceness. It only has to keep up, not be first: at a lower priority a woken
 * reader no longer preempts the probe loop or the server answering it (or the node's own
 * workloads) and runs in their gaps, several events per wake-up. On a busy machine it may fall
 * behind; its events then wait in its socket, and probes wait for them (see readerBehind).
 */
const eventReaderNice = 10;

function lowerPriority(pid: number | undefined): void {
	try {
		if (pid !== undefined) {
			os.setPriority(pid, eventReaderNice);
		}
	} catch {
		// Gone already, or not allowed here: it runs at our priority.
	}
}

/** The state behind `startConntrackLookup`: event streams, entries seen, probes waiting, and whether conntrack still pays. */
class ConntrackWatcher implements ConntrackLookup {
	private readonly command: string;
	private readonly waitMs: number;
	private readonly maxMisses: number;
	private readonly keys = new FlowKeys();
	private readonly seen = new Map<FlowKey, Seen>();
	private readonly waiters = new Map<FlowKey, Waiter>();
	/** Reply endpoints by IPv4 address and port: one object per pod port, not one per event. */
	private readonly replies = new Map<number, Endpoint>();
	private lastRead = Number.NEGATIVE_INFINITY;
	private sweep: NodeJS.Timeout | undefined;
	private readonly drain: NodeJS.Timeout;
	private readonly children: ChildProcess[] = [];
	/** The event streams' netlink sockets, once found. */
	private readonly streamInodes = new Set<string>();
	private readonly files: EventFile[] = [];
	private readonly spans = new ConntrackSpans();
	private reading = false;
	// Event streams still running: once none is, a waiting probe asks a listing at once.
	private streams = 0;
	private listings = 0;
	private isActive = true;
	private misses = 0;
	private everFound = false;

	readonly ready: Promise<void>;

	constructor(private readonly options: ConntrackOptions) {
		this.command = options.command ?? 'conntrack';
		this.waitMs = options.waitMs ?? 250;
		this.maxMisses = options.maxMisses ?? 5;
		for (const protocol of options.protocols) {
			this.startEventStream(protocol);
		}

		this.ready = this.whenListening(options.readyMs ?? 500);
		// Between sparse probes (a long interval), other flows to the same address still add lines: read them now and then.
		this.drain = setInterval(() => {
			this.readNow();
		}, drainMs);
		this.drain.unref();
	}

	get active(): boolean {
		return this.isActive;
	}

	known(protocol: 'tcp' | 'udp', source: FlowSource, destination: Endpoint, since: number): Endpoint | undefined {
		if (!this.isActive) {
			return undefined;
		}

		const key = this.keys.ofProbe(protocol, source, destination.ip, destination.port);
		const entry = this.take(key, since);
		if (entry !== undefined) {
			return entry;
		}

		this.readNow();
		return this.take(key, since);
	}

	readNow(): void {
		// A waiting probe's callback that asks again reads nothing new: the read in progress has the shared buffer.
		if (this.reading) {
			return;
		}

		this.reading = true;
		// Every entry of this read gets the same stamp: one clock read per read, not per line.
		const at = performance.now();
		this.lastRead = at;
		try {
			for (const file of this.files) {
				file.read((bytes, start, end) => {
					this.remember(bytes, start, end, at);
				});
			}
		} finally {
			this.reading = false;
		}
	}

	beforeProbe(): void {
		if (performance.now() - this.lastRead > freshReadMs) {
			this.readNow();
		}
	}

	wait(protocol: 'tcp' | 'udp', source: FlowSource, destination: Endpoint, since: number, onReply: (endpoint: Endpoint | undefined) => void): void {
		if (!this.isActive) {
			onReply(undefined);
			return;
		}

		const key = this.keys.ofProbe(protocol, source, destination.ip, destination.port);
		const reply = this.take(key, since);
		if (reply) {
			onReply(reply);
			return;
		}

		// A probe still waiting on this flow's key is given up on; the new one goes last, in the order waits began.
		const previous = this.waiters.get(key);
		if (previous) {
			this.waiters.delete(key);
			previous.onReply(undefined);
		}

		if (this.waiters.size >= maxWaiters) {
			onReply(this.found(undefined));
			return;
		}

		this.waiters.set(key, {protocol, source, destination, since: performance.now(), onReply});
		this.sweep ??= setInterval(() => {
			this.sweepWaiters();
		}, sweepMs);
	}

	close(): void {
		this.isActive = false;
		for (const child of this.children) {
			child.stdin?.destroy();
			child.kill();
		}

		for (const file of this.files) {
			file.close();
		}

		this.files.length = 0;
		clearInterval(this.drain);
		clearInterval(this.sweep);
		this.sweep = undefined;
		this.seen.clear();
		for (const waiter of this.waiters.values()) {
			waiter.onReply(undefined);
		}

		this.waiters.clear();
	}

	/** Polls until every event stream listens, has ended, or `maxMs` passed; never rejects. */
	private async whenListening(maxMs: number): Promise<void> {
		const deadline = performance.now() + maxMs;
		const pending = new Set(this.children);
		for (const child of this.children) {
			child.once('exit', () => pending.delete(child));
		}

		while (this.isActive && pending.size > 0 && performance.now() < deadline) {
			for (const child of pending) {
				if (child.pid === undefined || listensForEvents(child.pid)) {
					pending.delete(child);
				}
			}

			if (pending.size > 0) {
				// eslint-disable-next-line no-await-in-loop -- polling a child that is starting.
				await new Promise(resolve => setTimeout(resolve, 2));
			}
		}
	}

	/** One long-lived `conntrack -E` per protocol, writing into an event file; a failure to start marks conntrack unusable. */
	private startEventStream(protocol: 'tcp' | 'udp'): void {
		let child: ChildProcess;
		let opened: ReturnType<typeof EventFile.open>;
		try {
			opened = EventFile.open();
		} catch {
			// No temporary directory to write to: no attribution by conntrack here.
			this.isActive = false;
			return;
		}

		try {
			child = spawn('sh', ['-c', outlivesNoParent, 'sh', this.command, ...eventArgs(protocol, this.options)], {stdio: ['pipe', opened.childFd, 'ignore']});
		} catch {
			opened.file.close();
			this.isActive = false;
			return;
		} finally {
			closeSync(opened.childFd);
		}

		this.files.push(opened.file);
		lowerPriority(child.pid);
		child.once('error', () => {
			// ENOENT or EACCES: no conntrack here. Listings would fail the same way.
			this.isActive = false;
		});
		this.children.push(child);
		this.streams++;
		child.once('exit', code => {
			this.streams--;
			if (code === 126 || code === 127) {
				// The shell could not run conntrack (not installed, not executable): listings would fail the same way.
				this.isActive = false;
			}
		});
	}

	/** A NEW event line read at `at`: hands it to the probe waiting for it, or keeps it for the probe still to ask. */
	private remember(bytes: Buffer, start: number, end: number, at: number): void {
		const {spans} = this;
		if (!scanConntrackLine(bytes, start, end, spans)) {
			return;
		}

		const key = this.keys.ofLine(bytes, spans);
		if (key === undefined) {
			return;
		}

		const {tuples} = spans;
		const reply = this.replyOf(bytes, tuples[6]!, tuples[7]!, tuples[10]!);
		const waiter = this.waiters.get(key);
		if (waiter) {
			this.waiters.delete(key);
			waiter.onReply(this.found(reply));
			return;
		}

		this.seen.delete(key);
		this.seen.set(key, {reply, at});
		if (this.seen.size > maxRemembered) {
			this.seen.delete(this.seen.keys().next().value!);
		}
	}

	/** The reply source (the endpoint after DNAT) at `bytes[start, end)`, the same object for the same IPv4 endpoint. */
	private replyOf(bytes: Buffer, start: number, end: number, port: number): Endpoint {
		const address = ipv4NumberAt(bytes, start, end);
		if (address === -1) {
			return {ip: bytes.toString('latin1', start, end), port};
		}

		const key = (address * 65_536) + port;
		let reply = this.replies.get(key);
		if (reply === undefined) {
			if (this.replies.size >= maxReplies) {
				this.replies.clear();
			}

			reply = Object.freeze({ip: bytes.toString('latin1', start, end), port});
			this.replies.set(key, reply);
		}

		return reply;
	}

	/** A filtered listing for one flow (a process): the fallback when its event did not come. */
	private list(protocol: 'tcp' | 'udp', source: FlowSource, destination: Endpoint): Promise<Endpoint | undefined> {
		return new Promise<Endpoint | undefined>(resolve => {
			const args = ['-L', '-p', protocol, '--orig-src', source.address, '--orig-port-src', String(source.port), '--orig-dst', destination.ip];
			execFile(this.command, args, {timeout: 2000}, (error, stdout) => {
				if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
					this.isActive = false;
				}

				for (const line of String(stdout ?? '').split('\n')) {
					const entry = parseConntrackLine(line);
					if (entry && entry.original.src === source.address && entry.original.sport === source.port && entry.original.dport === destination.port) {
						resolve({ip: entry.reply.src, port: entry.reply.sport});
						return;
					}
				}

				resolve(undefined);
			});
		});
	}

	/** Counts hits and misses: passes `endpoint` through. */
	private found(endpoint: Endpoint | undefined): Endpoint | undefined {
		if (endpoint) {
			this.misses = 0;
			this.everFound = true;
		} else if (++this.misses >= this.maxMisses && !this.everFound) {
			// Nothing in a row from the start: this is not a node (or conntrack is off). Stop paying for lookups.
			this.isActive = false;
		}

		return endpoint;
	}

	// Waiters past their deadline ask a listing; the sweep runs only while someone waits.
	private sweepWaiters(): void {
		this.readNow();
		const now = performance.now();
		let behind: boolean | undefined;
		// Waiters are in the order they began: the first one not due ends the sweep.
		for (const [key, waiter] of this.waiters) {
			if (this.streams > 0 && waiter.since + this.waitMs > now) {
				break;
			}

			// conntrack has events it has not read: this probe's is most likely among them, and a listing
			// for every probe of a lagging reader would be a process each on a machine already busy.
			if (this.streams > 0 && now < waiter.since + maxReaderLagMs && (behind ??= this.readerBehind())) {
				break;
			}

			if (this.listings >= maxListings) {
				// The rest wait for a later sweep (their events may still come): a few processes at a time.
				break;
			}

			this.waiters.delete(key);
			this.listings++;
			void this.list(waiter.protocol, waiter.source, waiter.destination).then(endpoint => {
				this.listings--;
				waiter.onReply(this.found(endpoint));
			});
		}

		if (this.waiters.size === 0) {
			clearInterval(this.sweep);
			this.sweep = undefined;
		}
	}

	/** Whether the event streams' sockets hold events conntrack has not read yet. */
	private readerBehind(): boolean {
		if (this.streamInodes.size === 0) {
			for (const child of this.children) {
				for (const inode of child.pid === undefined ? [] : socketInodes(child.pid)) {
					this.streamInodes.add(inode);
				}
			}
		}

		return eventSockets(this.streamInodes).queuedBytes > 0;
	}

	private take(key: FlowKey, since: number): Endpoint | undefined {
		const entry = this.seen.get(key);
		if (entry === undefined) {
			return undefined;
		}

		// Taken once; an entry older than the probe is another flow's and is dropped.
		this.seen.delete(key);
		return entry.at >= since ? this.found(entry.reply) : undefined;
	}
}

/**
 * Watches `conntrack -E -e NEW` (one long-lived process per protocol, filtered to the probes'
 * destination) and remembers each new flow by source port and original destination. A probe
 * takes its entry from there; if the event has not come yet it waits for it, and if none comes in
 * `waitMs` it asks `conntrack -L --orig-port-src N --orig-dst IP`: a filtered listing, never a
 * full table scan per probe. Runs in the current network namespace.
 */
export function startConntrackLookup(options: ConntrackOptions): ConntrackLookup {
	return new ConntrackWatcher(options);
}
