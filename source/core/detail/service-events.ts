import type {CoreV1Event} from '@kubernetes/client-node';
import {humanDuration} from '../services/human-duration.js';
import {timestampMs} from '../services/service-row.js';

/** What reading the Service's events gave: the events, or why there are none to show. */
export type EventsInput =
	| {readonly ok: true; readonly items: readonly CoreV1Event[]}
	| {readonly ok: false; readonly reason: string};

/** One row of kubectl's Events table, plus the facts behind it for scripts. */
export type EventRow = {
	readonly type: string;
	readonly reason: string;
	/** kubectl's Age cell: `3m`, or `3m (x12 over 4h58m)` for a repeated event. */
	readonly age: string;
	readonly from: string;
	readonly message: string;
	readonly count: number;
	/** RFC 3339, null when the event carries no such time. */
	readonly firstTimestamp: string | null;
	readonly lastTimestamp: string | null;
};

/** Events read (oldest first, as kubectl lists them), or unknown with the reason: never an empty list by default. */
export type ServiceEvents =
	| {readonly state: 'read'; readonly events: readonly EventRow[]}
	| {readonly state: 'unknown'; readonly reason: string};

/** `<unknown>` for a missing time, as kubectl's translateTimestampSince. */
function since(timestamp: Date | string | undefined, now: number): string {
	const ms = timestampMs(timestamp);
	return ms === undefined ? '<unknown>' : humanDuration(now - ms);
}

/** A time as RFC 3339 text (the API's JSON keeps them as strings although the types say Date). */
function text(value: Date | string | undefined): string | null {
	if (value instanceof Date) {
		return value.toISOString();
	}

	return typeof value === 'string' && value !== '' ? value : null;
}

/** kubectl sorts by lastTimestamp only; events written through events.k8s.io lack it, so their own time stands in. */
function sortTime(event: CoreV1Event): number {
	return timestampMs(event.lastTimestamp ?? event.series?.lastObservedTime ?? event.eventTime ?? event.firstTimestamp) ?? 0;
}

function eventRow(event: CoreV1Event, now: number): EventRow {
	// kubectl: the first time is eventTime when set, else firstTimestamp; a series or a count adds the last one.
	const first = text(event.eventTime) === null ? since(event.firstTimestamp, now) : since(event.eventTime, now);
	const count = event.series?.count ?? event.count ?? 1;
	let age = first;
	if (event.series) {
		age = `${since(event.series.lastObservedTime, now)} (x${event.series.count ?? 0} over ${first})`;
	} else if ((event.count ?? 0) > 1) {
		age = `${since(event.lastTimestamp, now)} (x${event.count} over ${first})`;
	}

	const message = (event.message ?? '').trim();
	const fieldPath = event.involvedObject?.fieldPath;
	return {
		type: event.type ?? '',
		reason: event.reason ?? '',
		age,
		from: event.source?.component || event.reportingComponent || '',
		message: fieldPath ? `${fieldPath}: ${message}` : message,
		count,
		firstTimestamp: text(event.firstTimestamp ?? event.eventTime),
		lastTimestamp: text(event.lastTimestamp ?? event.series?.lastObservedTime ?? event.eventTime),
	};
}

/** The Service's events as `kubectl describe` shows them: oldest first, newest last. Pure. */
export function serviceEvents(input: EventsInput | undefined, now: number): ServiceEvents {
	if (input === undefined) {
		return {state: 'unknown', reason: 'not read'};
	}

	if (!input.ok) {
		return {state: 'unknown', reason: input.reason};
	}

	const sorted = [...input.items].sort((a, b) => sortTime(a) - sortTime(b));
	return {state: 'read', events: sorted.map(event => eventRow(event, now))};
}

/**
 * kubectl's Events section as tab-separated text for tabWrite: `Events:\t<none>` when there are none,
 * and `Events:\tunknown (reason)` when they could not be read (kubectl itself would say <none>).
 */
export function eventsSection(events: ServiceEvents): string {
	if (events.state === 'unknown') {
		return `Events:\tunknown (${events.reason})\n`;
	}

	if (events.events.length === 0) {
		return 'Events:\t<none>\n';
	}

	let out = 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n';
	for (const row of events.events) {
		out += `  ${row.type}\t${row.reason}\t${row.age}\t${row.from}\t${row.message}\n`;
	}

	return out;
}
