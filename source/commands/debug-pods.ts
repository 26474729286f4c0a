import {CoreV1Api, type KubeConfig, type V1Pod} from '@kubernetes/client-node';
import {humanDuration} from '../core/services/human-duration.js';
import {describeKubeError} from '../kube/errors.js';
import {debugPodSelector, nodeAnnotation} from '../node/access/debug-pod-spec.js';
import type {AccessIo} from './node-access.js';

export type DebugPodsOptions = {readonly clean: boolean; readonly namespace: string; readonly json: boolean};

/** Pods svctop made, in every namespace when it may list them there, else in the debug namespace. */
async function listDebugPods(api: CoreV1Api, namespace: string): Promise<{pods: V1Pod[]; scope: string}> {
	try {
		return {pods: (await api.listPodForAllNamespaces({labelSelector: debugPodSelector})).items, scope: 'all namespaces'};
	} catch (error) {
		if ((error as {code?: number}).code !== 403) {
			throw error;
		}

		return {pods: (await api.listNamespacedPod({namespace, labelSelector: debugPodSelector})).items, scope: `namespace ${namespace}`};
	}
}

function row(pod: V1Pod, now: number): string[] {
	const created = Date.parse(String(pod.metadata?.creationTimestamp ?? ''));
	return [
		pod.metadata?.namespace ?? '',
		pod.metadata?.name ?? '',
		pod.spec?.nodeName ?? pod.metadata?.annotations?.[nodeAnnotation] ?? '<none>',
		pod.status?.reason ?? pod.status?.phase ?? 'Unknown',
		Number.isFinite(created) ? humanDuration(now - created) : '<unknown>',
	];
}

function table(rows: readonly string[][]): string {
	const widths = rows[0]!.map((_cell, column) => Math.max(...rows.map(cells => cells[column]!.length)));
	return rows.map(cells => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]! + 3))).join('')).join('\n');
}

/** `svctop debug-pods [--clean]`: the pods svctop left behind, and their removal. */
export async function runDebugPods(kc: KubeConfig, options: DebugPodsOptions, io: AccessIo, now: number): Promise<number> {
	const api = kc.makeApiClient(CoreV1Api);
	const {pods, scope} = await listDebugPods(api, options.namespace);
	const deleted: string[] = [];
	const failed: string[] = [];
	if (options.clean) {
		for (const pod of pods) {
			const name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
			try {
				// eslint-disable-next-line no-await-in-loop
				await api.deleteNamespacedPod({name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, gracePeriodSeconds: 0});
				deleted.push(name);
			} catch (error) {
				failed.push(`${name}: ${describeKubeError(error)}`);
			}
		}
	}

	if (options.json) {
		io.stdout.write(`${JSON.stringify({scope, pods: pods.map(pod => Object.fromEntries(['namespace', 'name', 'node', 'status', 'age'].map((key, index) => [key, row(pod, now)[index]]))), ...(options.clean ? {deleted, failed} : {})}, null, 2)}\n`);
	} else if (pods.length === 0) {
		io.stderr.write(`No svctop debug pods in ${scope}.\n`);
	} else {
		io.stdout.write(`${table([['NAMESPACE', 'NAME', 'NODE', 'STATUS', 'AGE'], ...pods.map(pod => row(pod, now))])}\n`);
		for (const name of deleted) {
			io.stderr.write(`deleted pod ${name}\n`);
		}

		if (!options.clean) {
			io.stderr.write('Delete them with: svctop debug-pods --clean\n');
		}
	}

	for (const line of failed) {
		io.stderr.write(`svctop: could not delete pod ${line}\n`);
	}

	return failed.length > 0 ? 1 : 0;
}
