import type {CoreV1Event, V1EndpointSlice, V1Node, V1Pod, V1Service} from '@kubernetes/client-node';

/** The resources svctop keeps in its cache through informers. Pods are fetched on demand. */
export type WatchedResource = 'services' | 'endpointslices' | 'nodes';

/**
 * Where one informer stands. `forbidden` is an RBAC 403: that part of the screen degrades with
 * `message`, the rest keeps working.
 */
export type ConnectionPhase = 'connecting' | 'synced' | 'reconnecting' | 'error' | 'forbidden';

export type ConnectionState = {
	readonly phase: ConnectionPhase;
	/** One line for the status bar, e.g. the API error or `services is forbidden: ...`. */
	readonly message?: string;
	/** Epoch ms of the last phase change. */
	readonly since: number;
};

/**
 * An immutable copy of the cache. Views read it through a hook on a timer and compare `version`
 * to decide whether to redraw; they never call the API. Objects are the API's JSON as received
 * (kept in namespace/name order): timestamps such as `metadata.creationTimestamp` are RFC 3339
 * strings even though client-node's model types declare `Date`.
 */
export type ClusterSnapshot = {
	/** Bumped once per applied watch event or relist; equal versions mean equal content. */
	readonly version: number;
	readonly context: string;
	/** The namespace shown, or undefined for all namespaces (-A). */
	readonly namespace: string | undefined;
	readonly services: readonly V1Service[];
	readonly endpointSlices: readonly V1EndpointSlice[];
	readonly nodes: readonly V1Node[];
	readonly states: Readonly<Record<WatchedResource, ConnectionState>>;
	/** Epoch ms of the last change applied to the cache, undefined before the first list. */
	readonly lastUpdate: number | undefined;
};

/** The object events are about. */
export type InvolvedObject = {readonly kind: string; readonly name: string; readonly uid?: string};

/** The data layer as views and commands see it. */
export type ClusterSource = {
	snapshot(): ClusterSnapshot;
	/** Called after the cache changed (possibly many times per burst); listeners must only mark dirty. */
	subscribe(listener: () => void): () => void;
	/** Resolves once every informer has listed (or failed or been forbidden) at least once. */
	ready(): Promise<void>;
	/** Pods of one namespace matching a Service selector, fetched on demand (never cached cluster-wide). */
	listPods(namespace: string, selector: Readonly<Record<string, string>>): Promise<V1Pod[]>;
	/**
	 * Core v1 events about one object, as kubectl describe finds them (involvedObject field selector),
	 * fetched on demand. Absent on sources that cannot read events: they are then unknown, not none.
	 */
	listEvents?(namespace: string, involved: InvolvedObject): Promise<CoreV1Event[]>;
	/** Names of the cluster's namespaces, fetched on demand for completion; rejects when forbidden. */
	listNamespaces?(): Promise<string[]>;
	/** Switch the namespace shown (undefined = all); restarts informers. */
	setNamespace(namespace: string | undefined): void;
	stop(): Promise<void>;
};
