import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {spawn} from 'node:child_process';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {startConntrackLookup, type ConntrackLookup, type Endpoint} from '../../../source/node/probe/conntrack.js';
import {startProbeEngine} from '../../../source/node/probe/engine.js';
import {buildEndpointIndex} from '../../../source/core/probe/endpoint-index.js';
import {planAddressProbe} from '../../../source/core/probe/plan.js';
import type {ProbeSample} from '../../../source/core/probe/types.js';

/*
 * The reader against a stand-in `conntrack`: a script that records its arguments, streams the
 * lines appended to an events file (-E) and prints a listing file (-L). Lines are as conntrack-tools
 * 1.4.7 prints them in the kernel test's node namespace.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'svctop-conntrack-'));
const fake = path.join(dir, 'conntrack');
const events = path.join(dir, 'events');
const listing = path.join(dir, 'listing');
const argsFile = path.join(dir, 'args');
const clusterIp = {ip: '10.96.0.10', port: 80};

function eventLine(sourcePort: number, pod: string): string {
	return `    [NEW] tcp      6 120 SYN_SENT src=10.244.1.1 dst=10.96.0.10 sport=${sourcePort} dport=80 [UNREPLIED] src=${pod} dst=10.244.1.1 sport=8080 dport=${sourcePort}\n`;
}

/** A probe's own side: the node's address (as in eventLine) and a source port. */
function from(port: number, address = '10.244.1.1') {
	return {address, port};
}

/** `wait` as a promise. */
async function find(lookup: ConntrackLookup, sourcePort: number, since: number): Promise<Endpoint | undefined> {
	return new Promise(resolve => {
		lookup.wait('tcp', from(sourcePort), clusterIp, since, resolve);
	});
}

/** Polls until `check` gives a value (the stand-in's output goes through a pipe and a tail). */
async function eventually<T>(check: () => T | undefined, what: string): Promise<T> {
	for (let i = 0; i < 400; i++) {
		const value = check();
		if (value !== undefined) {
			return value;
		}

		// eslint-disable-next-line no-await-in-loop -- polling the stand-in process.
		await new Promise(resolve => setTimeout(resolve, 5));
	}

	throw new Error(`timed out waiting for ${what}`);
}

describe('conntrack reader (stand-in conntrack)', () => {
	let lookup: ConntrackLookup;

	before(() => {
		writeFileSync(events, '');
		writeFileSync(listing, '');
		writeFileSync(fake, `#!/bin/sh\necho "$@" >> '${argsFile}'\ncase "$1" in\n-E) exec tail -n +1 -f '${events}' ;;\n-L) cat '${listing}' ;;\nesac\n`);
		chmodSync(fake, 0o755);
		lookup = startConntrackLookup({protocols: ['tcp'], destinationPort: 80, destinationAddress: '10.96.0.10', command: fake, waitMs: 30});
	});

	after(() => {
		lookup.close();
		rmSync(dir, {recursive: true, force: true});
	});

	test('one event stream, narrowed to the probes\' destination address and port', async () => {
		const args = await eventually(() => (existsSync(argsFile) ? readFileSync(argsFile, 'utf8').split('\n').find(line => line.startsWith('-E')) : undefined), 'the event stream');
		assert.equal(args, '-E -e NEW -p tcp --buffer-size 4194304 --orig-dst 10.96.0.10 --orig-port-dst 80');
	});

	test('an event already in is known at once, taken once, and names the endpoint after DNAT', async () => {
		const since = performance.now();
		appendFileSync(events, eventLine(41_001, '10.244.1.3'));
		const reply = await eventually(() => lookup.known('tcp', from(41_001), clusterIp, since), 'the event');
		assert.deepEqual(reply, {ip: '10.244.1.3', port: 8080});
		assert.equal(lookup.known('tcp', from(41_001), clusterIp, since), undefined, 'taken once');
	});

	test('an event for another destination or port is not this probe\'s', async () => {
		const since = performance.now();
		appendFileSync(events, eventLine(41_002, '10.244.1.2'));
		await eventually(() => lookup.known('tcp', from(41_002), clusterIp, since) && true, 'the marker event');
		appendFileSync(events, eventLine(41_003, '10.244.1.4'));
		// The same source port towards another address: nothing for the ClusterIP.
		await new Promise(resolve => setTimeout(resolve, 50));
		assert.equal(lookup.known('tcp', from(41_003), {ip: '10.96.0.11', port: 80}, since), undefined);
		assert.equal(lookup.known('tcp', from(41_003), {ip: '10.96.0.10', port: 81}, since), undefined);
		assert.deepEqual(lookup.known('tcp', from(41_003), clusterIp, since), {ip: '10.244.1.4', port: 8080});
	});

	test('a pod\'s flow to the same address from the same port number is not this probe\'s (its source address differs)', async () => {
		const since = performance.now();
		appendFileSync(events, eventLine(41_013, '10.244.1.2').replaceAll('10.244.1.1', '10.244.2.7'));
		appendFileSync(events, eventLine(41_014, '10.244.1.3'));
		await eventually(() => lookup.known('tcp', from(41_014), clusterIp, since), 'the marker event');
		assert.equal(lookup.known('tcp', from(41_013), clusterIp, since), undefined);
		assert.deepEqual(lookup.known('tcp', from(41_013, '10.244.2.7'), clusterIp, since), {ip: '10.244.1.2', port: 8080});
	});

	test('an event read as the probe starts is another flow on the same port: not attributed', async () => {
		appendFileSync(events, eventLine(41_004, '10.244.1.2'));
		await new Promise(resolve => setTimeout(resolve, 50));
		// A read before the probe started (what beforeProbe does).
		lookup.readNow();
		const since = performance.now();
		assert.equal(lookup.known('tcp', from(41_004), clusterIp, since), undefined);
	});

	test('as a probe starts, what came before it is read first (older than the probe) when the last read was not a moment ago', async () => {
		appendFileSync(events, eventLine(41_012, '10.244.1.2'));
		await new Promise(resolve => setTimeout(resolve, 50));
		lookup.beforeProbe();
		const since = performance.now();
		assert.equal(lookup.known('tcp', from(41_012), clusterIp, since), undefined);
	});

	test('with no probe asking, the events are still read every second (the file stays small; what was read is older than a later probe)', async () => {
		appendFileSync(events, eventLine(41_011, '10.244.1.2'));
		await new Promise(resolve => setTimeout(resolve, 1300));
		const since = performance.now();
		assert.equal(lookup.known('tcp', from(41_011), clusterIp, since), undefined);
	});

	test('a lookup before the event waits for it', async () => {
		const since = performance.now();
		const pending = find(lookup, 41_005, since);
		appendFileSync(events, eventLine(41_005, '10.244.1.2'));
		assert.deepEqual(await pending, {ip: '10.244.1.2', port: 8080});
	});

	test('no event: a filtered listing by source port and destination answers', async () => {
		writeFileSync(listing, `tcp      6 119 TIME_WAIT src=10.244.1.1 dst=10.96.0.10 sport=41006 dport=80 src=10.244.1.4 dst=10.244.1.1 sport=8080 dport=41006 [ASSURED] mark=0 use=1\n`);
		assert.deepEqual(await find(lookup, 41_006, performance.now()), {ip: '10.244.1.4', port: 8080});
		assert.ok(readFileSync(argsFile, 'utf8').includes('-L -p tcp --orig-src 10.244.1.1 --orig-port-src 41006 --orig-dst 10.96.0.10'));
	});

	test('neither an event nor a listing: undefined, never a guess', async () => {
		writeFileSync(listing, '');
		assert.equal(await find(lookup, 41_007, performance.now()), undefined);
	});

	test('a line split across reads is put together', async () => {
		const since = performance.now();
		const line = eventLine(41_008, '10.244.1.3');
		appendFileSync(events, line.slice(0, 40));
		await new Promise(resolve => setTimeout(resolve, 30));
		appendFileSync(events, line.slice(40));
		assert.deepEqual(await eventually(() => lookup.known('tcp', from(41_008), clusterIp, since), 'the split event'), {ip: '10.244.1.3', port: 8080});
	});

	test('past a megabyte of events read, the event file starts over and the next event is still read', async () => {
		const since = performance.now();
		// 7,000 lines of about 170 bytes: the reader empties its file once it has read them all.
		appendFileSync(events, Array.from({length: 7000}, (_, i) => eventLine(20_000 + i, '10.244.1.2')).join(''));
		assert.deepEqual(await eventually(() => lookup.known('tcp', from(26_999), clusterIp, since), 'the last of many events'), {ip: '10.244.1.2', port: 8080});
		appendFileSync(events, eventLine(41_009, '10.244.1.4'));
		assert.deepEqual(await eventually(() => lookup.known('tcp', from(41_009), clusterIp, since), 'the event after the file started over'), {ip: '10.244.1.4', port: 8080});
		assert.deepEqual(lookup.known('tcp', from(20_000), clusterIp, since), {ip: '10.244.1.2', port: 8080}, 'the first of them is remembered too');
	});
});

test('the event stream ended (no events here): a waiting probe asks the listing at once, not after waitMs', async () => {
	const here = mkdtempSync(path.join(os.tmpdir(), 'svctop-conntrack-'));
	const ended = path.join(here, 'conntrack');
	writeFileSync(ended, `#!/bin/sh\ncase "$1" in\n-E) exit 1 ;;\n-L) echo 'tcp      6 119 TIME_WAIT src=10.244.1.1 dst=10.96.0.10 sport=41010 dport=80 src=10.244.1.3 dst=10.244.1.1 sport=8080 dport=41010 [ASSURED] mark=0 use=1' ;;\nesac\n`);
	chmodSync(ended, 0o755);
	const lookup = startConntrackLookup({protocols: ['tcp'], command: ended, waitMs: 60_000});
	try {
		// Let the stream exit first.
		await new Promise(resolve => setTimeout(resolve, 200));
		const started = performance.now();
		assert.deepEqual(await find(lookup, 41_010, started), {ip: '10.244.1.3', port: 8080});
		assert.ok(performance.now() - started < 5000, `${performance.now() - started} ms`);
	} finally {
		lookup.close();
		rmSync(here, {recursive: true, force: true});
	}
});

test('ready: at once when the event stream ends, after readyMs when it never listens', async () => {
	const here = mkdtempSync(path.join(os.tmpdir(), 'svctop-conntrack-'));
	const ends = path.join(here, 'ends');
	const silent = path.join(here, 'silent');
	writeFileSync(ends, '#!/bin/sh\nexit 1\n');
	// A stand-in holds no netlink socket: it never listens in /proc's eyes.
	writeFileSync(silent, '#!/bin/sh\nexec sleep 30\n');
	chmodSync(ends, 0o755);
	chmodSync(silent, 0o755);
	const ended = startConntrackLookup({protocols: ['tcp'], command: ends, readyMs: 10_000});
	const never = startConntrackLookup({protocols: ['tcp'], command: silent, readyMs: 300});
	try {
		const started = performance.now();
		await ended.ready;
		const endedMs = performance.now() - started;
		await never.ready;
		const neverMs = performance.now() - started;
		assert.ok(endedMs < 5000, `${endedMs} ms`);
		assert.ok(neverMs >= 250 && neverMs < 5000, `${neverMs} ms`);
	} finally {
		ended.close();
		never.close();
		rmSync(here, {recursive: true, force: true});
	}
});

describe('the event stream does not outlive its reader', () => {
	const here = mkdtempSync(path.join(os.tmpdir(), 'svctop-conntrack-'));
	const standIn = path.join(here, 'conntrack');
	const pidFile = path.join(here, 'pid');
	after(() => rmSync(here, {recursive: true, force: true}));

	/** The stand-in's pid once it runs, then whether it still does. */
	const alive = (pid: number) => {
		try {
			process.kill(pid, 0);
			return true;
		} catch {
			return false;
		}
	};

	before(() => {
		// Its pid, then a long sleep in its place (as conntrack -E runs until stopped).
		writeFileSync(standIn, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 600\n`);
		chmodSync(standIn, 0o755);
	});

	test('closed: the stream is stopped', async () => {
		rmSync(pidFile, {force: true});
		const lookup = startConntrackLookup({protocols: ['tcp'], command: standIn});
		const pid = await eventually(() => (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '' ? Number(readFileSync(pidFile, 'utf8')) : undefined), 'the stand-in');
		assert.ok(alive(pid));
		lookup.close();
		await eventually(() => (alive(pid) ? undefined : true), 'the stand-in to end');
	});

	test('the stream runs at niceness 10: a woken reader does not preempt the probes, the server or the node\'s workloads', async () => {
		rmSync(pidFile, {force: true});
		const lookup = startConntrackLookup({protocols: ['tcp'], command: standIn});
		try {
			const pid = await eventually(() => (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '' ? Number(readFileSync(pidFile, 'utf8')) : undefined), 'the stand-in');
			assert.equal(os.getPriority(), 0, 'the test itself runs at niceness 0');
			assert.equal(os.getPriority(pid), 10);
		} finally {
			lookup.close();
		}
	});

	test('the reading process killed without warning (SIGKILL): the stream ends too, it does not write on forever', async () => {
		rmSync(pidFile, {force: true});
		const parent = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/conntrack-parent.ts'), standIn], {stdio: ['ignore', 'pipe', 'inherit']});
		try {
			const pid = await eventually(() => (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '' ? Number(readFileSync(pidFile, 'utf8')) : undefined), 'the stand-in');
			assert.ok(alive(pid));
			parent.kill('SIGKILL');
			await eventually(() => (alive(pid) ? undefined : true), 'the stand-in to end after its reader died');
		} finally {
			parent.kill('SIGKILL');
			// A stand-in left running by a failure is ended by its own pid.
			const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
			if (pid > 0 && alive(pid)) {
				process.kill(pid);
			}
		}
	});
});

test('no conntrack executable: the reader turns inactive and lookups return at once', async () => {
	const lookup = startConntrackLookup({protocols: ['tcp'], command: path.join(os.tmpdir(), 'svctop-no-such-conntrack')});
	await eventually(() => (lookup.active ? undefined : true), 'inactive');
	assert.equal(lookup.known('tcp', from(1), clusterIp, 0), undefined);
	assert.equal(await find(lookup, 1, 0), undefined);
	lookup.close();
});

describe('engine with a conntrack reader: the same answer from every pod', () => {
	let server: http.Server;
	let port: number;

	before(async () => {
		server = http.createServer((_request, response) => response.end('ok'));
		await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
		port = (server.address() as AddressInfo).port;
	});

	after(() => server.close());

	/** A reader that knows the endpoint for every other probe and has nothing (event or listing) for the rest. */
	function halfKnown(seenPorts: number[], asked: number[]): ConntrackLookup {
		return {
			active: true,
			known(_protocol, source) {
				seenPorts.push(source.port);
				return seenPorts.length % 2 === 1 ? {ip: '10.244.1.2', port: 8080} : undefined;
			},
			wait(_protocol, source, _destination, _since, onReply) {
				asked.push(source.port);
				// Later than the answers after it: those wait behind it.
				setTimeout(() => onReply(undefined), 20);
			},
			readNow() {},
			beforeProbe() {},
			close() {},
		};
	}

	test('a known entry attributes by conntrack; a missing one is unknown, not guessed', async () => {
		const plan = planAddressProbe({kind: 'address', host: '127.0.0.1', port, label: `127.0.0.1:${port}`});
		const samples: ProbeSample[] = [];
		const seenPorts: number[] = [];
		const asked: number[] = [];
		const engine = startProbeEngine({
			series: plan.series, mode: 'http', path: '/', intervalMs: 0, count: 20, timeoutMs: 1000, concurrency: 1,
			conntrack: halfKnown(seenPorts, asked), onSample: sample => samples.push(sample),
		});
		await engine.done;
		assert.equal(samples.length, 20);
		assert.equal(seenPorts.length, 20, 'every answered probe looked up by its own source port');
		for (const [i, sample] of samples.entries()) {
			assert.equal(sample.seq, i, 'recorded in order');
			assert.ok(sample.ok);
		}

		// The ones not known yet were looked for (event or listing) by their own source port.
		assert.deepEqual(asked, seenPorts.filter((_port, i) => i % 2 === 1));
		const even = samples.filter((_sample, i) => i % 2 === 0);
		const odd = samples.filter((_sample, i) => i % 2 === 1);
		assert.ok(even.every(sample => sample.via === 'conntrack' && sample.endpoint === '10.244.1.2:8080'), JSON.stringify(even[0]));
		assert.ok(odd.every(sample => sample.via !== 'conntrack' && sample.endpoint !== '10.244.1.2:8080' && sample.pod === null), JSON.stringify(odd[0]));
	});

	test('the same reply endpoint names the pod the index names when the answer is recorded, also after the index changed', async () => {
		const plan = planAddressProbe({kind: 'address', host: '127.0.0.1', port, label: `127.0.0.1:${port}`});
		// One object for every answer, as the reader hands out one per pod port.
		const reply = {ip: '10.244.1.2', port: 8080};
		const slice = (pod: string) => ({
			metadata: {namespace: 'default', name: 'echo-x', labels: {'kubernetes.io/service-name': 'echo'}},
			addressType: 'IPv4',
			ports: [{name: 'http', port: 8080, protocol: 'TCP'}],
			endpoints: [{addresses: ['10.244.1.2'], nodeName: 'node-a', targetRef: {kind: 'Pod', namespace: 'default', name: pod}}],
		});
		const before = buildEndpointIndex([slice('echo-old')]);
		const after = buildEndpointIndex([slice('echo-new')]);
		const samples: ProbeSample[] = [];
		const engine = startProbeEngine({
			series: plan.series, mode: 'http', path: '/', intervalMs: 0, count: 10, timeoutMs: 1000, concurrency: 1, service: 'default/echo',
			conntrack: {active: true, known: () => reply, wait: (_p, _s, _d, _since, onReply) => onReply(reply), readNow() {}, beforeProbe() {}, close() {}},
			attributionContext: () => ({index: samples.length < 5 ? before : after, candidates: undefined}),
			onSample: sample => samples.push(sample),
		});
		await engine.done;
		assert.deepEqual(samples.map(sample => sample.pod), [...Array.from({length: 5}, () => 'echo-old'), ...Array.from({length: 5}, () => 'echo-new')]);
		assert.ok(samples.every(sample => sample.via === 'conntrack' && sample.endpoint === '10.244.1.2:8080'));
	});
});
