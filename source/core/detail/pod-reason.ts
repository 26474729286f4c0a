import type {V1Pod} from '@kubernetes/client-node';
import {humanDuration} from '../services/human-duration.js';
import {timestampMs} from '../services/service-row.js';

/**
 * Why a pod is not a ready endpoint, in one line, from what the API says about it: deletion, phase,
 * scheduling, container states and the Ready condition. `undefined` when the pod looks ready.
 */
export function podNotReadyReason(pod: V1Pod, now: number): string | undefined {
	const deletion = timestampMs(pod.metadata?.deletionTimestamp);
	if (deletion !== undefined) {
		return `terminating (deletion requested ${humanDuration(now - deletion)} ago)`;
	}

	const status = pod.status ?? {};
	const conditions = status.conditions ?? [];
	const phase = status.phase ?? 'Unknown';
	if (phase === 'Succeeded' || phase === 'Failed') {
		return status.reason ? `${phase}: ${status.reason}` : phase;
	}

	const scheduled = conditions.find(condition => condition.type === 'PodScheduled');
	if (scheduled?.status === 'False') {
		return `not scheduled: ${joinReason(scheduled.reason, scheduled.message) ?? 'no node yet'}`;
	}

	const waiting = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]
		.find(container => container.state?.waiting?.reason);
	if (!status.podIP) {
		const why = waiting ? `${waiting.name}: ${waiting.state!.waiting!.reason}` : phase;
		return `no IP yet (${why})`;
	}

	const ready = conditions.find(condition => condition.type === 'Ready');
	if (ready?.status === 'True') {
		return undefined;
	}

	if (waiting) {
		return `container ${waiting.name} waiting: ${joinReason(waiting.state!.waiting!.reason, waiting.state!.waiting!.message)}`;
	}

	const terminated = (status.containerStatuses ?? []).find(container => container.state?.terminated);
	if (terminated) {
		const state = terminated.state!.terminated!;
		return `container ${terminated.name} terminated: ${state.reason ?? `exit code ${state.exitCode}`}`;
	}

	const unready = (status.containerStatuses ?? []).filter(container => !container.ready).map(container => container.name);
	const probed = new Set((pod.spec?.containers ?? []).filter(container => container.readinessProbe).map(container => container.name));
	if (unready.length > 0 && unready.every(name => probed.has(name))) {
		return `readiness probe failing (${unready.join(', ')})`;
	}

	if (ready) {
		return `not ready: ${joinReason(ready.reason, ready.message) ?? 'Ready is ' + ready.status}`;
	}

	return `not ready (phase ${phase}, no Ready condition yet)`;
}

function joinReason(reason: string | undefined, message: string | undefined): string | undefined {
	if (reason && message) {
		return `${reason}: ${message}`;
	}

	return reason ?? message;
}
