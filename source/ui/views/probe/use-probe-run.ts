import {performance} from 'node:perf_hooks';
import {useEffect, useMemo, useRef, useState} from 'react';
import {planServiceProbe, probeChoices, replan, type ClusterObjects, type LivePlan, type ProbeChoices, type ProbePlan} from '../../../core/probe/plan.js';
import {ProbeRunStats, type ProbeRunSnapshot} from '../../../core/probe/run-stats.js';
import {applicableVia, type Expectation, probeModeFor, type Via} from '../../../core/probe/service-targets.js';
import type {ProbeMode, ProbeSample} from '../../../core/probe/types.js';
import type {ClusterSnapshot} from '../../../kube/types.js';
import {startProbeEngine, type AddressResolver} from '../../../node/probe/engine.js';
import type {NameResolver} from '../../../node/probe/probe-once.js';
import type {Timers} from '../../../node/probe/scheduler.js';
import {natSharesFrom, startNatRules, type NatRulesLoader} from '../../../node/probe/nat-rules.js';
import {type RemoteProber, startRemoteProbeLoop} from '../../../node/access/remote-probe-loop.js';
import {unjudgedFromOwnNode} from '../../../core/probe/own-node.js';

/** How the probe view probes; fixed for the view's life. */
export type ProbeRunConfig = {
	/** Where the demo serves cluster addresses on loopback. Default: addresses are dialled as they are. */
	readonly resolveAddress?: AddressResolver;
	/** How an ExternalName's target is looked up (the demo's DNS). Default: this machine's resolver. */
	readonly resolveName?: NameResolver;
	/** Decoded NAT shares keyed `ip:port` (part 3), fixed; overrides `natRules`. Default: 1/n of the ready endpoints. */
	readonly probabilities?: ReadonlyMap<string, number>;
	/**
	 * Reads the node's kube-proxy rules for the expected shares: once when the view opens, again
	 * (at most every 5 s) when the cluster changes. Failing: 1/n of the ready endpoints. Default: none.
	 */
	readonly natRules?: NatRulesLoader;
	/** The node the rules are read on (another node's Local NodePort keeps 1/n). Default: unknown. */
	readonly natNode?: string;
	/** Default: `http`. */
	readonly mode?: ProbeMode;
	/** HTTP path. Default: `/`. */
	readonly path?: string;
	/** Default: 1000 ms. */
	readonly timeoutMs?: number;
	/** Rounds launched per tick. Default: 1. */
	readonly concurrency?: number;
	/** Probes per run (over every series), then the run is `finished`. Default: until stopped. */
	readonly count?: number;
	/** Samples kept for the charts. Default: 1024. */
	readonly capacity?: number;
	/** How often the view reads the statistics. Default: 250 ms (4 frames a second). */
	readonly refreshMs?: number;
	/** The engine's schedule clock (tests). Default: real timers. */
	readonly timers?: Timers;
	/** Default: `auto` (conntrack when root on Linux and the target is not loopback). */
	readonly conntrack?: 'auto' | 'off';
	/** Probe from elsewhere (a node through a debug pod), one exec per probe. Default: from this machine. */
	readonly remote?: RemoteProber;
	/** The node `remote` probes from: its own Local NodePort is probed but not judged. */
	readonly remoteNode?: string;
};

export type ProbeRunInput = {
	/** `namespace/name` of the Service. */
	readonly serviceKey: string;
	/** The latest cluster snapshot: plans are made from it, answers attributed through it. */
	readonly cluster: ClusterSnapshot;
	readonly clusterDomain: string;
	readonly via: Via;
	/** The Service port by name or number; undefined: the first. */
	readonly port?: string;
	readonly intervalMs: number;
	/** Whether probes should be sent. */
	readonly running: boolean;
	/** Whether the display is frozen; the engine keeps probing. */
	readonly paused: boolean;
	/** Bumped to throw the samples away and start counting again. */
	readonly generation: number;
	readonly config: ProbeRunConfig;
};

export type ProbeRun = {
	/** The statistics as last read (frozen while paused); undefined without a plan. */
	readonly snapshot: ProbeRunSnapshot | undefined;
	readonly description: string | undefined;
	/** Why there is no plan (Service not found, no nodePort, ...). */
	readonly error: string | undefined;
	readonly state: 'running' | 'stopped' | 'finished';
	/** Node of every endpoint of the planned Service port. */
	readonly endpointNodes: Readonly<Record<string, string | null>>;
	/** The Service's ports and the targets the chosen port has, for the `o` and `v` keys. */
	readonly choices: ProbeChoices;
	/** The target probed: the one asked for, or the next this Service port has. */
	readonly via: Via;
};

export const defaultProbeRefreshMs = 250;

function objectsOf(cluster: ClusterSnapshot): ClusterObjects {
	return {services: cluster.services, endpointSlices: cluster.endpointSlices, nodes: cluster.nodes};
}

/**
 * Owns one probe engine for the probe view. Samples go into statistics kept here, so changing the
 * interval or stopping and starting again keeps the counts; a new target (via) or a clear starts
 * new statistics. The statistics are read on one timer (about 4 fps), skipped while nothing
 * changed or the display is frozen. The engine is stopped on unmount and on every change of plan
 * or interval; probes in flight are cancelled, so a hanging target never blocks the screen.
 */
export function useProbeRun(input: ProbeRunInput): ProbeRun {
	const {serviceKey, cluster, clusterDomain, via, port, intervalMs, running, paused, generation, config} = input;
	const clusterRef = useRef(cluster);
	clusterRef.current = cluster;
	const slash = serviceKey.indexOf('/');
	const namespace = serviceKey.slice(0, slash);
	const name = serviceKey.slice(slash + 1);
	// A Service that shows up after the view opened (informers still listing) gets planned then.
	const exists = cluster.services.some(service => service.metadata?.namespace === namespace && service.metadata?.name === name);
	const {natRules: loadNatRules, natNode} = config;
	// The rules cache lives as long as the view; each read that changes the table bumps `natVersion`.
	const [natVersion, setNatVersion] = useState(0);
	const natRules = useMemo(
		() => (loadNatRules && !config.probabilities ? startNatRules(loadNatRules, {onChange: () => setNatVersion(previous => previous + 1)}) : undefined),
		[loadNatRules, config.probabilities],
	);
	useEffect(() => () => natRules?.close(), [natRules]);
	useEffect(() => {
		void natRules?.refresh();
	}, [natRules, cluster.version]);
	const natVersionRef = useRef(natVersion);
	natVersionRef.current = natVersion;
	const probabilities = useMemo(() => natSharesFrom(natRules, natNode, config.probabilities), [natRules, natNode, config.probabilities]);

	const spec = useMemo(() => ({kind: 'service' as const, namespace, name, ...(port === undefined ? {} : {port})}), [namespace, name, port]);
	const choices = useMemo(() => probeChoices(objectsOf(cluster), spec), [cluster, spec]);
	// A target this port does not have (a ClusterIP of a headless Service, a NodePort of a ClusterIP one) is skipped.
	const shownVia = applicableVia(via, choices.vias);
	const plan = useMemo<ProbePlan | {error: string}>(
		() => planServiceProbe(objectsOf(clusterRef.current), spec, shownVia, probabilities, clusterDomain),
		// `generation` and `exists` are triggers: a clear or the Service appearing plans again.
		// eslint-disable-next-line react-hooks/exhaustive-deps
		[spec, shownVia, probabilities, clusterDomain, generation, exists],
	);
	const {remote, remoteNode} = config;
	const planned = useMemo(
		() => ('error' in plan ? undefined : (remoteNode === undefined ? plan : unjudgedFromOwnNode(plan, remoteNode, clusterRef.current.services))),
		[plan, remoteNode],
	);
	// Why the remote loop stopped (the exec failed: forbidden, admission, no tool in the image).
	const [remoteError, setRemoteError] = useState<string | undefined>(undefined);
	const capacity = config.capacity ?? 1024;
	const run = useMemo(
		() => (planned ? {stats: new ProbeRunStats(planned.series, capacity), startedAt: performance.now(), added: 0, nextSeq: 0} : undefined),
		[planned, capacity],
	);

	const [snapshot, setSnapshot] = useState<ProbeRunSnapshot | undefined>(() => run?.stats.snapshot());
	const [finished, setFinished] = useState(false);
	const shownRef = useRef<{run: typeof run; added: number} | undefined>(undefined);
	const pausedRef = useRef(paused);
	pausedRef.current = paused;

	// The one scheduler of the view: read the statistics while the display is not frozen.
	const refreshMs = config.refreshMs ?? defaultProbeRefreshMs;
	useEffect(() => {
		const refresh = () => {
			const shown = shownRef.current;
			if (shown && shown.run === run && shown.added === (run?.added ?? 0)) {
				return;
			}

			shownRef.current = {run, added: run?.added ?? 0};
			setSnapshot(run?.stats.snapshot());
		};

		// A clear or a new target shows at once, even on a frozen display.
		refresh();
		if (paused) {
			return;
		}

		const timer = setInterval(refresh, refreshMs);
		return () => {
			clearInterval(timer);
		};
	}, [run, paused, refreshMs]);

	const {resolveAddress, resolveName, mode = 'http', path = '/', timeoutMs = 1000, concurrency = 1, count, timers, conntrack = 'auto'} = config;
	useEffect(() => {
		setFinished(false);
		setRemoteError(undefined);
		if (!running || !planned || !run) {
			return;
		}

		let cancelled = false;
		const offsetT = performance.now() - run.startedAt;
		const seqBase = run.nextSeq;
		// Pods come and go while probing: attribute through the cluster as it is now, and expect what
		// its ready endpoints promise now (planned again only when the snapshot's version moved).
		let contextVersion = '';
		let context: LivePlan | undefined;
		const liveContext = (): LivePlan => {
			const current = clusterRef.current;
			const version = `${current.version}/${natVersionRef.current}`;
			if (version !== contextVersion || !context) {
				contextVersion = version;
				context = replan(objectsOf(current), planned, probabilities);
			}

			return context;
		};

		const onSample = (sample: ProbeSample, expectation: Expectation | undefined) => {
			if (cancelled) {
				return;
			}

			const seq = seqBase + sample.seq;
			run.nextSeq = Math.max(run.nextSeq, seq + 1);
			run.added++;
			run.stats.add({...sample, seq, t: Math.round((sample.t + offsetT) * 1000) / 1000}, expectation);
		};

		// A series the plan leaves unjudged (a node's own Local NodePort) stays so while the cluster changes.
		const judged = new Set('error' in plan ? [] : plan.series.filter(spec => spec.expectation).map(spec => spec.target.label));
		const unjudged = new Set(planned.series.filter(spec => !spec.expectation && judged.has(spec.target.label)).map(spec => spec.target.label));
		const engine = remote ? startRemoteProbeLoop({
			prober: remote,
			series: planned.series,
			mode: planned.mode ?? (planned.servicePort ? probeModeFor(planned.servicePort, mode) : mode),
			path,
			intervalMs,
			timeoutMs,
			count,
			service: planned.service,
			attributionContext: liveContext,
			onSample: (sample, expectation) => onSample(sample, unjudged.has(sample.target) ? undefined : expectation),
			onFailure(reason) {
				if (!cancelled) {
					setRemoteError(`from ${remote.where}: ${reason}`);
				}
			},
		}) : startProbeEngine({
			series: planned.series,
			mode: planned.mode ?? (planned.servicePort ? probeModeFor(planned.servicePort, mode) : mode),
			resolveName,
			path,
			intervalMs,
			count,
			timeoutMs,
			concurrency,
			index: planned.index,
			service: planned.service,
			candidates: planned.candidates,
			attributionContext: liveContext,
			resolveAddress,
			conntrack,
			// The view keeps its own statistics; the engine's ring is not read.
			capacity: 1,
			timers,
			onSample,
		});
		void engine.done.then(() => {
			if (!cancelled) {
				setFinished(true);
				if (!pausedRef.current) {
					shownRef.current = {run, added: run.added};
					setSnapshot(run.stats.snapshot());
				}
			}
		});
		return () => {
			cancelled = true;
			void engine.stop();
		};
	}, [running, planned, run, intervalMs, mode, path, timeoutMs, concurrency, count, resolveAddress, resolveName, timers, conntrack, probabilities, remote, plan]);

	const endpointNodes = useMemo(() => {
		const nodes: Record<string, string | null> = {};
		for (const entry of planned?.candidates?.entries ?? []) {
			if (entry.pod) {
				nodes[entry.pod] = entry.node;
			}
		}

		return nodes;
	}, [planned]);

	return {
		snapshot: run ? snapshot : undefined,
		description: planned?.description,
		error: 'error' in plan ? plan.error : remoteError,
		state: !planned || !running ? 'stopped' : (finished ? 'finished' : 'running'),
		endpointNodes,
		choices,
		via: shownVia,
	};
}
