import {demoClusterCidr, demoNodes} from './cluster.js';
import {demoLocalNode, startDemoCluster, type DemoCluster} from './start-demo.js';
import {startDemoDataPlane} from './data-plane.js';
import {generateIptablesSave} from '../generate/iptables.js';
import type {NameResolution} from '../../core/detail/describe-service.js';
import {resolveName} from '../../node/resolve-name.js';
import {demoDnsClient} from './demo-dns.js';
import {demoExecHook} from './demo-exec.js';

/** Everything `--demo` runs: the API server, its timeline, the rule dump and (for probes) the data plane. */
export type Demo = {
	readonly cluster: DemoCluster;
	/** The node whose rules `ruleDump()` gives when no node is named: where `svctop probe --demo` runs. */
	readonly localNode: string;
	/** The kube-proxy iptables-save dump the demo's node (or `node`) would hold right now. */
	ruleDump(node?: string): string;
	/** Where a cluster address (ClusterIP, NodePort, external IP) is served on loopback, when the data plane runs. */
	resolveAddress?: (ip: string, port: number) => {host: string; port: number} | undefined;
	/** Resolves a name in the demo's own DNS (never this machine's resolver). */
	resolveName(name: string): Promise<NameResolution>;
	stop(): Promise<void>;
};

export async function startDemo(options: {withDataPlane: boolean; stepMs?: number}): Promise<Demo> {
	// Debug pods' exec prints the rule dump of their node (demo-exec.ts); `ruleDump` is bound below.
	const cluster: DemoCluster = await startDemoCluster({stepMs: options.stepMs, exec: demoExecHook(node => demo.ruleDump(node), () => demo.resolveAddress)});
	const dataPlane = options.withDataPlane ? await startDemoDataPlane(() => cluster.objects()) : undefined;
	const demo: Demo = {
		cluster,
		localNode: demoLocalNode,
		ruleDump(node = demoLocalNode) {
			const {services, slices, nodes} = cluster.objects();
			const local = demoNodes.find(n => n.name === node);
			if (!local) {
				throw new Error(`node "${node}" is not in the demo cluster (nodes: ${demoNodes.map(n => n.name).join(', ')})`);
			}

			return generateIptablesSave({services, endpointSlices: slices, nodes, nodeName: local.name, nodeIPs: [local.ip]}, {clusterCIDR: demoClusterCidr});
		},
		resolveAddress: dataPlane ? (ip, port) => dataPlane.resolveAddress(ip, port) : undefined,
		resolveName: async name => ({...(await resolveName(name, {dns: demoDnsClient(() => cluster.objects())})), resolver: 'the demo cluster\'s DNS'}),
		async stop() {
			await dataPlane?.close();
			await cluster.stop();
		},
	};
	return demo;
}
