import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {type Fault, startApiServer} from '../source/builtin-cluster/apiserver/index.js';
import {connectCluster} from '../source/kube/index.js';

/*
 * Issue 12's 410 storm: every watch of services, endpointslices and nodes fails at once, and the
 * real informers (default backoff) run against the in-process API server for 15 s. Prints the
 * list and watch requests the server counted, the peak RSS and the final connection states.
 *   node --import tsx --expose-gc bench/watch-storm.ts [watch-410|watch-error-410|empty-watch|500] [seconds]
 */

const kinds: Record<string, Fault> = {
	'watch-410': {kind: 'watch-410'},
	'watch-error-410': {kind: 'watch-error-410'},
	'empty-watch': {kind: 'empty-watch'},
	'500': {kind: 'status', code: 500},
};
const faultName = process.argv[2] ?? 'watch-410';
const fault = kinds[faultName];
const seconds = Number(process.argv[3] ?? '15');
const goal = 100;
if (fault === undefined || !(seconds > 0)) {
	process.stderr.write(`usage: watch-storm.ts [${Object.keys(kinds).join('|')}] [seconds]\n`);
	process.exit(2);
}

const objects: object[] = [];
for (let index = 0; index < 200; index++) {
	objects.push({kind: 'Service', apiVersion: 'v1', metadata: {name: `svc-${index}`, namespace: 'default'}, spec: {type: 'ClusterIP', clusterIP: `10.96.0.${index}`, ports: [{port: 80, protocol: 'TCP'}], selector: {app: `a${index}`}}});
}

const api = await startApiServer({objects});
for (const resource of ['services', 'endpointslices', 'nodes']) {
	api.setFault(resource, fault);
}

const directory = mkdtempSync(path.join(os.tmpdir(), 'svctop-storm-'));
// Removed however the run ends (three were found left behind by runs that stopped half way).
process.once('exit', () => rmSync(directory, {recursive: true, force: true}));
const kubeconfig = await api.writeKubeconfig(directory);
let peakRss = process.memoryUsage().rss;
let sampleError: string | undefined;
const sampler = setInterval(() => {
	try {
		peakRss = Math.max(peakRss, process.memoryUsage().rss);
	} catch (error) {
		// A storm that leaks sockets runs out of file descriptors; say so instead of dying.
		sampleError ??= (error as Error).message;
	}
}, 100);
const startRss = process.memoryUsage().rss;
const source = await connectCluster({kubeconfig, env: {}});
await new Promise(resolve => setTimeout(resolve, seconds * 1000));
const counters = api.counters();
const states = source.snapshot().states;
clearInterval(sampler);
await source.stop();
await api.close();
rmSync(directory, {recursive: true, force: true});

const watched = ['services', 'endpointslices', 'nodes'] as const;
const lists = watched.reduce((sum, resource) => sum + counters.list[resource], 0);
const watches = watched.reduce((sum, resource) => sum + counters.watch[resource], 0);
const total = lists + watches;
const mb = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MB`;
process.stdout.write(`fault ${faultName} on every ${faultName.includes('watch') ? 'watch' : 'request'}, ${seconds} s, three resources\n`);
for (const resource of watched) {
	process.stdout.write(`  ${resource.padEnd(15)} list ${counters.list[resource]}  watch ${counters.watch[resource]}  state ${states[resource].phase}${states[resource].message ? ` (${states[resource].message})` : ''}\n`);
}

if (sampleError !== undefined) {
	process.stdout.write(`  the process failed while the storm ran: ${sampleError}\n`);
}

process.stdout.write(`  requests ${total} (list ${lists}, watch ${watches}); RSS ${mb(startRss)} at start, peak ${mb(peakRss)}\n`);
process.stdout.write(`  ${total <= goal * (seconds / 15) ? 'PASS' : 'FAIL'}: at most ${goal} requests per 15 s\n`);
