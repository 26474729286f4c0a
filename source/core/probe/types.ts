/** How a sample's pod was found, in the order svctop tries them. */
export type AttributionMethod = 'conntrack' | 'response' | 'peer' | 'unknown';

/** `resolve`: look the name up (an ExternalName Service without ports has nothing else to probe). */
export type ProbeMode = 'http' | 'tcp' | 'dns' | 'resolve';

/** What one address of a Service is, as far as probing goes. */
export type TargetKind = 'clusterIP' | 'nodePort' | 'externalIP' | 'loadBalancer' | 'dns' | 'endpoint' | 'address';

/** One series of probes: one address (and, for NodePorts, one node). */
export type ProbeTarget = {
	/** Shown in output and JSON: `host:port` or the URL. */
	readonly label: string;
	readonly kind: TargetKind;
	readonly host: string;
	readonly port: number;
	readonly protocol: 'TCP' | 'UDP';
	/** For URL targets: the scheme decides http or https. */
	readonly scheme?: 'http' | 'https';
	/** For URL targets: the path and query from the URL. */
	readonly path?: string;
	/** The node whose address this is (NodePort series). */
	readonly node?: string;
};

/** One probe's outcome after attribution. Failures are samples too. */
export type ProbeSample = {
	/** From 0 inside svctop; what people see (the text lines and `--json`) counts from 1, kubectl-style. */
	readonly seq: number;
	/** Milliseconds since the run started. */
	readonly t: number;
	readonly target: string;
	readonly ok: boolean;
	readonly latencyMs: number;
	/**
	 * The pod that answered; for a timeout, the pod conntrack says kube-proxy sent it to (it did not
	 * answer: `failedToOf` tells the two apart).
	 */
	readonly pod: string | null;
	readonly node: string | null;
	/** `ip:port` of the endpoint that answered (or, for a timeout, that it was sent to), when known. */
	readonly endpoint: string | null;
	readonly via: AttributionMethod;
	/** `refused`, `reset`, `timeout`, `dns failure`, `unreachable`, `http 503`, ... or null. */
	readonly error: string | null;
	/**
	 * Set when kube-proxy was told to drop this probe (why, e.g. `Local, no endpoints on node-b`):
	 * a timeout is then dropped as expected; an answer is one that should not have come.
	 */
	readonly dropExpected?: string;
};
