import type {KubernetesObject, V1EndpointSlice, V1Node, V1Service} from '@kubernetes/client-node';
import {startApiServer, type ApiServer} from '../apiserver/server.js';
import type {ExecHook} from '../apiserver/pod-access.js';
import {
	demoNodes,
	endpointSlicesFor,
	initialDemoState,
	namespaceObject,
	nodeObject,
	podObject,
	type DemoState,
} from './cluster.js';
import {advanceDemo} from './timeline.js';

/** The node svctop pretends to run on in the demo (the seeds' readers work on the control plane). */
export const demoLocalNode = 'myk8s-control-plane';

export type DemoCluster = {
	readonly server: ApiServer;
	/** A kubeconfig (YAML) whose only context points at the demo's API server. */
	readonly kubeconfigYaml: string;
	/** The objects as they stand now, for the demo's data plane and rule dump. */
	objects(): {services: V1Service[]; slices: V1EndpointSlice[]; nodes: V1Node[]};
	/** Apply the next timeline step now (tests call this instead of waiting). */
	step(): void;
	stop(): Promise<void>;
};

function objectsOf(state: DemoState, now: number): KubernetesObject[] {
	return [
		...state.namespaces.map(n => namespaceObject(n, now)),
		...demoNodes.map(n => nodeObject(n, now)),
		...state.services,
		...state.endpoints,
		...state.pods.map(p => podObject(p)),
		...endpointSlicesFor(state),
		...state.events,
	];
}

function objectKey(o: KubernetesObject): string {
	return `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
}

/**
 * Serve the demo cluster on loopback through the same in-process API server the tests use, so svctop
 * reaches it through @kubernetes/client-node like any other cluster. The timeline advances every
 * `stepMs` (0 = only when `step()` is called).
 */
export async function startDemoCluster(options: {now?: () => number; stepMs?: number; exec?: ExecHook} = {}): Promise<DemoCluster> {
	const now = options.now ?? Date.now;
	const started = now();
	let state = initialDemoState(started);
	let current = new Map(objectsOf(state, started).map(o => [objectKey(o), o]));
	const server = await startApiServer({objects: [...current.values()], exec: options.exec});
	let stepNumber = 0;

	const step = () => {
		state = advanceDemo(state, stepNumber++, now());
		const next = new Map(objectsOf(state, started).map(o => [objectKey(o), o]));
		for (const [key, object] of next) {
			const previous = current.get(key);
			if (!previous || JSON.stringify(stripServerFields(previous)) !== JSON.stringify(stripServerFields(object))) {
				server.upsert(object);
			}
		}

		for (const [key, object] of current) {
			if (!next.has(key)) {
				server.remove(object.kind!, object.metadata?.namespace, object.metadata!.name!);
			}
		}

		current = next;
	};

	const timer = options.stepMs === 0 ? undefined : setInterval(step, options.stepMs ?? 5000);
	timer?.unref();

	return {
		server,
		kubeconfigYaml: server.kubeconfigYaml({context: 'kind-myk8s', namespace: 'default'}),
		objects() {
			const all = [...current.values()];
			return {
				services: all.filter(o => o.kind === 'Service') as V1Service[],
				slices: all.filter(o => o.kind === 'EndpointSlice') as V1EndpointSlice[],
				nodes: all.filter(o => o.kind === 'Node') as V1Node[],
			};
		},
		step,
		async stop() {
			if (timer) {
				clearInterval(timer);
			}

			await server.close();
		},
	};
}

/** The server stamps uid and resourceVersion; compare what the demo itself decides. */
function stripServerFields(o: KubernetesObject): unknown {
	const {uid: _uid, resourceVersion: _rv, ...metadata} = o.metadata ?? {};
	return {...o, metadata};
}
