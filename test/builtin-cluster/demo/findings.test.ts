import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {KubeConfig} from '@kubernetes/client-node';
import {describeService, type FindingCode, findingCodes} from '../../../source/core/detail/describe-service.js';
import {serviceNameLabel} from '../../../source/core/services/service-row.js';
import {startDemoCluster, type DemoCluster} from '../../../source/builtin-cluster/demo/start-demo.js';
import {demoStepCount} from '../../../source/builtin-cluster/demo/timeline.js';
import {connectCluster, type ConnectedCluster} from '../../../source/kube/index.js';
import {type DnsClient, resolveName} from '../../../source/node/resolve-name.js';

/*
 * The demo cluster exists to show what svctop finds, so every finding code must turn up at least once
 * while the timeline runs. The demo is read the way the CLI reads it: over HTTP through connectCluster.
 */

/** A resolver that knows no name, so ExternalName resolution fails without asking this machine's DNS. */
const failingDns: DnsClient = {
	resolveCname: async name => Promise.reject(Object.assign(new Error(`queryCname ESERVFAIL ${name}`), {code: 'ESERVFAIL', syscall: 'queryCname', hostname: name})),
	resolve4: async name => Promise.reject(Object.assign(new Error(`queryA ESERVFAIL ${name}`), {code: 'ESERVFAIL', syscall: 'queryA', hostname: name})),
	resolve6: async name => Promise.reject(Object.assign(new Error(`queryAaaa ESERVFAIL ${name}`), {code: 'ESERVFAIL', syscall: 'queryAaaa', hostname: name})),
	lookup: async name => Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), {code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: name})),
};

let cluster: DemoCluster;
let source: ConnectedCluster;

before(async () => {
	cluster = await startDemoCluster({stepMs: 0});
	const kubeConfig = new KubeConfig();
	kubeConfig.loadFromString(cluster.kubeconfigYaml);
	source = await connectCluster({kubeConfigObject: kubeConfig, allNamespaces: true, backoff: {initialMs: 50, maxMs: 200}});
	await source.ready();
});

after(async () => {
	await source?.stop();
	await cluster?.stop();
});

/** What the demo decided for its slices, keyed by namespace/name, compared by endpoints and ports. */
function sliceContent(slices: ReadonlyArray<{metadata?: {namespace?: string; name?: string}; endpoints?: unknown; ports?: unknown}>): Map<string, string> {
	return new Map(slices.map(slice => [`${slice.metadata?.namespace}/${slice.metadata?.name}`, JSON.stringify({endpoints: slice.endpoints ?? [], ports: slice.ports ?? []})]));
}

/** Resolves once the client's cache holds the slices the demo serves now (watch events arrive asynchronously). */
async function caughtUp(timeoutMs = 5000): Promise<void> {
	const matches = () => {
		const want = sliceContent(cluster.objects().slices);
		const have = sliceContent(source.snapshot().endpointSlices);
		return want.size === have.size && [...want].every(([key, value]) => have.get(key) === value);
	};

	if (matches()) {
		return;
	}

	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => {
			unsubscribe();
			reject(new Error(`the client's EndpointSlices did not catch up with the demo within ${timeoutMs} ms`));
		}, timeoutMs);
		const unsubscribe = source.subscribe(() => {
			if (matches()) {
				clearTimeout(timer);
				unsubscribe();
				resolve();
			}
		});
	});
}

/** Describes every Service of the demo as it stands; returns the finding codes per Service. */
async function describeAll(): Promise<Map<string, FindingCode[]>> {
	const snapshot = source.snapshot();
	const result = new Map<string, FindingCode[]>();
	for (const service of snapshot.services) {
		const namespace = service.metadata!.namespace!;
		const name = service.metadata!.name!;
		const selector = service.spec?.selector;
		const pods = selector && Object.keys(selector).length > 0 ? await source.listPods(namespace, selector) : undefined;
		const resolution = service.spec?.type === 'ExternalName' && service.spec.externalName
			? await resolveName(service.spec.externalName, {dns: failingDns, timeoutMs: 1000})
			: undefined;
		const detail = describeService({
			service,
			slices: snapshot.endpointSlices.filter(slice => slice.metadata?.namespace === namespace && slice.metadata?.labels?.[serviceNameLabel] === name),
			nodes: snapshot.nodes,
			pods,
			now: Date.now(),
			resolution,
		});
		result.set(`${namespace}/${name}`, detail.findings.map(finding => finding.code));
	}

	return result;
}

test('the demo cluster shows every finding code at least once over its timeline', async () => {
	const seen = new Map<FindingCode, string>();
	const record = (findings: Map<string, FindingCode[]>, when: string) => {
		for (const [service, codes] of findings) {
			for (const code of codes) {
				if (!seen.has(code)) {
					seen.set(code, `${service} (${when})`);
				}
			}
		}
	};

	await caughtUp();
	assert.ok(source.snapshot().services.length > 0, 'the demo serves Services');
	record(await describeAll(), 'initial state');
	for (let step = 0; step < demoStepCount; step++) {
		cluster.step();
		await caughtUp();
		record(await describeAll(), `after step ${step}`);
	}

	const missing = findingCodes.filter(code => !seen.has(code));
	assert.deepEqual(missing, [], `finding codes the demo never produces: ${missing.join(', ')}; seen: ${[...seen].map(([code, where]) => `${code} at ${where}`).join('; ')}`);
});

test('the ExternalName Service reports the resolver\'s error, not an address', async () => {
	const findings = await describeAll();
	const externalNames = source.snapshot().services.filter(service => service.spec?.type === 'ExternalName');
	assert.ok(externalNames.length > 0, 'the demo has an ExternalName Service');
	for (const service of externalNames) {
		assert.deepEqual(findings.get(`${service.metadata!.namespace}/${service.metadata!.name}`), ['external-name-unresolved']);
	}
});
