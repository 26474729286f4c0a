import {execFile, execFileSync} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {KubeConfig, type V1Service} from '@kubernetes/client-node';
import {readEvents} from '../../source/commands/describe.js';
import {describeService} from '../../source/core/detail/describe-service.js';
import {kubectlDescribeText} from '../../source/core/detail/kubectl-fields.js';
import {serviceNameLabel} from '../../source/core/services/service-row.js';
import {type DemoCluster, startDemoCluster} from '../../source/builtin-cluster/demo/start-demo.js';
import {connectCluster, type ConnectedCluster} from '../../source/kube/index.js';

/*
 * svctop's copy of `kubectl describe svc` against the machine's kubectl, both reading the demo cluster
 * from the project's in-process API server (Service GET, EndpointSlices by label, events by
 * involvedObject field selector). svctop writes the newest kubectl's fields; lines an older kubectl
 * does not print yet are taken out before comparing, and the comparison says which.
 */

function kubectlMinor(): number | undefined {
	try {
		const version = JSON.parse(execFileSync('kubectl', ['version', '--client', '-o', 'json'], {encoding: 'utf8'})) as {clientVersion?: {minor?: string}};
		return Number.parseInt(version.clientVersion?.minor ?? '', 10);
	} catch {
		return undefined;
	}
}

const minor = kubectlMinor();
const skip = minor === undefined ? 'kubectl is not installed on this machine' : undefined;

/** Fields svctop prints that kubectl of this minor version does not know yet (kubectl's describe.go history). */
function newerThan(kubectl: number): RegExp[] {
	return [
		...(kubectl < 34 ? [/^Traffic Distribution:/] : []),
		...(kubectl < 35 ? [/^AppProtocol:/] : []),
	];
}

describe('describe against kubectl describe svc', {skip}, () => {
	let cluster: DemoCluster;
	let source: ConnectedCluster;
	let directory: string;
	let kubeconfig: string;

	function kubectl(...args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
		return new Promise(resolve => {
			execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(directory, 'cache'), ...args], (error, stdout, stderr) => {
				resolve({code: error === null ? 0 : 1, stdout, stderr});
			});
		});
	}

	/** svctop's kubectl block for `service` at `now`, without the fields this kubectl lacks. */
	async function ours(service: V1Service, now: number): Promise<string> {
		const namespace = service.metadata!.namespace!;
		const detail = describeService({
			service,
			slices: source.snapshot().endpointSlices.filter(slice => slice.metadata?.namespace === namespace && slice.metadata?.labels?.[serviceNameLabel] === service.metadata!.name),
			nodes: source.snapshot().nodes,
			pods: undefined,
			now,
			events: await readEvents(source, service),
		});
		const dropped = newerThan(minor!);
		return kubectlDescribeText(detail.kubectl, detail.events)
			.split('\n')
			.filter(line => !dropped.some(pattern => pattern.test(line)))
			.join('\n');
	}

	/** kubectl's output next to ours rendered just before and just after it ran (ages tick meanwhile). */
	async function compare(service: V1Service): Promise<{kubectl: string; before: string; after: string}> {
		const before = await ours(service, Date.now());
		const run = await kubectl('describe', 'svc', '-n', service.metadata!.namespace!, service.metadata!.name!);
		assert.equal(run.code, 0, run.stderr);
		return {kubectl: run.stdout, before, after: await ours(service, Date.now())};
	}

	before(async () => {
		directory = await mkdtemp(path.join(tmpdir(), 'svtdescribe-'));
		cluster = await startDemoCluster({stepMs: 0});
		kubeconfig = path.join(directory, 'kubeconfig');
		await writeFile(kubeconfig, cluster.kubeconfigYaml);
		const kubeConfig = new KubeConfig();
		kubeConfig.loadFromString(cluster.kubeconfigYaml);
		source = await connectCluster({kubeConfigObject: kubeConfig, allNamespaces: true, backoff: {initialMs: 50, maxMs: 200}});
		await source.ready();
	});

	after(async () => {
		await source?.stop();
		await cluster?.stop();
		await rm(directory, {recursive: true, force: true});
	});

	test('every demo Service: the same text as kubectl describe svc, Events included', async () => {
		const services = source.snapshot().services;
		assert.ok(services.length >= 20, `the demo serves its Services (got ${services.length})`);
		for (const service of services) {
			// One kubectl at a time: the machine is shared.
			const {kubectl: theirs, before: early, after: late} = await compare(service);
			const key = `${service.metadata!.namespace}/${service.metadata!.name}`;
			assert.ok(theirs === early || theirs === late, `${key} differs from kubectl:\n--- kubectl\n${theirs}\n--- svctop\n${late}`);
		}
	});

	test('the fields people look for are there, with kubectl\'s strings', async () => {
		const byName = (namespace: string, name: string) => source.snapshot().services.find(item => item.metadata?.namespace === namespace && item.metadata?.name === name)!;
		const {kubectl: lb} = await compare(byName('default', 'whms-loadbalancer'));
		assert.match(lb, /^Events:\n {2}Type {5}Reason {18}Age {2,}From {16}Message\n/m);
		assert.match(lb, /^ {2}Normal {3}EnsuringLoadBalancer {4}\S+ \(x61 over 4h58m\) +service-controller +Ensuring load balancer$/m);
		assert.match(lb, /^ {2}Warning {2}SyncLoadBalancerFailed/m);
		assert.ok(lb.indexOf('EnsuringLoadBalancer') < lb.indexOf('SyncLoadBalancerFailed'), 'newest last');
		const {kubectl: echo} = await compare(byName('default', 'echo-lb'));
		assert.match(echo, /^LoadBalancer Ingress: +192\.0\.2\.127 \(VIP\)$/m);
		assert.match(echo, /^HealthCheck NodePort: +31876$/m);
		assert.match(echo, /^External Traffic Policy: +Local$/m);
		assert.match(echo, /^LoadBalancer Source Ranges: +192\.0\.2\.0\/24,198\.51\.100\.0\/24$/m);
		const {kubectl: dns} = await compare(byName('kube-system', 'kube-dns'));
		assert.match(dns, /^Labels: +k8s-app=kube-dns\n {26}kubernetes\.io\/cluster-service=true\n {26}kubernetes\.io\/name=CoreDNS\n/m);
		assert.match(dns, /^Annotations: +prometheus\.io\/port: 9153\n {26}prometheus\.io\/scrape: true\n/m);
		assert.match(dns, /^Port: +dns  53\/UDP\nTargetPort: +53\/UDP\nEndpoints: +10\.10\.0\.2:53,10\.10\.0\.3:53\n/m);
		const {kubectl: applied, after: appliedOurs} = await compare(byName('default', 'svc-nodeport'));
		assert.match(applied, /^Annotations: +<none>$/m, 'the last-applied configuration is hidden');
		assert.match(appliedOurs, /^Annotations: +<none>$/m);
		const {kubectl: dual} = await compare(byName('default', 'svc-dualstack'));
		assert.match(dual, /^IP Family Policy: +PreferDualStack\nIP Families: +IPv4,IPv6\n/m);
		// No slice at all: <none>; an empty slice (a selector matching nothing): an empty field, as kubectl prints it.
		const {kubectl: none} = await compare(byName('default', 'legacy-db'));
		assert.match(none, /^Endpoints: +<none>$/m);
		assert.match(none, /^Events: +<none>$/m);
		const {kubectl: orphan} = await compare(byName('default', 'orphan-svc'));
		assert.match(orphan, /^Endpoints: +$/m);
	});

	test('edge cases written into the server: long and multi-line annotations, hostname ingress, many endpoints', async () => {
		const edge = {
			apiVersion: 'v1',
			kind: 'Service',
			metadata: {
				namespace: 'test',
				name: 'edge-cases',
				labels: {'app.kubernetes.io/name': 'edge'},
				annotations: {
					'example.com/long': 'x'.repeat(150),
					'example.com/multi': 'first line\nsecond line\n',
					'example.com/short': 'v',
				},
			},
			spec: {
				type: 'LoadBalancer',
				clusterIP: '10.200.1.250',
				clusterIPs: ['10.200.1.250'],
				ipFamilies: ['IPv4'],
				ipFamilyPolicy: 'SingleStack',
				selector: {app: 'edge'},
				sessionAffinity: 'ClientIP',
				externalTrafficPolicy: 'Cluster',
				loadBalancerIP: '192.0.2.200',
				ports: [{name: 'web', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30999}, {name: 'udp', port: 53, targetPort: 5353, protocol: 'UDP', nodePort: 30998}],
			},
			status: {loadBalancer: {ingress: [{hostname: 'lb.example.com'}, {ip: '192.0.2.200'}]}},
		};
		const addresses = ['10.10.1.50', '10.10.1.51', '10.10.2.50', '10.10.2.51', '10.10.3.50'];
		const slice = {
			apiVersion: 'discovery.k8s.io/v1',
			kind: 'EndpointSlice',
			metadata: {namespace: 'test', name: 'edge-cases-abcde', labels: {[serviceNameLabel]: 'edge-cases'}},
			addressType: 'IPv4',
			endpoints: addresses.map((address, index) => ({addresses: [address], conditions: {ready: index !== 1}})),
			ports: [{name: 'web', port: 8080, protocol: 'TCP'}, {name: 'udp', port: 5353, protocol: 'UDP'}],
		};
		cluster.server.upsert(edge);
		cluster.server.upsert(slice);
		await caughtUp(() => source.snapshot().endpointSlices.some(item => item.metadata?.name === 'edge-cases-abcde'));
		const service = source.snapshot().services.find(item => item.metadata?.name === 'edge-cases')!;
		const {kubectl: theirs, before: early, after: late} = await compare(service);
		assert.ok(theirs === early || theirs === late, `differs from kubectl:\n--- kubectl\n${theirs}\n--- svctop\n${late}`);
		assert.match(theirs, /^Annotations: +example\.com\/long:\n {28}x{138}\.\.\.\n {26}example\.com\/multi:\n {28}first line\n {28}second line\n/m);
		assert.match(theirs, /^Endpoints: +10\.10\.1\.50:8080,10\.10\.2\.50:8080,10\.10\.2\.51:8080 \+ 1 more\.\.\.$/m);
		assert.match(theirs, /^LoadBalancer Ingress: +lb\.example\.com, 192\.0\.2\.200$/m);
		assert.match(theirs, /^Desired LoadBalancer IP: +192\.0\.2\.200$/m);
	});

	/** Resolves once `condition` holds for the client's cache (watch events arrive asynchronously). */
	async function caughtUp(condition: () => boolean): Promise<void> {
		if (condition()) {
			return;
		}

		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => {
				unsubscribe();
				reject(new Error('the client did not see the change within 5 s'));
			}, 5000);
			const unsubscribe = source.subscribe(() => {
				if (condition()) {
					clearTimeout(timer);
					unsubscribe();
					resolve();
				}
			});
		});
	}

	test('events forbidden: kubectl says <none>, svctop says unknown with the reason', async () => {
		const service = source.snapshot().services.find(item => item.metadata?.name === 'whms-loadbalancer')!;
		cluster.server.setForbidden('events', true);
		try {
			const {kubectl: theirs, after: mine} = await compare(service);
			assert.match(theirs, /^Events: +<none>$/m);
			assert.match(mine, /^Events: +unknown \(events is forbidden: User "svctop-demo" cannot list resource "events" in API group "" in the namespace "default"\)$/m);
		} finally {
			cluster.server.setForbidden('events', false);
		}
	});
});
