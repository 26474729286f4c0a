import {performance} from 'node:perf_hooks';
import {planServiceProbe, probeChoices, replan, type ClusterObjects, type LivePlan, type ProbeChoices, type ProbePlan} from '../../core/probe/plan.js';
import {ProbeRunStats, type ProbeRunSnapshot} from '../../core/probe/run-stats.js';
import {applicableVia, type Expectation, probeModeFor, type Via} from '../../core/probe/service-targets.js';
import type {TargetSpec} from '../../core/probe/target.js';
import type {ProbeMode, ProbeSample} from '../../core/probe/types.js';
import {unjudgedFromOwnNode, unjudgedLabels} from '../../core/probe/own-node.js';
import {unknownReason} from '../../kube/connection-state.js';
import type {ClusterSnapshot, ClusterSource} from '../../kube/types.js';
import {SnapshotStore, type Store} from '../../util/snapshot-store.js';
import {podVantage, type ProbeVantages} from '../access/probe-vantages.js';
import {type RemoteProber, startRemoteProbeLoop} from '../access/remote-probe-loop.js';
import type {ConntrackTableGuard} from './conntrack-table.js';
import {startProbeEngine, type AddressResolver} from './engine.js';
import {natSharesFrom, startNatRules, type NatRules, type NatRulesLoader} from './nat-rules.js';
import type {NameResolver} from './probe-once.js';
import type {Timers} from './scheduler.js';

/** How a probe session probes; fixed for its life (a vantage overrides the remote and rules parts). */
export type ProbeSessionConfig = {
	/** Where the demo serves cluster addresses on loopback. Default: addresses are dialled as they are. */
	readonly resolveAddress?: AddressResolver;
	/** How an ExternalName's target is looked up (the demo's DNS). Default: this machine's resolver. */
	readonly resolveName?: NameResolver;
	/** Decoded NAT shares keyed `ip:port`, fixed; overrides `natRules`. Default: 1/n of the ready endpoints. */
	readonly probabilities?: ReadonlyMap<string, number>;
	/**
	 * Reads the node's kube-proxy rules for the expected shares: when the session starts, again (at
	 * most every 5 s) when the cluster changes. Failing: 1/n of the ready endpoints. Default: none.
	 */
	readonly natRules?: NatRulesLoader;
	/** The node the rules are read on (another node's Local NodePort keeps 1/n). Default: unknown. */
	readonly natNode?: string;
	/** Default: `http`. */
	readonly mode?: ProbeMode;
	/** HTTP path (DNS mode: the name to query when it does not start with `/`). Default: `/`. */
	readonly path?: string;
	/** Default: 1000 ms. */
	readonly timeoutMs?: number;
	/** Rounds launched per tick. Default: 1. */
	readonly concurrency?: number;
	/** Probes per run (over every series), then the run is `finished`. Default: until stopped. */
	readonly count?: number;
	/** A regular expression whose first group names the pod in the response. */
	readonly match?: RegExp;
	/** Samples kept for the charts. Default: 1024. */
	readonly capacity?: number;
	/** How often the statistics are published. Default: 250 ms (4 frames a second). */
	readonly refreshMs?: number;
	/** The engine's schedule clock (tests). Default: real timers. */
	readonly timers?: Timers;
	/** Default: `auto` (conntrack when root on Linux and the target is not loopback). */
	readonly conntrack?: 'auto' | 'off';
	/** Default: `auto` (see the engine's `tableGuard`); a guard given is shared by the session's runs (tests). */
	readonly tableGuard?: 'auto' | 'off' | ConntrackTableGuard;
	/** Probe from elsewhere (a node through a debug pod), one exec per probe. Default: from this machine. */
	readonly remote?: RemoteProber;
	/** The node `remote` probes from: its own Local NodePort is probed but not judged. */
	readonly remoteNode?: string;
};

/** What is probed: a Service of the cluster (planned again as it changes), or a fixed plan (host:port, URL). */
export type ProbeSessionTarget =
	| {
		readonly kind: 'service'; readonly source: ClusterSource; readonly serviceKey: string; readonly via: Via; readonly port?: string; readonly clusterDomain?: string;
		/**
		 * The target was asked for by name (`svctop probe --via`): a Service port without it is an
		 * error, never another target probed in its place. Default: false (the view skips to the next).
		 */
		readonly exactVia?: boolean;
	}
	| {readonly kind: 'plan'; readonly plan: ProbePlan};

export type ProbeSessionOptions = {
	readonly target: ProbeSessionTarget;
	readonly intervalMs: number;
	readonly config?: ProbeSessionConfig;
	/** Nodes and pods to probe from (the dashboard's debug-pod access). Default: this machine only. */
	readonly vantages?: ProbeVantages;
	/**
	 * Keep the plan made at start for the whole run even when the Service goes or its targets change
	 * (`svctop probe`'s counted run); what each series should see still follows the cluster. Default:
	 * false (the view plans again, and says so, when the Service goes or comes).
	 */
	readonly keepPlan?: boolean;
	/** Whether probing starts at once. Default: true. */
	readonly running?: boolean;
	/** Each sample as recorded (seq and time counted over the session's statistics), e.g. for the CLI's lines. */
	readonly onSample?: (sample: ProbeSample) => void;
};

/** finished: the count was reached; failed: the loop stopped on an error (`error` says why), not on its count. */
export type ProbeSessionState = 'running' | 'stopped' | 'finished' | 'failed';

export type ProbeSessionSnapshot = {
	readonly version: number;
	/** The statistics as last published (held while frozen); undefined without a plan. */
	readonly stats: ProbeRunSnapshot | undefined;
	readonly plan: ProbePlan | undefined;
	readonly description: string | undefined;
	/** Why there is no plan (Service not found, no nodePort, ...) or why the remote loop stopped. */
	readonly error: string | undefined;
	readonly state: ProbeSessionState;
	readonly frozen: boolean;
	readonly intervalMs: number;
	/** The target probed: the one asked for, or the next this Service port has. */
	readonly via: Via | undefined;
	/** The Service port asked for; undefined: the first. */
	readonly port: string | undefined;
	/** The Service's ports and the targets the chosen port has. */
	readonly choices: ProbeChoices;
	/** Node of every endpoint of the planned Service port. */
	readonly endpointNodes: Readonly<Record<string, string | null>>;
	/** Undefined: this machine; else the node or `pod/NS/NAME` probed from. */
	readonly vantage: string | undefined;
	/** Where probes start when not this machine, e.g. `node/worker via debug pod`. */
	readonly from: string | undefined;
	/** Why the loop is held (this node's conntrack table nearly full of its entries); undefined when it is not. */
	readonly held?: string;
};

/** What a view holds of a probe session: its snapshots and its commands. */
export type ProbeSessionStore = Store<ProbeSessionSnapshot> & Pick<ProbeSession, 'start' | 'stop' | 'retarget' | 'setInterval' | 'clear' | 'freeze' | 'setVantage' | 'close'>;

export const defaultProbeRefreshMs = 250;

/** Statistics of one plan: kept over stop/start and interval changes, new for a new target or a clear. */
type Run = {readonly stats: ProbeRunStats; startedAt: number | undefined; added: number; nextSeq: number};

type Engine = {readonly done: Promise<unknown>; stop(): Promise<unknown>};

const noChoices: ProbeChoices = {ports: [], vias: []};

/** How a plan is probed: what it insists on, else what its Service port calls for (UDP: DNS), else `fallback`. */
export function probeModeOf(plan: ProbePlan, fallback: ProbeMode): ProbeMode {
	return plan.mode ?? (plan.servicePort ? probeModeFor(plan.servicePort, fallback) : (plan.protocol === 'UDP' ? 'dns' : fallback));
}

/** The cluster's objects, with what could not be read (unknown, never taken as none). */
export function objectsOf(cluster: ClusterSnapshot): ClusterObjects {
	const unknown = (['services', 'endpointslices', 'nodes'] as const).flatMap(resource => {
		// A source that keeps no states (a fixed stub) has read what it holds.
		const state = cluster.states?.[resource];
		const reason = state ? unknownReason(state) : undefined;
		return reason === undefined ? [] : [{resource, reason}];
	});
	return {services: cluster.services, endpointSlices: cluster.endpointSlices, nodes: cluster.nodes, ...(unknown.length > 0 ? {unknown} : {})};
}

/** Whether a plan (or a snapshot) lacks the EndpointSlices: the only unknown a plan is made without. */
function slicesUnknown(holder: {readonly unknown?: ClusterObjects['unknown']}): boolean {
	return holder.unknown?.some(entry => entry.resource === 'endpointslices') ?? false;
}

/**
 * A probe run as a store, shaped like the cluster store: the engine (or a remote loop) is owned
 * here, samples go into statistics kept here, and one timer publishes them (skipped while nothing
 * changed or the display is frozen). Commands start, stop, retarget, change the interval, clear
 * and move the vantage; a change of plan or interval stops the engine and starts another, its
 * probes in flight cancelled, so a hanging target never blocks anything. The engine's schedule
 * drops a tick while the rounds before it are in flight. Serves `svctop probe` and the probe view.
 */
export class ProbeSession extends SnapshotStore<ProbeSessionSnapshot> {
	private readonly spec: Extract<TargetSpec, {kind: 'service'}> | undefined;
	private via: Via | undefined;
	private port: string | undefined;
	private intervalMs: number;
	private running: boolean;
	private frozen = false;
	private finished = false;
	private vantage: string | undefined;
	private config: ProbeSessionConfig;
	private natRules: NatRules | undefined;
	private natVersion = 0;
	private choices: ProbeChoices = noChoices;
	private shownVia: Via | undefined;
	private plan: ProbePlan | {error: string};
	private planned: ProbePlan | undefined;
	private run: Run | undefined;
	private engine: Engine | undefined;
	private remoteError: string | undefined;
	private held: string | undefined;
	private shown: {run: Run | undefined; added: number} | undefined;
	private stats: ProbeRunSnapshot | undefined;
	private clusterDirty = false;
	private exists = false;
	private closed = false;
	private readonly timer: NodeJS.Timeout;
	private readonly unsubscribe: () => void;

	constructor(private readonly options: ProbeSessionOptions) {
		super();
		const {target} = options;
		this.intervalMs = options.intervalMs;
		this.running = options.running ?? true;
		this.config = options.config ?? {};
		if (target.kind === 'service') {
			const slash = target.serviceKey.indexOf('/');
			this.spec = {kind: 'service', namespace: target.serviceKey.slice(0, slash), name: target.serviceKey.slice(slash + 1)};
			this.via = target.via;
			this.port = target.port;
			this.unsubscribe = target.source.subscribe(() => {
				this.clusterDirty = true;
			});
		} else {
			this.unsubscribe = () => undefined;
		}

		this.plan = target.kind === 'plan' ? target.plan : {error: 'not planned'};
		this.startRules();
		this.replanAll();
		this.restart();
		this.timer = setInterval(() => {
			this.tick();
		}, this.config.refreshMs ?? defaultProbeRefreshMs);
		// A session left open must not keep the CLI alive.
		this.timer.unref();
	}

	/** Starts probing (a finished counted run: a new run from zero). */
	start(): void {
		if (this.finished) {
			this.clear();
			return;
		}

		if (!this.running) {
			this.running = true;
			this.restart();
			this.changed();
		}
	}

	/** Stops probing; the statistics stay. */
	stop(): void {
		if (this.running) {
			this.running = false;
			this.restart();
			this.changed();
		}
	}

	/** Another target or Service port: a new plan and new statistics. */
	retarget(change: {readonly via?: Via; readonly port?: string}): void {
		this.via = change.via ?? this.via;
		this.port = 'port' in change ? change.port : this.port;
		this.replanAll();
		this.restart();
		this.changed();
	}

	/** A new interval; the statistics stay. */
	setInterval(intervalMs: number): void {
		if (intervalMs !== this.intervalMs) {
			this.intervalMs = intervalMs;
			this.restart();
			this.changed();
		}
	}

	/** Throws the samples away and starts counting again. */
	clear(): void {
		this.replanAll();
		this.restart();
		this.changed();
	}

	/** Holds the published statistics (the engine goes on probing) until unfrozen. */
	freeze(frozen: boolean): void {
		if (frozen !== this.frozen) {
			this.frozen = frozen;
			if (!frozen) {
				this.publishStats();
			}

			this.changed();
		}
	}

	/**
	 * Probes from a node (through a debug pod), `pod/NS/NAME` (exec) or, undefined, this machine.
	 * From a node its own rules give the expected shares; from a pod none are read.
	 */
	setVantage(vantage: string | undefined): void {
		const {vantages} = this.options;
		if (vantage === this.vantage || (vantage !== undefined && vantages === undefined)) {
			return;
		}

		this.vantage = vantage;
		const base = this.options.config ?? {};
		if (vantage === undefined || vantages === undefined) {
			this.config = base;
		} else if (podVantage(vantage) === undefined) {
			this.config = {...base, probabilities: undefined, remote: vantages.proberFor(vantage), remoteNode: vantage, natRules: vantages.rulesFor(vantage), natNode: vantage};
		} else {
			this.config = {...base, probabilities: undefined, remote: vantages.proberFor(vantage), remoteNode: undefined, natRules: undefined, natNode: undefined};
		}

		this.startRules();
		this.replanAll();
		this.restart();
		this.changed();
	}

	/** Waits (at most `maxMs`) for the first read of the rules, then plans again from them. */
	async rulesRead(maxMs: number): Promise<void> {
		const rules = this.natRules;
		if (!rules) {
			return;
		}

		await Promise.race([rules.refresh(), new Promise(resolve => {
			setTimeout(resolve, maxMs).unref();
		})]);
	}

	/** Resolves when the engine running now ends (its count reached, or stopped), with the probes a stop cut short. */
	async settled(): Promise<{readonly cancelled: number}> {
		const result = await this.engine?.done as {readonly cancelled?: number} | undefined;
		return {cancelled: result?.cancelled ?? 0};
	}

	/** The statistics now, whatever was published (the CLI's summary). */
	statistics(): ProbeRunSnapshot | undefined {
		return this.run?.stats.snapshot();
	}

	/** Stops probing, the timer and the rules cache; the session cannot be started again. */
	close(): void {
		this.closed = true;
		this.running = false;
		clearInterval(this.timer);
		this.unsubscribe();
		this.natRules?.close();
		this.restart();
	}

	protected build(version: number): ProbeSessionSnapshot {
		const planned = this.planned;
		const endpointNodes: Record<string, string | null> = {};
		for (const entry of planned?.candidates?.entries ?? []) {
			if (entry.pod) {
				endpointNodes[entry.pod] = entry.node;
			}
		}

		return {
			version,
			stats: this.run ? this.stats : undefined,
			plan: planned,
			description: planned?.description,
			error: 'error' in this.plan ? this.plan.error : this.remoteError,
			state: !planned || !this.running ? 'stopped' : (this.finished ? (this.remoteError === undefined ? 'finished' : 'failed') : 'running'),
			frozen: this.frozen,
			intervalMs: this.intervalMs,
			via: this.shownVia,
			port: this.port,
			choices: this.choices,
			endpointNodes,
			vantage: this.vantage,
			from: this.config.remote?.where,
			...(this.held === undefined ? {} : {held: this.held}),
		};
	}

	/** The rules cache of the current config (fixed probabilities need none); the old one is closed. */
	private startRules(): void {
		this.natRules?.close();
		const loader = this.config.natRules;
		this.natRules = loader && !this.config.probabilities
			? startNatRules(loader, {onChange: () => {
				this.natVersion++;
			}})
			: undefined;
		void this.natRules?.refresh();
	}

	private cluster(): ClusterSnapshot | undefined {
		const {target} = this.options;
		return target.kind === 'service' ? target.source.snapshot() : undefined;
	}

	/** The choices, the target shown and the plan from the cluster as it is now; new statistics. */
	private replanAll(): void {
		const cluster = this.cluster();
		const {spec} = this;
		if (cluster && spec) {
			const asked = {...spec, ...(this.port === undefined ? {} : {port: this.port})};
			this.exists = cluster.services.some(service => service.metadata?.namespace === spec.namespace && service.metadata?.name === spec.name);
			this.choices = probeChoices(objectsOf(cluster), asked);
			// A target this port does not have (a ClusterIP of a headless Service, a NodePort of a ClusterIP one) is skipped.
			this.shownVia = this.viaFor(this.choices);
			const shares = natSharesFrom(this.natRules, this.config.natNode, this.config.probabilities);
			const clusterDomain = this.options.target.kind === 'service' ? this.options.target.clusterDomain : undefined;
			this.plan = planServiceProbe(objectsOf(cluster), asked, this.shownVia, shares, clusterDomain);
		}

		const {plan} = this;
		const {remoteNode} = this.config;
		this.planned = 'error' in plan ? undefined : (remoteNode === undefined || !cluster ? plan : unjudgedFromOwnNode(plan, remoteNode, cluster.services));
		this.run = this.planned ? {stats: new ProbeRunStats(this.planned.series, this.config.capacity ?? 1024), startedAt: undefined, added: 0, nextSeq: 0} : undefined;
		// A clear or a new target shows at once, even on a frozen display.
		this.stats = this.run?.stats.snapshot();
		this.shown = {run: this.run, added: 0};
	}

	/** The target probed: the one asked for when it was named exactly, else the next this port has. */
	private viaFor(choices: ProbeChoices): Via {
		const {target} = this.options;
		return target.kind === 'service' && target.exactVia ? this.via! : applicableVia(this.via!, choices.vias);
	}

	/** One publishing tick: follow the cluster, then the statistics when they moved and the display is live. */
	private tick(): void {
		if (this.clusterDirty) {
			this.clusterDirty = false;
			void this.natRules?.refresh();
			this.followCluster();
		}

		if (!this.frozen && this.publishStats()) {
			this.changed();
		}
	}

	/** A Service that shows up after the session started gets planned then; a target the port lost is skipped. */
	private followCluster(): void {
		const cluster = this.cluster();
		const {spec} = this;
		if (!cluster || !spec || (this.options.keepPlan && this.planned)) {
			return;
		}

		const exists = cluster.services.some(service => service.metadata?.namespace === spec.namespace && service.metadata?.name === spec.name);
		const choices = probeChoices(objectsOf(cluster), {...spec, ...(this.port === undefined ? {} : {port: this.port})});
		const shownVia = this.viaFor(choices);
		// Slices that become readable (or stop being) change what the plan may expect: plan again.
		const slicesChanged = this.planned !== undefined && slicesUnknown(objectsOf(cluster)) !== slicesUnknown(this.planned);
		if (exists !== this.exists || shownVia !== this.shownVia || slicesChanged) {
			this.replanAll();
			this.restart();
			this.changed();
		} else if (choices.ports.join() !== this.choices.ports.join() || choices.vias.join() !== this.choices.vias.join()) {
			this.choices = choices;
			this.changed();
		}
	}

	/** Takes the statistics when they moved; true when they did. */
	private publishStats(): boolean {
		const {run} = this;
		const added = run?.added ?? 0;
		if (this.shown?.run === run && this.shown?.added === added) {
			return false;
		}

		this.shown = {run, added};
		this.stats = run?.stats.snapshot();
		return true;
	}

	/** Stops the engine running and, when probing, starts one for the current plan and interval. */
	private restart(): void {
		void this.engine?.stop();
		this.engine = undefined;
		this.finished = false;
		this.remoteError = undefined;
		this.held = undefined;
		const {planned, run} = this;
		if (!this.running || this.closed || !planned || !run) {
			return;
		}

		const engine = this.startEngine(planned, run);
		this.engine = engine;
		void engine.done.then(() => {
			if (this.engine === engine) {
				this.finished = true;
				if (!this.frozen) {
					this.publishStats();
				}

				this.changed();
			}
		});
	}

	private startEngine(planned: ProbePlan, run: Run): Engine {
		run.startedAt ??= performance.now();
		const offsetT = performance.now() - run.startedAt;
		const seqBase = run.nextSeq;
		const {config} = this;
		const isCurrent = () => this.engine === engine;
		const onSample = (sample: ProbeSample, expectation: Expectation | undefined) => {
			if (!isCurrent()) {
				return;
			}

			const seq = seqBase + sample.seq;
			run.nextSeq = Math.max(run.nextSeq, seq + 1);
			run.added++;
			const recorded = {...sample, seq, t: Math.round((sample.t + offsetT) * 1000) / 1000};
			run.stats.add(recorded, expectation);
			this.options.onSample?.(recorded);
		};

		const mode = probeModeOf(planned, config.mode ?? 'http');
		const path = config.path ?? '/';
		const timeoutMs = config.timeoutMs ?? 1000;
		const liveContext = this.liveContext(planned);
		let engine: Engine;
		if (config.remote) {
			const {remote} = config;
			// A series the plan leaves unjudged (a node's own Local NodePort) stays so while the cluster changes.
			const unjudged = 'error' in this.plan ? new Set<string>() : unjudgedLabels(this.plan, planned);
			engine = startRemoteProbeLoop({
				prober: remote,
				series: planned.series,
				mode,
				path,
				intervalMs: this.intervalMs,
				timeoutMs,
				count: config.count,
				service: planned.service,
				attributionContext: liveContext ?? (() => replan({services: [], endpointSlices: [], nodes: []}, planned)),
				onSample: (sample, expectation) => onSample(sample, unjudged.has(sample.target) ? undefined : expectation),
				onFailure: reason => {
					if (isCurrent()) {
						this.remoteError = `from ${remote.where}: ${reason}`;
						this.changed();
					}
				},
			});
		} else {
			engine = startProbeEngine({
				series: planned.series,
				mode,
				resolveName: config.resolveName,
				path,
				intervalMs: this.intervalMs,
				count: config.count,
				timeoutMs,
				concurrency: config.concurrency ?? 1,
				index: planned.index,
				service: planned.service,
				candidates: planned.candidates,
				attributionContext: liveContext,
				match: config.match,
				resolveAddress: config.resolveAddress,
				conntrack: config.conntrack ?? 'auto',
				tableGuard: config.tableGuard,
				onHold: reason => {
					if (isCurrent()) {
						this.held = reason;
						this.changed();
					}
				},
				// The session keeps its own statistics; the engine's ring is not read.
				capacity: 1,
				timers: config.timers,
				onSample,
			});
		}

		return engine;
	}

	/**
	 * Pods come and go while probing: attribute through the cluster as it is now, and expect what
	 * its ready endpoints promise now (planned again only when the cluster or the rules moved).
	 * A fixed plan (host:port) has no cluster to follow.
	 */
	private liveContext(planned: ProbePlan): (() => LivePlan) | undefined {
		const {target} = this.options;
		if (target.kind !== 'service') {
			return undefined;
		}

		const shares = natSharesFrom(this.natRules, this.config.natNode, this.config.probabilities);
		// Asked twice per probe: compared field by field, no key string per call.
		let seenVersion = -1;
		let seenNamespace: string | undefined;
		let seenNatVersion = -1;
		let context: LivePlan | undefined;
		return () => {
			const current = target.source.snapshot();
			if (!context || current.version !== seenVersion || current.namespace !== seenNamespace || this.natVersion !== seenNatVersion) {
				seenVersion = current.version;
				seenNamespace = current.namespace;
				seenNatVersion = this.natVersion;
				context = replan(objectsOf(current), planned, shares);
			}

			return context;
		};
	}
}
