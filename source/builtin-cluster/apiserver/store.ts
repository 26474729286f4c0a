import {randomUUID} from 'node:crypto';
import {apiVersionOf, findResource, type ResourceInfo, type ResourceName, resources} from './resources.js';

/** One stored object; never mutated once stored, so lists and watch events can share it. */
export class StoredObject {
	/** `namespace/name`, or `name` for cluster-scoped objects: the order of a list, as etcd keys sort. */
	readonly key: string;
	readonly labels: Readonly<Record<string, string>> | undefined;
	readonly resourceVersion: number;
	readonly uid: unknown;
	readonly creationTimestamp: unknown;
	private full: string | undefined;

	constructor(
		readonly resource: ResourceInfo,
		/** '' for cluster-scoped objects. */
		readonly namespace: string,
		readonly name: string,
		/** The object as a list item serializes it: without kind and apiVersion. */
		readonly itemJson: string,
		metadata: JsonObject,
	) {
		this.key = keyOf(namespace, name);
		this.labels = isRecord(metadata.labels) ? (metadata.labels as Record<string, string>) : undefined;
		this.resourceVersion = Number(metadata.resourceVersion);
		this.uid = metadata.uid;
		this.creationTimestamp = metadata.creationTimestamp;
	}

	/** The object with kind and apiVersion first, as GET and watch events carry it (built on first use). */
	get objectJson(): string {
		this.full ??= `{"kind":${JSON.stringify(this.resource.kind)},"apiVersion":${JSON.stringify(apiVersionOf(this.resource))},${this.itemJson.slice(1)}`;
		return this.full;
	}
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export type StoreEvent = {
	readonly type: EventType;
	readonly resourceVersion: number;
	readonly object: StoredObject;
	/** The state before a MODIFIED or DELETED event, for selector transitions. */
	readonly previous: StoredObject | undefined;
};

type JsonObject = Record<string, unknown>;

function isRecord(value: unknown): value is JsonObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function keyOf(namespace: string, name: string): string {
	return namespace === '' ? name : `${namespace}/${name}`;
}

/**
 * The fake cluster's etcd: objects per resource, one global resourceVersion that every write bumps,
 * and a bounded history of events so watches can resume from an older resourceVersion.
 */
export class ObjectStore {
	/** The newest resourceVersion handed out. */
	resourceVersion = 1;
	/** Events at or below this resourceVersion are forgotten; watching from older gets 410 Expired. */
	compactedVersion = 0;
	private readonly objects = new Map<ResourceName, Map<string, StoredObject>>();
	private readonly sortedCache = new Map<ResourceName, StoredObject[]>();
	private history: StoreEvent[] = [];
	/** Index of the oldest retained event; trimming moves it instead of shifting the array. */
	private historyStart = 0;
	private readonly listeners = new Set<(event: StoreEvent) => void>();

	constructor(private readonly historyLimit: number, private readonly now: () => Date = () => new Date()) {
		for (const resource of resources) {
			this.objects.set(resource.name, new Map());
		}
	}

	/** Creates or replaces an object; fills uid, creationTimestamp and namespace when missing. */
	upsert(input: object): StoredObject {
		if (!isRecord(input)) {
			throw new TypeError('upsert needs an object');
		}

		const kind = typeof input.kind === 'string' ? input.kind : '';
		const resource = findResource(kind);
		if (resource === undefined) {
			throw new Error(`upsert: unsupported kind "${kind}"`);
		}

		// A shallow copy is enough: only top-level metadata fields are set, and the body is serialized at once.
		const metadata: JsonObject = isRecord(input.metadata) ? {...input.metadata} : {};
		if (isRecord(metadata.labels)) {
			metadata.labels = {...metadata.labels};
		}

		const name = typeof metadata.name === 'string' ? metadata.name : '';
		if (name === '') {
			throw new Error(`upsert: ${resource.kind} without metadata.name`);
		}

		let namespace = '';
		if (resource.namespaced) {
			namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default';
			metadata.namespace = namespace;
			if (!this.objects.get('namespaces')!.has(namespace)) {
				this.upsert({kind: 'Namespace', apiVersion: 'v1', metadata: {name: namespace}, spec: {finalizers: ['kubernetes']}, status: {phase: 'Active'}});
			}
		} else {
			delete metadata.namespace;
		}

		const bucket = this.objects.get(resource.name)!;
		const key = keyOf(namespace, name);
		const previous = bucket.get(key);
		this.resourceVersion++;
		metadata.uid ??= previous?.uid ?? randomUUID();
		metadata.resourceVersion = String(this.resourceVersion);
		metadata.creationTimestamp ??= previous?.creationTimestamp ?? this.timestamp();

		const body: JsonObject = {metadata};
		for (const [field, value] of Object.entries(input)) {
			if (field !== 'kind' && field !== 'apiVersion' && field !== 'metadata') {
				body[field] = value;
			}
		}

		const stored = this.makeStored(resource, namespace, name, body);
		bucket.set(key, stored);
		if (previous === undefined) {
			this.sortedCache.delete(resource.name);
		}

		this.record({type: previous === undefined ? 'ADDED' : 'MODIFIED', resourceVersion: this.resourceVersion, object: stored, previous});
		return stored;
	}

	/** Deletes an object; the DELETED event carries its last state with a new resourceVersion. */
	remove(resource: ResourceInfo, namespace: string, name: string): boolean {
		const bucket = this.objects.get(resource.name)!;
		const key = keyOf(resource.namespaced ? namespace : '', name);
		const previous = bucket.get(key);
		if (previous === undefined) {
			return false;
		}

		bucket.delete(key);
		this.sortedCache.delete(resource.name);
		this.resourceVersion++;
		const body = JSON.parse(previous.itemJson) as JsonObject & {metadata: JsonObject};
		body.metadata.resourceVersion = String(this.resourceVersion);
		const deleted = this.makeStored(resource, previous.namespace, name, body);
		this.record({type: 'DELETED', resourceVersion: this.resourceVersion, object: deleted, previous});
		return true;
	}

	get(resource: ResourceInfo, namespace: string, name: string): StoredObject | undefined {
		return this.objects.get(resource.name)!.get(keyOf(resource.namespaced ? namespace : '', name));
	}

	/** All objects of a resource in key order (cached until an object is added or removed). */
	sorted(resource: ResourceInfo): readonly StoredObject[] {
		const cached = this.sortedCache.get(resource.name);
		const bucket = this.objects.get(resource.name)!;
		if (cached !== undefined) {
			// Updates replace objects in place in the map; refresh the cached references cheaply.
			for (let index = 0; index < cached.length; index++) {
				cached[index] = bucket.get(cached[index].key)!;
			}

			return cached;
		}

		const list = [...bucket.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
		this.sortedCache.set(resource.name, list);
		return list;
	}

	count(resource: ResourceInfo): number {
		return this.objects.get(resource.name)!.size;
	}

	/** Events after `resourceVersion`, or undefined when part of that range was compacted away. */
	eventsSince(resourceVersion: number): readonly StoreEvent[] | undefined {
		if (resourceVersion < this.compactedVersion) {
			return undefined;
		}

		let low = this.historyStart;
		let high = this.history.length;
		while (low < high) {
			const middle = (low + high) >> 1;
			if (this.history[middle].resourceVersion <= resourceVersion) {
				low = middle + 1;
			} else {
				high = middle;
			}
		}

		return this.history.slice(low);
	}

	/** Forgets all history, like an etcd compaction at the current revision. */
	compact(): void {
		this.history = [];
		this.historyStart = 0;
		this.compactedVersion = this.resourceVersion;
	}

	subscribe(listener: (event: StoreEvent) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	private record(event: StoreEvent): void {
		this.history.push(event);
		if (this.history.length - this.historyStart > this.historyLimit) {
			this.compactedVersion = this.history[this.historyStart].resourceVersion;
			this.historyStart++;
			// Reclaim the dropped prefix now and then, not on every event.
			if (this.historyStart > 1024 && this.historyStart * 2 > this.history.length) {
				this.history = this.history.slice(this.historyStart);
				this.historyStart = 0;
			}
		}

		for (const listener of this.listeners) {
			listener(event);
		}
	}

	private makeStored(resource: ResourceInfo, namespace: string, name: string, body: JsonObject): StoredObject {
		return new StoredObject(resource, namespace, name, JSON.stringify(body), body.metadata as JsonObject);
	}

	private timestamp(): string {
		return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
	}
}
