import {parseConntrackLine} from '../../core/probe/conntrack-line.js';
import {formatHost} from '../../core/probe/target.js';
import type {ProbeMode, ProbeTarget} from '../../core/probe/types.js';
import type {CommandResult, CommandRunner} from '../nat/read-dump.js';

/** The client program a probe runs with inside the pod. */
export type ProbeTool = 'curl' | 'wget' | 'nc';

/** One probe made inside a pod, before attribution. */
export type RemoteProbeResult = {
	readonly ok: boolean;
	readonly latencyMs: number;
	/** `refused`, `timeout`, `http 503`, ... */
	readonly error: string | null;
	readonly responseText?: string;
	/** The endpoint conntrack saw the connection DNATed to (node vantage points). */
	readonly conntrackReply?: {readonly ip: string; readonly port: number};
	/** Set when the exec itself failed (forbidden, pod gone): the run should stop, not count a failure. */
	readonly execFailure?: string;
};

const marker = '__svctop__';

/** The line probeArgv's `curl -w` adds after the body (the demo's stand-in curl writes it too). */
export function curlReportLine(status: number, seconds: number, localPort: number): string {
	return `\n${marker} ${status} ${seconds} ${localPort}`;
}

function execFailureOf(result: CommandResult & {failure?: string}): string | undefined {
	// A command that ran has an exit code; without one the exec did not happen (or was cut).
	return result.code === null && result.errorCode === undefined && !result.timedOut ? result.failure ?? 'exec failed' : undefined;
}

/** Which of curl, wget and nc the pod has, in that order of preference for `mode`; or why none. */
export async function detectProbeTool(runner: CommandRunner, mode: ProbeMode): Promise<{tool: ProbeTool} | {error: string}> {
	const wanted: ProbeTool[] = mode === 'tcp' ? ['nc', 'curl'] : ['curl', 'wget'];
	for (const tool of wanted) {
		// eslint-disable-next-line no-await-in-loop
		const result = await runner([tool, '--help'], 10_000) as CommandResult & {failure?: string};
		const failure = execFailureOf(result);
		if (failure !== undefined) {
			return {error: failure};
		}

		if (result.errorCode !== 'ENOENT') {
			return {tool};
		}
	}

	return {error: `the pod has none of ${wanted.join(', ')}: svctop needs one of them there to probe ${mode === 'tcp' ? 'TCP' : 'HTTP'}`};
}

function urlOf(target: ProbeTarget, path: string): string {
	return `${target.scheme ?? 'http'}://${formatHost(target.host)}:${target.port}${target.path ?? path}`;
}

const curlErrors: Record<number, string> = {6: 'dns failure', 7: 'refused', 28: 'timeout', 52: 'empty reply', 56: 'reset', 35: 'tls failure', 60: 'tls failure'};

/** The argv of one probe: fixed words and the target as single arguments, never a shell string. */
export function probeArgv(tool: ProbeTool, mode: ProbeMode, target: ProbeTarget, path: string, timeoutMs: number): string[] {
	const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
	if (tool === 'nc') {
		return ['nc', '-z', '-w', seconds, target.host, String(target.port)];
	}

	if (tool === 'wget') {
		return ['wget', '-q', '-O', '-', '-T', seconds, urlOf(target, path)];
	}

	// TCP with curl: connect only (telnet:// would wait for input), so the connect time is the latency.
	const wanted = mode === 'tcp' ? ['--connect-timeout', seconds, '-o', '/dev/null', `telnet://${formatHost(target.host)}:${target.port}`] : ['-o', '-', urlOf(target, path)];
	return ['curl', '-sS', '--max-time', String(timeoutMs / 1000), '-w', `\n${marker} %{http_code} %{time_total} %{local_port}`, ...wanted];
}

type CurlReport = {status: number; seconds: number; localPort: number; body: string};

function curlReport(stdout: string): CurlReport | undefined {
	const at = stdout.lastIndexOf(`\n${marker} `);
	if (at === -1) {
		return undefined;
	}

	const [status, seconds, localPort] = stdout.slice(at + marker.length + 2).trim().split(' ').map(Number);
	return {status: status ?? 0, seconds: seconds ?? 0, localPort: localPort ?? 0, body: stdout.slice(0, at)};
}

/** The reply side of the conntrack entry of the connection from `localPort` to the target. */
async function conntrackReply(runner: CommandRunner, target: ProbeTarget, localPort: number): Promise<{ip: string; port: number} | undefined> {
	const result = await runner(['conntrack', '-L', '-p', 'tcp', '--orig-dst', target.host, '--orig-port-dst', String(target.port), '--orig-port-src', String(localPort)], 5000);
	for (const line of result.stdout.split('\n')) {
		const entry = parseConntrackLine(line);
		if (entry && entry.original.sport === localPort) {
			return {ip: entry.reply.src, port: entry.reply.sport};
		}
	}

	return undefined;
}

/**
 * One probe from inside a pod. With `conntrack` (a debug pod on the node's network), the
 * connection's conntrack entry there names the endpoint kube-proxy picked.
 */
export async function probeInPod(runner: CommandRunner, tool: ProbeTool, options: {mode: ProbeMode; target: ProbeTarget; path: string; timeoutMs: number; conntrack: boolean}): Promise<RemoteProbeResult> {
	const argv = probeArgv(tool, options.mode, options.target, options.path, options.timeoutMs);
	const started = performance.now();
	const result = await runner(argv, options.timeoutMs + 10_000) as CommandResult & {failure?: string};
	const roundTripMs = performance.now() - started;
	const execFailure = execFailureOf(result);
	if (execFailure !== undefined) {
		return {ok: false, latencyMs: roundTripMs, error: 'exec failed', execFailure};
	}

	if (tool !== 'curl') {
		// Without curl's own timer the latency includes the exec round trip.
		const error = result.code === 0 ? null : result.timedOut ? 'timeout' : `${tool} exit ${result.code}`;
		return {ok: result.code === 0, latencyMs: roundTripMs, error, responseText: tool === 'wget' ? result.stdout : undefined};
	}

	const report = curlReport(result.stdout);
	const latencyMs = (report?.seconds ?? roundTripMs / 1000) * 1000;
	const reply = options.conntrack && report && report.localPort > 0 ? await conntrackReply(runner, options.target, report.localPort) : undefined;
	if (result.code !== 0) {
		return {ok: false, latencyMs, error: curlErrors[result.code ?? -1] ?? `curl exit ${result.code}`, conntrackReply: reply};
	}

	const httpFailure = options.mode === 'http' && report !== undefined && (report.status === 0 || report.status >= 500);
	return {ok: !httpFailure, latencyMs, error: httpFailure ? `http ${report!.status}` : null, responseText: report?.body, conntrackReply: reply};
}
