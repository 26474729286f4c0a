import os from 'node:os';
import type {ClusterSource} from '../kube/types.js';
import {planAddressProbe, unknownText, type UnknownObjects} from '../core/probe/plan.js';
import {unknownReason} from '../kube/connection-state.js';
import type {LatencySummary} from '../core/probe/latency.js';
import {formatDuration} from '../core/probe/duration.js';
import {expectedFromText, failedToOf, failureCauses, isExpectedDrop, timeoutDestinations, timeoutDestinationsText, unattributedNote, unknownPod, type AffinitySummary, type ProbeRunSnapshot, type Reachability, type SeriesSnapshot} from '../core/probe/run-stats.js';
import {parseVia} from '../core/probe/service-targets.js';
import {fitVerdict, fitWords, tooFewText} from '../core/probe/chi-square.js';
import {inSeqOrder} from '../core/probe/in-order.js';
import {natExpectationForAddress, type AddressNatMatch} from '../core/probe/nat-expectation.js';
import {parseTarget, type TargetSpec} from '../core/probe/target.js';
import type {ProbeMode, ProbeSample} from '../core/probe/types.js';
import type {AddressResolver} from '../node/probe/engine.js';
import {startNatRules, type NatRules, type NatRulesLoader} from '../node/probe/nat-rules.js';
import {probeModeOf, ProbeSession, type ProbeSessionStore} from '../node/probe/probe-session.js';
import type {NameResolver} from '../node/probe/probe-once.js';

export type ProbeCommandOptions = {
	/** `ns/name[:port]`, `host:port` or an http(s) URL. */
	target: string;
	/** Probes in all, over every series (a NodePort run probes each node in turn); undefined = until stopped. */
	count?: number;
	intervalMs: number;
	timeoutMs: number;
	mode: ProbeMode;
	/** HTTP path (DNS mode: the name to query when it does not start with `/`). */
	path: string;
	/** clusterip (default), nodeport, external, lb, dns, endpoints. */
	via?: string;
	/** A regular expression whose first group names the pod in the response. */
	match?: string;
	json: boolean;
	concurrency: number;
	source?: ClusterSource;
	/** The demo maps cluster addresses onto loopback listeners. */
	resolveAddress?: AddressResolver;
	/** How an ExternalName's target is looked up (the demo's DNS); default this machine's resolver. */
	resolveName?: NameResolver;
	/** Decoded NAT shares keyed `ip:port` (fixed for the run); overrides `natRules`. */
	probabilities?: ReadonlyMap<string, number>;
	/**
	 * Reads this node's kube-proxy rules (iptables-save, nft or ipvsadm text) for the expected
	 * shares; read at the start and again (at most every few seconds) when the cluster changes.
	 * Failing or undefined: 1/n of the ready endpoints, quietly.
	 */
	natRules?: NatRulesLoader;
	/** The node the rules are read on: another node's Local NodePort keeps 1/n. */
	natNode?: string;
	clusterDomain?: string;
	/** How long to wait for a Service the cache does not show yet (default 5 s). */
	serviceWaitMs?: number;
};

export type ProbeIo = {
	readonly stdout: {write(text: string): unknown};
	readonly stderr: {write(text: string): unknown};
};

/** How long the start waits for the first read of the rules before probing on 1/n. */
const natFirstReadMs = 3000;

function percent(value: number | null | undefined): string {
	return value === null || value === undefined ? '-' : `${(value * 100).toFixed(1)}%`;
}

function ms(value: number | undefined): string {
	if (value === undefined) {
		return '-';
	}

	return value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2);
}

/** `1 probe`, `2 probes`. */
function probes(count: number): string {
	return `${count} probe${count === 1 ? '' : 's'}`;
}

function pad(text: string, width: number): string {
	return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** One compact line per probe for humans. */
export function formatSampleLine(sample: ProbeSample, multiSeries: boolean): string {
	const head = `${String(sample.seq + 1).padStart(5)}  +${(sample.t / 1000).toFixed(3)}s  ${multiSeries ? pad(sample.target, 22) + ' ' : ''}`;
	const dropped = isExpectedDrop(sample);
	const status = sample.ok ? 'ok  ' : (dropped ? 'drop' : 'FAIL');
	// A timeout conntrack named was sent there: said so, never as if that pod answered.
	const sentTo = failedToOf(sample);
	const who = sentTo === undefined ? sample.pod ?? sample.endpoint ?? (sample.ok ? 'unknown' : undefined) : undefined;
	const parts = [`${status} ${ms(sample.latencyMs).padStart(7)} ms`];
	if (who !== undefined) {
		parts.push(who, ...(sample.node ? [sample.node] : []), `(${sample.via})`);
	}

	if (dropped) {
		parts.push(`dropped as expected (${sample.dropExpected})`);
	} else if (sentTo !== undefined) {
		parts.push(`${sample.error} (kube-proxy sent it to ${sentTo}${sample.node ? ` on ${sample.node}` : ''})`);
	} else if (sample.error) {
		parts.push(sample.error + (sample.dropExpected === undefined ? '' : ` (kube-proxy should drop here silently: ${sample.dropExpected})`));
	} else if (sample.dropExpected !== undefined) {
		parts.push(`ANSWERED where kube-proxy should drop (${sample.dropExpected})`);
	}

	return `${head}${parts.join('  ')}`;
}

function roundLatency(latency: LatencySummary | undefined): LatencySummary | null {
	if (!latency) {
		return null;
	}

	const round = (value: number) => Math.round(value * 1000) / 1000;
	return {min: round(latency.min), median: round(latency.median), p95: round(latency.p95), max: round(latency.max), mean: round(latency.mean)};
}

export function summaryJson(snapshot: ProbeRunSnapshot, unknown: readonly UnknownObjects[]): unknown {
	const outcomes = (entry: SeriesSnapshot | ProbeRunSnapshot) => ({
		count: entry.count,
		ok: entry.ok,
		dropped: entry.dropped,
		dropReasons: entry.dropReasons,
		answeredShouldDrop: entry.answeredShouldDrop,
		failed: entry.failed,
		successRate: entry.successRate,
	});
	const series = (entry: SeriesSnapshot) => ({
		target: entry.label,
		kind: entry.kind,
		node: entry.node,
		...outcomes(entry),
		byPod: entry.byPod,
		// Timeouts by the pod conntrack says kube-proxy sent them to (not answers).
		failedTo: entry.failedTo,
		expected: entry.expected,
		expectedFrom: entry.expectedFrom,
		pValue: entry.fit?.pValue ?? null,
		verdict: entry.fit ? fitVerdict(entry.fit) : null,
		latency: roundLatency(entry.latency),
		errors: entry.errors,
		// Why no pod can answer this target, per the API (no ready endpoints); null when some pod can.
		unanswerable: entry.unanswerable,
		via: entry.via,
		...(entry.reachability ? {reachability: entry.reachability} : {}),
	});
	return {
		summary: {
			...outcomes(snapshot),
			byPod: snapshot.byPod,
			failedTo: snapshot.failedTo,
			expected: snapshot.expected,
			expectedFrom: snapshot.expectedFrom,
			pValue: snapshot.fit?.pValue ?? null,
			chiSquare: snapshot.fit ? {statistic: snapshot.fit.statistic, degrees: snapshot.fit.degrees} : null,
			// What the p-value may be read as: `too-few` (with `needed`) while any expected count is below 5.
			verdict: snapshot.fit ? fitVerdict(snapshot.fit) : null,
			affinity: snapshot.affinity,
			latency: roundLatency(snapshot.latency),
			methods: snapshot.methods,
			// What could not be read from the API: nothing expected rests on it.
			unknown,
			series: snapshot.series.map(entry => series(entry)),
		},
	};
}

const reachabilityWords: Readonly<Record<Reachability['verdict'], string>> = {
	ok: 'ok',
	expected: 'dropped as expected',
	broken: 'FAILING',
	unexpected: 'ANSWERED, should drop',
	partial: 'partly failing',
	mixed: 'as expected while endpoint readiness changed',
	pending: 'pending',
};

/** The headline: expected drops are counted apart, so the success rate is about probes that should be answered. */
function headline(snapshot: ProbeRunSnapshot): string {
	const latency = snapshot.latency ? `, latency min/median/p95/max ${ms(snapshot.latency.min)}/${ms(snapshot.latency.median)}/${ms(snapshot.latency.p95)}/${ms(snapshot.latency.max)} ms` : '';
	if (snapshot.dropped === 0) {
		return `${probes(snapshot.count)}, ${snapshot.ok} ok (${percent(snapshot.successRate)})${latency}`;
	}

	const shouldAnswer = snapshot.count - snapshot.dropped;
	return `${probes(snapshot.count)}, ${snapshot.ok} ok (${percent(snapshot.successRate)} of the ${shouldAnswer} that should be answered), ${snapshot.dropped} dropped as expected, ${snapshot.failed} failed${latency}`;
}

function affinityLine(affinity: AffinitySummary, ofService: boolean): string | undefined {
	if (affinity.pairs === 0) {
		return undefined;
	}

	if (affinity.sessionAffinity === 'None') {
		// Nothing is promised, so nothing is judged: the repeats are a number only. An address has no sessionAffinity.
		return `same pod as the previous answer: ${affinity.same}/${affinity.pairs} (${percent(affinity.sameRate)})${ofService ? '; sessionAffinity None, no stickiness promised' : ''}`;
	}

	const pods = affinity.pods.join(', ');
	const what = affinity.switches === 0
		? `${affinity.same}/${affinity.pairs} follow-ups on the same pod (${pods})`
		: `${affinity.switches} switch${affinity.switches === 1 ? '' : 'es'} to another pod while the pinned one was ready (pods ${pods})`;
	return `affinity ClientIP (${affinity.timeoutSeconds}s): ${what}${affinity.verdict ? ` -> ${affinity.verdict}` : ' (fewer than 5 follow-ups: no verdict yet)'}`;
}

/** The summary as text: totals, latency, per-pod shares against expectation, fit, affinity, NodePort matrix. */
export function formatSummary(snapshot: ProbeRunSnapshot, description: string, unknown: readonly UnknownObjects[] = []): string {
	const lines: string[] = [`--- ${description} ---`, headline(snapshot)];
	for (const entry of unknown) {
		lines.push(`${unknownText(entry)}: nothing expected, no cause drawn`);
	}

	for (const [reason, count] of Object.entries(snapshot.dropReasons)) {
		lines.push(`dropped as expected (${reason}): ${count}`);
	}

	for (const series of snapshot.series.filter(entry => entry.answeredShouldDrop > 0)) {
		// Where the API says no pod can answer, kube-proxy refuses: the answer came from something else.
		const should = series.unanswerable === null ? 'should drop' : `should refuse (${series.unanswerable}; not a pod of this Service answered)`;
		lines.push(`ANSWERED where kube-proxy ${should}: ${series.label}${series.node ? ` (${series.node})` : ''} ${series.answeredShouldDrop}/${series.count}`);
	}

	const errors = new Map<string, number>();
	for (const series of snapshot.series) {
		for (const [reason, count] of Object.entries(series.errors)) {
			errors.set(reason, (errors.get(reason) ?? 0) + count);
		}
	}

	if (errors.size > 0) {
		const timeouts = timeoutDestinations(snapshot);
		const detail = (reason: string) => (reason === 'timeout' && timeouts ? ` (${timeoutDestinationsText(timeouts)})` : '');
		lines.push(`failures: ${[...errors].map(([reason, count]) => `${reason} ${count}${detail(reason)}`).join(', ')}`);
	}

	for (const cause of failureCauses(snapshot)) {
		lines.push(`cause: ${cause}`);
	}

	const pods = [...new Set([...Object.keys(snapshot.byPod), ...Object.keys(snapshot.expected)])].sort();
	const unattributed = unattributedNote(snapshot);
	if (pods.length > 0) {
		const attributed = Object.values(snapshot.byPod).reduce((sum, count) => sum + count, 0);
		const width = Math.max(3, ...pods.map(pod => pod.length));
		const nodeWidth = Math.max(4, ...pods.map(pod => (snapshot.podNodes[pod] ?? '').length));
		// No answer named a pod: a pod's count is not observed, not 0.
		const notObserved = unattributed !== undefined;
		lines.push(`${pad('POD', width)}  ${pad('NODE', nodeWidth)}  ${'COUNT'.padStart(6)}  ${'SHARE'.padStart(6)}  ${'EXPECTED'.padStart(8)}`);
		for (const pod of pods) {
			const count = snapshot.byPod[pod] ?? 0;
			const expected = snapshot.expected[pod];
			const observed = !notObserved || pod === unknownPod;
			lines.push(`${pad(pod, width)}  ${pad(snapshot.podNodes[pod] ?? '', nodeWidth)}  ${(observed ? String(count) : '-').padStart(6)}  ${percent(attributed === 0 || !observed ? null : count / attributed).padStart(6)}  ${(expected === undefined ? '-' : percent(expected)).padStart(8)}`);
		}
	}

	if (unattributed !== undefined) {
		lines.push(unattributed);
	}

	if (snapshot.expectedFrom !== null && pods.length > 0) {
		lines.push(expectedFromText(snapshot.expectedFrom, 'long'));
	}

	if (snapshot.fit) {
		const verdict = fitVerdict(snapshot.fit);
		lines.push(verdict.kind === 'too-few'
			? `chi-square: ${tooFewText(verdict.needed)}`
			: `chi-square ${snapshot.fit.statistic.toFixed(2)} (df ${snapshot.fit.degrees}), p = ${snapshot.fit.pValue.toPrecision(3)}: ${fitWords[verdict.kind]}`);
	}

	const {affinity} = snapshot;
	if (!snapshot.fit && affinity.sessionAffinity === 'ClientIP' && pods.length > 1) {
		lines.push('chi-square: not applicable, ClientIP affinity pins one client to one pod');
	}

	const affinityText = affinityLine(affinity, snapshot.series.some(series => series.kind !== 'address'));
	if (affinityText) {
		lines.push(affinityText);
	}

	const nodes = snapshot.series.filter(series => series.reachability);
	if (nodes.length > 0) {
		const width = Math.max(4, ...nodes.map(series => (series.node ?? '').length));
		const labelWidth = Math.max(6, ...nodes.map(series => series.label.length));
		lines.push(`${pad('NODE', width)}  ${pad('TARGET', labelWidth)}  ${'OK'.padStart(7)}  ${pad('EXPECTED', 11)}  VERDICT`);
		for (const series of nodes) {
			const reach = series.reachability!;
			lines.push(`${pad(series.node ?? '', width)}  ${pad(series.label, labelWidth)}  ${`${series.ok}/${series.count}`.padStart(7)}  ${pad(reach.expected, 11)}  ${reachabilityWords[reach.verdict]}  (${reach.reason})`);
		}
	}

	return `${lines.join('\n')}\n`;
}

function validate(options: ProbeCommandOptions): string | undefined {
	if (options.count !== undefined && (!Number.isInteger(options.count) || options.count < 1)) {
		return `--count must be a positive integer (got ${options.count})`;
	}

	if (!(options.intervalMs >= 0) || !Number.isFinite(options.intervalMs)) {
		return `--interval must be a duration of 0 or more (got ${options.intervalMs})`;
	}

	if (!(options.timeoutMs > 0) || !Number.isFinite(options.timeoutMs)) {
		return `--timeout must be a positive duration (got ${options.timeoutMs})`;
	}

	if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
		return `--concurrency must be a positive integer (got ${options.concurrency})`;
	}

	return undefined;
}

/** This machine's addresses: a NodePort is looked up in these rules only when it is dialled on one of them. */
function localAddresses(): Set<string> {
	return new Set(Object.values(os.networkInterfaces()).flatMap(list => (list ?? []).map(entry => entry.address)));
}

/** A plain address in this node's kube-proxy rules (read once, briefly waited for), or undefined. */
async function addressInRules(options: ProbeCommandOptions, spec: Extract<TargetSpec, {kind: 'address'}>, keep: (rules: NatRules) => void): Promise<AddressNatMatch | undefined> {
	if (!options.natRules) {
		return undefined;
	}

	const rules = startNatRules(options.natRules);
	keep(rules);
	await Promise.race([rules.refresh(), new Promise(resolve => {
		setTimeout(resolve, natFirstReadMs).unref();
	})]);
	const table = rules.current();
	return table ? natExpectationForAddress(table, spec.host, spec.port, options.mode === 'dns' ? 'UDP' : 'TCP', localAddresses()) : undefined;
}

/** Waits until the source shows the Service (switching namespace if needed) or gives up. */
async function findService(source: ClusterSource, namespace: string, name: string, waitMs: number): Promise<void> {
	await source.ready();
	const has = () => source.snapshot().services.some(service => service.metadata?.namespace === namespace && service.metadata?.name === name);
	// Services that could not be read will not show it by waiting: the plan says they are unknown.
	const servicesState = source.snapshot().states?.services;
	if (has() || (servicesState && unknownReason(servicesState) !== undefined)) {
		return;
	}

	const shown = source.snapshot().namespace;
	if (shown !== undefined && shown !== namespace) {
		source.setNamespace(namespace);
	}

	await new Promise<void>(resolve => {
		const timer = setTimeout(done, waitMs);
		const unsubscribe = source.subscribe(() => {
			if (has()) {
				done();
			}
		});
		function done() {
			clearTimeout(timer);
			unsubscribe();
			resolve();
		}

		if (has()) {
			done();
		}
	});
}

/** Why the command stops before probing: the message for stderr and the exit code. */
type Refusal = {readonly refused: string; readonly code: number};

/** A session ready to start; `rules` (an address target's node rules, when read) close with it. */
type OpenedSession = {readonly session: ProbeSession; readonly rules?: NatRules};

/** What every session of this command shares (the target aside). */
type SessionConfig = {
	readonly mode: ProbeMode;
	readonly path: string;
	readonly timeoutMs: number;
	readonly concurrency: number;
	readonly count: number | undefined;
	readonly match: RegExp | undefined;
	readonly resolveAddress: AddressResolver | undefined;
	readonly resolveName: NameResolver | undefined;
};

/** The flags checked, the target parsed and `--match` compiled; bad input is exit 2. */
function readInputs(options: ProbeCommandOptions): Refusal | {spec: TargetSpec; match: RegExp | undefined} {
	const problem = validate(options);
	if (problem) {
		return {refused: problem, code: 2};
	}

	const spec = parseTarget(options.target);
	if ('error' in spec) {
		return {refused: spec.error, code: 2};
	}

	if (options.match === undefined) {
		return {spec, match: undefined};
	}

	try {
		return {spec, match: new RegExp(options.match)};
	} catch (error) {
		return {refused: `invalid --match: ${(error as Error).message}`, code: 2};
	}
}

/** A session on a Service, planned once its rules were read (briefly) and the cache shows it. */
async function openServiceSession(options: ProbeCommandOptions, spec: Extract<TargetSpec, {kind: 'service'}>, config: SessionConfig, onSample: (sample: ProbeSample) => void): Promise<Refusal | OpenedSession> {
	const via = parseVia(options.via);
	if (typeof via === 'object') {
		return {refused: via.error, code: 2};
	}

	const {source} = options;
	if (!source) {
		return {refused: `${spec.namespace}/${spec.name} is a Service: it needs a cluster (kubeconfig or --demo); host:port and URLs do not`, code: 2};
	}

	// The dashboard's probe view runs the same session: the CLI and the view cannot disagree.
	const session = new ProbeSession({
		target: {kind: 'service', source, serviceKey: `${spec.namespace}/${spec.name}`, via, port: spec.port, clusterDomain: options.clusterDomain, exactVia: options.via !== undefined},
		intervalMs: options.intervalMs,
		config: {...config, natRules: options.natRules, natNode: options.natNode, probabilities: options.probabilities},
		running: false,
		keepPlan: true,
		onSample,
	});
	// The first read of the rules is waited for (briefly): the plan's expectation should start from them.
	await session.rulesRead(natFirstReadMs);
	await findService(source, spec.namespace, spec.name, options.serviceWaitMs ?? 5000);
	session.clear();
	const {error} = session.snapshot();
	if (error !== undefined) {
		session.close();
		return {refused: error, code: 1};
	}

	return {session};
}

/** A session on an address or URL, planned on this node's rules when they can be read. */
async function openAddressSession(options: ProbeCommandOptions, spec: Exclude<TargetSpec, {kind: 'service'}>, config: SessionConfig, onSample: (sample: ProbeSample) => void): Promise<Refusal | OpenedSession> {
	if (spec.scheme === undefined && options.via !== undefined) {
		return {refused: '--via applies to ns/name targets only', code: 2};
	}

	const kept: {rules?: NatRules} = {};
	const plan = planAddressProbe(spec, await addressInRules(options, spec, loaded => {
		kept.rules = loaded;
	}));
	return {session: new ProbeSession({target: {kind: 'plan', plan}, intervalMs: options.intervalMs, config, running: false, onSample}), rules: kept.rules};
}

/** The line that says what is probed, how and how often. */
function headerLine(options: ProbeCommandOptions, plan: NonNullable<ReturnType<ProbeSession['snapshot']>['plan']>): string {
	const mode = probeModeOf(plan, options.mode);
	// A URL target carries its own scheme, path and query: that is what is asked for.
	const first = plan.series[0]?.target;
	const what = mode === 'http' ? `${first?.scheme ?? 'http'} GET ${first?.path ?? options.path}` : mode;
	return `PROBE ${plan.description}  ${what}  every ${formatDuration(options.intervalMs)}, timeout ${formatDuration(options.timeoutMs)}${options.count ? `, ${probes(options.count)}` : ''}\n`;
}

/** Runs the session until its count is reached or `signal` aborts it. */
/** Probes until the count or an abort; returns the probes the abort cut short. */
async function runToEnd(session: ProbeSession, signal: AbortSignal | undefined): Promise<number> {
	const onAbort = () => session.stop();
	signal?.addEventListener('abort', onAbort, {once: true});
	if (!signal?.aborted) {
		session.start();
	}

	const {cancelled} = await session.settled();
	signal?.removeEventListener('abort', onAbort);
	return cancelled;
}

/** Says on stderr when the conntrack table holds the loop and when it goes on (not each time its figures move). */
export function reportHolds(session: ProbeSessionStore, stderr: ProbeIo['stderr']): () => void {
	let held = false;
	return session.subscribe(() => {
		const reason = session.snapshot().held;
		if ((reason !== undefined) !== held) {
			held = reason !== undefined;
			stderr.write(held ? `svctop: probing held: ${reason}\n` : 'svctop: probing resumed: the conntrack table has room again\n');
		}
	});
}

/**
 * `svctop probe TARGET`: probes on a fixed schedule with a new connection each time, attributes
 * every answer to a pod, prints a line (or a JSON object) per probe and a summary at the end or on
 * abort. Exit codes: 0 when anything answered, 1 when every probe failed, 2 for bad input.
 */
export async function runProbe(options: ProbeCommandOptions, io: ProbeIo, signal?: AbortSignal): Promise<number> {
	const inputs = readInputs(options);
	if ('refused' in inputs) {
		io.stderr.write(`svctop: ${inputs.refused}\n`);
		return inputs.code;
	}

	const {spec, match} = inputs;
	const config: SessionConfig = {
		mode: options.mode,
		path: options.path,
		timeoutMs: options.timeoutMs,
		concurrency: options.concurrency,
		count: options.count,
		match,
		resolveAddress: options.resolveAddress,
		resolveName: options.resolveName,
	};
	let multiSeries = false;
	// Lines in probe order: a dropped probe's timeout is printed before the answers that came after it.
	const output = inSeqOrder<ProbeSample>(sample => {
		// Counted from 1 for people, in the JSON as in the text (kubectl-style): `seq` 1 is the first probe.
		io.stdout.write(options.json ? `${JSON.stringify({...sample, seq: sample.seq + 1})}\n` : `${formatSampleLine(sample, multiSeries)}\n`);
	});
	const onSample = (sample: ProbeSample) => output.push(sample);
	const opened = spec.kind === 'service'
		? await openServiceSession(options, spec, config, onSample)
		: await openAddressSession(options, spec, config, onSample);
	if ('refused' in opened) {
		io.stderr.write(`svctop: ${opened.refused}\n`);
		return opened.code;
	}

	const {session} = opened;
	const plan = session.snapshot().plan!;
	multiSeries = plan.series.length > 1;
	if (!options.json) {
		io.stdout.write(headerLine(options, plan));
	}

	for (const entry of plan.unknown ?? []) {
		io.stderr.write(`warning: ${unknownText(entry)}: no expectation drawn\n`);
	}

	if (plan.unjudged !== undefined) {
		io.stderr.write(`note: ${plan.unjudged}\n`);
	}

	const stopReporting = reportHolds(session, io.stderr);
	const cancelled = await runToEnd(session, signal);
	stopReporting();
	output.flush();
	session.close();
	opened.rules?.close();

	const snapshot = session.statistics();
	if (!snapshot) {
		io.stderr.write('svctop: the probe run has no plan\n');
		return 1;
	}

	const unknown = plan.unknown ?? [];
	io.stdout.write(options.json ? `${JSON.stringify(summaryJson(snapshot, unknown))}\n` : formatSummary(snapshot, plan.description, unknown));
	if (cancelled > 0 && !options.json) {
		// Sent but cut short by the stop: neither answered nor failed, so not counted; said rather than left out.
		io.stdout.write(`${probes(cancelled)} in flight when stopped: cut short, not counted\n`);
	}

	return snapshot.ok > 0 || snapshot.count === 0 ? 0 : 1;
}
