import type {KubeConfig} from '@kubernetes/client-node';
import type {Demo} from '../builtin-cluster/demo/demo.js';
import {kubeConfigFromYaml, resolveKubeConfig} from '../kube/kubeconfig.js';
import {type NatVantages, noNatVantages} from '../node/access/nat-vantages.js';
import {podExecProbeVantages, type ProbeVantages} from '../node/access/probe-vantages.js';
import type {CliConfig} from './run-command.js';

export type DashboardAccess = {vantages: NatVantages; probeVantages: ProbeVantages; close(): Promise<void>};

/** The kubeconfig node access talks through: the demo's own, or kubectl's lookup with --kubeconfig/--context. */
export function kubeConfigOf(config: CliConfig, demo: Demo | undefined): KubeConfig {
	if (demo) {
		return kubeConfigFromYaml(demo.cluster.kubeconfigYaml);
	}

	return resolveKubeConfig({kubeconfig: config.kubeconfig, context: config.context}).kubeConfig;
}

/**
 * The dashboard's vantage points without --debug-pod: exec into a running pod creates nothing, so it
 * needs no flag; a node needs a debug pod, so it is not offered. Kept apart from the debug-pod code
 * so a dashboard started without the flag does not load it.
 */
export function podExecAccess(config: CliConfig, demo: Demo | undefined): DashboardAccess {
	return {vantages: noNatVantages, probeVantages: podExecProbeVantages(kubeConfigOf(config, demo)), close: async () => undefined};
}
