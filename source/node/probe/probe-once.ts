import dgram from 'node:dgram';
import {lookup} from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import {performance} from 'node:perf_hooks';
import {resolveName} from '../resolve-name.js';
import {buildDnsQuery, parseDnsResponse, rcodeNames} from './dns-message.js';

/** What one probe saw on the wire, before attribution. */
export type RawProbeResult = {
	readonly ok: boolean;
	readonly latencyMs: number;
	/** `refused`, `reset`, `empty reply` (closed without a byte), `timeout`, `dns failure`, `unreachable`, `http 500`, ... */
	readonly error: string | null;
	/** Our side of the connection: the source port finds the conntrack entry. */
	readonly local?: {readonly address: string; readonly port: number};
	/** The address actually connected to. */
	readonly peer?: {readonly address: string; readonly port: number};
	/** Status line, headers and the start of the body (HTTP), or the answer (DNS). */
	readonly responseText?: string;
	/** The probe was cancelled by the run stopping; not a sample. */
	readonly aborted?: boolean;
};

export type ProbeRequest = {
	readonly host: string;
	readonly port: number;
	readonly timeoutMs: number;
	readonly signal?: AbortSignal;
	/**
	 * Whether to read our own address (a getsockname per probe): only conntrack needs it.
	 * Default: true.
	 */
	readonly wantLocal?: boolean;
};

/** How much of a response is kept for attribution. */
const maxResponseBytes = 16 * 1024;

/** Node's error codes to the reasons svctop reports. */
export function failureReason(error: unknown): string {
	const code = (error as {code?: string} | undefined)?.code;
	switch (code) {
		case 'ECONNREFUSED': {
			return 'refused';
		}

		case 'ECONNRESET':
		case 'EPIPE': {
			return 'reset';
		}

		case 'ETIMEDOUT': {
			return 'timeout';
		}

		case 'ENOTFOUND':
		case 'EAI_AGAIN':
		case 'EAI_NONAME':
		case 'EAI_FAIL': {
			return 'dns failure';
		}

		case 'EHOSTUNREACH':
		case 'ENETUNREACH':
		case 'EHOSTDOWN':
		case 'ENETDOWN': {
			return 'unreachable';
		}

		default: {
			if (typeof code === 'string' && code.startsWith('HPE_')) {
				return 'bad response';
			}

			const message = (error as Error | undefined)?.message ?? String(error);
			return message === 'socket hang up' ? 'reset' : `error: ${message}`;
		}
	}
}

/** A probe in flight, as the engine holds it: it ends early on a timeout or when the run stops. */
export type ProbeHandle = {
	/** Ends the probe now as a timeout or an abort, unless it already ended. */
	end(reason: 'timeout' | 'aborted'): void;
	/** `performance.now()` when it started. */
	readonly start: number;
};

/**
 * Settles once: the first of result, `end(timeout)` or `end(aborted)` wins, then the socket is
 * released. The result is delivered before the socket closes, so a caller that starts its next
 * probe from the callback has that connect out before this close.
 */
function settleOnce(
	start: number,
	onResult: (result: RawProbeResult) => void,
	run: Runner,
	onSent?: () => void,
): ProbeHandle {
	let done = false;
	let release: (() => void) | undefined;
	const finish = (result: RawProbeResult) => {
		if (done) {
			return;
		}

		done = true;
		onResult(result);
		release?.();
	};

	const started = run(finish, onSent);
	if (done) {
		// Settled while starting (a synchronous error): release once the caller has its handle.
		queueMicrotask(started.release);
	} else {
		release = started.release;
	}

	return {
		start,
		end(reason) {
			if (done) {
				return;
			}

			// A timed-out probe's own address finds its flow in conntrack: where the request was sent.
			finish(reason === 'timeout'
				? {ok: false, latencyMs: performance.now() - start, error: 'timeout', local: started.local?.()}
				: {ok: false, latencyMs: performance.now() - start, error: 'aborted', aborted: true});
		},
	};
}

/** The promise form: a timer and an abort listener of its own (the engine sweeps timeouts for all its probes instead). */
function once(
	request: ProbeRequest,
	start: number,
	run: Runner,
): Promise<RawProbeResult> {
	return new Promise(resolve => {
		if (request.signal?.aborted) {
			resolve({ok: false, latencyMs: performance.now() - start, error: 'aborted', aborted: true});
			return;
		}

		let settled = false;
		let timer: NodeJS.Timeout | undefined;
		const onAbort = () => handle.end('aborted');
		const handle = settleOnce(start, result => {
			settled = true;
			clearTimeout(timer);
			request.signal?.removeEventListener('abort', onAbort);
			resolve(result);
		}, run);
		if (!settled) {
			timer = setTimeout(() => handle.end('timeout'), request.timeoutMs);
			request.signal?.addEventListener('abort', onAbort, {once: true});
		}
	});
}

function addressOf(socket: net.Socket | undefined, side: 'local' | 'remote'): {address: string; port: number} | undefined {
	const address = side === 'local' ? socket?.localAddress : socket?.remoteAddress;
	const port = side === 'local' ? socket?.localPort : socket?.remotePort;
	return address && port ? {address, port} : undefined;
}

/** A probe as started: how to release its socket and, where it has one, how to read its own address then. */
type Started = {
	readonly release: () => void;
	/** Read only when the probe times out (one getsockname), never on an answer's path. */
	readonly local?: () => {address: string; port: number} | undefined;
};

/**
 * Starts one probe. `onSent`, when the kind has a request (plain HTTP), is called once it is out
 * and the probe only waits for the answer.
 */
type Runner = (finish: (result: RawProbeResult) => void, onSent?: () => void) => Started;

/** A TCP connect, closed at once: success is the handshake. */
function tcpRunner(request: ProbeRequest, start: number): Runner {
	return finish => {
		const socket = net.connect({host: request.host, port: request.port});
		socket.once('connect', () => {
			finish({ok: true, latencyMs: performance.now() - start, error: null, local: request.wantLocal === false ? undefined : addressOf(socket, 'local'), peer: addressOf(socket, 'remote')});
		});
		socket.once('error', error => {
			finish({ok: false, latencyMs: performance.now() - start, error: failureReason(error), local: addressOf(socket, 'local')});
		});
		return {release: () => socket.destroy(), local: () => addressOf(socket, 'local')};
	};
}

export function probeTcp(request: ProbeRequest): Promise<RawProbeResult> {
	const start = performance.now();
	return once(request, start, tcpRunner(request, start));
}

export type HttpProbeRequest = ProbeRequest & {
	readonly path: string;
	readonly scheme?: 'http' | 'https';
	/** The Host header (the logical target, when the connection goes elsewhere). */
	readonly hostHeader?: string;
};

/**
 * One GET on a fresh connection (`agent: false`, `Connection: close`), so every probe meets the
 * Service's load balancing anew. Status 400 and above is a failure `http STATUS`, still attributed.
 */
export function probeHttp(request: HttpProbeRequest): Promise<RawProbeResult> {
	const start = performance.now();
	return once(request, start, request.scheme === 'https' ? httpClientRunner(request, start) : httpPlainRunner(request, start));
}

/**
 * The engine's form of the probes: no promise, no timer and no abort listener per probe. The
 * caller ends it (`end('timeout')`, `end('aborted')`); `onResult` is called exactly once.
 * `onSent` is called when a plain HTTP probe's request is out (other kinds never call it): the
 * caller's own work can then run while the server answers.
 */
export function startProbe(
	kind: 'tcp' | 'http' | 'dns' | 'resolve',
	request: ProbeRequest & Partial<HttpProbeRequest> & Partial<DnsProbeRequest> & {readonly resolver?: NameResolver},
	onResult: (result: RawProbeResult) => void,
	onSent?: () => void,
): ProbeHandle {
	const start = performance.now();
	if (kind === 'resolve') {
		return settleOnce(start, onResult, resolveRunner(request.name ?? request.host, request.resolver ?? defaultResolver, start));
	}

	const run = kind === 'tcp'
		? tcpRunner(request, start)
		: (kind === 'dns'
			? dnsRunner({...request, name: request.name ?? ''}, start)
			: (request.scheme === 'https'
				? httpClientRunner(withPath(request), start)
				: httpPlainRunner(withPath(request), start)));
	return settleOnce(start, onResult, run, onSent);
}

/** The request as an HTTP one: the same object when it has a path (the engine's, built once per target). */
function withPath(request: ProbeRequest & Partial<HttpProbeRequest>): HttpProbeRequest {
	return request.path === undefined ? {...request, path: '/'} : request as HttpProbeRequest;
}

/**
 * Where every plain-HTTP probe's socket reads into (`onread`): no buffer per read and no stream
 * queue. Shared safely: each read is consumed synchronously, before the next read of any socket.
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

/** A plain-HTTP socket built before a probe needs it; the probe that takes it sets where its reads go. */
class PlainSocket {
	onRead: (length: number, buffer: Buffer) => boolean = () => true;
	// allowHalfOpen: the server's FIN is read as the end of the answer; no shutdown of our side
	// follows it (the socket is closed outright).
	readonly socket = new net.Socket({allowHalfOpen: true, onread: {buffer: readBuffer, callback: (length: number, buffer: Buffer) => this.onRead(length, buffer)}});
}

/**
 * The next probe's socket, built while the server works on the last request: building a Socket
 * takes microseconds that would otherwise sit between an answer and the next connect.
 */
let spareSocket: PlainSocket | undefined;

function takePlainSocket(): PlainSocket {
	const plain = spareSocket ?? new PlainSocket();
	spareSocket = undefined;
	return plain;
}

/**
 * Plain HTTP over a raw socket: the request is one write, the response is read until it is
 * complete (Content-Length, last chunk) or the server closes. It does exactly what node:http would
 * for this one request on a fresh connection, at a fraction of the cost per probe.
 */
function httpPlainRunner(request: HttpProbeRequest, start: number): Runner {
	const {payload, literalPeer} = prepare(request);
	const wantLocal = request.wantLocal ?? true;
	return (finish, onSent) => {
		let local: {address: string; port: number} | undefined;
		let peer: {address: string; port: number} | undefined;
		let text = '';
		let received = 0;
		let headerEnd = -1;
		let contentLength = -1;
		let chunked = false;
		// The last bytes seen, to find the end of a chunked body however the reads split it.
		let tail = '';
		let complete = false;
		// `cut`: the connection ended before the body did (a FIN: truncated; an error: reset after headers).
		const done = (cut?: 'truncated headers' | 'truncated body' | 'reset after headers') => {
			const status = statusOf(text);
			if (status === undefined) {
				finish({ok: false, latencyMs: performance.now() - start, error: received === 0 ? 'empty reply' : 'bad response', local, peer});
				return;
			}

			// A broken body is a failed probe; the text read so far still names the pod that sent it.
			const error = cut ?? (status < 400 ? null : `http ${status}`);
			finish({ok: error === null, latencyMs: performance.now() - start, error, local, peer, responseText: text});
		};

		const onRead = (length: number, buffer: Buffer): boolean => {
			received += length;
			const searchFrom = text.length;
			if (searchFrom < maxResponseBytes) {
				text += buffer.toString('latin1', 0, Math.min(length, maxResponseBytes - searchFrom));
			}

			if (headerEnd === -1) {
				headerEnd = text.indexOf('\r\n\r\n', Math.max(0, searchFrom - 3));
				if (headerEnd !== -1) {
					contentLength = contentLengthOf(text, headerEnd);
					chunked = contentLength === -1 && isChunked(text, headerEnd);
				}
			}

			if (chunked) {
				tail = (tail + buffer.toString('latin1', Math.max(0, length - 7), length)).slice(-7);
			}

			if (headerEnd !== -1 && (contentLength >= 0 ? received - headerEnd - 4 >= contentLength : chunked && tail === '\r\n0\r\n\r\n')) {
				complete = true;
				done();
			}

			return true;
		};

		const plain = takePlainSocket();
		plain.onRead = onRead;
		const {socket} = plain;
		socket.connect({host: request.host, port: request.port});
		socket.once('connect', () => {
			// One write of the request prepared once per target (no Nagle wait: nothing is unacknowledged yet);
			// the addresses are asked for after it, while the server works.
			socket.write(payload);
			local = wantLocal ? addressOf(socket, 'local') : undefined;
			peer = literalPeer ?? addressOf(socket, 'remote');
			// While the server works on it: close what the servers closed, build the next socket, then the caller's work.
			closeClosedNow();
			spareSocket ??= new PlainSocket();
			onSent?.();
		});
		// Without a length or chunked framing the body ends at the server's FIN, so that end is complete.
		const framed = () => contentLength >= 0 || chunked;
		let serverClosed = false;
		socket.once('end', () => {
			serverClosed = true;
			if (closeOnEnd) {
				closeSoon(socket);
				return;
			}

			if (headerEnd === -1) {
				done(received === 0 ? undefined : 'truncated headers');
				return;
			}

			done(framed() && !complete ? 'truncated body' : undefined);
		});
		socket.once('error', error => {
			if (headerEnd !== -1) {
				done('reset after headers');
				return;
			}

			finish({ok: false, latencyMs: performance.now() - start, error: failureReason(error), local: local ?? (wantLocal ? addressOf(socket, 'local') : undefined), peer});
		});
		let closeOnEnd = false;
		const release = () => {
			// A complete answer: the server closes (Connection: close), and closing after it leaves no
			// TIME_WAIT here. Closing first would, for a minute per probe: a fast loop fills the ephemeral
			// ports with them and every connect then searches for a free one (ab waits for the server too).
			if (complete && !serverClosed && !socket.destroyed) {
				closeOnEnd = true;
				closeAfterServer(socket);
			} else {
				closeNow(socket);
			}
		};
		return {release, local: () => local ?? addressOf(socket, 'local')};
	};
}

/** Sockets of complete answers waiting for the server to close, by when they were left to it. */
const awaitingServerClose = new Map<net.Socket, number>();

/** A server that keeps the connection open anyway is closed on after this. */
const serverCloseWaitMs = 1000;

/** Sockets left to the server at most (each holds a descriptor): beyond them the oldest is closed at once. */
const maxAwaitingServerClose = 64;

let serverCloseSweep: NodeJS.Timeout | undefined;

function closeNow(socket: net.Socket): void {
	awaitingServerClose.delete(socket);
	socket.destroy();
}

/**
 * Sockets the server closed after a complete answer, to close (a system call that also carries our
 * FIN through the node) once the next probe's request is out rather than before it; at the latest
 * at the end of this turn of the event loop.
 */
const closedByServer: net.Socket[] = [];

function closeSoon(socket: net.Socket): void {
	awaitingServerClose.delete(socket);
	closedByServer.push(socket);
	if (closedByServer.length === 1) {
		setImmediate(closeClosedNow);
	}
}

function closeClosedNow(): void {
	while (closedByServer.length > 0) {
		closedByServer.pop()!.destroy();
	}
}

/** Leaves `socket` for the server to close first; one sweep closes those it keeps open too long. */
function closeAfterServer(socket: net.Socket): void {
	if (awaitingServerClose.size >= maxAwaitingServerClose) {
		closeNow(awaitingServerClose.keys().next().value!);
	}

	awaitingServerClose.set(socket, performance.now());
	serverCloseSweep ??= setInterval(() => {
		const now = performance.now();
		for (const [waiting, since] of awaitingServerClose) {
			if (now - since < serverCloseWaitMs) {
				break;
			}

			closeNow(waiting);
		}

		if (awaitingServerClose.size === 0) {
			clearInterval(serverCloseSweep);
			serverCloseSweep = undefined;
		}
	}, serverCloseWaitMs / 2);
	serverCloseSweep.unref();
}

/** The status code of `HTTP/x.y NNN`, without a regular expression over the response. */
function statusOf(text: string): number | undefined {
	if (!text.startsWith('HTTP/')) {
		return undefined;
	}

	const space = text.indexOf(' ', 5);
	if (space === -1 || space > 9) {
		return undefined;
	}

	let code = 0;
	for (let i = space + 1; i < space + 4; i++) {
		const digit = text.charCodeAt(i) - 48;
		if (!(digit >= 0 && digit <= 9)) {
			return undefined;
		}

		code = (code * 10) + digit;
	}

	return code;
}

/**
 * Where the value of header `name` (lower case, with its colon) starts in the header block, or -1.
 * Compared by char code, case-insensitively, without copying the block.
 */
function headerValueAt(text: string, headerEnd: number, name: string): number {
	let line = text.indexOf('\r\n');
	while (line !== -1 && line < headerEnd) {
		const at = line + 2;
		let i = 0;
		while (i < name.length && (text.charCodeAt(at + i) | 0x20) === name.charCodeAt(i)) {
			i++;
		}

		if (i === name.length) {
			let value = at + i;
			while (text.charCodeAt(value) === 32 || text.charCodeAt(value) === 9) {
				value++;
			}

			return value;
		}

		line = text.indexOf('\r\n', at);
	}

	return -1;
}

/** Content-Length from the header block only (-1 when absent or not a number). */
function contentLengthOf(text: string, headerEnd: number): number {
	const at = headerValueAt(text, headerEnd, 'content-length:');
	if (at === -1) {
		return -1;
	}

	let value = -1;
	for (let i = at; i < headerEnd; i++) {
		const digit = text.charCodeAt(i) - 48;
		if (!(digit >= 0 && digit <= 9)) {
			break;
		}

		value = (value === -1 ? 0 : value * 10) + digit;
	}

	return value;
}

function isChunked(text: string, headerEnd: number): boolean {
	const at = headerValueAt(text, headerEnd, 'transfer-encoding:');
	return at !== -1 && text.slice(at, text.indexOf('\r\n', at)).toLowerCase().includes('chunked');
}

type PreparedRequest = {
	readonly payload: Buffer;
	/** A literal address is the peer we reach; only a name needs asking the socket which address it took. */
	readonly literalPeer: {readonly address: string; readonly port: number} | undefined;
};

/** What a request sends, per request object: the engine reuses one per target for every probe, so it is built once. */
const preparedRequests = new WeakMap<HttpProbeRequest, PreparedRequest>();

function prepare(request: HttpProbeRequest): PreparedRequest {
	let prepared = preparedRequests.get(request);
	if (prepared === undefined) {
		const host = request.hostHeader ?? (request.port === 80 ? request.host : `${request.host}:${request.port}`);
		prepared = {
			payload: Buffer.from(`GET ${request.path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: svctop-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n`, 'utf8'),
			literalPeer: net.isIP(request.host) === 0 ? undefined : {address: request.host, port: request.port},
		};
		preparedRequests.set(request, prepared);
	}

	return prepared;
}

/** HTTPS through node:https with `agent: false` (a fresh TLS connection per probe). */
function httpClientRunner(request: HttpProbeRequest, start: number): Runner {
	const client = request.scheme === 'https' ? https : http;
	return finish => {
		let socket: net.Socket | undefined;
		let socketFailed = false;
		// Set once the status line and headers are in: what arrived so far.
		let received: (() => string) | undefined;
		let local: {address: string; port: number} | undefined;
		let peer: {address: string; port: number} | undefined;
		const options: https.RequestOptions = {
			host: request.host,
			port: request.port,
			path: request.path,
			method: 'GET',
			agent: false,
			headers: {
				Host: request.hostHeader ?? (request.port === (request.scheme === 'https' ? 443 : 80) ? request.host : `${request.host}:${request.port}`),
				Connection: 'close',
				'User-Agent': 'svctop-probe',
			},
			// A probe asks who answers; it does not vouch for certificates.
			rejectUnauthorized: false,
			...(request.scheme === 'https' && net.isIP(request.host) === 0 ? {servername: request.host} : {}),
		};
		const req = client.request(options, response => {
			const status = response.statusCode ?? 0;
			const head: string[] = [`HTTP/${response.httpVersion} ${status} ${response.statusMessage ?? ''}`];
			for (let i = 0; i < response.rawHeaders.length; i += 2) {
				head.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
			}

			const chunks: Buffer[] = [];
			let size = 0;
			response.on('data', (chunk: Buffer) => {
				if (size < maxResponseBytes) {
					chunks.push(chunk);
					size += chunk.length;
				}
			});
			const responseText = () => `${head.join('\r\n')}\r\n\r\n${Buffer.concat(chunks).subarray(0, maxResponseBytes).toString('utf8')}`;
			received = responseText;
			response.once('end', () => {
				finish({
					ok: status < 400,
					latencyMs: performance.now() - start,
					error: status < 400 ? null : `http ${status}`,
					local,
					peer,
					responseText: responseText(),
				});
			});
			// The connection ended before the body did: a failure, still attributed by what arrived.
			response.once('error', () => finish({ok: false, latencyMs: performance.now() - start, error: socketFailed ? 'reset after headers' : 'truncated body', local, peer, responseText: responseText()}));
		});
		req.once('socket', (assigned: net.Socket) => {
			socket = assigned;
			assigned.once('error', () => {
				socketFailed = true;
			});
			const remember = () => {
				local = addressOf(assigned, 'local');
				peer = addressOf(assigned, 'remote');
			};

			assigned.once(request.scheme === 'https' ? 'secureConnect' : 'connect', remember);
			assigned.once('connect', remember);
		});
		req.once('error', error => {
			// After the headers a reset ends the body early: still a failure, still attributed by what came.
			finish(received
				? {ok: false, latencyMs: performance.now() - start, error: 'reset after headers', local, peer, responseText: received()}
				: {ok: false, latencyMs: performance.now() - start, error: failureReason(error), local: local ?? addressOf(socket, 'local'), peer});
		});
		req.end();
		return {
			release() {
				req.destroy();
				socket?.destroy();
			},
		};
	};
}

/** Looks a name up the way the probe's user would (the demo passes its own DNS); never throws. */
export type NameResolver = (name: string) => Promise<{readonly addresses: readonly string[]; readonly chain?: readonly string[]; readonly error?: string}>;

const defaultResolver: NameResolver = async name => resolveName(name);

/**
 * One lookup of a name (CNAME chain, then A/AAAA): success is an address. The answer is the sorted
 * address set, which names what answered (DNS round robin shows as several sets).
 */
function resolveRunner(name: string, resolver: NameResolver, start: number): Runner {
	return finish => {
		resolver(name).then(
			result => {
				const addresses = [...result.addresses].sort();
				const ok = addresses.length > 0;
				finish({
					ok,
					latencyMs: performance.now() - start,
					error: ok ? null : `dns failure${result.error ? `: ${result.error}` : ''}`,
					...(ok ? {peer: {address: addresses.join(' '), port: 0}} : {}),
					responseText: [...(result.chain ?? []), ...addresses].join(' '),
				});
			},
			(error: unknown) => finish({ok: false, latencyMs: performance.now() - start, error: failureReason(error)}),
		);
		// A lookup in flight cannot be cancelled; its late answer is ignored.
		return {release: () => undefined};
	};
}

export type DnsProbeRequest = ProbeRequest & {
	/** The name asked for (an A query). */
	readonly name: string;
};

let nextDnsId = Math.floor(Math.random() * 0xFF_FF);

/**
 * One A query over UDP from a fresh socket (fresh source port), answered or timed out. It asks for
 * the server's NSID (EDNS), which a server may use to name itself in the answer. NXDOMAIN is a
 * successful probe (the server answered); other error rcodes are failures `dns RCODE`.
 */
export function probeDns(request: DnsProbeRequest): Promise<RawProbeResult> {
	const start = performance.now();
	return once(request, start, dnsRunner(request, start));
}

function dnsRunner(request: DnsProbeRequest, start: number): Runner {
	return finish => {
		let socket: dgram.Socket | undefined;
		let closed = false;
		const id = nextDnsId = (nextDnsId + 1) & 0xFF_FF;
		const send = (address: string) => {
			if (closed) {
				return;
			}

			const udp = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
			socket = udp;
			let local: {address: string; port: number} | undefined;
			udp.once('error', error => finish({ok: false, latencyMs: performance.now() - start, error: failureReason(error), local}));
			udp.on('message', (message, remote) => {
				// Connected: only the server's datagrams arrive, so one that is no answer to this query is a broken reply.
				const answer = parseDnsResponse(message);
				if (!answer || answer.id !== id) {
					finish({ok: false, latencyMs: performance.now() - start, error: 'bad response', local, peer: {address: remote.address, port: remote.port}});
					return;
				}

				const rcode = rcodeNames[answer.rcode] ?? `RCODE${answer.rcode}`;
				const ok = answer.rcode === 0 || answer.rcode === 3;
				finish({
					ok,
					latencyMs: performance.now() - start,
					error: ok ? null : `dns ${rcode}`,
					local,
					peer: {address: remote.address, port: remote.port},
					// The server's NSID, when it gives one, names the pod that answered (CoreDNS's `nsid` plugin).
					responseText: [rcode, request.name, ...answer.addresses, ...(answer.nsid === undefined ? [] : [`nsid=${answer.nsid}`])].join(' '),
				});
			});
			// Connected, so that an ICMP port unreachable comes back as a refusal rather than a timeout,
			// and our address is the one routed to the server, not 0.0.0.0.
			udp.connect(request.port, address, () => {
				const bound = udp.address();
				local = {address: bound.address, port: bound.port};
				udp.send(buildDnsQuery(id, request.name, {nsid: true}));
			});
		};

		if (net.isIP(request.host) === 0) {
			lookup(request.host).then(
				result => send(result.address),
				(error: unknown) => finish({ok: false, latencyMs: performance.now() - start, error: failureReason(error)}),
			);
		} else {
			send(request.host);
		}

		return {
			release() {
				closed = true;
				try {
					socket?.close();
				} catch {
					// Already closed by an error.
				}
			},
		};
	};
}
