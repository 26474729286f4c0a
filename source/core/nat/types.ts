import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';

/** What a node's kube-proxy rules do with each Service port's packets, as plain data; `line` is a rule's 1-based line in the dump. */

export type NatMode = 'iptables' | 'nftables' | 'ipvs';

/** How traffic reaches a Service port on this node. */
export type NatEntryKind = 'clusterIP' | 'nodePort' | 'externalIP' | 'loadBalancer';

export type NatProtocol = 'TCP' | 'UDP' | 'SCTP';

/** A problem found while parsing, decoding or cross-checking; `line` is null when no rule is involved. */
export type NatProblem = {readonly line: number | null; readonly message: string};

/** One place where the packet gets the masquerade mark (it will be SNATed on the way out). */
export type NatMasquerade = {
	/** Chain holding the rule, e.g. `KUBE-SVC-…`, `KUBE-EXT-…`, `service-…`. */
	readonly chain: string;
	/** Human condition, e.g. `source not in 10.0.0.0/8`, `always`, `source is a local address`. */
	readonly condition: string;
	readonly line: number | null;
};

export type NatEntry = {
	readonly kind: NatEntryKind;
	/** Destination address (or CIDR such as `127.0.0.0/8`); null for a NodePort on every local address. */
	readonly ip: string | null;
	readonly port: number;
	/** loadBalancerSourceRanges (plus any LB IPs kube-proxy allows from the node); empty = no restriction. */
	readonly sourceRanges: readonly string[];
	/** True when traffic from outside the node only reaches this node's endpoints (policy Local). */
	readonly localOnly: boolean;
	/** Chains walked from the entry rule up to the endpoint dispatch chain, e.g. [KUBE-FW-x, KUBE-EXT-x, KUBE-SVL-x]. */
	readonly path: readonly string[];
	/** Which endpoint list the path ends in; `none` when it ends nowhere (dropped or rejected). */
	readonly target: 'cluster' | 'local' | 'none';
	readonly line: number | null;
};

export type NatEndpoint = {
	readonly ip: string;
	readonly port: number;
	/** Effective share of new connections taking this endpoint on this path, 0..1. */
	readonly probability: number;
	/** Endpoint chain (`KUBE-SEP-…`, `endpoint-…`) or the IPVS real server `ip:port`. */
	readonly chain: string;
	/** The per-rule value as written (`--probability`, 1/N for numgen, weight for IPVS); null for the last rule. */
	readonly written: number | null;
	/** Line of the rule that jumps to the endpoint. */
	readonly line: number | null;
	/** True when the endpoint chain marks hairpin traffic (source = endpoint) for masquerade. */
	readonly hairpinMasquerade: boolean;
	/** Pod and node names, attached from EndpointSlices when the API is available. */
	readonly pod?: string;
	readonly node?: string;
	/** IPVS forwarding method (masq, route, tunnel, local). */
	readonly forward?: string;
};

/**
 * A rule by which traffic to a Local Service's external destinations goes to the cluster-wide endpoints: kube-proxy
 * does this for traffic from pods (its local detector: the cluster CIDR, the node's pod CIDR or a bridge interface) and from the node.
 */
export type NatBypass = {
	/** `pods`: source matched by kube-proxy's local detector; `node`: source is a local address. */
	readonly from: 'pods' | 'node';
	/** Human condition, e.g. `source 10.244.0.0/16`, `source is a local address`. */
	readonly condition: string;
	/** Chain holding the rule (`KUBE-EXT-…`, `KUBE-XLB-…`, `external-…`). */
	readonly chain: string;
	/** Cluster-wide dispatch chain it goes to. */
	readonly target: string;
	readonly line: number | null;
};

/** Everything the node does for one Service port. */
export type NatServiceFlow = {
	/** `namespace/name` when known; otherwise the rules' own identity (chain name or `ip:port`). */
	readonly service: string;
	/** Service port name, empty when unnamed or unknown. */
	readonly port: string;
	readonly protocol: NatProtocol;
	/** True when `service` came from the rules or the API, false when it is only a chain name or address. */
	readonly identified: boolean;
	readonly entries: readonly NatEntry[];
	/** Cluster-wide endpoint dispatch chain (KUBE-SVC-…, service-…, IPVS virtual server); null if none. */
	readonly chain: string | null;
	readonly endpoints: readonly NatEndpoint[];
	/** Local-policy dispatch chain (KUBE-SVL-…, KUBE-XLB-…, local-…), null if the service has none. */
	readonly localChain: string | null;
	/** Path taken by external traffic when its policy is Local; null otherwise. */
	readonly localEndpoints: readonly NatEndpoint[] | null;
	readonly affinity: {readonly timeoutSeconds: number} | null;
	readonly noEndpoints: 'reject' | 'drop' | null;
	/** Lines of the filter rules (or map elements) that reject or drop. */
	readonly noEndpointsLines: readonly number[];
	/** Policy Local: the pod and node traffic that still goes to the cluster-wide endpoints; empty otherwise. */
	readonly bypass: readonly NatBypass[];
	readonly masquerade: readonly NatMasquerade[];
	/** IPVS scheduler (rr, wrr, lc, …); null for the other modes. */
	readonly scheduler: string | null;
};

export type NatFlowTable = {
	readonly mode: NatMode;
	/** `iptables-new` (KUBE-EXT/KUBE-SVL era), `iptables-old` (KUBE-XLB era), `nftables`, `ipvs`. */
	readonly variant: string;
	readonly services: readonly NatServiceFlow[];
	readonly problems: readonly NatProblem[];
	/** What was not checked and why (e.g. the rules of namespaces the API was not asked for); not problems. */
	readonly notes?: readonly string[];
	/** Mark value set by KUBE-MARK-MASQ / mark-for-masquerade, e.g. `0x4000`; null when not found. */
	readonly masqueradeMark: string | null;
	/** iptables: false without the filter table (`iptables-save -t nat`), which holds a Service without endpoints' only rule; else absent. */
	readonly filterTable?: boolean;
};

/** The API objects a table is checked against: a Service list and an EndpointSlice list. */
export type NatApiLists = {readonly services: readonly V1Service[]; readonly endpointSlices: readonly V1EndpointSlice[]};
