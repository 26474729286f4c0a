/** Pods svctop made carry this label, so leftovers can be found and removed (`svctop debug-pods`). */
export const managedByLabel = 'app.kubernetes.io/managed-by';
export const managedByValue = 'svctop';
export const debugPodSelector = `${managedByLabel}=${managedByValue}`;
/** Which node a debug pod was made for. */
export const nodeAnnotation = 'svctop.io/node';

/** A widely used network-debugging image with iptables, nft, ipvsadm, conntrack and curl. */
export const defaultDebugImage = 'nicolaka/netshoot:v0.13';
/** Pod Security Admission usually rejects host-network pods in other namespaces. */
export const defaultDebugNamespace = 'kube-system';
/** The pod ends itself after this long even if svctop is killed before it can delete it. */
export const defaultDeadlineSeconds = 600;
/** For sessions that last as long as the user wants (a probe loop, the dashboard). */
export const longDeadlineSeconds = 3600;
export const debugContainer = 'debug';

export type DebugPodRequest = {
	readonly node: string;
	readonly namespace: string;
	readonly image: string;
	readonly deadlineSeconds: number;
	/** Random suffix; injected in tests. */
	readonly suffix?: string;
};

/** `svctop-debug-NODE-xxxxx`, cut so it stays a valid 63-character DNS label. */
export function debugPodName(node: string, suffix: string): string {
	const cleaned = node.toLowerCase().replaceAll(/[^a-z\d-]+/g, '-').replaceAll(/^-+|-+$/g, '');
	const stem = `svctop-debug-${cleaned}`.slice(0, 63 - suffix.length - 1).replace(/-+$/, '');
	return `${stem}-${suffix}`;
}

/**
 * The pod: pinned to the node, on its network, allowed to read rules and conntrack (NET_ADMIN,
 * NET_RAW, not privileged), tolerating every taint, sleeping until svctop execs into it, and
 * ended by activeDeadlineSeconds should svctop never come back to delete it.
 */
export function debugPodManifest(request: DebugPodRequest): Record<string, unknown> {
	// The global Web Crypto, not node:crypto: this module's constants are read at every start (--help
	// shows them), and importing node:crypto would cost ~15 ms there.
	const suffix = request.suffix ?? Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString('hex').slice(0, 5);
	return {
		apiVersion: 'v1',
		kind: 'Pod',
		metadata: {
			name: debugPodName(request.node, suffix),
			namespace: request.namespace,
			labels: {[managedByLabel]: managedByValue, 'app.kubernetes.io/name': 'svctop-debug'},
			annotations: {[nodeAnnotation]: request.node},
		},
		spec: {
			nodeName: request.node,
			hostNetwork: true,
			dnsPolicy: 'ClusterFirstWithHostNet',
			restartPolicy: 'Never',
			activeDeadlineSeconds: request.deadlineSeconds,
			terminationGracePeriodSeconds: 0,
			automountServiceAccountToken: false,
			tolerations: [{operator: 'Exists'}],
			containers: [{
				name: debugContainer,
				image: request.image,
				command: ['sleep', String(request.deadlineSeconds)],
				securityContext: {capabilities: {add: ['NET_ADMIN', 'NET_RAW']}},
				resources: {requests: {cpu: '10m', memory: '16Mi'}},
			}],
		},
	};
}
