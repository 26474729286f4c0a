import type {ExecAnswer, ExecHook} from '../apiserver/pod-access.js';
import {curlReportLine} from '../../node/access/remote-probe.js';

/** Where a cluster address is served on loopback by the demo's data plane. */
type AddressResolver = (ip: string, port: number) => {host: string; port: number} | undefined;

/** The rule tools a debug pod runs, answered from the demo's generated dump for the pod's node. */
const iptablesSaves = new Set(['iptables-save', 'iptables-nft-save', 'iptables-legacy-save']);

/**
 * Exec in the demo's pods: nothing runs on this machine. The iptables-save family prints the dump
 * the demo's kube-proxy would hold on the pod's node (the legacy backend is empty, as on a modern
 * node), kube-proxy's mode port says iptables, and anything else is not in the demo.
 */
export function demoExecHook(ruleDump: (node: string) => string, resolveAddress?: () => AddressResolver | undefined): ExecHook {
	return async (pod, argv): Promise<ExecAnswer> => {
		const [program = '', ...args] = argv;
		if (iptablesSaves.has(program) && pod.nodeName) {
			return program === 'iptables-legacy-save' ? {stdout: '', exitCode: 0} : {stdout: ruleDump(pod.nodeName), exitCode: 0};
		}

		if (program === 'curl' && args.at(-1) === 'http://127.0.0.1:10249/proxyMode') {
			return {stdout: 'iptables', exitCode: 0};
		}

		if (program === 'curl' && args.at(-1) === 'http://127.0.0.1:10249/metrics') {
			// The demo's rules are written from the objects as they are now: synced this moment.
			const seconds = (Date.now() / 1000).toFixed(3);
			return {stdout: `kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds ${seconds}\nkubeproxy_sync_proxy_rules_last_timestamp_seconds ${seconds}\n`, exitCode: 0};
		}

		const resolver = resolveAddress?.();
		if (program === 'curl' && resolver && args.includes('-w')) {
			return demoCurl(args, resolver);
		}

		if (program === 'curl' && args[0] === '--help') {
			return {stdout: 'Usage: curl [options...] <url>\n', exitCode: 0};
		}

		// Anything else is not in the demo's pods, as a program missing from an image.
		return {stdout: '', exitCode: 127, notFound: true};
	};
}

/**
 * `curl ... -w REPORT URL` from a demo pod: the request goes to the demo's data plane (which picks a
 * pod with kube-proxy's probabilities), the body comes back with the report line svctop's probe
 * reads. No conntrack here: the answer's body names the pod.
 */
async function demoCurl(args: readonly string[], resolver: AddressResolver): Promise<ExecAnswer> {
	const url = new URL(args.at(-1) ?? '');
	const maxTime = Number(args[args.indexOf('--max-time') + 1] ?? '1');
	const dialled = resolver(url.hostname.replaceAll(/^\[|\]$/g, ''), Number(url.port || 80));
	if (dialled === undefined) {
		return {stdout: curlReportLine(0, 0, 0), stderr: `curl: (7) Failed to connect to ${url.host}\n`, exitCode: 7};
	}

	const started = performance.now();
	try {
		const response = await fetch(`http://${dialled.host}:${dialled.port}${url.pathname}${url.search}`, {signal: AbortSignal.timeout(maxTime * 1000)});
		const body = await response.text();
		return {stdout: body + curlReportLine(response.status, (performance.now() - started) / 1000, 0), exitCode: 0};
	} catch (error) {
		const timedOut = (error as Error).name === 'TimeoutError';
		return {stdout: curlReportLine(0, (performance.now() - started) / 1000, 0), stderr: `curl: (${timedOut ? 28 : 7}) ${timedOut ? 'Operation timed out' : 'Failed to connect'}\n`, exitCode: timedOut ? 28 : 7};
	}
}
