import {readFileSync} from 'node:fs';
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {runList} from '../../source/commands/list.js';
import {capture, stubSource} from '../fixtures/services/cluster-source-stub.js';

type Fixture = {now: string; items: Array<V1Service | V1EndpointSlice>};
const fixture = JSON.parse(readFileSync(new URL('../fixtures/services/seed-cluster.json', import.meta.url), 'utf8')) as Fixture;
const now = Date.parse(fixture.now);
const services = fixture.items.filter(item => item.kind === 'Service') as V1Service[];
const endpointSlices = fixture.items.filter(item => item.kind === 'EndpointSlice') as V1EndpointSlice[];

describe('runList', () => {
	test('one namespace: the kubectl table plus ENDPOINTS and WARNINGS, nothing on stderr', async () => {
		const out = capture();
		const err = capture();
		const code = await runList(stubSource({namespace: 'test', services, endpointSlices}), {wide: false, json: false, allNamespaces: false}, out, now, err);
		assert.equal(code, 0);
		assert.equal(out.text(), [
			'NAME           TYPE           CLUSTER-IP       EXTERNAL-IP               PORT(S)          ENDPOINTS   AGE   WARNINGS',
			'nginx-svc      ClusterIP      10.105.132.127   10.20.2.235,10.20.2.236   80/TCP           2/2         45h   <none>',
			'nginx-svc-lb   LoadBalancer   10.110.214.153   10.20.2.235,10.20.2.236   8080:31558/TCP   2/2         45h   load balancer pending',
			'nginx-svc-np   NodePort       10.97.16.76      10.20.2.235,10.20.2.236   8081:31511/TCP   2/2         45h   <none>',
			'',
		].join('\n'));
		assert.equal(err.text(), '');
	});

	test('all namespaces -o wide: NAMESPACE, SELECTOR and WARNINGS columns', async () => {
		const out = capture();
		const code = await runList(stubSource({namespace: undefined, services, endpointSlices}), {wide: true, json: false, allNamespaces: true}, out, now, capture());
		assert.equal(code, 0);
		const lines = out.text().trimEnd().split('\n');
		assert.equal(lines.length, services.length + 1);
		assert.match(lines[0]!, /^NAMESPACE +NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +ENDPOINTS +AGE +SELECTOR +WARNINGS$/);
		assert.match(lines.find(line => line.startsWith('default ') && line.includes('svc-nodeport'))!, /NodePort +10\.200\.1\.60 +<none> +9000:31254\/TCP +3\/3 +12m +app=deploy-websrv +<none>$/);
		assert.match(lines.find(line => / light-api /.test(line))!, / 0\/0 +\S+ +\S+ +no endpoints$/);
	});

	test('--json: the document of issue 2', async () => {
		const out = capture();
		const code = await runList(stubSource({namespace: 'kube-system', services, endpointSlices}), {wide: false, json: true, allNamespaces: false}, out, now, capture());
		assert.equal(code, 0);
		assert.deepEqual(JSON.parse(out.text()), {
			context: 'kind-myk8s',
			services: [{namespace: 'kube-system', name: 'kube-dns', type: 'ClusterIP', clusterIP: '10.96.0.10', externalIP: '<none>', ports: '53/UDP,53/TCP,9153/TCP', selector: 'k8s-app=kube-dns', age: '13d', endpoints: {ready: 2, total: 2}, warnings: [], unknown: []}],
		});
	});

	test('empty namespace: kubectl\'s message on stderr, exit 0', async () => {
		const out = capture();
		const err = capture();
		assert.equal(await runList(stubSource({namespace: 'empty', services, endpointSlices}), {wide: false, json: false, allNamespaces: false}, out, now, err), 0);
		assert.equal(out.text(), '');
		assert.equal(err.text(), 'No resources found in empty namespace.\n');
		const errAll = capture();
		await runList(stubSource({namespace: undefined}), {wide: false, json: false, allNamespaces: true}, capture(), now, errAll);
		assert.equal(errAll.text(), 'No resources found\n');
	});

	test('services forbidden: one clear line, exit 1', async () => {
		const out = capture();
		const err = capture();
		const source = stubSource({namespace: 'default', states: {services: {phase: 'forbidden', message: 'services is forbidden: User "dev" cannot list resource "services" in API group "" in the namespace "default"', since: 0}}});
		assert.equal(await runList(source, {wide: false, json: false, allNamespaces: false}, out, now, err), 1);
		assert.equal(out.text(), '');
		assert.equal(err.text(), 'Error from server (Forbidden): services is forbidden: User "dev" cannot list resource "services" in API group "" in the namespace "default"\n');
	});

	test('endpointslices forbidden: the table still prints, without false "no endpoints" warnings', async () => {
		const out = capture();
		const err = capture();
		const source = stubSource({namespace: 'prod', services, states: {endpointslices: {phase: 'forbidden', message: 'endpointslices.discovery.k8s.io is forbidden', since: 0}}});
		assert.equal(await runList(source, {wide: false, json: true, allNamespaces: false}, out, now, err), 0);
		assert.deepEqual(JSON.parse(out.text()).services.map((service: {warnings: string[]}) => service.warnings), [[], [], []]);
		assert.equal(err.text(), 'warning: endpoints unknown: endpointslices.discovery.k8s.io is forbidden\n');
		// The ExternalName Service needs no slices to have no endpoints; the other two are unknown, not 0/0.
		assert.deepEqual(JSON.parse(out.text()).services.map((service: {type: string; endpoints: unknown}) => [service.type, service.endpoints]), [['NodePort', null], ['ClusterIP', null], ['ExternalName', {ready: 0, total: 0}]]);
	});

	test('endpointslices forbidden: WARNINGS says endpoints unknown, not <none>; --json says what and why', async () => {
		const message = 'endpointslices.discovery.k8s.io is forbidden';
		const source = stubSource({namespace: undefined, services, states: {endpointslices: {phase: 'forbidden', message, since: 0}}});
		const out = capture();
		assert.equal(await runList(source, {wide: false, json: false, allNamespaces: true}, out, now, capture()), 0);
		const lines = out.text().trimEnd().split('\n').slice(1);
		assert.equal(lines.length, services.length);
		for (const line of lines) {
			if (/ ExternalName /.test(line)) {
				assert.match(line, / 0\/0 .* <none>$/, 'an ExternalName needs no slices');
			} else {
				assert.match(line, / \?\/\? .*endpoints unknown$/, line);
			}
		}

		// A warning that needs no slices still shows, beside the unknown.
		assert.match(lines.find(line => / whms-loadbalancer /.test(line))!, / load balancer pending; endpoints unknown$/);
		const json = capture();
		await runList(source, {wide: false, json: true, allNamespaces: true}, json, now, capture());
		const cluster = (JSON.parse(json.text()) as {services: Array<{type: string; unknown: unknown[]}>}).services;
		for (const service of cluster) {
			assert.deepEqual(service.unknown, service.type === 'ExternalName' ? [] : [{what: 'endpoints', reason: message}]);
		}
	});
});
