import {spawn, execFile, type ChildProcess} from 'node:child_process';
import {createInterface} from 'node:readline';
import {parseConntrackLine, type ConntrackEntry} from '../../core/probe/conntrack-line.js';

export type Endpoint = {readonly ip: string; readonly port: number};

/** Finds a probe's own conntrack entry by its source port; the reply source is the endpoint after DNAT. */
export type ConntrackLookup = {
	/** `since` (performance.now() when the probe started) rules out an older flow that used the same port. */
	find(protocol: 'tcp' | 'udp', sourcePort: number, destination: Endpoint, since: number): Promise<Endpoint | undefined>;
	/** False once conntrack proved useless here (missing tool, no entries); lookups then return at once. */
	readonly active: boolean;
	close(): void;
};

export type ConntrackOptions = {
	readonly protocols: ReadonlyArray<'tcp' | 'udp'>;
	/** Filter the event stream to this destination port when all targets share it. */
	readonly destinationPort?: number;
	/** The conntrack executable (tests point it elsewhere). */
	readonly command?: string;
	/** How long to wait for the NEW event before asking with a filtered listing. */
	readonly waitMs?: number;
	/** Give up after this many probes in a row found no entry at all. */
	readonly maxMisses?: number;
};

/** Entries remembered from the event stream; the oldest are dropped beyond this. */
const maxRemembered = 8192;

function keyOf(protocol: string, sourcePort: number, destination: Endpoint): string {
	return `${protocol} ${sourcePort} ${destination.ip} ${destination.port}`;
}

/**
 * Watches `conntrack -E -e NEW` (one process per protocol) and remembers each new flow by source
 * port and original destination. A probe's lookup takes its entry from there, waiting briefly for
 * the event; if none comes it asks `conntrack -L --orig-port-src N --orig-dst IP`: a filtered
 * listing, never a full table scan per probe. Runs in the current network namespace.
 */
export function startConntrackLookup(options: ConntrackOptions): ConntrackLookup {
	const command = options.command ?? 'conntrack';
	const waitMs = options.waitMs ?? 50;
	const maxMisses = options.maxMisses ?? 5;
	const seen = new Map<string, {reply: Endpoint; at: number}>();
	const waiters = new Map<string, (endpoint: Endpoint) => void>();
	const children: ChildProcess[] = [];
	let active = true;
	let misses = 0;
	let everFound = false;

	const remember = (entry: ConntrackEntry) => {
		const key = keyOf(entry.protocol, entry.original.sport, {ip: entry.original.dst, port: entry.original.dport});
		const reply = {ip: entry.reply.src, port: entry.reply.sport};
		const waiter = waiters.get(key);
		if (waiter) {
			waiters.delete(key);
			waiter(reply);
			return;
		}

		seen.delete(key);
		seen.set(key, {reply, at: performance.now()});
		if (seen.size > maxRemembered) {
			seen.delete(seen.keys().next().value!);
		}
	};

	for (const protocol of options.protocols) {
		const args = ['-E', '-e', 'NEW', '-p', protocol];
		if (options.destinationPort !== undefined) {
			args.push('--orig-port-dst', String(options.destinationPort));
		}

		let child: ChildProcess;
		try {
			child = spawn(command, args, {stdio: ['ignore', 'pipe', 'ignore']});
		} catch {
			active = false;
			continue;
		}

		child.once('error', () => {
			// ENOENT or EACCES: no conntrack here. Listings would fail the same way.
			active = false;
		});
		children.push(child);
		createInterface({input: child.stdout!}).on('line', line => {
			const entry = parseConntrackLine(line);
			if (entry) {
				remember(entry);
			}
		});
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

	return {
		get active() {
			return active;
		},
		async find(protocol, sourcePort, destination, since) {
			if (!active) {
				return undefined;
			}

			const key = keyOf(protocol, sourcePort, destination);
			const known = seen.get(key);
			seen.delete(key);
			if (known && known.at >= since) {
				return found(known.reply);
			}

			const fromEvent = await new Promise<Endpoint | undefined>(resolve => {
				const timer = setTimeout(() => {
					waiters.delete(key);
					resolve(undefined);
				}, waitMs);
				waiters.set(key, endpoint => {
					clearTimeout(timer);
					resolve(endpoint);
				});
			});
			return found(fromEvent ?? await list(protocol, sourcePort, destination));
		},
		close() {
			active = false;
			for (const child of children) {
				child.kill();
			}

			seen.clear();
		},
	};
}
