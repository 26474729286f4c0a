import {attribute} from '../../core/probe/attribution.js';
import type {LivePlan} from '../../core/probe/plan.js';
import type {SeriesSpec} from '../../core/probe/run-stats.js';
import type {Expectation} from '../../core/probe/service-targets.js';
import type {ProbeMode, ProbeSample, ProbeTarget} from '../../core/probe/types.js';
import type {RemoteProbeResult} from './remote-probe.js';
import {abortableSleep} from '../../util/abortable-sleep.js';

/** Sends one probe from somewhere else (a node through a debug pod there). */
export type RemoteProber = {
	/** Where the probes start, for the header, e.g. `node/worker via debug pod`. */
	readonly where: string;
	probe(target: ProbeTarget, options: {readonly mode: ProbeMode; readonly path: string; readonly timeoutMs: number}): Promise<RemoteProbeResult>;
};

export type RemoteProbeLoopOptions = {
	readonly prober: RemoteProber;
	readonly series: readonly SeriesSpec[];
	readonly mode: ProbeMode;
	readonly path: string;
	readonly intervalMs: number;
	readonly timeoutMs: number;
	/** Probes in all; undefined = until stopped. */
	readonly count?: number;
	readonly service?: string;
	/** The cluster as it is now, for attribution and what each series should see. */
	readonly attributionContext: () => LivePlan;
	readonly onSample: (sample: ProbeSample, expectation: Expectation | undefined) => void;
	/** The exec itself failed (forbidden, pod gone): the loop stops, nothing is counted. */
	readonly onFailure: (reason: string) => void;
};

/**
 * The probe loop of the dashboard from a remote vantage point: one probe at a time (each is an
 * exec), every series once per round, attributed by the conntrack reply there or the answer.
 */
export function startRemoteProbeLoop(options: RemoteProbeLoopOptions): {readonly done: Promise<void>; stop(): Promise<void>} {
	const abort = new AbortController();
	const {signal} = abort;
	const started = performance.now();
	const loop = async () => {
		if (options.mode === 'dns' || options.mode === 'resolve') {
			// The pod has curl, wget or nc: a DNS probe there would be an HTTP probe of a name, not a lookup.
			options.onFailure('DNS probes run from this machine only (w: pick this machine, or v: another target)');
			return;
		}

		let seq = 0;
		while (!signal.aborted && (options.count === undefined || seq < options.count)) {
			for (const spec of options.series) {
				if (signal.aborted || (options.count !== undefined && seq >= options.count)) {
					return;
				}

				const sentAt = performance.now();
				// Judged against what was expected when it was sent; attributed by the cluster as it is when it came back.
				const expectation = options.attributionContext().expectations.get(spec.target.label);
				// eslint-disable-next-line no-await-in-loop
				const result = await options.prober.probe(spec.target, {mode: options.mode, path: options.path, timeoutMs: options.timeoutMs});
				if (signal.aborted) {
					return;
				}

				if (result.execFailure !== undefined) {
					options.onFailure(result.execFailure);
					return;
				}

				const context = options.attributionContext();
				const who = attribute({target: spec.target, index: context.index, service: options.service, conntrackReply: result.conntrackReply, responseText: result.responseText, candidates: context.candidates});
				const sample: ProbeSample = {
					seq: seq++,
					t: Math.round((sentAt - started) * 1000) / 1000,
					target: spec.target.label,
					ok: result.ok,
					latencyMs: Math.round(result.latencyMs * 1000) / 1000,
					...who,
					error: result.error,
				};
				options.onSample(sample, expectation);
			}

			// eslint-disable-next-line no-await-in-loop
			await abortableSleep(options.intervalMs, signal);
		}
	};

	const done = loop().catch((error: unknown) => {
		options.onFailure(error instanceof Error ? error.message : String(error));
	});
	return {
		done,
		async stop() {
			abort.abort();
			await done;
		},
	};
}
