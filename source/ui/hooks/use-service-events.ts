import type {EventsInput} from '../../core/detail/service-events.js';
import type {ClusterSource} from '../../kube/types.js';
import {usePoll} from './use-poll.js';

const unread: EventsInput = {ok: false, reason: 'this source does not read events'};

/**
 * A Service's events, fetched on demand through the source as `kubectl describe` reads them: when the
 * view opens, when `trigger` changes, and `intervalMs` after an answer (later after failures: see
 * PollStore). Undefined until the first answer; a failed read is kept as its reason (events unknown).
 */
export function useServiceEvents(
	source: ClusterSource,
	namespace: string,
	name: string,
	uid: string | undefined,
	trigger: string,
	intervalMs: number,
): EventsInput | undefined {
	const listEvents = source.listEvents?.bind(source);
	const polled = usePoll(listEvents ? async () => listEvents(namespace, {kind: 'Service', name, uid}) : undefined, `${namespace}/${name}/${uid}`, trigger, intervalMs);
	if (!listEvents) {
		return unread;
	}

	if (polled?.error !== undefined) {
		return {ok: false, reason: polled.error};
	}

	return polled?.value === undefined ? undefined : {ok: true, items: polled.value};
}
