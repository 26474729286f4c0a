import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {parseTarget, runDescribe} from '../../source/commands/describe.js';
import {capture, stubSource} from '../fixtures/services/cluster-source-stub.js';
import {echoPods, endpoint, nodes, now, pod, service, slice, svcNodeport, svcNodeportSlices} from '../fixtures/services/kind-cluster.js';

const externalName = service('prod', 'my-service', {type: 'ExternalName', externalName: 'my.database.example.com', ipFamilies: undefined, ipFamilyPolicy: undefined});
const otherNamespace = service('shop', 'svc-nodeport', {type: 'ClusterIP', clusterIPs: ['10.96.7.7'], selector: {app: 'shop'}, ports: [{port: 80, protocol: 'TCP'}]});
const content = {
	namespace: undefined,
	services: [svcNodeport, externalName, otherNamespace],
	endpointSlices: [...svcNodeportSlices, slice('shop', 'svc-nodeport', 'shop-x', [endpoint(['10.10.2.40'], 'shop', {nodeName: 'myk8s-worker2', pod: 'shop-1'})], [{port: 80}])],
	nodes,
	pods: [...echoPods, pod('shop', 'shop-1', {app: 'shop'}, 'myk8s-worker2', {ip: '10.10.2.40', ports: [{containerPort: 80}]})],
};
const noResolve = async (name: string) => ({name, chain: [], addresses: [], error: 'queryA ENOTFOUND ' + name});

describe('parseTarget', () => {
	test('ns/name, name, svc/ prefix, malformed', () => {
		assert.deepEqual(parseTarget('default/svc-nodeport', 'x'), {namespace: 'default', name: 'svc-nodeport'});
		assert.deepEqual(parseTarget('svc-nodeport', 'kube-system'), {namespace: 'kube-system', name: 'svc-nodeport'});
		assert.deepEqual(parseTarget('svc/kube-dns', 'kube-system'), {namespace: 'kube-system', name: 'kube-dns'});
		assert.equal(parseTarget('a/b/c', 'x'), undefined);
		assert.equal(parseTarget('', 'x'), undefined);
	});
});

describe('runDescribe', () => {
	test('text: only this Service\'s slices and pods, grouped by node, with findings', async () => {
		const source = stubSource(content);
		const out = capture();
		const err = capture();
		assert.equal(await runDescribe(source, {target: 'default/svc-nodeport', json: false, clusterDomain: 'cluster.local', resolve: noResolve}, out, now, err), 0);
		const text = out.text();
		assert.match(text, /^Namespace: +default$/m);
		assert.match(text, /^Endpoints: 3\/3 ready/m);
		assert.doesNotMatch(text, /shop-1/);
		assert.match(text, /\[local-policy-nodes-without-endpoints\]/);
		assert.equal(err.text(), '');
		assert.equal(source.podQueries, 1);
	});

	test('--json for the Service of the same name in another namespace', async () => {
		const out = capture();
		assert.equal(await runDescribe(stubSource(content), {target: 'shop/svc-nodeport', json: true, clusterDomain: 'k8s.example', resolve: noResolve}, out, now, capture()), 0);
		const json = JSON.parse(out.text());
		assert.deepEqual(json.dnsNames, ['svc-nodeport.shop.svc.k8s.example']);
		assert.deepEqual(json.nodes.map((group: {node: string; endpoints: Array<{pod: string}>}) => [group.node, group.endpoints.map(entry => entry.pod)]), [['myk8s-worker2', ['shop-1']]]);
		assert.deepEqual(json.findings, []);
	});

	test('ExternalName: the target resolved through the injected resolver', async () => {
		const out = capture();
		const resolved: string[] = [];
		const resolve = async (name: string) => {
			resolved.push(name);
			return noResolve(name);
		};

		assert.equal(await runDescribe(stubSource(content), {target: 'prod/my-service', json: true, clusterDomain: 'cluster.local', resolve}, out, now, capture()), 0);
		assert.deepEqual(resolved, ['my.database.example.com']);
		assert.deepEqual(JSON.parse(out.text()).findings.map((finding: {code: string}) => finding.code), ['external-name-unresolved']);
	});

	test('a name in the watched namespace; switching the source to another namespace', async () => {
		const source = stubSource({...content, namespace: 'shop'});
		assert.equal(await runDescribe(source, {target: 'svc-nodeport', json: true, clusterDomain: 'cluster.local'}, capture(), now, capture()), 0);
		assert.deepEqual(source.namespaceSwitches, []);
		assert.equal(await runDescribe(source, {target: 'default/svc-nodeport', json: true, clusterDomain: 'cluster.local'}, capture(), now, capture()), 0);
		assert.deepEqual(source.namespaceSwitches, ['default']);
	});

	test('unknown Service: one line, exit 1', async () => {
		const out = capture();
		const err = capture();
		assert.equal(await runDescribe(stubSource(content), {target: 'default/nope', json: false, clusterDomain: 'cluster.local'}, out, now, err), 1);
		assert.equal(err.text(), 'services "nope" not found\n');
		assert.equal(out.text(), '');
		const errNs = capture();
		await runDescribe(stubSource(content), {target: 'shop/nope', json: false, clusterDomain: 'cluster.local'}, capture(), now, errNs);
		assert.equal(errNs.text(), 'services "nope" not found in namespace "shop"\n');
	});

	test('pods forbidden: a warning, the rest still described', async () => {
		const out = capture();
		const err = capture();
		const source = stubSource({...content, podsError: new Error('pods is forbidden: User "dev" cannot list resource "pods"')});
		assert.equal(await runDescribe(source, {target: 'default/svc-nodeport', json: true, clusterDomain: 'cluster.local'}, out, now, err), 0);
		assert.equal(err.text(), 'warning: pods unknown: pods is forbidden: User "dev" cannot list resource "pods"\n');
		assert.equal(JSON.parse(out.text()).podsFetched, false);
		assert.deepEqual(JSON.parse(out.text()).unknown, [{resource: 'pods', reason: 'pods is forbidden: User "dev" cannot list resource "pods"'}]);
	});

	test('services forbidden, malformed target', async () => {
		const err = capture();
		const source = stubSource({...content, states: {services: {phase: 'forbidden', message: 'services is forbidden', since: 0}}});
		assert.equal(await runDescribe(source, {target: 'default/svc-nodeport', json: false, clusterDomain: 'cluster.local'}, capture(), now, err), 1);
		assert.equal(err.text(), 'error: services is forbidden\n');
		const errTarget = capture();
		assert.equal(await runDescribe(stubSource(content), {target: 'a/b/c', json: false, clusterDomain: 'cluster.local'}, capture(), now, errTarget), 1);
		assert.equal(errTarget.text(), 'error: expected NAMESPACE/NAME or NAME, got "a/b/c"\n');
	});

	test('events: read by involvedObject and shown newest last; JSON carries events, kubectl fields, topology, hints', async () => {
		const asked: string[] = [];
		const source = {
			...stubSource(content),
			async listEvents(namespace: string, involved: {kind: string; name: string; uid?: string}) {
				asked.push(`${namespace} ${involved.kind} ${involved.name}`);
				return [
					{metadata: {name: 'b'}, involvedObject: {}, type: 'Warning', reason: 'Second', message: 'later', source: {component: 'c'}, lastTimestamp: new Date(now - 60_000), firstTimestamp: new Date(now - 60_000), count: 1},
					{metadata: {name: 'a'}, involvedObject: {}, type: 'Normal', reason: 'First', message: 'earlier', source: {component: 'c'}, lastTimestamp: new Date(now - 600_000), firstTimestamp: new Date(now - 600_000), count: 1},
				];
			},
		};
		const text = capture();
		assert.equal(await runDescribe(source, {target: 'default/svc-nodeport', json: false, clusterDomain: 'cluster.local', resolve: noResolve}, text, now, capture()), 0);
		assert.deepEqual(asked, ['default Service svc-nodeport']);
		assert.match(text.text(), /^Events:\n {2}Type +Reason +Age +From +Message\n {2}-+ +-+ +-+ +-+ +-+\n {2}Normal +First +10m +c +earlier\n {2}Warning +Second +60s +c +later\n\nAge:/m);
		const json = capture();
		assert.equal(await runDescribe(source, {target: 'default/svc-nodeport', json: true, clusterDomain: 'cluster.local', resolve: noResolve}, json, now, capture()), 0);
		const document = JSON.parse(json.text());
		assert.deepEqual(document.events.items.map((row: {reason: string}) => row.reason), ['First', 'Second']);
		assert.equal(document.events.state, 'read');
		assert.equal(document.kubectl.ports[0].endpoints, '10.10.3.2:8080,10.10.2.3:8080,10.10.1.3:8080');
		assert.equal(document.kubectl.externalTrafficPolicy, 'Local');
		assert.deepEqual(document.nodes[0].endpoints[0].hints, {forZones: [], forNodes: []});
		assert.deepEqual(document.topology.nodes.map((node: {node: string}) => node.node), ['myk8s-control-plane', 'myk8s-worker', 'myk8s-worker2', 'myk8s-worker3']);
	});

	test('events unreadable: unknown with the reason, in text and JSON, never <none>', async () => {
		const source = {...stubSource(content), listEvents: async () => Promise.reject(new Error('events is forbidden: User "dev" cannot list resource "events"\ndetails'))};
		const text = capture();
		assert.equal(await runDescribe(source, {target: 'default/svc-nodeport', json: false, clusterDomain: 'cluster.local'}, text, now, capture()), 0);
		assert.match(text.text(), /^Events: +unknown \(events is forbidden: User "dev" cannot list resource "events"\)$/m);
		assert.doesNotMatch(text.text(), /^Events: +<none>/m);
		const json = capture();
		assert.equal(await runDescribe(source, {target: 'default/svc-nodeport', json: true, clusterDomain: 'cluster.local'}, json, now, capture()), 0);
		assert.deepEqual(JSON.parse(json.text()).events, {state: 'unknown', reason: 'events is forbidden: User "dev" cannot list resource "events"'});
		// A source that cannot read events at all says so too.
		const plain = capture();
		assert.equal(await runDescribe(stubSource(content), {target: 'default/svc-nodeport', json: false, clusterDomain: 'cluster.local'}, plain, now, capture()), 0);
		assert.match(plain.text(), /^Events: +unknown \(this source does not read events\)$/m);
	});
});
