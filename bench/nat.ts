/*
 * svctop nat benchmark: a 5,000 Service x 10 endpoint cluster written the way iptables-save
 * prints it, decoded end to end. Baseline: the same process reading the file and splitting it
 * into lines. Goal: read + parse + decode within 3x the baseline. Each measurement runs in a
 * fresh child process so its peak RSS is its own. For scale it also times a floor: reading the
 * file and only grouping the rules by chain with each rule's target, which any decoder must do.
 *
 *   node --import tsx bench/nat.ts
 */
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import process from 'node:process';
import {fileURLToPath} from 'node:url';
import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {decodeNatDump} from '../source/core/nat/decode.js';
import {generateIptablesSave} from '../source/core/nat/generate/iptables.js';

const serviceCount = 5000;
const endpointsPerService = 10;
const runs = 5;

type Measurement = {ms: number; cpuMs: number; maxRssMb: number; heapUsedMb: number; lines?: number; services?: number; problems?: number};

type Kind = 'baseline' | 'floor' | 'decode';

function child(kind: Kind, file: string): Measurement {
	const before = process.memoryUsage();
	const cpuBefore = process.cpuUsage();
	const start = process.hrtime.bigint();
	let result: Partial<Measurement>;
	if (kind === 'baseline') {
		const lines = readFileSync(file, 'utf8').split('\n');
		result = {lines: lines.length};
	} else if (kind === 'floor') {
		result = {lines: groupByChain(readFileSync(file, 'utf8'))};
	} else {
		const table = decodeNatDump(readFileSync(file, 'utf8'));
		result = {services: table.services.length, problems: table.problems.length};
	}

	const ms = Number(process.hrtime.bigint() - start) / 1e6;
	const cpu = process.cpuUsage(cpuBefore);
	const after = process.memoryUsage();
	return {ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, heapUsedMb: Math.max(before.heapUsed, after.heapUsed) / 1024 / 1024, ...result};
}

/** The floor: each `-A` rule's target (its last word) filed under its chain; returns the chain count. */
function groupByChain(text: string): number {
	const chains = new Map<string, string[]>();
	for (let start = 0; start < text.length;) {
		let end = text.indexOf('\n', start);
		end = end === -1 ? text.length : end;
		if (text.startsWith('-A ', start)) {
			const chain = text.slice(start + 3, text.indexOf(' ', start + 3));
			let targets = chains.get(chain);
			if (!targets) {
				targets = [];
				chains.set(chain, targets);
			}

			targets.push(text.slice(text.lastIndexOf(' ', end - 1) + 1, end));
		}

		start = end + 1;
	}

	return chains.size;
}

function cluster(): {services: V1Service[]; endpointSlices: V1EndpointSlice[]} {
	const services: V1Service[] = [];
	const endpointSlices: V1EndpointSlice[] = [];
	for (let index = 0; index < serviceCount; index++) {
		const namespace = `ns-${index % 50}`;
		const name = `svc-${index}`;
		services.push({
			metadata: {namespace, name},
			spec: {type: 'NodePort', clusterIP: `10.96.${Math.floor(index / 250)}.${index % 250}`, ports: [{name: 'http', port: 80, nodePort: 30_000 + (index % 2700), protocol: 'TCP'}]},
		});
		endpointSlices.push({
			addressType: 'IPv4',
			metadata: {namespace, name: `${name}-x`, labels: {'kubernetes.io/service-name': name}},
			ports: [{name: 'http', port: 8080, protocol: 'TCP'}],
			endpoints: Array.from({length: endpointsPerService}, (_, endpoint) => ({
				addresses: [`10.${64 + Math.floor(index / 256)}.${index % 256}.${endpoint + 1}`],
				nodeName: `node-${endpoint % 20}`,
				conditions: {ready: true},
			})),
		});
	}

	return {services, endpointSlices};
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)]!;
}

if (process.argv[2] === '--child') {
	process.stdout.write(JSON.stringify(child(process.argv[3] as Kind, process.argv[4]!)));
} else {
	const directory = mkdtempSync(join(tmpdir(), 'svtnat-bench-'));
	try {
		const file = join(directory, 'iptables-save.txt');
		const generateStart = Date.now();
		const {services, endpointSlices} = cluster();
		const text = generateIptablesSave({services, endpointSlices, nodeName: 'node-0', nodeIPs: ['10.0.0.1']}, {form: 'save', comments: 'always'});
		writeFileSync(file, text);
		const rules = text.split('\n').filter(line => line.startsWith('-A ')).length;
		const megabytes = statSync(file).size / 1024 / 1024;
		console.log(`dump: ${serviceCount} Services x ${endpointsPerService} endpoints, ${rules.toLocaleString('en-US')} rules, ${megabytes.toFixed(1)} MB (generated in ${Date.now() - generateStart} ms)`);

		const self = fileURLToPath(import.meta.url);
		const measure = (kind: Kind): Measurement => JSON.parse(execFileSync(process.execPath, [...process.execArgv, self, '--child', kind, file], {encoding: 'utf8', maxBuffer: 1024 * 1024})) as Measurement;
		const baselines: Measurement[] = [];
		const floors: Measurement[] = [];
		const decodes: Measurement[] = [];
		for (let run = 0; run < runs; run++) {
			baselines.push(measure('baseline'));
			floors.push(measure('floor'));
			decodes.push(measure('decode'));
		}

		const baseline = median(baselines.map(each => each.ms));
		const decode = median(decodes.map(each => each.ms));
		const baselineCpu = median(baselines.map(each => each.cpuMs));
		const decodeCpu = median(decodes.map(each => each.cpuMs));
		const ratio = decode / baseline;
		const cpuRatio = decodeCpu / baselineCpu;
		const last = decodes.at(-1)!;
		console.log(`baseline (read file + split lines): ${baseline.toFixed(0)} ms wall, ${baselineCpu.toFixed(0)} ms CPU (median of ${runs}), peak RSS ${median(baselines.map(each => each.maxRssMb)).toFixed(0)} MB`);
		const floor = median(floors.map(each => each.ms));
		console.log(`floor (read + group rules by chain): ${floor.toFixed(0)} ms wall (median of ${runs}) = ${(floor / baseline).toFixed(2)}x baseline, for scale`);
		console.log(`decode (read + parse + decode):     ${decode.toFixed(0)} ms wall, ${decodeCpu.toFixed(0)} ms CPU (median of ${runs}), peak RSS ${median(decodes.map(each => each.maxRssMb)).toFixed(0)} MB, heap ${last.heapUsedMb.toFixed(0)} MB`);
		console.log(`decoded ${last.services} service ports, ${last.problems} problems`);
		const correct = last.services === serviceCount && last.problems === 0;
		console.log(`${correct ? 'PASS' : 'FAIL'}  every Service decoded without problems`);
		console.log(`${ratio <= 3 ? 'PASS' : 'FAIL'}  decode within 3x baseline (wall clock): ${ratio.toFixed(2)}x`);
		console.log(`${cpuRatio <= 3 ? 'PASS' : 'FAIL'}  decode within 3x baseline (CPU time, steadier on a shared machine): ${cpuRatio.toFixed(2)}x`);
		process.exitCode = correct && ratio <= 3 ? 0 : 1;
	} finally {
		rmSync(directory, {recursive: true, force: true});
	}
}
