import process from 'node:process';
import {CoreV1Api, type KubeConfig} from '@kubernetes/client-node';
import {attribute, attributeSentTo, isUnansweredTimeout} from '../core/probe/attribution.js';
import {type LivePlan, planAddressProbe, planServiceProbe, type ProbePlan, replan} from '../core/probe/plan.js';
import {type ProbeRunSnapshot, ProbeRunStats, type SeriesSnapshot} from '../core/probe/run-stats.js';
import {ownNodeNote, unjudgedFromOwnNode, unjudgedLabels} from '../core/probe/own-node.js';
import {parseVia, type SharesSource} from '../core/probe/service-targets.js';
import {parseTarget} from '../core/probe/target.js';
import type {ProbeSample} from '../core/probe/types.js';
import type {Demo} from '../builtin-cluster/demo/demo.js';
import {connectCluster} from '../kube/connect.js';
import {describeKubeError} from '../kube/errors.js';
import type {ClusterSource} from '../kube/types.js';
import {checkAccess, podExecPermissions} from '../node/access/access-check.js';
import type {DebugPodSession} from '../node/access/debug-pod-session.js';
import {podRunner} from '../node/access/exec-in-pod.js';
import {readNodeRules} from '../node/access/node-rules.js';
import {detectProbeTool, probeInPod, type ProbeTool} from '../node/access/remote-probe.js';
import type {CommandRunner} from '../node/nat/read-dump.js';
import {natSharesFrom, startNatRules} from '../node/probe/nat-rules.js';
import {objectsOf} from '../node/probe/probe-session.js';
import {type AccessIo, withDebugPods} from './node-access.js';
import {formatSampleLine, formatSummary} from './probe.js';
import type {CliConfig} from './run-command.js';
import {abortableSleep} from '../util/abortable-sleep.js';

/** Where the probes start: a node (through a debug pod there), every node in turn, or an existing pod. */
export type Vantage = {kind: 'node'; node: string} | {kind: 'nodes'} | {kind: 'pod'; namespace: string; pod: string};

export function parseVantage(text: string): Vantage | {error: string} {
	if (text === 'nodes') {
		return {kind: 'nodes'};
	}

	const node = /^node\/([^/]+)$/.exec(text);
	if (node) {
		return {kind: 'node', node: node[1]!};
	}

	const pod = /^pod\/([^/]+)\/([^/]+)$/.exec(text);
	if (pod) {
		return {kind: 'pod', namespace: pod[1]!, pod: pod[2]!};
	}

	return {error: `--from takes node/NAME, nodes (each node in turn) or pod/NAMESPACE/NAME (got "${text}")`};
}

type Loop = {
	readonly runner: CommandRunner;
	readonly tool: ProbeTool;
	readonly plan: ProbePlan;
	/** The cluster as it is now: attribution, and what each series should see when a probe is sent. */
	readonly live: () => LivePlan;
	/** Series probed but not judged (a node's own Local NodePort): they stay so while the cluster changes. */
	readonly unjudged: ReadonlySet<string>;
	readonly conntrack: boolean;
	readonly where: string;
	/** Print nothing (each node in turn prints one matrix at the end). */
	readonly quiet?: boolean;
};

type LoopResult = {readonly code: number; readonly snapshot?: ProbeRunSnapshot};

/** The probe loop inside the pod: one exec per probe, attributed, counted, printed; the summary at the end. */
async function probeLoop(config: CliConfig, loop: Loop, io: AccessIo, signal: AbortSignal): Promise<LoopResult> {
	const {plan, probe} = {plan: loop.plan, probe: config.probe};
	const match = probe.match === undefined ? undefined : new RegExp(probe.match);
	const stats = new ProbeRunStats(plan.series);
	const multiSeries = plan.series.length > 1;
	const started = Date.now();
	let seq = 0;
	if (!config.json && !loop.quiet) {
		io.stdout.write(`PROBE ${plan.description} from ${loop.where} with ${loop.tool}${loop.conntrack ? ', attributed by conntrack there (else by the answer)' : ', attributed by the answer'}  every ${probe.intervalMs}ms, timeout ${probe.timeoutMs}ms${probe.count ? `, ${probe.count} rounds` : ''}\n`);
	}

	for (let round = 0; (probe.count === undefined || round < probe.count) && !signal.aborted; round++) {
		for (const spec of plan.series) {
			if (signal.aborted) {
				break;
			}

			// Judged against what was expected when it was sent, as the dashboard does.
			const sentAt = Date.now();
			const expectation = loop.unjudged.has(spec.target.label) ? undefined : loop.live().expectations.get(spec.target.label);
			// eslint-disable-next-line no-await-in-loop
			const result = await probeInPod(loop.runner, loop.tool, {mode: probe.mode, target: spec.target, path: probe.path, timeoutMs: probe.timeoutMs, conntrack: loop.conntrack});
			if (result.execFailure !== undefined) {
				if (!signal.aborted) {
					io.stderr.write(`svctop: ${result.execFailure}\n`);
				}

				return {code: signal.aborted ? 130 : 1};
			}

			const context = loop.live();
			// A timeout got no answer: conntrack there names where kube-proxy sent it, and only an endpoint of the Service counts.
			const who = isUnansweredTimeout(result)
				? attributeSentTo({target: spec.target, index: context.index, service: plan.service, conntrackReply: result.conntrackReply})
				: attribute({target: spec.target, index: context.index, service: plan.service, conntrackReply: result.conntrackReply, responseText: result.responseText, candidates: context.candidates, match});
			const sample: ProbeSample = {seq: seq++, t: sentAt - started, target: spec.target.label, ok: result.ok, latencyMs: result.latencyMs, ...who, error: result.error};
			stats.add(sample, expectation);
			if (!loop.quiet) {
				io.stdout.write(config.json ? `${JSON.stringify(sample)}\n` : `${formatSampleLine(sample, multiSeries)}\n`);
			}
		}

		if (probe.count === undefined || round + 1 < probe.count) {
			// eslint-disable-next-line no-await-in-loop
			await abortableSleep(probe.intervalMs, signal);
		}
	}

	// The last probes' misses may be the cache catching up with kube-proxy: one more look settles them.
	for (const spec of plan.series) {
		if (!loop.unjudged.has(spec.target.label)) {
			stats.settle(spec.target.label, loop.live().expectations.get(spec.target.label), Date.now() - started);
		}
	}

	const snapshot = stats.snapshot();
	const code = snapshot.ok > 0 || snapshot.count === 0 ? 0 : 1;
	if (loop.quiet) {
		return {code, snapshot};
	}

	io.stdout.write(config.json ? `${JSON.stringify({summary: {count: snapshot.count, ok: snapshot.ok, byPod: snapshot.byPod, expected: snapshot.expected, pValue: snapshot.fit?.pValue ?? null, from: loop.where, tool: loop.tool}})}\n` : formatSummary(snapshot, `${plan.description} from ${loop.where}`, plan.unknown) + unjudgedLines(snapshot, loop.unjudged));
	return {code, snapshot};
}

/** The series probed but not judged (a node's own Local NodePort), each said so with why: never a bare count. */
export function unjudgedLines(snapshot: ProbeRunSnapshot, unjudged: ReadonlySet<string>): string {
	return snapshot.series.filter(series => unjudged.has(series.label)).map(series => `${series.node ?? ''} (this node) ${series.label}: ${series.ok}/${series.count} answered, ${ownNodeNote}\n`).join('');
}

/** The plan for the target as seen from inside the cluster; `shares` from the node's rules when read. */
async function planFor(config: CliConfig, source: ClusterSource | undefined, shares?: Parameters<typeof planServiceProbe>[3]): Promise<ProbePlan | {error: string}> {
	const spec = parseTarget(config.args[0] ?? '');
	if ('error' in spec) {
		return spec;
	}

	if (spec.kind === 'address') {
		return planAddressProbe(spec);
	}

	const via = parseVia(config.probe.via);
	if (typeof via === 'object') {
		return via;
	}

	if (source === undefined) {
		return {error: `${spec.namespace}/${spec.name} is a Service: it needs the API`};
	}

	await source.ready();
	return planServiceProbe(objectsOf(source.snapshot()), spec, via, shares, config.clusterDomain);
}

/** From a node: a debug pod there reads the rules (for the expected shares) and runs the loop. */
async function fromNode(config: CliConfig, kc: KubeConfig, node: string, source: ClusterSource | undefined, io: AccessIo): Promise<number> {
	return withDebugPods(config, kc, io, async (session, signal) => {
		const pod = await session.podOn(node);
		if (!pod.ok) {
			io.stderr.write(`svctop: ${pod.error}\n`);
			return 1;
		}

		const tool = await detectProbeTool(pod.runner, config.probe.mode);
		if ('error' in tool) {
			io.stderr.write(`svctop: ${tool.error} (image ${config.access.image})\n`);
			return 1;
		}

		const rules = startNatRules(async () => {
			const dump = await readNodeRules(pod.runner, `node ${node}`, {mode: config.mode});
			return dump.ok ? {text: dump.text, mode: dump.mode} : undefined;
		});
		try {
			await rules.refresh();
			const shares = natSharesFrom(rules, node);
			const plan = await planFor(config, source, shares);
			if ('error' in plan) {
				io.stderr.write(`svctop: ${plan.error}\n`);
				return 1;
			}

			return (await probeLoop(config, {runner: pod.runner, tool: tool.tool, ...loopPlan(plan, node, source, shares), conntrack: true, where: `node ${node} (pod ${pod.target.namespace}/${pod.target.pod})`}, io, signal)).code;
		} finally {
			rules.close();
		}
	});
}

/**
 * What the loop probes and judges by: the plan (from `node`, its own NodePort under Local is probed
 * but not judged: see own-node.ts), and the cluster as it is at each probe, planned again when it
 * moved (a pod's readiness changes what a Local NodePort should do).
 */
export function loopPlan(plan: ProbePlan, node: string | undefined, source: ClusterSource | undefined, shares?: SharesSource): Pick<Loop, 'plan' | 'live' | 'unjudged'> {
	const planned = node === undefined || source === undefined ? plan : unjudgedFromOwnNode(plan, node, source.snapshot().services);
	const unjudged = unjudgedLabels(plan, planned);
	if (source === undefined) {
		const fixed: LivePlan = {index: plan.index, ...(plan.candidates ? {candidates: plan.candidates} : {}), expectations: new Map(plan.series.flatMap(spec => (spec.expectation ? [[spec.target.label, spec.expectation] as const] : [])))};
		return {plan: planned, live: () => fixed, unjudged};
	}

	let seenVersion: number | undefined;
	let context: LivePlan | undefined;
	const live = () => {
		const current = source.snapshot();
		if (!context || current.version !== seenVersion) {
			seenVersion = current.version;
			context = replan(objectsOf(current), plan, shares);
		}

		return context;
	};

	return {plan: planned, live, unjudged};
}

/** A node's own NodePort that the plan left unjudged (see own-node.ts): said so, never a bare count. */
function isOwnNodeUnjudged(node: string, series: SeriesSnapshot): boolean {
	return series.kind === 'nodePort' && series.node === node && series.reachability === undefined;
}

/** The matrix cell's verdict: what the dashboard says, shortened; nothing where plainly ok. */
function cellVerdict(node: string, series: SeriesSnapshot): string {
	if (isOwnNodeUnjudged(node, series)) {
		return ' not judged (own node)';
	}

	const reachability = series.reachability;
	if (reachability === undefined || reachability.verdict === 'ok') {
		return '';
	}

	const around = reachability.aroundChange > 0 ? ` (${reachability.aroundChange} around a change not judged)` : '';
	return ` ${reachability.verdict === 'mixed' ? 'mixed: readiness changed' : reachability.verdict}${around}`;
}

/** FROM (rows) by TARGET (columns): answered/probed, and the verdict where it is not plainly ok. */
export function fromNodesMatrix(rows: ReadonlyArray<{readonly node: string; readonly snapshot?: ProbeRunSnapshot; readonly error?: string}>): string {
	const columns = [...new Set(rows.flatMap(row => row.snapshot?.series.map(series => series.node ?? series.label) ?? []))];
	const cell = (row: typeof rows[number], column: string) => {
		const series = row.snapshot?.series.find(each => (each.node ?? each.label) === column);
		return series === undefined ? '-' : `${series.ok}/${series.count}${cellVerdict(row.node, series)}`;
	};

	const header = ['FROM \\ TO', ...columns];
	const table = [header, ...rows.map(row => (row.snapshot === undefined ? [row.node, `unknown: ${row.error ?? 'not probed'}`] : [row.node, ...columns.map(column => cell(row, column))]))];
	const widths = header.map((_cell, index) => Math.max(...table.map(line => (index < line.length - 1 || line.length === header.length ? (line[index] ?? '').length : 0))));
	const ownNode = rows.some(row => row.snapshot?.series.some(series => isOwnNodeUnjudged(row.node, series)));
	const note = ownNode ? `${ownNodeNote}\n` : '';
	return `${table.map(line => line.map((text, index) => (index === line.length - 1 ? text : text.padEnd(widths[index]! + 2))).join('')).join('\n')}\n${note}`;
}

/** From every node in turn (a debug pod on each): one matrix of who reached what. */
async function fromNodes(config: CliConfig, kc: KubeConfig, source: ClusterSource | undefined, io: AccessIo): Promise<number> {
	if (source === undefined) {
		io.stderr.write('svctop: --from nodes needs the API to list the nodes: give a Service target (NAMESPACE/NAME)\n');
		return 2;
	}

	await source.ready();
	const nodes = source.snapshot().nodes.map(node => node.metadata?.name ?? '').filter(Boolean).sort();
	return withDebugPods(config, kc, io, async (session, signal) => {
		const rows: Array<{node: string; snapshot?: ProbeRunSnapshot; error?: string}> = [];
		for (const node of nodes) {
			if (signal.aborted) {
				break;
			}

			// eslint-disable-next-line no-await-in-loop
			rows.push(await fromOneOfNodes(config, session, node, source, io, signal));
		}

		if (signal.aborted) {
			return 130;
		}

		io.stdout.write(config.json ? `${JSON.stringify({from: rows.map(row => ({node: row.node, error: row.error ?? null, series: row.snapshot?.series.map(series => ({target: series.label, node: series.node, count: series.count, ok: series.ok, reachability: series.reachability ?? null, notJudged: isOwnNodeUnjudged(row.node, series) ? ownNodeNote : null})) ?? null}))})}\n` : fromNodesMatrix(rows));
		return rows.some(row => row.snapshot === undefined) ? 1 : 0;
	});
}

async function fromOneOfNodes(config: CliConfig, session: DebugPodSession, node: string, source: ClusterSource, io: AccessIo, signal: AbortSignal): Promise<{node: string; snapshot?: ProbeRunSnapshot; error?: string}> {
	const pod = await session.podOn(node);
	if (!pod.ok) {
		return {node, error: pod.error};
	}

	const tool = await detectProbeTool(pod.runner, config.probe.mode);
	if ('error' in tool) {
		return {node, error: tool.error};
	}

	const plan = await planFor(config, source);
	if ('error' in plan) {
		return {node, error: plan.error};
	}

	const result = await probeLoop(config, {runner: pod.runner, tool: tool.tool, ...loopPlan(plan, node, source), conntrack: true, where: `node ${node}`, quiet: true}, io, signal);
	io.stderr.write(`svctop: from ${node}: ${result.snapshot ? `${result.snapshot.ok}/${result.snapshot.count} answered` : 'the exec failed'}\n`);
	return result.snapshot ? {node, snapshot: result.snapshot} : {node, error: 'the exec failed'};
}

/** From an existing pod: exec only, nothing created; its first container runs the probes. */
async function fromPod(config: CliConfig, kc: KubeConfig, namespace: string, name: string, source: ClusterSource | undefined, io: AccessIo): Promise<number> {
	const access = await checkAccess(kc, namespace, podExecPermissions);
	if (!access.ok) {
		io.stderr.write(`svctop: ${access.message}\n`);
		return 1;
	}

	let container: string;
	try {
		const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({name, namespace});
		if (pod.status?.phase !== 'Running') {
			io.stderr.write(`svctop: pod ${namespace}/${name} is ${pod.status?.phase ?? 'not running'}: probes need it Running\n`);
			return 1;
		}

		container = pod.spec?.containers[0]?.name ?? '';
	} catch (error) {
		io.stderr.write(`svctop: cannot read pod ${namespace}/${name}: ${describeKubeError(error)}\n`);
		return 1;
	}

	const abort = new AbortController();
	const onSignal = () => abort.abort();
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	try {
		const runner = podRunner(kc, {namespace, pod: name, container}, abort.signal);
		const tool = await detectProbeTool(runner, config.probe.mode);
		if ('error' in tool) {
			io.stderr.write(`svctop: pod ${namespace}/${name}: ${tool.error}\n`);
			return 1;
		}

		const plan = await planFor(config, source);
		if ('error' in plan) {
			io.stderr.write(`svctop: ${plan.error}\n`);
			return 1;
		}

		return (await probeLoop(config, {runner, tool: tool.tool, ...loopPlan(plan, undefined, source), conntrack: false, where: `pod ${namespace}/${name} (container ${container})`}, io, abort.signal)).code;
	} finally {
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
	}
}

/** `svctop probe TARGET --from node/NAME --debug-pod | --from pod/NS/NAME`. */
export async function runProbeFrom(config: CliConfig, kc: KubeConfig, io: AccessIo, demo: Demo | undefined): Promise<number> {
	const vantage = parseVantage(config.access.from ?? '');
	if ('error' in vantage) {
		io.stderr.write(`svctop: ${vantage.error}\n`);
		return 2;
	}

	if (config.probe.mode === 'dns') {
		io.stderr.write('svctop: --from probes HTTP or TCP (curl, wget or nc in the pod); DNS probes run from this machine only\n');
		return 2;
	}

	const target = config.args[0];
	if (!target) {
		io.stderr.write('svctop: probe needs a target: ns/name[:port], host:port or a URL\n');
		return 2;
	}

	const isService = target.includes('/') && !target.includes('://');
	let source: ClusterSource | undefined;
	try {
		if (isService) {
			source = await connectCluster({kubeconfig: config.kubeconfig, context: config.context, namespace: target.split('/')[0], kubeConfigObject: demo ? kc : undefined});
		}

		switch (vantage.kind) {
			case 'node': {
				return await fromNode(config, kc, vantage.node, source, io);
			}

			case 'nodes': {
				return await fromNodes(config, kc, source, io);
			}

			default: {
				return await fromPod(config, kc, vantage.namespace, vantage.pod, source, io);
			}
		}
	} finally {
		await source?.stop().catch(() => undefined);
	}
}
