/**
 * Probe throughput and memory: `node --import tsx bench/probe.ts`.
 * One local HTTP echo server (its own process); against it, in the same run:
 *   svctop's engine (concurrency 1, a new connection per probe, attribution by response),
 *   `ab -n N -c 1` (no keep-alive), and a `curl` process per request (the seeds' loop).
 * Goals: >= 0.8x ab's rate, >= 20x the curl loop, heap flat over 100,000 probes.
 * Fairness: both sides are warmed up, run the same N, in several short rounds interleaved
 * (alternating which goes first) so load from other processes falls on both alike; each side's
 * best run counts, medians are printed too, and so is each client's CPU per request (user + system),
 * which other processes' load disturbs less than the rate.
 */
import {spawn, spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import process from 'node:process';
import {setFlagsFromString} from 'node:v8';
import {runInNewContext} from 'node:vm';
import type {V1EndpointSlice} from '@kubernetes/client-node';
import {buildEndpointIndex} from '../source/core/probe/endpoint-index.js';
import {planAddressProbe} from '../source/core/probe/plan.js';
import {startProbeEngine} from '../source/node/probe/engine.js';

const probeCount = Number(process.env.BENCH_PROBES ?? 3000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const curlCount = Number(process.env.BENCH_CURL ?? 150);
const longRun = Number(process.env.BENCH_LONG ?? 100_000);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function startServer(): Promise<{port: number; stop(): void}> {
	const code = `require('http').createServer((q,s)=>{s.setHeader('Content-Type','application/json');s.end(JSON.stringify({path:q.url,os:{hostname:'bench-echo-7c9d-x2xq1'}}))}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})`;
	const child = spawn(process.execPath, ['-e', code], {stdio: ['ignore', 'pipe', 'inherit']});
	const port = await new Promise<number>(resolve => child.stdout.once('data', data => resolve(Number(String(data).trim()))));
	return {port, stop: () => child.kill()};
}

function context(port: number) {
	const slice: V1EndpointSlice = {
		metadata: {namespace: 'bench', name: 'echo-x', labels: {'kubernetes.io/service-name': 'echo'}},
		addressType: 'IPv4',
		ports: [{name: 'http', port, protocol: 'TCP'}],
		endpoints: [
			{addresses: ['10.0.0.1'], nodeName: 'node-1', targetRef: {kind: 'Pod', name: 'bench-echo-7c9d-aaaaa'}},
			{addresses: ['10.0.0.2'], nodeName: 'node-2', targetRef: {kind: 'Pod', name: 'bench-echo-7c9d-x2xq1'}},
			{addresses: ['10.0.0.3'], nodeName: 'node-3', targetRef: {kind: 'Pod', name: 'bench-echo-7c9d-zzzzz'}},
		],
	};
	const index = buildEndpointIndex([slice]);
	return {index, candidates: {entries: index.byService.get('bench/echo')!, portName: 'http'}};
}

async function runEngine(port: number, count: number, capacity = 1024) {
	const plan = planAddressProbe({kind: 'address', host: '127.0.0.1', port, label: `127.0.0.1:${port}`});
	const {index, candidates} = context(port);
	let byResponse = 0;
	const cpu = process.cpuUsage();
	const started = performance.now();
	const engine = startProbeEngine({
		series: plan.series, mode: 'http', path: '/', intervalMs: 0, count, timeoutMs: 1000, concurrency: 1,
		index, candidates, conntrack: 'off', capacity,
		onSample(sample) {
			if (sample.via === 'response' && sample.pod === 'bench-echo-7c9d-x2xq1') {
				byResponse++;
			}
		},
	});
	await engine.done;
	const seconds = (performance.now() - started) / 1000;
	const used = process.cpuUsage(cpu);
	return {rate: count / seconds, cpuUs: (used.user + used.system) / count, byResponse, snapshot: engine.snapshot()};
}

/** CPU time of our reaped children (utime + stime of those waited for), in microseconds. */
function childrenCpuUs(): number {
	const stat = readFileSync('/proc/self/stat', 'utf8');
	// Fields 16 and 17 (cutime, cstime), counted from the state after the command name, in ticks of 10 ms.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return (Number(fields[13]) + Number(fields[14])) * 10_000;
}

function runAb(port: number, count: number): {rate: number; cpuUs: number} | undefined {
	const cpu = childrenCpuUs();
	const result = spawnSync('ab', ['-q', '-n', String(count), '-c', '1', `http://127.0.0.1:${port}/`], {encoding: 'utf8'});
	const match = /Requests per second:\s+([\d.]+)/.exec(result.stdout ?? '');
	return match ? {rate: Number(match[1]), cpuUs: (childrenCpuUs() - cpu) / count} : undefined;
}

async function runCurl(port: number, count: number): Promise<number | undefined> {
	if (spawnSync('sh', ['-c', 'command -v curl']).status !== 0) {
		return undefined;
	}

	const started = performance.now();
	for (let i = 0; i < count; i++) {
		// eslint-disable-next-line no-await-in-loop -- the seeds' loop: one curl after the other.
		await new Promise(resolve => spawn('curl', ['-s', `http://127.0.0.1:${port}/`], {stdio: 'ignore'}).once('exit', resolve));
	}

	return count / ((performance.now() - started) / 1000);
}

function heapMb(): number {
	gc();
	gc();
	return process.memoryUsage().heapUsed / 1024 / 1024;
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const server = await startServer();
try {
	// Warm-up of both sides: JIT, the server's own JIT, the kernel's socket caches.
	await runEngine(server.port, 3000);
	runAb(server.port, 3000);
	const oursRuns: Array<Awaited<ReturnType<typeof runEngine>>> = [];
	const abRuns: Array<{rate: number; cpuUs: number}> = [];
	for (let round = 0; round < rounds; round++) {
		// Alternate who goes first so neither side always meets a server just warmed (or tired) by the other.
		if (round % 2 === 0) {
			oursRuns.push(await runEngine(server.port, probeCount));
			const abRun = runAb(server.port, probeCount);
			if (abRun !== undefined) {
				abRuns.push(abRun);
			}
		} else {
			const abRun = runAb(server.port, probeCount);
			if (abRun !== undefined) {
				abRuns.push(abRun);
			}

			oursRuns.push(await runEngine(server.port, probeCount));
		}
	}

	const ours = oursRuns.reduce((best, run) => (run.rate > best.rate ? run : best));
	const ab = abRuns.length > 0 ? Math.max(...abRuns.map(run => run.rate)) : undefined;
	const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
	const curl = await runCurl(server.port, curlCount);
	const list = (values: number[]) => values.map(value => value.toFixed(0)).join(', ');
	console.log(`probe bench: HTTP GET against a local echo server, concurrency 1, new connection per request; best of ${rounds} interleaved run${rounds === 1 ? '' : 's'} of ${probeCount}`);
	console.log(`  svctop engine   ${ours.rate.toFixed(0).padStart(7)} probes/s  (median ${median(oursRuns.map(run => run.rate)).toFixed(0)}; runs: ${list(oursRuns.map(run => run.rate))}; ${ours.byResponse}/${probeCount} attributed by response; CPU ${median(oursRuns.map(run => run.cpuUs)).toFixed(0)} us/probe median)`);
	console.log(`  ab -n ${probeCount} -c 1 ${ab === undefined ? '   (ab not installed)' : `${ab.toFixed(0).padStart(7)} req/s     (median ${median(abRuns.map(run => run.rate)).toFixed(0)}; runs: ${list(abRuns.map(run => run.rate))}; CPU ${median(abRuns.map(run => run.cpuUs)).toFixed(0)} us/request median)`}`);
	console.log(`  curl per request ${curl === undefined ? '  (curl not installed)' : `${curl.toFixed(0).padStart(6)} req/s  (${curlCount} requests)`}`);
	const attributed = oursRuns.every(run => run.byResponse === probeCount);
	console.log(`  attribution by response on every probe of every run: ${verdict(attributed)}`);
	if (ab !== undefined) {
		console.log(`  goal >= 0.8x ab:   ${(ours.rate / ab).toFixed(2)}x best vs best (median vs median ${(median(oursRuns.map(run => run.rate)) / median(abRuns.map(run => run.rate))).toFixed(2)}x)  ${verdict(ours.rate >= 0.8 * ab)}`);
	}

	if (curl !== undefined) {
		console.log(`  goal >= 20x curl:  ${(ours.rate / curl).toFixed(1)}x  ${verdict(ours.rate >= 20 * curl)}`);
	}

	// Memory: heap after a short run vs after a long one; the ring buffer and aggregates are fixed-size.
	const baseline = heapMb();
	const short = await runEngine(server.port, 10_000);
	const afterShort = heapMb();
	const long = await runEngine(server.port, longRun);
	const afterLong = heapMb();
	const growth = (long.snapshot.recent.length === short.snapshot.recent.length) ? afterLong - afterShort : Number.NaN;
	console.log(`  heap: start ${baseline.toFixed(1)} MB, after 10,000 probes ${afterShort.toFixed(1)} MB, after ${longRun.toLocaleString('en')} probes ${afterLong.toFixed(1)} MB (kept samples ${long.snapshot.recent.length}, ${long.rate.toFixed(0)} probes/s)`);
	// Live state while running is what matters; compare the engine's retained state by snapshot size too.
	console.log(`  goal heap flat (growth < 5 MB between the runs): ${growth.toFixed(1)} MB  ${verdict(growth < 5)}`);
} finally {
	server.stop();
}
