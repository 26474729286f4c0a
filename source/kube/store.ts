import type {V1EndpointSlice, V1Node, V1Service} from '@kubernetes/client-node';
import type {ClusterSnapshot, ConnectionState, WatchedResource} from './types.js';

/** A Kubernetes object as the API sends it (raw JSON; timestamps stay RFC 3339 strings). */
export type ApiObject = {metadata?: {name?: string; namespace?: string; resourceVersion?: string}};

type Bucket = {
	readonly objects: Map<string, ApiObject>;
	/** Sorted copy handed to snapshots, rebuilt only after this bucket changed. */
	sorted: readonly ApiObject[] | undefined;
};

const watchedResources: readonly WatchedResource[] = ['services', 'endpointslices', 'nodes'];

export function objectKey(object: ApiObject): string {
	const namespace = object.metadata?.namespace;
	const name = object.metadata?.name ?? '';
	return namespace ? `${namespace}/${name}` : name;
}

/**
 * The informers' cache: objects keyed by namespace/name per resource plus each informer's state.
 * Every change bumps `version`; snapshots are cached until the next change, and listeners are told
 * at most once per microtask so a burst of watch events costs one notification per chunk read.
 */
export class ClusterStore {
	version = 0;
	private readonly buckets = new Map<WatchedResource, Bucket>();
	private states: Record<WatchedResource, ConnectionState>;
	private lastUpdate: number | undefined;
	private cached: ClusterSnapshot | undefined;
	private readonly listeners = new Set<() => void>();
	private notifyQueued = false;

	constructor(
		private context: string,
		private namespace: string | undefined,
		private readonly now: () => number = Date.now,
	) {
		const since = now();
		this.states = {
			services: {phase: 'connecting', since},
			endpointslices: {phase: 'connecting', since},
			nodes: {phase: 'connecting', since},
		};
		for (const resource of watchedResources) {
			this.buckets.set(resource, {objects: new Map(), sorted: undefined});
		}
	}

	/** Replaces a resource's objects with a fresh list (initial list or relist). */
	replace(resource: WatchedResource, items: readonly ApiObject[]): void {
		const bucket = this.buckets.get(resource)!;
		bucket.objects.clear();
		for (const item of items) {
			bucket.objects.set(objectKey(item), item);
		}

		this.changed(bucket, true);
	}

	/** Applies one watch event. */
	apply(resource: WatchedResource, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: ApiObject): void {
		const bucket = this.buckets.get(resource)!;
		if (type === 'DELETED') {
			bucket.objects.delete(objectKey(object));
		} else {
			bucket.objects.set(objectKey(object), object);
		}

		this.changed(bucket, true);
	}

	/** Drops a resource's objects (namespace switch). */
	clear(resource: WatchedResource): void {
		const bucket = this.buckets.get(resource)!;
		bucket.objects.clear();
		this.changed(bucket, false);
	}

	/**
	 * Records where an informer stands. `retryInMs` is the wait before its next attempt; leaving
	 * `synced` marks the held objects stale from now until the next sync.
	 */
	setState(resource: WatchedResource, phase: ConnectionState['phase'], message?: string, retryInMs?: number): void {
		const current = this.states[resource];
		const retryAt = retryInMs === undefined ? undefined : this.now() + retryInMs;
		if (current.phase === phase && current.message === message && current.retryAt === retryAt) {
			return;
		}

		const wasSynced = current.phase === 'synced';
		const staleSince = phase === 'synced' || phase === 'connecting' ? undefined : wasSynced ? this.now() : current.staleSince;
		const state: ConnectionState = {
			phase,
			since: current.phase === phase ? current.since : this.now(),
			...(message === undefined ? {} : {message}),
			...(retryAt === undefined ? {} : {retryAt}),
			...(staleSince === undefined ? {} : {staleSince}),
		};
		this.states = {...this.states, [resource]: state};
		this.changed(undefined, false);
	}

	state(resource: WatchedResource): ConnectionState {
		return this.states[resource];
	}

	setScope(context: string, namespace: string | undefined): void {
		this.context = context;
		this.namespace = namespace;
		this.changed(undefined, false);
	}

	snapshot(): ClusterSnapshot {
		if (this.cached?.version === this.version) {
			return this.cached;
		}

		this.cached = Object.freeze({
			version: this.version,
			context: this.context,
			namespace: this.namespace,
			services: this.sorted('services') as readonly V1Service[],
			endpointSlices: this.sorted('endpointslices') as readonly V1EndpointSlice[],
			nodes: this.sorted('nodes') as readonly V1Node[],
			states: this.states,
			lastUpdate: this.lastUpdate,
		});
		return this.cached;
	}

	subscribe(listener: () => void): () => void {
		this.listeners.add(listener);
		return () => {
			this.listeners.delete(listener);
		};
	}

	private sorted(resource: WatchedResource): readonly ApiObject[] {
		const bucket = this.buckets.get(resource)!;
		if (bucket.sorted === undefined) {
			const keys = [...bucket.objects.keys()].sort();
			bucket.sorted = Object.freeze(keys.map(key => bucket.objects.get(key)!));
		}

		return bucket.sorted;
	}

	private changed(bucket: Bucket | undefined, isUpdate: boolean): void {
		this.version++;
		if (bucket !== undefined) {
			bucket.sorted = undefined;
		}

		if (isUpdate) {
			this.lastUpdate = this.now();
		}

		if (!this.notifyQueued) {
			this.notifyQueued = true;
			queueMicrotask(() => {
				this.notifyQueued = false;
				for (const listener of [...this.listeners]) {
					listener();
				}
			});
		}
	}
}
