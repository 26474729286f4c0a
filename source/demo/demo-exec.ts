import type {ExecAnswer, ExecHook} from '../apiserver/pod-access.js';

/** The rule tools a debug pod runs, answered from the demo's generated dump for the pod's node. */
const iptablesSaves = new Set(['iptables-save', 'iptables-nft-save', 'iptables-legacy-save']);

/**
 * Exec in the demo's pods: nothing runs on this machine. The iptables-save family prints the dump
 * the demo's kube-proxy would hold on the pod's node (the legacy backend is empty, as on a modern
 * node), kube-proxy's mode port says iptables, and anything else is not in the demo.
 */
export function demoExecHook(ruleDump: (node: string) => string): ExecHook {
	return (pod, argv): ExecAnswer => {
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

		// Anything else is not in the demo's pods, as a program missing from an image.
		return {stdout: '', exitCode: 127, notFound: true};
	};
}
