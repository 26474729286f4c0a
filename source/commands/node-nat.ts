import {crossCheckNat} from '../core/nat/cross-check.js';
import {compareNodes, type NodeRules, type NodeSync, renderCrossNodeText, syncText} from '../core/nat/cross-node.js';
import {refuseCutShort} from '../core/nat/cut-short.js';
import {decodeNatDump} from '../core/nat/decode.js';
import {filterNatServices} from '../core/nat/render.js';
import type {NatFlowTable, NatMode} from '../core/nat/types.js';
import {whyNoRules} from '../core/nat/why-no-rules.js';
import type {ClusterSource} from '../kube/types.js';
import type {DebugPodSession} from '../node/access/debug-pod-session.js';
import {readNodeRules} from '../node/access/node-rules.js';
import type {AccessIo} from './node-access.js';
import {runNat} from './nat.js';

export type NodeNatOptions = {
	readonly json: boolean;
	readonly mode?: NatMode;
	readonly service?: string;
	readonly source?: ClusterSource;
	/** Why there is no `source` (connecting failed): the rules then say they were not checked. */
	readonly apiUnreadable?: string;
	/** Debug pods made at once for --all-nodes. Default 4. */
	readonly concurrency?: number;
};

type NodeDump = {ok: true; text: string; mode: NatMode | undefined; source: string; sync?: NodeSync} | {ok: false; error: string};

/** One node's rules, read in a debug pod there. */
async function dumpOf(session: DebugPodSession, node: string, mode: NatMode | undefined): Promise<NodeDump> {
	const pod = await session.podOn(node);
	if (!pod.ok) {
		return pod;
	}

	const dump = await readNodeRules(pod.runner, `pod ${pod.target.namespace}/${pod.target.pod} on node ${node}`, {mode});
	if (!dump.ok) {
		return dump;
	}

	const proxy = dump.proxyMode === undefined ? 'kube-proxy\'s mode port did not answer' : `kube-proxy reports mode ${dump.proxyMode}`;
	return {ok: true, text: String(dump.text), mode: dump.mode, source: `${dump.source} (${proxy})`, sync: dump.sync};
}

/** `svctop nat --node NAME --debug-pod`: that node's rules, decoded as if svctop ran there. */
export async function runNodeNat(session: DebugPodSession, node: string, options: NodeNatOptions, io: AccessIo, _signal: AbortSignal): Promise<number> {
	const dump = await dumpOf(session, node, options.mode);
	if (!dump.ok) {
		io.stderr.write(`svctop: ${dump.error}\n`);
		return 1;
	}

	io.stderr.write(`svctop: rules of node ${node}: ${dump.source}${dump.sync ? `; kube-proxy ${syncText(dump.sync, Date.now())}` : ''}\n`);
	const unreadable = {unreadable: options.apiUnreadable ?? 'the API could not be reached'};
	return runNat({json: options.json, mode: options.mode ?? dump.mode, service: options.service, source: options.source, connect: async () => unreadable, dump: dump.text}, io);
}

/** Runs `work` over `items`, at most `limit` at a time, in order of start. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
	let next = 0;
	const lanes = Array.from({length: Math.min(limit, items.length)}, async () => {
		while (next < items.length) {
			const item = items[next++]!;
			// eslint-disable-next-line no-await-in-loop
			await work(item);
		}
	});
	await Promise.all(lanes);
}

/** `svctop nat --all-nodes --debug-pod`: every node's rules and where they disagree. */
export async function runAllNodesNat(session: DebugPodSession, source: ClusterSource, options: NodeNatOptions, io: AccessIo, signal: AbortSignal): Promise<number> {
	await source.ready();
	const snapshot = source.snapshot();
	const nodes = snapshot.nodes.map(node => node.metadata?.name ?? '').filter(Boolean).sort();
	if (nodes.length === 0) {
		io.stderr.write(`svctop: no nodes to read${snapshot.states.nodes.message ? ` (${snapshot.states.nodes.message})` : ''}\n`);
		return 1;
	}

	const access = await session.checkAccess();
	if (!access.ok) {
		io.stderr.write(`svctop: ${access.message}\n`);
		return 1;
	}

	// Without both lists every endpoint would look stale: compare the nodes with each other only.
	const unread = (['services', 'endpointslices'] as const).filter(resource => snapshot.states[resource].phase !== 'synced');
	const api = unread.length === 0 ? {services: snapshot.services, endpointSlices: snapshot.endpointSlices} : undefined;
	if (api === undefined) {
		io.stderr.write(`svctop: ${unread.map(resource => `${resource}: ${snapshot.states[resource].message ?? snapshot.states[resource].phase}`).join('; ')}: the nodes are compared with each other, not with the API\n`);
	}

	const results = new Map<string, NodeRules>();
	// One node's rules before the --service filter: why a Service has none on any node is asked of them.
	let whole: NatFlowTable | undefined;
	let done = 0;
	await eachLimited(nodes, options.concurrency ?? 4, async node => {
		if (signal.aborted) {
			results.set(node, {node, error: 'interrupted'});
			return;
		}

		const dump = await dumpOf(session, node, options.mode);
		done++;
		const cutShort = dump.ok ? refuseCutShort(dump.text, `${node}'s rules`) : null;
		if (dump.ok && cutShort) {
			results.set(node, {node, error: cutShort});
			io.stderr.write(`svctop: [${done}/${nodes.length}] ${node}: unknown: ${cutShort}\n`);
		} else if (dump.ok) {
			const decoded = decodeNatDump(dump.text, options.mode ?? dump.mode);
			const checked = api === undefined ? decoded : crossCheckNat(decoded, api);
			whole ??= checked;
			const table = options.service ? filterNatServices(checked, options.service) : checked;

			results.set(node, {node, table, sync: dump.sync});
			io.stderr.write(`svctop: [${done}/${nodes.length}] ${node}: ${table.mode}, ${table.services.length} service ports\n`);
		} else {
			results.set(node, {node, error: dump.error});
			io.stderr.write(`svctop: [${done}/${nodes.length}] ${node}: unknown: ${dump.error}\n`);
		}
	});
	if (signal.aborted) {
		return 130;
	}

	const tables = [...results.values()].flatMap(result => ('table' in result ? [result.table] : []));
	if (options.service && whole && tables.every(table => table.services.length === 0)) {
		const why = whyNoRules(options.service, whole, api && {...api, namespace: snapshot.namespace}, api ? undefined : 'not checked against the API: its Services or EndpointSlices were not listed');
		io.stderr.write(`svctop: no kube-proxy rules for ${options.service} on any node read: ${why.text}\n`);
		if (!why.expected) {
			return 1;
		}
	}

	const scoped = api && options.service ? {services: api.services.filter(service => options.service!.split(':')[0] === `${service.metadata?.namespace}/${service.metadata?.name}`), endpointSlices: api.endpointSlices} : api;
	const report = compareNodes(nodes.map(node => results.get(node)!), scoped);
	io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderCrossNodeText(report, Date.now()));
	return report.nodes.some(node => node.error !== undefined) ? 1 : 0;
}
