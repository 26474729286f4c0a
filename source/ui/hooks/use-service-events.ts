import {useEffect, useState} from 'react';
import type {EventsInput} from '../../core/detail/service-events.js';
import type {ClusterSource} from '../../kube/types.js';

function oneLine(error: unknown): string {
	return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/**
 * A Service's events, fetched on demand through the source as `kubectl describe` reads them: when the
 * view opens, when `trigger` changes, and every `intervalMs`; a fetch in flight makes the next tick
 * skip. Undefined until the first answer; a failed read is kept as its reason (events unknown).
 */
export function useServiceEvents(
	source: ClusterSource,
	namespace: string,
	name: string,
	uid: string | undefined,
	trigger: string,
	intervalMs: number,
): EventsInput | undefined {
	const [events, setEvents] = useState<EventsInput | undefined>(undefined);

	useEffect(() => {
		const listEvents = source.listEvents?.bind(source);
		if (!listEvents) {
			setEvents({ok: false, reason: 'this source does not read events'});
			return;
		}

		let cancelled = false;
		let inFlight = false;
		const fetchEvents = () => {
			if (inFlight) {
				return;
			}

			inFlight = true;
			listEvents(namespace, {kind: 'Service', name, uid}).then(
				items => {
					inFlight = false;
					if (!cancelled) {
						setEvents({ok: true, items});
					}
				},
				(error: unknown) => {
					inFlight = false;
					if (!cancelled) {
						setEvents({ok: false, reason: oneLine(error)});
					}
				},
			);
		};

		fetchEvents();
		const timer = setInterval(fetchEvents, intervalMs);
		return () => {
			cancelled = true;
			clearInterval(timer);
		};
	}, [source, namespace, name, uid, trigger, intervalMs]);

	return events;
}
