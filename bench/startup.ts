import {spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath} from 'node:url';
import {startApiServer} from '../source/builtin-cluster/apiserver/index.js';
import {ensureBuilt} from '../test/helpers/built-cli.js';

/*
 * Issue 15's benchmark: what the product path costs before it does any work. Against a cluster of a few
 * hundred Services served by the in-process API server, measured in one run (after one warm-up each, so
 * Node's compile cache is as warm as on a user's second run):
 *   baseline  `node -e 0`: a Node process that loads nothing;
 *   `svctop --version`, and `svctop list -A --json` (KUBECONFIG pointing at the server);
 * each: wall time (median and best of `runs`), peak RSS (GNU time's maximum resident set), and, in one
 * more run with a module-load hook preloaded, the bytes of JavaScript loaded and whether any of it is
 * built-in cluster code (esbuild marks each module in the bundle with a `// build/source/...` line).
 * Goal: neither command loads any built-in cluster module.
 *
 *   npm run bench -- startup        (or: node --import tsx bench/startup.ts, after npm run build)
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/svctop.js');
const runs = Number(process.env.SVCTOP_BENCH_RUNS ?? 7);
const serviceTotal = 300;
const nodeTotal = 5;
const namespaces = ['start-a', 'start-b', 'start-c'];
const created = '2024-04-01T00:00:00Z';

/** Where the built-in cluster's modules sit in the build, as esbuild names them in the bundle. */
const builtinClusterModule = /^\/\/ build\/source\/builtin-cluster\//;

/**
 * Preloaded with --import in the measuring run: sums the source of every module Node loads (ES modules
 * and require()d files alike; built-in modules have no source) and writes the list at exit.
 */
const loadHook = `
import {registerHooks} from 'node:module';
import {writeFileSync} from 'node:fs';
const loaded = [];
registerHooks({load(url, context, nextLoad) {
	const result = nextLoad(url, context);
	if (result.source != null) loaded.push({url, bytes: typeof result.source === 'string' ? Buffer.byteLength(result.source) : result.source.byteLength});
	return result;
}});
process.on('exit', () => writeFileSync(process.env.SVCTOP_BENCH_LOADED, JSON.stringify(loaded)));
`;

function buildObjects(): object[] {
	const objects: object[] = namespaces.map(name => ({kind: 'Namespace', apiVersion: 'v1', metadata: {name, creationTimestamp: created}, status: {phase: 'Active'}}));
	for (let index = 0; index < nodeTotal; index++) {
		const name = `start-node-${index}`;
		objects.push({
			kind: 'Node',
			apiVersion: 'v1',
			metadata: {name, labels: {'kubernetes.io/hostname': name}, creationTimestamp: created},
			status: {addresses: [{type: 'InternalIP', address: `172.20.0.${index + 10}`}], conditions: [{type: 'Ready', status: 'True'}]},
		});
	}

	for (let index = 0; index < serviceTotal; index++) {
		const namespace = namespaces[index % namespaces.length]!;
		const name = `svc-${String(index).padStart(3, '0')}`;
		const clusterIP = `10.96.${Math.floor(index / 250)}.${index % 250}`;
		objects.push({
			kind: 'Service',
			apiVersion: 'v1',
			metadata: {name, namespace, uid: `svc-uid-${index}`, creationTimestamp: created},
			spec: {type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], selector: {app: name}, ports: [{name: 'http', port: 80, protocol: 'TCP', targetPort: 8080}]},
			status: {loadBalancer: {}},
		});
		objects.push({
			kind: 'EndpointSlice',
			apiVersion: 'discovery.k8s.io/v1',
			metadata: {name: `${name}-abcde`, namespace, creationTimestamp: created, labels: {'kubernetes.io/service-name': name}},
			addressType: 'IPv4',
			endpoints: [0, 1, 2].map(slot => ({
				addresses: [`10.64.${index % 250}.${slot + 1}`],
				conditions: {ready: true, serving: true, terminating: false},
				nodeName: `start-node-${(index + slot) % nodeTotal}`,
				targetRef: {kind: 'Pod', namespace, name: `${name}-pod-${slot}`},
			})),
			ports: [{name: 'http', port: 8080, protocol: 'TCP'}],
		});
	}

	return objects;
}

type Run = {ms: number; code: number | null; peakMb: number; stderr: string; stdoutBytes: number};

/** One process under GNU time (which reports the child's maximum resident set), timed from just before spawn. */
async function timedRun(args: readonly string[], env: NodeJS.ProcessEnv, directory: string): Promise<Run> {
	const timeFile = path.join(directory, 'time');
	const started = performance.now();
	const child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, process.execPath, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']});
	let stdoutBytes = 0;
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => {
		stdoutBytes += chunk.length;
	});
	child.stderr.setEncoding('utf8').on('data', chunk => {
		stderr += chunk;
	});
	const code = await new Promise<number | null>((resolve, reject) => {
		child.on('error', reject);
		child.on('exit', resolve);
	});
	const ms = performance.now() - started;
	return {ms, code, peakMb: Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)) / 1024, stderr, stdoutBytes};
}

type Loaded = {url: string; bytes: number};

/** Bytes of built-in cluster code in one bundle file: the sections that esbuild's `// path` lines open. */
function builtinClusterBytes(file: string): number {
	let bytes = 0;
	let inside = false;
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		if (/^\/\/ (build|node_modules)\//.test(line)) {
			inside = builtinClusterModule.test(line);
		}

		bytes += inside ? Buffer.byteLength(line) + 1 : 0;
	}

	return bytes;
}

/** One more run with the load hook: what it loaded, and which of those files carry built-in cluster code. */
async function loadedBy(args: readonly string[], env: NodeJS.ProcessEnv, directory: string): Promise<{files: Loaded[]; builtin: Loaded[]}> {
	const output = path.join(directory, 'loaded.json');
	const hook = `data:text/javascript,${encodeURIComponent(loadHook)}`;
	const run = await timedRun(['--import', hook, ...args], {...env, SVCTOP_BENCH_LOADED: output}, directory);
	if (run.code !== 0) {
		throw new Error(`${args.join(' ')} with the load hook exited ${run.code}: ${run.stderr.split('\n')[0]}`);
	}

	const files = JSON.parse(readFileSync(output, 'utf8')) as Loaded[];
	const builtin = files
		.filter(file => file.url.startsWith('file:'))
		.map(file => ({url: path.relative(root, fileURLToPath(file.url)), bytes: builtinClusterBytes(fileURLToPath(file.url))}))
		.filter(file => file.bytes > 0);
	return {files, builtin};
}

function median(values: readonly number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

type Case = {label: string; args: string[]; svctop: boolean};

async function measure(item: Case, env: NodeJS.ProcessEnv, directory: string, out: (line: string) => void): Promise<boolean> {
	await timedRun(item.args, env, directory);
	const timings: Run[] = [];
	for (let run = 0; run < runs; run++) {
		timings.push(await timedRun(item.args, env, directory));
	}

	const failedRun = timings.find(run => run.code !== 0 || (item.svctop && run.stdoutBytes === 0));
	if (failedRun) {
		out(`${item.label}: exit ${failedRun.code}, ${failedRun.stdoutBytes} bytes out: ${failedRun.stderr.split('\n')[0]}  FAIL`);
		return false;
	}

	const ms = timings.map(run => run.ms);
	const figures = `median ${median(ms).toFixed(0)} ms, best ${Math.min(...ms).toFixed(0)} ms, peak RSS median ${median(timings.map(run => run.peakMb)).toFixed(0)} MB`;
	const {files, builtin} = await loadedBy(item.args, env, directory);
	const bytes = files.reduce((sum, file) => sum + file.bytes, 0);
	const loaded = `${(bytes / 1024).toFixed(0)} KiB of JavaScript in ${files.length} files`;
	if (!item.svctop) {
		out(`${item.label}: ${figures}; ${loaded}`);
		return true;
	}

	const pass = builtin.length === 0;
	const builtinBytes = builtin.reduce((sum, file) => sum + file.bytes, 0);
	const where = builtin.map(file => `${(file.bytes / 1024).toFixed(0)} KiB in ${file.url}`).join(', ');
	out(`${item.label}: ${figures}; ${loaded}; built-in cluster code loaded: ${pass ? 'none' : `${(builtinBytes / 1024).toFixed(0)} KiB (${where})`} (goal: none)  ${pass ? 'PASS' : 'FAIL'}`);
	return pass;
}

async function main(): Promise<void> {
	ensureBuilt();
	const directory = mkdtempSync(path.join(os.tmpdir(), 'svctop-bench-startup-'));
	const server = await startApiServer({objects: buildObjects()});
	const out = (line: string) => process.stdout.write(line + '\n');
	let failed = false;
	try {
		const kubeconfig = await server.writeKubeconfig(directory, {context: 'bench', namespace: 'default'});
		const env: NodeJS.ProcessEnv = {PATH: process.env.PATH, HOME: directory, LANG: 'C.UTF-8', KUBECONFIG: kubeconfig};
		out(`cluster: ${serviceTotal} Services with 3 endpoints each, ${nodeTotal} nodes (in-process API server on ${server.url}); ${runs} runs per case after one warm-up`);
		const cases: Case[] = [
			{label: 'baseline  node -e 0                ', args: ['-e', '0'], svctop: false},
			{label: 'svctop --version                   ', args: [bin, '--version'], svctop: true},
			{label: 'svctop list -A --json (KUBECONFIG) ', args: [bin, 'list', '-A', '--json'], svctop: true},
		];
		for (const item of cases) {
			failed = !(await measure(item, env, directory, out)) || failed;
		}
	} finally {
		await server.close();
		rmSync(directory, {recursive: true, force: true});
	}

	process.exitCode = failed ? 1 : 0;
}

await main();
