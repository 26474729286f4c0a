import type {IncomingMessage, ServerResponse} from 'node:http';
import type {Socket} from 'node:net';
import {queryFlag} from './request-path.js';
import {apiVersionOf, type ResourceInfo, type ResourceName, resources} from './resources.js';
import {jsonType, sendStatus} from './respond.js';
import {matchesSelection, type Selection} from './selection.js';
import {badRequest, expired} from './status.js';
import type {ObjectStore, StoreEvent} from './store.js';
import {renderTable, wantsTable} from './table.js';

type Watcher = Selection & {
	readonly resource: ResourceInfo;
	readonly response: ServerResponse;
	readonly socket: Socket;
	readonly timers: NodeJS.Timeout[];
	/** kubectl get -w asks for Table events; each event then carries a one-row Table. */
	readonly table: boolean;
	closed: boolean;
};

function eventLine(type: string, objectJson: string): string {
	return `{"type":"${type}","object":${objectJson}}\n`;
}

function watchLine(watcher: Watcher, type: string, objectJson: string): string {
	if (!watcher.table) {
		return eventLine(type, objectJson);
	}

	const object = JSON.parse(objectJson) as Record<string, any>;
	return eventLine(type, JSON.stringify(renderTable(watcher.resource, [object], String(object.metadata.resourceVersion), undefined, true)));
}

/** What a watcher sees of one store event: its selection decides ADDED, MODIFIED or DELETED, or nothing. */
function deliver(watcher: Watcher, event: StoreEvent): void {
	if (watcher.closed) {
		return;
	}

	const now = matchesSelection(watcher, event.object);
	const before = event.previous !== undefined && matchesSelection(watcher, event.previous);
	if (event.type === 'ADDED') {
		if (now) {
			watcher.response.write(watchLine(watcher, 'ADDED', event.object.objectJson));
		}
	} else if (event.type === 'DELETED') {
		if (before) {
			watcher.response.write(watchLine(watcher, 'DELETED', event.object.objectJson));
		}
	} else if (now) {
		watcher.response.write(watchLine(watcher, before ? 'MODIFIED' : 'ADDED', event.object.objectJson));
	} else if (before) {
		// The object left the selector: the watcher sees it deleted, in its previous state at the new version.
		const object = JSON.parse(event.previous!.objectJson) as {metadata: Record<string, unknown>};
		object.metadata.resourceVersion = String(event.resourceVersion);
		watcher.response.write(watchLine(watcher, 'DELETED', JSON.stringify(object)));
	}
}

function stopTimers(watcher: Watcher): void {
	watcher.closed = true;
	for (const timer of watcher.timers) {
		clearTimeout(timer);
	}
}

/**
 * Watch streams: the initial events (or history from a resourceVersion, 410 once compacted), live
 * events from the store, bookmarks and timeouts. `onOpen` runs whenever a watch starts.
 */
export class WatchHub {
	private readonly watchers = new Map<ResourceName, Set<Watcher>>(resources.map(resource => [resource.name, new Set()]));

	constructor(
		private readonly store: ObjectStore,
		private readonly bookmarkIntervalMs: number,
		private readonly onOpen: () => void,
	) {
		store.subscribe(event => {
			for (const watcher of this.watchers.get(event.object.resource.name)!) {
				deliver(watcher, event);
			}
		});
	}

	start(request: IncomingMessage, response: ServerResponse, resource: ResourceInfo, selection: Selection, query: URLSearchParams): void {
		const requested = query.get('resourceVersion');
		const version = requested === null || requested === '' || requested === '0' ? undefined : Number(requested);
		if (version !== undefined && !Number.isInteger(version)) {
			sendStatus(response, badRequest(`resourceVersion: Invalid value: "${requested}": must be an integer`));
			return;
		}

		const sendInitialEvents = queryFlag(query, 'sendInitialEvents');
		const bookmarks = queryFlag(query, 'allowWatchBookmarks');
		if (sendInitialEvents && (!bookmarks || query.get('resourceVersionMatch') !== 'NotOlderThan')) {
			sendStatus(response, badRequest('sendInitialEvents requires allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan'));
			return;
		}

		response.writeHead(200, {'Content-Type': jsonType, 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked'});
		response.flushHeaders();
		const watcher: Watcher = {...selection, resource, response, socket: request.socket, timers: [], table: wantsTable(request.headers.accept), closed: false};
		const events = version === undefined ? [] : this.store.eventsSince(version);
		if (events === undefined) {
			response.end(`{"type":"ERROR","object":${JSON.stringify(expired(version!, this.store.compactedVersion + 1))}}\n`);
			return;
		}

		if (version === undefined || sendInitialEvents) {
			this.sendInitialEvents(watcher, sendInitialEvents);
		} else {
			for (const event of events) {
				if (event.object.resource === resource) {
					deliver(watcher, event);
				}
			}
		}

		this.watchers.get(resource.name)!.add(watcher);
		this.scheduleEnd(watcher, bookmarks, Number(query.get('timeoutSeconds') ?? '0'));
		this.onOpen();
	}

	/** Open watch streams, of one resource or all. */
	count(resource?: ResourceName): number {
		if (resource !== undefined) {
			return this.watchers.get(resource)!.size;
		}

		let total = 0;
		for (const set of this.watchers.values()) {
			total += set.size;
		}

		return total;
	}

	/** Ends every stream abruptly (its socket destroyed), as a proxy or apiserver restart would. */
	cut(): void {
		this.endAll(watcher => watcher.socket.destroy());
	}

	/** Ends every stream cleanly, for the server's close. */
	close(): void {
		this.endAll(watcher => watcher.response.end());
	}

	private endAll(end: (watcher: Watcher) => void): void {
		for (const set of this.watchers.values()) {
			for (const watcher of [...set]) {
				stopTimers(watcher);
				set.delete(watcher);
				end(watcher);
			}
		}
	}

	/** Unset or "0": synthetic ADDED events for the current state (and, when asked, the initial-events-end bookmark). */
	private sendInitialEvents(watcher: Watcher, endBookmark: boolean): void {
		const lines: string[] = [];
		for (const object of this.store.sorted(watcher.resource)) {
			if (matchesSelection(watcher, object)) {
				lines.push(watchLine(watcher, 'ADDED', object.objectJson));
			}
		}

		if (lines.length > 0) {
			watcher.response.write(lines.join(''));
		}

		if (endBookmark) {
			watcher.response.write(this.bookmark(watcher.resource, {'k8s.io/initial-events-end': 'true'}));
		}
	}

	/** Periodic bookmarks when asked for, the request's timeout, and forgetting the watcher once its response closes. */
	private scheduleEnd(watcher: Watcher, bookmarks: boolean, timeoutSeconds: number): void {
		const close = (): void => {
			if (!watcher.closed) {
				stopTimers(watcher);
				this.watchers.get(watcher.resource.name)!.delete(watcher);
			}
		};

		watcher.response.on('close', close);
		if (bookmarks) {
			const timer = setInterval(() => watcher.response.write(this.bookmark(watcher.resource)), this.bookmarkIntervalMs);
			timer.unref();
			watcher.timers.push(timer);
		}

		if (timeoutSeconds > 0) {
			const timer = setTimeout(() => {
				close();
				watcher.response.end();
			}, timeoutSeconds * 1000);
			timer.unref();
			watcher.timers.push(timer);
		}
	}

	private bookmark(resource: ResourceInfo, annotations?: Record<string, string>): string {
		const metadata: Record<string, unknown> = {resourceVersion: String(this.store.resourceVersion), creationTimestamp: null};
		if (annotations !== undefined) {
			metadata.annotations = annotations;
		}

		return eventLine('BOOKMARK', JSON.stringify({kind: resource.kind, apiVersion: apiVersionOf(resource), metadata}));
	}
}
