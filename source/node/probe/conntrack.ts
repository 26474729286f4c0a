import {spawn, execFile, type ChildProcess} from 'node:child_process';
import net from 'node:net';
import {parseConntrackLine} from '../../core/probe/conntrack-line.js';

export type Endpoint = {readonly ip: string; readonly port: number};

/** Finds a probe's own conntrack entry by its source port; the reply source is the endpoint after DNAT. */
export type ConntrackLookup = {
	/**
	 * The entry when its NEW event is already in (the usual case: the event comes with the SYN,
	 * long before the answer): no promise and no timer. `since` (performance.now() when the probe
	 * started) rules out an older flow that used the same port.
	 */
	known(protocol: 'tcp' | 'udp', sourcePort: number, destination: Endpoint, since: number): Endpoint | undefined;
	/**
	 * For a probe whose event is not in yet: calls `onReply` once, when the event comes, or after
	 * `waitMs` with what a filtered listing says (undefined when neither has it). No promise and no
	 * timer per probe: one sweep serves every waiting probe.
	 */
	wait(protocol: 'tcp' | 'udp', sourcePort: number, destination: Endpoint, since: number, onReply: (endpoint: Endpoint | undefined) => void): void;
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
	/** Give up after this many probes in a row found no entry at all. */
	readonly maxMisses?: number;
};

/** Entries remembered from the event stream; the oldest are dropped beyond this. */
const maxRemembered = 8192;

/** Listings (a conntrack process each) running at once at most. */
const maxListings = 4;

/** Probes waiting for their entry at most; one beyond them stays unattributed (never guessed). */
const maxWaiters = 4096;

type Seen = {readonly reply: Endpoint; readonly at: number};

type Waiter = {
	readonly protocol: 'tcp' | 'udp';
	readonly sourcePort: number;
	readonly destination: Endpoint;
	readonly deadline: number;
	readonly onReply: (endpoint: Endpoint | undefined) => void;
};

function keyOf(protocol: string, sourcePort: number, destinationIp: string, destinationPort: number): string {
	return `${protocol} ${sourcePort} ${destinationIp} ${destinationPort}`;
}

/** The arguments of one event stream: NEW flows only, narrowed to the probes' destination where it is one. */
function eventArgs(protocol: 'tcp' | 'udp', options: ConntrackOptions): string[] {
	const args = ['-E', '-e', 'NEW', '-p', protocol];
	if (options.destinationAddress !== undefined && net.isIPv4(options.destinationAddress)) {
		args.push('--orig-dst', options.destinationAddress);
	}

	if (options.destinationPort !== undefined) {
		args.push('--orig-port-dst', String(options.destinationPort));
	}

	return args;
}

/** Calls `onLine` for each complete line of a byte stream (latin1: conntrack prints ASCII). */
function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
	let rest = '';
	stream.on('data', (chunk: Buffer) => {
		const text = rest + chunk.toString('latin1');
		let start = 0;
		let newline = text.indexOf('\n');
		while (newline !== -1) {
			onLine(text.slice(start, newline));
			start = newline + 1;
			newline = text.indexOf('\n', start);
		}

		rest = start === 0 ? text : text.slice(start);
	});
}

/**
 * Watches `conntrack -E -e NEW` (one long-lived process per protocol, filtered to the probes'
 * destination) and remembers each new flow by source port and original destination. A probe
 * takes its entry from there; if the event has not come yet it waits for it, and if none comes in
 * `waitMs` it asks `conntrack -L --orig-port-src N --orig-dst IP`: a filtered listing, never a
 * full table scan per probe. Runs in the current network namespace.
 */
export function startConntrackLookup(options: ConntrackOptions): ConntrackLookup {
	const command = options.command ?? 'conntrack';
	const waitMs = options.waitMs ?? 250;
	const maxMisses = options.maxMisses ?? 5;
	const seen = new Map<string, Seen>();
	const waiters = new Map<string, Waiter>();
	let sweep: NodeJS.Timeout | undefined;
	const children: ChildProcess[] = [];
	// Event streams still running: once none is, a waiting probe asks a listing at once.
	let streams = 0;
	let listings = 0;
	let active = true;
	let misses = 0;
	let everFound = false;

	const remember = (line: string) => {
		const entry = parseConntrackLine(line);
		if (!entry) {
			return;
		}

		const key = keyOf(entry.protocol, entry.original.sport, entry.original.dst, entry.original.dport);
		const reply = {ip: entry.reply.src, port: entry.reply.sport};
		const waiter = waiters.get(key);
		if (waiter) {
			waiters.delete(key);
			waiter.onReply(found(reply));
			return;
		}

		seen.delete(key);
		seen.set(key, {reply, at: performance.now()});
		if (seen.size > maxRemembered) {
			seen.delete(seen.keys().next().value!);
		}
	};

	for (const protocol of options.protocols) {
		let child: ChildProcess;
		try {
			child = spawn(command, eventArgs(protocol, options), {stdio: ['ignore', 'pipe', 'ignore']});
		} catch {
			active = false;
			continue;
		}

		child.once('error', () => {
			// ENOENT or EACCES: no conntrack here. Listings would fail the same way.
			active = false;
		});
		children.push(child);
		streams++;
		child.once('exit', () => {
			streams--;
		});
		eachLine(child.stdout!, remember);
	}

	const list = (protocol: 'tcp' | 'udp', sourcePort: number, destination: Endpoint) => new Promise<Endpoint | undefined>(resolve => {
		const args = ['-L', '-p', protocol, '--orig-port-src', String(sourcePort), '--orig-dst', destination.ip];
		execFile(command, args, {timeout: 2000}, (error, stdout) => {
			if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
				active = false;
			}

			for (const line of String(stdout ?? '').split('\n')) {
				const entry = parseConntrackLine(line);
				if (entry && entry.original.sport === sourcePort && entry.original.dport === destination.port) {
					resolve({ip: entry.reply.src, port: entry.reply.sport});
					return;
				}
			}

			resolve(undefined);
		});
	});

	const found = (endpoint: Endpoint | undefined) => {
		if (endpoint) {
			misses = 0;
			everFound = true;
		} else if (++misses >= maxMisses && !everFound) {
			// Nothing in a row from the start: this is not a node (or conntrack is off). Stop paying for lookups.
			active = false;
		}

		return endpoint;
	};

	// Waiters past their deadline ask a listing; the sweep runs only while someone waits.
	const sweepWaiters = () => {
		const now = performance.now();
		for (const [key, waiter] of waiters) {
			if (waiter.deadline > now && streams > 0) {
				continue;
			}

			if (listings >= maxListings) {
				// The rest wait for a later sweep (their events may still come): a few processes at a time.
				break;
			}

			waiters.delete(key);
			listings++;
			void list(waiter.protocol, waiter.sourcePort, waiter.destination).then(endpoint => {
				listings--;
				waiter.onReply(found(endpoint));
			});
		}

		if (waiters.size === 0) {
			clearInterval(sweep);
			sweep = undefined;
		}
	};

	const take = (key: string, since: number): Endpoint | undefined => {
		const entry = seen.get(key);
		if (entry === undefined) {
			return undefined;
		}

		// Taken once; an entry older than the probe is another flow's and is dropped.
		seen.delete(key);
		return entry.at >= since ? found(entry.reply) : undefined;
	};

	return {
		get active() {
			return active;
		},
		known(protocol, sourcePort, destination, since) {
			return active ? take(keyOf(protocol, sourcePort, destination.ip, destination.port), since) : undefined;
		},
		wait(protocol, sourcePort, destination, since, onReply) {
			if (!active) {
				onReply(undefined);
				return;
			}

			const key = keyOf(protocol, sourcePort, destination.ip, destination.port);
			const reply = take(key, since);
			if (reply) {
				onReply(reply);
				return;
			}

			waiters.get(key)?.onReply(undefined);
			if (waiters.size >= maxWaiters) {
				onReply(found(undefined));
				return;
			}

			waiters.set(key, {protocol, sourcePort, destination, deadline: performance.now() + waitMs, onReply});
			sweep ??= setInterval(sweepWaiters, Math.max(5, Math.min(50, waitMs / 5)));
		},
		close() {
			active = false;
			for (const child of children) {
				child.kill();
			}

			clearInterval(sweep);
			sweep = undefined;
			seen.clear();
			for (const waiter of waiters.values()) {
				waiter.onReply(undefined);
			}

			waiters.clear();
		},
	};
}
