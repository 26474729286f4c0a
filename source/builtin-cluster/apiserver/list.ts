import type {IncomingMessage, ServerResponse} from 'node:http';
import {apiVersionOf, type ResourceInfo} from './resources.js';
import {send, sendJson, sendStatus, tableType} from './respond.js';
import {matchesSelection, type Selection, selectsEverything} from './selection.js';
import {badRequest, continueExpired, listExpired, type StatusBody, tooLargeResourceVersion} from './status.js';
import type {ObjectStore, StoredObject} from './store.js';
import {renderTable, wantsTable} from './table.js';

type ListSnapshot = {readonly items: readonly StoredObject[]; readonly resourceVersion: number};

type ContinueToken = {v: string; rv: number; start: string; snapshot?: number};

/** The items a list answers from (all of them, in key order) and from where it starts. */
type ListSource = {readonly items: readonly StoredObject[]; readonly resourceVersion: number; readonly start: number; readonly snapshotId?: number};

/** Paged lists keep what their first page saw, as kube-apiserver's watch cache does; this many at most. */
const maxSnapshots = 32;

function encodeContinue(token: ContinueToken): string {
	return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(value: string): ContinueToken | undefined {
	try {
		const token = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<ContinueToken>;
		if (token.v === 'meta.k8s.io/v1' && typeof token.rv === 'number' && typeof token.start === 'string') {
			return token as ContinueToken;
		}
	} catch {}

	return undefined;
}

/** The index of the first item whose key sorts at or after `start`. */
function firstAfter(items: readonly StoredObject[], start: string): number {
	let low = 0;
	let high = items.length;
	while (low < high) {
		const middle = (low + high) >> 1;
		if (items[middle]!.key < start) {
			low = middle + 1;
		} else {
			high = middle;
		}
	}

	return low;
}

/** A list request: `limit` and `continue` pages, `resourceVersion` (with `resourceVersionMatch=Exact`), JSON or Table. */
export class ListServer {
	private readonly snapshots = new Map<number, ListSnapshot>();
	private nextSnapshot = 1;

	constructor(private readonly store: ObjectStore) {}

	/** Forgets every paged list's snapshot (with the store's history): their continue tokens expire. */
	clear(): void {
		this.snapshots.clear();
	}

	serve(request: IncomingMessage, response: ServerResponse, resource: ResourceInfo, selection: Selection, query: URLSearchParams): void {
		const limitText = query.get('limit');
		const limit = limitText === null || limitText === '' ? 0 : Number(limitText);
		if (!Number.isInteger(limit) || limit < 0) {
			sendStatus(response, badRequest(`invalid limit: ${limitText}`));
			return;
		}

		const continueText = query.get('continue');
		const source = continueText ? this.continued(continueText, resource, selection) : this.fresh(query, resource, selection);
		if ('code' in source) {
			sendStatus(response, source);
			return;
		}

		const {page, continueToken, remaining} = this.page(source, limit);
		if (wantsTable(request.headers.accept)) {
			const objects = page.map(object => JSON.parse(object.itemJson) as Record<string, unknown>);
			sendJson(response, renderTable(resource, objects, String(source.resourceVersion), continueToken, query.get('includeObject') !== 'None'), tableType);
			return;
		}

		let metadata = `{"resourceVersion":"${source.resourceVersion}"`;
		if (continueToken !== undefined) {
			metadata += `,"continue":"${continueToken}"`;
			if (selection.labels.length === 0 && selection.fields.length === 0) {
				metadata += `,"remainingItemCount":${remaining}`;
			}
		}

		metadata += '}';
		const head = `{"kind":"${resource.kind}List","apiVersion":"${apiVersionOf(resource)}","metadata":${metadata},"items":[`;
		send(response, 200, head + page.map(object => object.itemJson).join(',') + ']}');
	}

	/** A later page: from the first page's snapshot, or (once that is gone) the store, unless compacted past it. */
	private continued(continueText: string, resource: ResourceInfo, selection: Selection): ListSource | StatusBody {
		const token = decodeContinue(continueText);
		if (token === undefined) {
			return badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
		}

		const snapshot = token.snapshot === undefined ? undefined : this.snapshots.get(token.snapshot);
		if (snapshot === undefined && token.rv < this.store.compactedVersion) {
			return continueExpired();
		}

		const items = snapshot?.items ?? this.store.sorted(resource).filter(object => matchesSelection(selection, object));
		return {items, resourceVersion: snapshot?.resourceVersion ?? token.rv, start: firstAfter(items, token.start), snapshotId: snapshot === undefined ? undefined : token.snapshot};
	}

	/** A first page: the current state, or the state at an exact past resourceVersion rolled back from history. */
	private fresh(query: URLSearchParams, resource: ResourceInfo, selection: Selection): ListSource | StatusBody {
		const requested = query.get('resourceVersion');
		const current = this.store.resourceVersion;
		const version = requested === null || requested === '' ? undefined : Number(requested);
		if (version !== undefined && !Number.isInteger(version)) {
			return badRequest(`resourceVersion: Invalid value: "${requested}": must be an integer`);
		}

		if (query.get('resourceVersionMatch') === 'Exact' && version !== undefined && version !== current) {
			const past = this.stateAt(resource, version);
			if (past === undefined) {
				return version > current ? tooLargeResourceVersion(version, current) : listExpired();
			}

			return {items: past.filter(object => matchesSelection(selection, object)), resourceVersion: version, start: 0};
		}

		if (version !== undefined && version > current) {
			return tooLargeResourceVersion(version, current);
		}

		const all = this.store.sorted(resource);
		return {items: selectsEverything(selection) ? all.slice() : all.filter(object => matchesSelection(selection, object)), resourceVersion: current, start: 0};
	}

	/** One page from `source`, with the continue token that resumes after it (keeping a snapshot for it). */
	private page(source: ListSource, limit: number): {page: readonly StoredObject[]; continueToken?: string; remaining: number} {
		const {items, start} = source;
		let {snapshotId} = source;
		if (!(limit > 0 && start + limit < items.length)) {
			if (snapshotId !== undefined) {
				this.snapshots.delete(snapshotId);
			}

			return {page: items.slice(start), remaining: 0};
		}

		const end = start + limit;
		if (snapshotId === undefined) {
			snapshotId = this.nextSnapshot++;
			this.snapshots.set(snapshotId, {items, resourceVersion: source.resourceVersion});
			if (this.snapshots.size > maxSnapshots) {
				this.snapshots.delete(this.snapshots.keys().next().value!);
			}
		}

		const continueToken = encodeContinue({v: 'meta.k8s.io/v1', rv: source.resourceVersion, start: `${items[end - 1]!.key}\u0000`, snapshot: snapshotId});
		return {page: items.slice(start, end), continueToken, remaining: items.length - end};
	}

	/** The objects of a resource as they were at `version`, rolled back from history; undefined if compacted. */
	private stateAt(resource: ResourceInfo, version: number): StoredObject[] | undefined {
		const events = this.store.eventsSince(version);
		if (events === undefined || version > this.store.resourceVersion) {
			return undefined;
		}

		const state = new Map(this.store.sorted(resource).map(object => [object.key, object]));
		for (let index = events.length - 1; index >= 0; index--) {
			const event = events[index]!;
			if (event.object.resource !== resource) {
				continue;
			}

			if (event.type === 'ADDED') {
				state.delete(event.object.key);
			} else {
				state.set(event.object.key, event.previous!);
			}
		}

		return [...state.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
	}
}
