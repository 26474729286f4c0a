import type {DemoPod, DemoState} from './cluster.js';

/*
 * The demo changes while you watch: the seeds' readers see a pod fail its readiness probe and come back,
 * and a rollout replace pods one by one (terminating endpoint, new not-ready pod, ready); the stuck load
 * balancer's failed attempts add up in its events. Each step is a pure function of the state, so tests
 * can walk the timeline without timers.
 */

export const demoStepCount = 6;

const flappingPod = 'deploy-echo-5c689d5454-cjpfp';

function withPod(state: DemoState, name: string, change: (pod: DemoPod) => DemoPod): DemoState {
	return {...state, pods: state.pods.map(p => (p.name === name ? change(p) : p))};
}

function rolloutName(step: number): string {
	const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
	let n = step * 7919 + 13;
	let suffix = '';
	for (let i = 0; i < 5; i++) {
		suffix += alphabet[n % alphabet.length];
		n = Math.floor(n / alphabet.length) + 3;
	}

	return `np-pods-6b9f8d7c5-${suffix}`;
}

/** The lowest address from .20 up in the pod's /24 that no pod holds, as the node's IPAM would hand out. */
function freeAddress(state: DemoState, sameSubnetAs: string): string {
	const prefix = sameSubnetAs.split('.').slice(0, 3).join('.');
	const taken = new Set(state.pods.map(p => p.ip));
	for (let last = 20; last < 255; last++) {
		if (!taken.has(`${prefix}.${last}`)) {
			return `${prefix}.${last}`;
		}
	}

	return sameSubnetAs;
}

/** Apply step `step` (counting from 0, forever) of the demo's timeline to `state` at time `now`. */
export function advanceDemo(state: DemoState, step: number, now: number): DemoState {
	switch (step % demoStepCount) {
		case 0: {
			return withPod(state, flappingPod, p => ({...p, ready: false, notReadyReason: 'Readiness probe failed: Get "http://10.10.2.3:8080/": context deadline exceeded'}));
		}

		case 1: {
			return withPod(state, flappingPod, p => ({...p, ready: true, notReadyReason: undefined}));
		}

		case 2: {
			// Rollout: the oldest np-pods pod starts terminating and its replacement is scheduled on the same node.
			const old = state.pods
				.filter(p => p.labels['app'] === 'np-pods' && !p.terminating)
				.sort((a, b) => a.created - b.created)[0];
			if (!old) {
				return state;
			}

			const replacement: DemoPod = {
				...old,
				name: rolloutName(step),
				ip: freeAddress(state, old.ip),
				ready: false,
				terminating: false,
				created: now,
				notReadyReason: 'containers with unready status: [np-pods]',
			};
			const withTerminating = withPod(state, old.name, p => ({...p, terminating: true, ready: false, notReadyReason: 'Pod is terminating'}));
			return {...withTerminating, pods: [...withTerminating.pods, replacement]};
		}

		case 3: {
			return {
				...state,
				pods: state.pods.map(p => (p.labels['app'] === 'np-pods' && !p.terminating && !p.ready ? {...p, ready: true, notReadyReason: undefined} : p)),
			};
		}

		case 4: {
			return {...state, pods: state.pods.filter(p => !(p.labels['app'] === 'np-pods' && p.terminating))};
		}

		case 5: {
			// The service controller retries whms-loadbalancer and fails again: the Warning's count grows.
			return {
				...state,
				events: state.events.map(event => (event.reason === 'SyncLoadBalancerFailed'
					? {...event, count: (event.count ?? 1) + 1, lastTimestamp: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z') as unknown as Date}
					: event)),
			};
		}

		default: {
			return state;
		}
	}
}
