import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import {buildDnsQuery, parseDnsResponse} from '../../../source/node/probe/dns-message.js';
import {probeDns, probeHttp, probeTcp, startProbe, type RawProbeResult} from '../../../source/node/probe/probe-once.js';

const servers: Array<net.Server | dgram.Socket> = [];
const hanging = new Set<net.Socket>();

function listen(server: net.Server): Promise<number> {
	servers.push(server);
	return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** A port nobody listens on: bind, note, close. */
/** A UDP port nothing listens on (bound, then closed). */
async function closedUdpPort(): Promise<number> {
	const socket = dgram.createSocket('udp4');
	const port = await new Promise<number>(resolve => socket.bind(0, '127.0.0.1', () => resolve(socket.address().port)));
	await new Promise(resolve => socket.close(() => resolve(undefined)));
	return port;
}

function pick(result: {ok: boolean; error: string | null}): [boolean, string | null] {
	return [result.ok, result.error];
}

async function closedPort(): Promise<number> {
	const server = net.createServer();
	const port = await new Promise<number>(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
	await new Promise(resolve => server.close(resolve));
	return port;
}

let ports: Record<'echo' | 'error' | 'slow' | 'reset' | 'empty' | 'hang' | 'closed' | 'dns', number>;

before(async () => {
	const echo = await listen(http.createServer((request, response) => response.end(`deploy-echo-1 ${request.headers.connection}`)));
	const error = await listen(http.createServer((_request, response) => {
		response.statusCode = 500;
		response.end('pod-b failed');
	}));
	const slow = await listen(http.createServer((_request, response) => setTimeout(() => response.end('late'), 150)));
	const reset = await listen(net.createServer(socket => socket.resetAndDestroy()));
	// Reads the request, then closes cleanly (a FIN) without a byte of answer.
	const empty = await listen(net.createServer(socket => socket.once('data', () => socket.end())));
	const hang = await listen(net.createServer(socket => {
		hanging.add(socket);
		socket.on('error', () => undefined);
	}));
	const udp = dgram.createSocket('udp4');
	servers.push(udp);
	udp.on('message', (message, remote) => {
		// Answer with the query's id and question, one A record 10.96.0.10 (name by compression
		// pointer) and, when the query carried an OPT record asking for the NSID, an OPT record with
		// NSID "coredns-a", all written out byte by byte.
		let questionEnd = 12;
		while (message[questionEnd]! > 0) {
			questionEnd += message[questionEnd]! + 1;
		}

		questionEnd += 5;
		const answer = Buffer.from([0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 96, 0, 10]);
		const askedNsid = message.readUInt16BE(10) === 1 && message.subarray(questionEnd).includes(Buffer.from([0, 3, 0, 0]));
		const opt = Buffer.from([0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 13, 0, 3, 0, 9, ...Buffer.from('coredns-a')]);
		const reply = Buffer.concat([message.subarray(0, questionEnd), answer, ...(askedNsid ? [opt] : [])]);
		reply[2] = 0x81;
		reply[3] = 0x80;
		reply.writeUInt16BE(1, 6);
		reply.writeUInt16BE(askedNsid ? 1 : 0, 10);
		udp.send(reply, remote.port, remote.address);
	});
	const dns = await new Promise<number>(resolve => udp.bind(0, '127.0.0.1', () => resolve(udp.address().port)));
	ports = {echo, error, slow, reset, empty, hang, closed: await closedPort(), dns};
});

after(async () => {
	for (const socket of hanging) {
		socket.destroy();
	}

	await Promise.all(servers.map(server => new Promise(resolve => server.close(() => resolve(undefined)))));
});

const base = {host: '127.0.0.1', timeoutMs: 500};

describe('probeHttp', () => {
	test('ok: body, Connection: close, local and peer ports', async () => {
		const result = await probeHttp({...base, port: ports.echo, path: '/'});
		assert.equal(result.ok, true);
		assert.equal(result.error, null);
		assert.match(result.responseText!, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\ndeploy-echo-1 close$/);
		assert.equal(result.peer?.port, ports.echo);
		assert.ok(result.local!.port > 0 && result.local!.port !== ports.echo);
	});

	test('every probe opens a new connection (a new source port)', async () => {
		const first = await probeHttp({...base, port: ports.echo, path: '/'});
		const second = await probeHttp({...base, port: ports.echo, path: '/'});
		assert.notEqual(first.local?.port, second.local?.port);
	});

	test('HTTP 500 is a failure "http 500" that keeps the response for attribution', async () => {
		const result = await probeHttp({...base, port: ports.error, path: '/'});
		assert.deepEqual([result.ok, result.error], [false, 'http 500']);
		assert.match(result.responseText!, /pod-b failed/);
	});

	test('refused, reset, timeout (hang), slow but in time', async () => {
		assert.equal((await probeHttp({...base, port: ports.closed, path: '/'})).error, 'refused');
		assert.equal((await probeHttp({...base, port: ports.reset, path: '/'})).error, 'reset');
		assert.equal((await probeHttp({...base, port: ports.empty, path: '/'})).error, 'empty reply', 'a FIN without an answer is no reset');
		const hung = await probeHttp({...base, port: ports.hang, path: '/', timeoutMs: 100});
		assert.equal(hung.error, 'timeout');
		assert.ok(hung.latencyMs >= 95 && hung.latencyMs < 400, `latency ${hung.latencyMs}`);
		const slow = await probeHttp({...base, port: ports.slow, path: '/'});
		assert.equal(slow.ok, true);
		assert.ok(slow.latencyMs >= 140, `latency ${slow.latencyMs}`);
	});

	test('a timeout carries our own address (the flow conntrack knows), also when the answers do not ask for it', async () => {
		for (const wantLocal of [true, false]) {
			const before = new Set(hanging);
			const hung = await probeHttp({...base, port: ports.hang, path: '/', timeoutMs: 100, wantLocal});
			assert.equal(hung.error, 'timeout');
			// The server's side of that connection sees our port as its remote port.
			const accepted = [...hanging].filter(socket => !before.has(socket));
			assert.equal(accepted.length, 1);
			assert.deepEqual(hung.local, {address: '127.0.0.1', port: accepted[0]!.remotePort}, `wantLocal ${wantLocal}`);
		}
	});

	test('the engine\'s form: end(timeout) reads the address then; an answer without wantLocal has none', async () => {
		const request = {...base, port: ports.hang, path: '/', wantLocal: false};
		const result = await new Promise<RawProbeResult>(resolve => {
			const handle = startProbe('http', request, resolve, () => setTimeout(() => handle.end('timeout'), 20));
		});
		assert.equal(result.error, 'timeout');
		assert.ok(result.local!.port > 0 && result.local!.port !== ports.hang);
		const answered = await new Promise<RawProbeResult>(resolve => startProbe('http', {...request, port: ports.echo}, resolve));
		assert.deepEqual([answered.ok, answered.local], [true, undefined]);
		const aborted = await new Promise<RawProbeResult>(resolve => {
			const handle = startProbe('http', request, resolve, () => setTimeout(() => handle.end('aborted'), 20));
		});
		assert.deepEqual([aborted.aborted, aborted.local], [true, undefined]);
	});

	test('a name that does not resolve is "dns failure"', async () => {
		assert.equal((await probeHttp({...base, host: 'no-such-host.invalid', port: 80, path: '/'})).error, 'dns failure');
	});

	test('abort ends the probe as aborted (not a sample)', async () => {
		const controller = new AbortController();
		const pending = probeHttp({...base, port: ports.hang, path: '/', signal: controller.signal});
		controller.abort();
		assert.equal((await pending).aborted, true);
	});
});

describe('probeTcp', () => {
	test('connect is success; refused and hang', async () => {
		const ok = await probeTcp({...base, port: ports.hang});
		assert.equal(ok.ok, true);
		assert.ok(ok.local!.port > 0);
		assert.equal((await probeTcp({...base, port: ports.closed})).error, 'refused');
	});
});

describe('probeDns', () => {
	test('A query answered: ok, rcode and addresses in the response text', async () => {
		const result = await probeDns({...base, port: ports.dns, name: 'kube-dns.kube-system.svc.cluster.local'});
		assert.equal(result.ok, true);
		assert.equal(result.responseText, 'NOERROR kube-dns.kube-system.svc.cluster.local 10.96.0.10 nsid=coredns-a');
		assert.ok(result.local!.port > 0);
	});

	test('nothing listening: refused (the ICMP port unreachable is read); a server that never answers: timeout (qa9 F6)', async () => {
		const closed = await closedUdpPort();
		assert.deepEqual(pick(await probeDns({...base, port: closed, name: 'x.test', timeoutMs: 300})), [false, 'refused']);
		const silent = dgram.createSocket('udp4');
		servers.push(silent);
		const port = await new Promise<number>(resolve => silent.bind(0, '127.0.0.1', () => resolve(silent.address().port)));
		assert.deepEqual(pick(await probeDns({...base, port, name: 'x.test', timeoutMs: 100})), [false, 'timeout']);
	});

	test('a reply that is no DNS answer is a broken reply, not a timeout (qa9 F6)', async () => {
		const garbage = dgram.createSocket('udp4');
		servers.push(garbage);
		garbage.on('message', (_message, remote) => garbage.send(Buffer.from([1, 2]), remote.port, remote.address));
		const port = await new Promise<number>(resolve => garbage.bind(0, '127.0.0.1', () => resolve(garbage.address().port)));
		const result = await probeDns({...base, port, name: 'x.test', timeoutMs: 2000});
		assert.deepEqual(pick(result), [false, 'bad response']);
		assert.ok(result.latencyMs < 1000, `${result.latencyMs} ms: answered at once, not at the timeout`);
	});

	test('query bytes and response parsing round trip', () => {
		const query = buildDnsQuery(0x12_34, 'a.bc.');
		assert.deepEqual([...query], [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 97, 2, 98, 99, 0, 0, 1, 0, 1]);
		assert.equal(parseDnsResponse(query), undefined, 'a query is not a response');
		const response = Buffer.from(query);
		response[2] = 0x81;
		response[3] = 0x83;
		assert.deepEqual(parseDnsResponse(response), {id: 0x12_34, rcode: 3, addresses: []});
	});

	test('the query asks for the NSID in an OPT record (RFC 6891, RFC 5001)', () => {
		const query = buildDnsQuery(0x12_34, 'a.bc', {nsid: true});
		assert.deepEqual([...query.subarray(10, 12)], [0, 1], 'ARCOUNT 1');
		// Root owner, type 41, payload 1232, extended rcode/version/flags 0, rdlength 4, option NSID empty.
		assert.deepEqual([...query.subarray(22)], [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 4, 0, 3, 0, 0]);
	});

	test('response parsing: answers, OPT in the additional section, NSID as text or hex, truncation', () => {
		const header = [0xAB, 0xCD, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 1];
		const question = [3, 107, 101, 121, 0, 0, 1, 0, 1];
		const cname = [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 5, 0, 2, 0xC0, 12];
		const a = [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 200, 1, 10];
		const opt = (data: number[]) => [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, data.length + 4, 0, 3, 0, data.length, ...data];
		const withText = Buffer.from([...header, ...question, ...cname, ...a, ...opt([...Buffer.from('coredns-76f75df574-8xq2p')])]);
		assert.deepEqual(parseDnsResponse(withText), {id: 0xAB_CD, rcode: 0, addresses: ['10.200.1.10'], nsid: 'coredns-76f75df574-8xq2p'});
		const withBinary = Buffer.from([...header, ...question, ...cname, ...a, ...opt([0x00, 0xFF])]);
		assert.equal(parseDnsResponse(withBinary)?.nsid, '00ff');
		assert.equal(parseDnsResponse(withText.subarray(0, withText.length - 3)), undefined, 'a record running past the end');
	});
});
