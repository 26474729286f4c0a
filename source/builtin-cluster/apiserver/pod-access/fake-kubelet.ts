import {findResource} from '../resources.js';
import type {ObjectStore} from '../store.js';
import type {ExecSessions} from './exec-sessions.js';

type Json = Record<string, any>;

const podsResource = findResource('pods')!;
const nodesResource = findResource('nodes')!;

function timestamp(): string {
	return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The status a started pod gets: Running, or Pending in ImagePullBackOff when its image never pulls. */
function startedStatus(pod: Json, nodeIp: string | undefined, pullFails: boolean): Json {
	const container = (pod.spec?.containers ?? [])[0] as Json | undefined;
	const image = String(container?.image ?? '');
	const started = timestamp();
	const base = {hostIP: nodeIp, startTime: started, qosClass: 'BestEffort', ...(pod.spec.hostNetwork && nodeIp ? {podIP: nodeIp, podIPs: [{ip: nodeIp}]} : {})};
	if (pullFails) {
		const waiting = {reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"`};
		return {...base, phase: 'Pending', conditions: [{type: 'PodScheduled', status: 'True'}, {type: 'Ready', status: 'False', reason: 'ContainersNotReady'}], containerStatuses: [{name: container?.name, image, ready: false, restartCount: 0, started: false, state: {waiting}}]};
	}

	return {...base, phase: 'Running', conditions: [{type: 'PodScheduled', status: 'True'}, {type: 'Initialized', status: 'True'}, {type: 'ContainersReady', status: 'True'}, {type: 'Ready', status: 'True'}], containerStatuses: [{name: container?.name, image, imageID: `${image}@sha256:0`, ready: true, restartCount: 0, started: true, state: {running: {startedAt: started}}}]};
}

/** The fake kubelet: a pod runs after a moment, or its image never pulls; its deadline ends it. */
export class FakeKubelet {
	private readonly timers = new Set<NodeJS.Timeout>();
	private readonly failingImages = new Set<string>();

	constructor(
		private readonly store: ObjectStore,
		private readonly execs: ExecSessions,
		private readonly startMs: number,
	) {}

	/** Pods with this image never start. */
	failImagePull(image: string): void {
		this.failingImages.add(image);
	}

	/** Whether a node of that name exists: only there is a kubelet to run a pod. */
	hasNode(nodeName: unknown): boolean {
		return typeof nodeName === 'string' && this.store.get(nodesResource, '', nodeName) !== undefined;
	}

	start(namespace: string, name: string, uid: unknown): void {
		this.later(this.startMs, () => {
			const pod = this.currentPod(namespace, name, uid);
			if (pod === undefined) {
				return;
			}

			const image = String(((pod.spec?.containers ?? [])[0] as Json | undefined)?.image ?? '');
			pod.status = startedStatus(pod, this.nodeAddress(String(pod.spec.nodeName)), this.failingImages.has(image));
			this.store.upsert(pod);
			const deadline = Number(pod.spec.activeDeadlineSeconds);
			if (Number.isFinite(deadline) && deadline > 0) {
				this.later(deadline * 1000, () => this.end(namespace, name, uid));
			}
		});
	}

	close(): void {
		for (const timer of this.timers) {
			clearTimeout(timer);
		}

		this.timers.clear();
	}

	/** Past its active deadline: the pod fails and its exec sessions end. */
	private end(namespace: string, name: string, uid: unknown): void {
		const pod = this.currentPod(namespace, name, uid);
		if (pod === undefined) {
			return;
		}

		this.execs.kill(namespace, name);
		const finished = timestamp();
		const containerStatuses = (pod.status.containerStatuses ?? []).map((status: Json) => ({...status, ready: false, started: false, state: {terminated: {exitCode: 137, reason: 'Error', finishedAt: finished}}}));
		pod.status = {...pod.status, phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline', containerStatuses};
		this.store.upsert(pod);
	}

	/** The pod as stored, if it is still the same one (same UID). */
	private currentPod(namespace: string, name: string, uid: unknown): Json | undefined {
		const stored = this.store.get(podsResource, namespace, name);
		return stored !== undefined && stored.uid === uid ? {kind: 'Pod', apiVersion: 'v1', ...JSON.parse(stored.itemJson) as Json} : undefined;
	}

	private nodeAddress(nodeName: string): string | undefined {
		const node = this.store.get(nodesResource, '', nodeName);
		const addresses = node === undefined ? [] : (JSON.parse(node.itemJson) as Json).status?.addresses ?? [];
		return (addresses as Array<{type: string; address: string}>).find(address => address.type === 'InternalIP')?.address;
	}

	private later(ms: number, action: () => void): void {
		const timer = setTimeout(() => {
			this.timers.delete(timer);
			action();
		}, ms);
		timer.unref();
		this.timers.add(timer);
	}
}
