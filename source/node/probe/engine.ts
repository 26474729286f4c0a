import process from 'node:process';
import {performance} from 'node:perf_hooks';
import {attribute, attributeSentTo, isUnansweredTimeout, unknownAttribution, type Attribution, type ResponseCandidates} from '../../core/probe/attribution.js';
import {buildEndpointIndex, type EndpointIndex} from '../../core/probe/endpoint-index.js';
import {ProbeRunStats, type ProbeRunSnapshot, type SeriesSpec} from '../../core/probe/run-stats.js';
import type {LivePlan} from '../../core/probe/plan.js';
import type {Expectation} from '../../core/probe/service-targets.js';
import type {ProbeMode, ProbeSample, ProbeTarget} from '../../core/probe/types.js';
import {startConntrackLookup, type ConntrackLookup} from './conntrack.js';
import {startConntrackTableGuard, type ConntrackTableGuard} from './conntrack-table.js';
import {startProbe, type NameResolver, type ProbeHandle, type RawProbeResult} from './probe-once.js';
import {runScheduleWithCallbacks, type ScheduleResult, type Timers} from './scheduler.js';

export type AddressResolver = (ip: string, port: number) => {host: string; port: number} | undefined;

export type ProbeEngineOptions = {
	/** One entry per series, with what kube-proxy promises there. */
	readonly series: readonly SeriesSpec[];
	readonly mode: ProbeMode;
	/** HTTP path, or the name to query in DNS mode. */
	readonly path: string;
	/** Between rounds (every series is probed once per round); 0 = back to back. */
	readonly intervalMs: number;
	/** Probes in all, over every series (the last round may probe only the first few); undefined = until aborted. */
	readonly count?: number;
	readonly timeoutMs: number;
	/**
	 * Rounds in flight at most (a round probes each series once, so per series: probes in flight):
	 * a tick that finds them out waits for one to end. Closed loop (interval 0): workers.
	 */
	readonly concurrency: number;
	/** For attribution: addresses to pods and nodes. */
	readonly index?: EndpointIndex;
	/** `namespace/name` of the probed Service. */
	readonly service?: string;
	readonly candidates?: ResponseCandidates;
	/**
	 * When given, read per answer instead of `index`/`candidates`: the cluster changes while probing.
	 * Its `expectations` (by series label) are what each series should see at that moment.
	 */
	readonly attributionContext?: () => Pick<LivePlan, 'index' | 'candidates'> & {readonly expectations?: LivePlan['expectations']};
	readonly match?: RegExp;
	/** The demo maps cluster addresses onto loopback listeners; unmapped addresses are dialled as they are. */
	readonly resolveAddress?: AddressResolver;
	/** `resolve` mode: how a name is looked up (the demo's own DNS). Default: this machine's resolver. */
	readonly resolveName?: NameResolver;
	/** `auto`: use conntrack when root on Linux and a target is not loopback. */
	readonly conntrack?: 'auto' | 'off' | ConntrackLookup;
	/**
	 * `auto`: hold the loop while this node's conntrack table is nearly full of the probes' entries
	 * (when the table can be read here); a guard given is used as it is (tests).
	 */
	readonly tableGuard?: 'auto' | 'off' | ConntrackTableGuard;
	/** Called when the loop is held by the conntrack table (with why) and when it goes on (undefined). */
	readonly onHold?: (reason: string | undefined) => void;
	/** Samples kept for charts (ring buffer). */
	readonly capacity?: number;
	/** Each sample, with the expectation its series had when it was sent (when the context gives one). */
	readonly onSample?: (sample: ProbeSample, expectation: Expectation | undefined) => void;
	readonly timers?: Timers;
};

export type ProbeEngine = {
	/** A copy of the live state: series statistics, recent samples for lanes and latency charts. */
	snapshot(): ProbeRunSnapshot;
	/** Resolves when the count is reached or the run was stopped. */
	/** `cancelled`: probes a stop cut short (in flight then; not recorded). */
	readonly done: Promise<ScheduleResult & {readonly cancelled: number}>;
	/** Stops scheduling, cancels probes in flight (they are not recorded) and waits for the end. */
	stop(): Promise<ScheduleResult & {readonly cancelled: number}>;
};

const defaultDnsName = 'kubernetes.default.svc.cluster.local';

/** An answer (or a timeout) waiting for its conntrack entry before it is recorded. */
type WaitingRecord = {
	readonly target: ProbeTarget;
	readonly address: {host: string; port: number};
	/** The original destination conntrack names (the dialled address). */
	readonly destination: {ip: string; port: number};
	readonly raw: RawProbeResult;
	readonly seq: number;
	readonly probeStart: number;
	readonly answered: boolean;
	/** No answer came in time: conntrack may still say where the request was sent. */
	readonly timedOut: boolean;
	reply: {ip: string; port: number} | undefined;
	readonly sent: Expectation | undefined;
	settled: boolean;
};

function isLoopback(host: string): boolean {
	return host.startsWith('127.') || host === '::1' || host === 'localhost';
}

function shouldUseConntrack(dialled: ReadonlyArray<{host: string}>): boolean {
	return process.platform === 'linux' && process.getuid?.() === 0 && dialled.some(address => !isLoopback(address.host));
}

/** Our own controller, aborted with the caller's signal; `unlink` forgets the caller's. */
function linkAbort(signal: AbortSignal | undefined): {controller: AbortController; unlink: () => void} {
	const controller = new AbortController();
	const onOuterAbort = () => controller.abort();
	signal?.addEventListener('abort', onOuterAbort, {once: true});
	if (signal?.aborted) {
		controller.abort();
	}

	return {controller, unlink: () => signal?.removeEventListener('abort', onOuterAbort)};
}

/** The lookup given, or one of our own (`own`: we close it) when `auto` finds conntrack worth it. */
function chooseConntrack(options: ProbeEngineOptions, dialled: ReadonlyArray<{host: string; port: number}>, protocol: 'tcp' | 'udp'): {conntrack: ConntrackLookup | undefined; own: boolean} {
	if (typeof options.conntrack === 'object') {
		return {conntrack: options.conntrack, own: false};
	}

	if ((options.conntrack ?? 'auto') === 'auto' && options.mode !== 'resolve' && shouldUseConntrack(dialled)) {
		const ports = new Set(dialled.map(address => address.port));
		const hosts = new Set(dialled.map(address => address.host));
		const conntrack = startConntrackLookup({
			protocols: [protocol],
			destinationPort: ports.size === 1 ? [...ports][0] : undefined,
			destinationAddress: hosts.size === 1 ? [...hosts][0] : undefined,
		});
		return {conntrack, own: true};
	}

	return {conntrack: undefined, own: false};
}

/** What each target's probes ask for, built once per run. */
function buildRequests(options: ProbeEngineOptions, targets: readonly ProbeTarget[], dialled: ReadonlyArray<{host: string; port: number}>, wantLocal: boolean) {
	const dnsName = options.path && !options.path.startsWith('/') ? options.path : defaultDnsName;
	return targets.map((target, i) => {
		const address = dialled[i]!;
		const hostHeader = target.kind === 'address' || target.kind === 'dns'
			? (target.port === (target.scheme === 'https' ? 443 : 80) ? target.host : `${target.host}:${target.port}`)
			: `${target.host}:${target.port}`;
		if (options.mode === 'resolve') {
			return {kind: 'resolve' as const, request: {host: target.host, port: 0, timeoutMs: options.timeoutMs, name: target.host, resolver: options.resolveName}};
		}

		return {
			kind: options.mode === 'dns' ? 'dns' as const : (options.mode === 'tcp' && !target.scheme ? 'tcp' as const : 'http' as const),
			request: {host: address.host, port: address.port, timeoutMs: options.timeoutMs, wantLocal, name: dnsName, path: target.path ?? options.path, scheme: target.scheme, hostHeader},
		};
	});
}

/**
 * Probes in flight, in start order: one sweep ends those past their timeout (no timer per probe)
 * and an abort ends them all (no listener per probe).
 */
function trackInFlight(timeoutMs: number, signal: AbortSignal): {inFlight: Set<ProbeHandle>; close: () => void} {
	const inFlight = new Set<ProbeHandle>();
	const sweepMs = Math.min(50, Math.max(1, Math.floor(timeoutMs / 20)));
	const sweep = setInterval(() => {
		const now = performance.now();
		for (const handle of inFlight) {
			if (now - handle.start < timeoutMs) {
				break;
			}

			inFlight.delete(handle);
			handle.end('timeout');
		}
	}, sweepMs);
	// Every probe in flight holds a socket (or a lookup) that keeps the process alive on its own.
	sweep.unref();
	const onAbort = () => {
		for (const handle of inFlight) {
			inFlight.delete(handle);
			handle.end('aborted');
		}
	};

	signal.addEventListener('abort', onAbort, {once: true});
	return {
		inFlight,
		close() {
			clearInterval(sweep);
			signal.removeEventListener('abort', onAbort);
		},
	};
}

/**
 * Answers whose record waits for a conntrack event, in the order they came; later answers queue
 * behind them to keep that order. Plain objects and a callback: no promise per probe.
 */
function inOrderRecords(record: (entry: Omit<WaitingRecord, 'settled'>) => void) {
	const waiting: WaitingRecord[] = [];
	let drained: (() => void) | undefined;
	const recordSafely = (entry: Omit<WaitingRecord, 'settled'>) => {
		try {
			record(entry);
		} catch {
			// A failing listener must not stop the run.
		}
	};

	const flush = () => {
		while (waiting.length > 0 && waiting[0]!.settled) {
			recordSafely(waiting.shift()!);
		}

		if (waiting.length === 0 && drained) {
			const resolve = drained;
			drained = undefined;
			resolve();
		}
	};

	return {
		/** A settled entry is recorded at once unless older ones still wait. */
		add(entry: WaitingRecord) {
			if (entry.settled && waiting.length === 0) {
				recordSafely(entry);
			} else {
				waiting.push(entry);
			}
		},
		/** Marks a waiting entry settled and records all that can go now. */
		settle(entry: WaitingRecord, reply: {ip: string; port: number} | undefined) {
			entry.reply = reply;
			entry.settled = true;
			flush();
		},
		/** Resolves once every waiting entry has been recorded; undefined when none waits. */
		drain(): Promise<void> | undefined {
			return waiting.length === 0 ? undefined : new Promise<void>(resolve => {
				drained = resolve;
			});
		},
	};
}

/**
 * Who answered, from conntrack's reply, the response or the peer; as the cluster is now. A timeout
 * names where kube-proxy sent it, from conntrack's reply only.
 */
function attributeAnswer(options: ProbeEngineOptions, entry: Omit<WaitingRecord, 'settled'>, context: Pick<LivePlan, 'index' | 'candidates'>): Attribution {
	const {target, address, raw, answered, reply} = entry;
	if (!answered) {
		return entry.timedOut ? attributeSentTo({target, index: context.index, service: options.service, conntrackReply: reply}) : unknownAttribution;
	}

	// A lookup's answer is its address set: that is what answered, no pod behind it.
	if (options.mode === 'resolve' && raw.ok && raw.peer) {
		return {pod: null, node: null, endpoint: raw.peer.address, via: 'response'};
	}

	// Behind the demo's loopback listeners the peer is a stand-in: the logical address is the one to name.
	const peer = raw.peer === undefined
		? undefined
		: (address.host === target.host && address.port === target.port ? {ip: raw.peer.address, port: raw.peer.port} : {ip: target.host, port: target.port});
	return attribute({
		target,
		index: context.index,
		service: options.service,
		conntrackReply: reply,
		responseText: raw.responseText,
		candidates: context.candidates,
		match: options.match,
		peer,
	});
}

/** Turns one answer into a sample (attributed as the cluster is now) and hands it on. */
function makeRecorder(options: ProbeEngineOptions, stats: ProbeRunStats, index: EndpointIndex, started: number) {
	// By conntrack an answer names the same pod for the same reply endpoint (one object per pod port),
	// target and index: worked out once, not per probe.
	const byReply = new WeakMap<object, {readonly index: EndpointIndex; readonly target: ProbeTarget; readonly attribution: Attribution}>();
	return (entry: Omit<WaitingRecord, 'settled'>): void => {
		const {target, raw, reply, sent} = entry;
		const context = options.attributionContext?.() ?? {index, candidates: options.candidates, expectations: undefined};
		const cached = reply === undefined || !entry.answered ? undefined : byReply.get(reply);
		let attribution: Attribution;
		if (cached !== undefined && cached.index === context.index && cached.target === target) {
			attribution = cached.attribution;
		} else {
			attribution = attributeAnswer(options, entry, context);
			if (reply !== undefined && entry.answered && attribution.via === 'conntrack') {
				byReply.set(reply, {index: context.index, target, attribution});
			}
		}

		const sample: ProbeSample = {
			seq: entry.seq,
			t: Math.round((entry.probeStart - started) * 1000) / 1000,
			target: target.label,
			ok: raw.ok,
			latencyMs: Math.round(raw.latencyMs * 1000) / 1000,
			pod: attribution.pod,
			node: attribution.node,
			endpoint: attribution.endpoint,
			via: attribution.via,
			error: raw.error,
		};
		const expectation = sent ?? context.expectations?.get(target.label);
		// As recorded: marked where kube-proxy is told to drop it.
		options.onSample?.(stats.add(sample, expectation), expectation);
	};
}

/** The table guard given, or one of our own (`own`: we close it) when `auto` finds the table readable. */
function chooseTableGuard(options: ProbeEngineOptions, protocol: 'tcp' | 'udp'): {guard: ConntrackTableGuard | undefined; own: boolean} {
	if (typeof options.tableGuard === 'object') {
		return {guard: options.tableGuard, own: false};
	}

	// A lookup by name opens no connection to the targets.
	return (options.tableGuard ?? 'auto') === 'auto' && options.mode !== 'resolve'
		? {guard: startConntrackTableGuard({protocol}), own: true}
		: {guard: undefined, own: false};
}

/** What the run reads of this node's conntrack (the event lookup, the table guard), and how to let go of it at the end. */
function conntrackSides(options: ProbeEngineOptions, dialled: ReadonlyArray<{host: string; port: number}>, protocol: 'tcp' | 'udp') {
	const {conntrack, own: ownConntrack} = chooseConntrack(options, dialled, protocol);
	const {guard, own: ownGuard} = chooseTableGuard(options, protocol);
	const unsubscribe = guard?.subscribe(reason => options.onHold?.(reason));
	return {
		conntrack,
		guard,
		close() {
			if (ownConntrack) {
				conntrack?.close();
			}

			unsubscribe?.();
			if (ownGuard) {
				guard?.close();
			}
		},
	};
}

/**
 * Rounds on the schedule: each probes every series once (the last may probe only the first few, to meet the count).
 * A round due while the conntrack table holds the loop waits for it (in flight meanwhile: the schedule skips ticks).
 */
function scheduleRounds(options: ProbeEngineOptions, seriesCount: number, signal: AbortSignal, guard: ConntrackTableGuard | undefined, probe: (i: number, probeDone: () => void) => void): Promise<ScheduleResult> {
	return runScheduleWithCallbacks(
		{
			intervalMs: options.intervalMs,
			count: options.count === undefined ? undefined : Math.ceil(options.count / Math.max(1, seriesCount)),
			concurrency: options.concurrency,
			signal,
			timers: options.timers,
		},
		(round, roundDone) => {
			const size = options.count === undefined ? seriesCount : Math.min(seriesCount, options.count - (round * seriesCount));
			let pending = size;
			const probeDone = () => {
				if (--pending === 0) {
					roundDone();
				}
			};

			const launch = () => {
				for (let i = 0; i < size; i++) {
					probe(i, probeDone);
				}
			};

			if (guard === undefined) {
				launch();
			} else {
				// Given up when the run stops, so the stop is not held up by a round that waits.
				guard.whenClear(launch, roundDone, signal);
			}
		},
	);
}

/**
 * Answers (and timeouts) not looked up and recorded yet. That work waits until the next probe's request is out
 * (or no probe is about to send one): then it runs while the server answers, not between a connect
 * and its request.
 */
function answerQueue(conntrack: ConntrackLookup | undefined, protocol: 'tcp' | 'udp', records: ReturnType<typeof inOrderRecords>) {
	const answers: WaitingRecord[] = [];
	return {
		add(entry: WaitingRecord): void {
			answers.push(entry);
		},
		/** Looks up, attributes and records every answer waiting. */
		lookUp(): void {
			// One at a time from the front: a listener that stops the run ends probes, which call this again.
			while (answers.length > 0) {
				const entry = answers.shift()!;
				const source = (entry.answered || entry.timedOut) && conntrack?.active ? entry.raw.local : undefined;
				// Usually the flow's NEW event is in already (it came with the SYN): recorded at once then.
				entry.reply = source === undefined ? undefined : conntrack!.known(protocol, source, entry.destination, entry.probeStart);
				// A timeout's event, if any, came long before it: one not in is none (a SYN dropped before
				// conntrack confirmed it), not worth a listing process, nor a miss that would turn conntrack off.
				entry.settled = source === undefined || entry.reply !== undefined || entry.timedOut;
				records.add(entry);
				if (!entry.settled) {
					conntrack!.wait(protocol, source!, entry.destination, entry.probeStart, reply => {
						records.settle(entry, reply);
					});
				}
			}
		},
	};
}

/** Starts a probe run; samples flow into running statistics and `onSample`. */
export function startProbeEngine(options: ProbeEngineOptions, signal?: AbortSignal): ProbeEngine {
	const stats = new ProbeRunStats(options.series, options.capacity ?? 1024);
	const {controller, unlink} = linkAbort(signal);
	const index = options.index ?? buildEndpointIndex([]);
	const targets = options.series.map(spec => spec.target);
	const dialled = targets.map(target => options.resolveAddress?.(target.host, target.port) ?? {host: target.host, port: target.port});
	// What conntrack names as each probe's original destination (built once, not per probe).
	const destinations = dialled.map(address => ({ip: address.host, port: address.port}));
	const protocol = options.mode === 'dns' ? 'udp' : 'tcp';
	const {conntrack, guard, close: closeConntrack} = conntrackSides(options, dialled, protocol);
	const started = performance.now();
	// Our own address is read (a syscall per probe) only when conntrack will look it up.
	const requests = buildRequests(options, targets, dialled, conntrack !== undefined);
	let seq = 0;
	let cancelled = 0;
	const tracker = trackInFlight(options.timeoutMs, controller.signal);
	const records = inOrderRecords(makeRecorder(options, stats, index, started));

	const answers = answerQueue(conntrack, protocol, records);
	const lookUpAnswers = answers.lookUp;
	// Probes started whose request is not out yet (and that have not ended).
	let sending = 0;
	const probe = (i: number, probeDone: () => void): void => {
		const target = targets[i]!;
		const {kind: probeKind, request} = requests[i]!;
		const mySeq = seq++;
		// What this probe should meet, as the cluster is when it goes out: it is judged against that.
		const expected = options.attributionContext?.().expectations?.get(target.label);
		if (conntrack?.active) {
			// What conntrack reported before this probe starts is another flow's (see `since`).
			conntrack.beforeProbe();
		}

		guard?.noteProbe();
		const probeStart = performance.now();
		let ended = false;
		let requestOut = false;
		sending++;
		const handle = startProbe(probeKind, request, raw => {
			ended = true;
			tracker.inFlight.delete(handle);
			if (!requestOut) {
				requestOut = true;
				sending--;
			}

			// The request is over: the schedule goes on (the next probe's connect goes out) before
			// this answer is looked up, attributed and recorded. Records stay in the order answers came.
			probeDone();
			// Earlier answers go now, whatever the next probe does (not every kind of probe says when its request is out).
			lookUpAnswers();
			if (raw.aborted) {
				cancelled++;
				return;
			}

			// Only an answer tells who answered; a timeout's flow still tells where it was sent (a refused probe: nowhere known).
			const answered = raw.responseText !== undefined || raw.ok;
			const timedOut = isUnansweredTimeout(raw);
			answers.add({target, address: dialled[i]!, destination: destinations[i]!, raw, seq: mySeq, probeStart, answered, timedOut, reply: undefined, sent: expected, settled: false});
			if (sending === 0) {
				lookUpAnswers();
			}
		}, () => {
			if (!requestOut && !ended) {
				requestOut = true;
				sending--;
				lookUpAnswers();
			}
		});
		if (!ended) {
			tracker.inFlight.add(handle);
		}
	};

	// Probes sent before conntrack listens would have no event (each would cost a listing): wait for it.
	const rounds = conntrack?.ready
		? conntrack.ready.then(async () => scheduleRounds(options, targets.length, controller.signal, guard, probe))
		: scheduleRounds(options, targets.length, controller.signal, guard, probe);
	const done = rounds.then(async result => {
		lookUpAnswers();
		const drained = records.drain();
		if (drained) {
			await drained;
		}

		return {...result, cancelled};
	}).finally(() => {
		tracker.close();
		unlink();
		closeConntrack();
	});

	return {
		snapshot: () => stats.snapshot(),
		done,
		async stop() {
			controller.abort();
			return done;
		},
	};
}
