/**
 * Probe throughput and memory: `node --import tsx bench/probe.ts`.
 * One local HTTP echo server (its own process); against it, in the same run:
 *   svctop's engine (concurrency 1, a new connection per probe, attribution by response),
 *   `ab -n N -c 1` (no keep-alive), and a `curl` process per request (the seeds' loop).
 * Goals: >= 0.8x ab's rate, >= 20x the curl loop, heap flat over 100,000 probes.
 * Fairness: both sides are warmed up, run the same N, three times, interleaved (alternating which
 * goes first), and each side's best run counts; every run is printed.
 */
import {spawn, spawnSync} from 'node:child_process';
import process from 'node:process';
import {setFlagsFromString} from 'node:v8';
import {runInNewContext} from 'node:vm';
import type {V1EndpointSlice} from '@kubernetes/client-node';
import {buildEndpointIndex} from '../source/core/probe/endpoint-index.js';
import {planAddressProbe} from '../source/core/probe/plan.js';
import {startProbeEngine} from '../source/node/probe/engine.js';

const probeCount = Number(process.env.BENCH_PROBES ?? 5000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
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
	return {rate: count / seconds, byResponse, snapshot: engine.snapshot()};
}

function runAb(port: number, count: number): number | undefined {
	const result = spawnSync('ab', ['-q', '-n', String(count), '-c', '1', `http://127.0.0.1:${port}/`], {encoding: 'utf8'});
	const match = /Requests per second:\s+([\d.]+)/.exec(result.stdout ?? '');
	return match ? Number(match[1]) : undefined;
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
	const abRuns: number[] = [];
	for (let round = 0; round < rounds; round++) {
		// Alternate who goes first so neither side always meets a server just warmed (or tired) by the other.
		if (round % 2 === 0) {
			oursRuns.push(await runEngine(server.port, probeCount));
			const ab = runAb(server.port, probeCount);
			if (ab !== undefined) {
				abRuns.push(ab);
			}
		} else {
			const ab = runAb(server.port, probeCount);
			if (ab !== undefined) {
				abRuns.push(ab);
			}

			oursRuns.push(await runEngine(server.port, probeCount));
		}
	}

	const ours = oursRuns.reduce((best, run) => (run.rate > best.rate ? run : best));
	const ab = abRuns.length > 0 ? Math.max(...abRuns) : undefined;
	const curl = await runCurl(server.port, curlCount);
	const list = (values: number[]) => values.map(value => value.toFixed(0)).join(', ');
	console.log(`probe bench: HTTP GET against a local echo server, concurrency 1, new connection per request; best of ${rounds} interleaved runs of ${probeCount}`);
	console.log(`  svctop engine   ${ours.rate.toFixed(0).padStart(7)} probes/s  (runs: ${list(oursRuns.map(run => run.rate))}; ${ours.byResponse}/${probeCount} attributed by response)`);
	console.log(`  ab -n ${probeCount} -c 1 ${ab === undefined ? '   (ab not installed)' : `${ab.toFixed(0).padStart(7)} req/s     (runs: ${list(abRuns)})`}`);
	console.log(`  curl per request ${curl === undefined ? '  (curl not installed)' : `${curl.toFixed(0).padStart(6)} req/s  (${curlCount} requests)`}`);
	const attributed = oursRuns.every(run => run.byResponse === probeCount);
	console.log(`  attribution by response on every probe of every run: ${verdict(attributed)}`);
	if (ab !== undefined) {
		const medianRatio = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
		console.log(`  goal >= 0.8x ab:   ${(ours.rate / ab).toFixed(2)}x best vs best (median vs median ${(medianRatio(oursRuns.map(run => run.rate)) / medianRatio(abRuns)).toFixed(2)}x)  ${verdict(ours.rate >= 0.8 * ab)}`);
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
