import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {V1Pod} from '@kubernetes/client-node';
import {describeService, type ServiceDetail} from '../../../source/core/detail/describe-service.js';
import {describeJson} from '../../../source/core/detail/describe-json.js';
import {describeText, formatPort} from '../../../source/core/detail/describe-text.js';
import {podNotReadyReason} from '../../../source/core/detail/pod-reason.js';
import {echoPods, endpoint, nodes, now, pod, service, slice, svcNodeport, svcNodeportSlices} from '../../fixtures/services/kind-cluster.js';

const codes = (detail: ServiceDetail) => detail.findings.map(finding => finding.code);

describe('svc-nodeport (walkthrough 003, externalTrafficPolicy Local)', () => {
	const detail = describeService({service: svcNodeport, slices: svcNodeportSlices, nodes, pods: echoPods, clusterDomain: 'cluster.local', now});

	test('one group per node with InternalIP and zone, endpoints with pod, IP, ports and conditions', () => {
		assert.deepEqual(detail.nodes.map(group => [group.node, group.nodeIP, group.zone, group.endpoints.map(entry => [entry.pod, entry.ip, entry.ports, entry.ready, entry.serving, entry.terminating])]), [
			['myk8s-worker', '172.18.0.5', 'zone-a', [['deploy-echo-5c689d5454-m4hd9', '10.10.1.3', {'svc-webport': 8080}, true, true, false]]],
			['myk8s-worker2', '172.18.0.2', 'zone-b', [['deploy-echo-5c689d5454-cjpfp', '10.10.2.3', {'svc-webport': 8080}, true, true, false]]],
			['myk8s-worker3', '172.18.0.4', 'zone-c', [['deploy-echo-5c689d5454-b7gng', '10.10.3.2', {'svc-webport': 8080}, true, true, false]]],
		]);
	});

	test('the control plane holds no endpoint, and Local policy drops NodePort traffic there', () => {
		assert.deepEqual(detail.nodesWithoutEndpoints, [{node: 'myk8s-control-plane', nodeIP: '172.18.0.3', zone: 'zone-a'}]);
		assert.deepEqual(codes(detail), ['local-policy-nodes-without-endpoints']);
		assert.match(detail.findings[0]!.message, /NodePort 31254 on myk8s-control-plane is dropped/);
		assert.equal(detail.trafficNotes.length, 1);
	});

	test('spec summary, port and DNS names', () => {
		assert.equal(formatPort(detail.ports[0]!), 'svc-webport 9000 -> 8080 (nodePort 31254) /TCP');
		assert.deepEqual(detail.dnsNames, ['svc-nodeport.default.svc.cluster.local', '_svc-webport._tcp.svc-nodeport.default.svc.cluster.local']);
		assert.deepEqual(detail.endpoints, {ready: 3, total: 3});
		assert.equal(detail.matchingPods, 3);
		assert.deepEqual(detail.unreadyPods, []);
	});

	test('a custom cluster domain', () => {
		const custom = describeService({service: svcNodeport, slices: svcNodeportSlices, nodes, pods: echoPods, clusterDomain: 'k8s.example', now});
		assert.equal(custom.dnsNames[0], 'svc-nodeport.default.svc.k8s.example');
	});

	test('JSON has the shape of issue 3', () => {
		const json = describeJson(detail) as Record<string, unknown>;
		assert.deepEqual(Object.keys(json).filter(key => ['service', 'dnsNames', 'ports', 'nodes', 'nodesWithoutEndpoints', 'unreadyPods', 'findings'].includes(key)).length, 7);
		assert.deepEqual(json.ports, [{name: 'svc-webport', port: 9000, targetPort: 8080, nodePort: 31254, protocol: 'TCP'}]);
		assert.deepEqual((json.nodes as unknown[])[0], {node: 'myk8s-worker', nodeIP: '172.18.0.5', zone: 'zone-a', endpoints: [{pod: 'deploy-echo-5c689d5454-m4hd9', ip: '10.10.1.3', ports: {'svc-webport': 8080}, ready: true, serving: true, terminating: false, hints: {forZones: [], forNodes: []}}]});
		assert.deepEqual(json.findings, detail.findings);
		assert.equal((json.service as Record<string, unknown>).externalTrafficPolicy, 'Local');
		assert.doesNotThrow(() => JSON.stringify(json));
	});

	test('text: grouped by node, nodes without endpoints, the dropped-traffic statement, findings', () => {
		const text = describeText(detail);
		assert.match(text, /^Name: +svc-nodeport$/m);
		assert.match(text, /^Port: +svc-webport  9000\/TCP\nTargetPort: +8080\/TCP\nNodePort: +svc-webport  31254\/TCP\nEndpoints: +10\.10\.3\.2:8080,10\.10\.2\.3:8080,10\.10\.1\.3:8080$/m);
		assert.match(text, /^External Traffic Policy: +Local$/m);
		assert.match(text, /^Endpoints: 3\/3 ready \(slices: svc-nodeport-wq8cd by endpointslice-controller\.k8s\.io\)$/m);
		assert.match(text, /^ {2}myk8s-worker2 \(172\.18\.0\.2, zone zone-b\)\n {4}deploy-echo-5c689d5454-cjpfp +10\.10\.2\.3 +svc-webport=8080 +ready$/m);
		assert.match(text, /^Nodes without endpoints:\n {2}myk8s-control-plane +172\.18\.0\.3 +zone zone-a$/m);
		assert.match(text, /^ {2}\[local-policy-nodes-without-endpoints\] externalTrafficPolicy is Local/m);
	});
});

describe('svc-nodeport with the nodes forbidden', () => {
	const reason = 'nodes is forbidden: User "me" cannot list resource "nodes" in API group "" at the cluster scope';
	const detail = describeService({service: svcNodeport, slices: svcNodeportSlices, nodes, pods: echoPods, clusterDomain: 'cluster.local', now, unknown: [{resource: 'nodes', reason}]});

	test('the InternalIP is unknown, not absent; JSON keeps null; the zone is the one the slice gives', () => {
		assert.deepEqual(detail.nodes.map(group => [group.node, group.nodeIP, group.zone]), [
			['myk8s-worker', null, 'zone-a'],
			['myk8s-worker2', null, 'zone-b'],
			['myk8s-worker3', null, 'zone-c'],
		]);
		assert.equal(((describeJson(detail) as {nodes: Array<{nodeIP: unknown}>}).nodes)[0]!.nodeIP, null);
		const text = describeText(detail);
		assert.doesNotMatch(text, /no InternalIP/);
		assert.match(text, /^ {2}myk8s-worker2 \(InternalIP unknown \(nodes could not be read\), zone zone-b \(from the EndpointSlice\)\)$/m);
		assert.match(text, new RegExp(`^Not checked \\(could not be read\\):\n {2}nodes: ${reason.replaceAll(/[()]/g, '\\$&')}$`, 'm'));
		// No finding from what was read: said so, not a bare <none> above the data never seen.
		assert.deepEqual(detail.findings, []);
		assert.match(text, /^Findings: <none> from what could be read \(see Not checked\)$/m);
		assert.doesNotMatch(text, /^Findings: <none>$/m);
	});

	test('without a zone in the slice no zone is printed', () => {
		const bare = svcNodeportSlices.map(item => ({...item, endpoints: (item.endpoints ?? []).map(({zone: _zone, ...rest}) => rest)}));
		const text = describeText(describeService({service: svcNodeport, slices: bare, nodes, pods: echoPods, now, unknown: [{resource: 'nodes', reason}]}));
		assert.match(text, /^ {2}myk8s-worker2 \(InternalIP unknown \(nodes could not be read\)\)$/m);
		assert.doesNotMatch(text, /zone zone-/);
	});
});

describe('svc-nodeport with the endpointslices or the nodes unknown: what rests on them is null, never empty or zero', () => {
	const reason = 'endpointslices.discovery.k8s.io is forbidden: User "me" cannot list resource "endpointslices"';

	test('endpointslices unknown: not-ready pods, nodes without endpoints and topology are unknown', () => {
		const detail = describeService({service: svcNodeport, slices: svcNodeportSlices, nodes, pods: echoPods, now, unknown: [{resource: 'endpointslices', reason}]});
		assert.equal(detail.podsFetched, true);
		assert.equal(detail.unreadyPods, null);
		assert.equal(detail.nodesWithoutEndpoints, null);
		assert.equal(detail.topology, null);
		const json = describeJson(detail) as {unreadyPods: unknown; nodesWithoutEndpoints: unknown; topology: unknown};
		assert.deepEqual([json.unreadyPods, json.nodesWithoutEndpoints, json.topology], [null, null, null]);
		const text = describeText(detail);
		assert.match(text, new RegExp(`^Pods matching the selector that are not ready endpoints: unknown \\(endpointslices: ${reason.replaceAll('.', '\\.')}\\)$`, 'm'));
		assert.doesNotMatch(text, /<none>\n\nFindings|not ready endpoints: <none>/);
	});

	test('nodes unknown: nodes without endpoints and each node\'s topology are unknown', () => {
		const detail = describeService({service: svcNodeport, slices: svcNodeportSlices, nodes, pods: echoPods, now, unknown: [{resource: 'nodes', reason: 'nodes is forbidden'}]});
		assert.equal(detail.nodesWithoutEndpoints, null);
		assert.equal(detail.topology?.nodes, null);
		assert.deepEqual(detail.unreadyPods, []);
		assert.match(describeText(detail), /^Nodes without endpoints: unknown \(nodes: nodes is forbidden\)$/m);
	});
});

describe('dual-stack web with a named targetPort, several slices, terminating and unready endpoints', () => {
	const labels = {app: 'web'};
	const ports = [{name: 'http', containerPort: 8080, protocol: 'TCP'}];
	const pods: V1Pod[] = [
		pod('shop', 'web-a', labels, 'myk8s-worker', {ip: '10.10.1.7', ipv6: 'fd00:10:1::7', ports}),
		pod('shop', 'web-b', labels, 'myk8s-worker2', {ip: '10.10.2.8', ipv6: 'fd00:10:2::8', ports, deleting: true, ready: false}),
		pod('shop', 'web-c', labels, 'myk8s-worker2', {ip: '10.10.2.9', ipv6: 'fd00:10:2::9', ports, ready: false, probe: true}),
		pod('shop', 'web-d', labels, undefined, {ports}),
		pod('shop', 'web-e', labels, 'myk8s-worker3', {ip: '10.10.3.5', ports: [{name: 'web', containerPort: 80}]}),
	];
	const svc = service('shop', 'web', {
		type: 'ClusterIP',
		clusterIP: '10.96.40.2',
		clusterIPs: ['10.96.40.2', 'fd00:10:96::28'],
		ipFamilies: ['IPv4', 'IPv6'],
		ipFamilyPolicy: 'RequireDualStack',
		selector: labels,
		internalTrafficPolicy: 'Local',
		ports: [{name: 'http', port: 80, targetPort: 'http', protocol: 'TCP'}],
	});
	const slices = [
		// The controller split the IPv4 endpoints over two slices; IPv6 is its own slice (listed first on purpose).
		slice('shop', 'web', 'web-v6-9xk2', [
			endpoint(['fd00:10:1::7'], 'shop', {nodeName: 'myk8s-worker', pod: 'web-a'}),
			endpoint(['fd00:10:2::8'], 'shop', {nodeName: 'myk8s-worker2', pod: 'web-b', ready: false, serving: true, terminating: true}),
			endpoint(['fd00:10:2::9'], 'shop', {nodeName: 'myk8s-worker2', pod: 'web-c', ready: false}),
		], [{name: 'http', port: 8080}], {addressType: 'IPv6'}),
		slice('shop', 'web', 'web-v4-7p2qd', [
			endpoint(['10.10.1.7'], 'shop', {nodeName: 'myk8s-worker', pod: 'web-a'}),
			endpoint(['10.10.2.8'], 'shop', {nodeName: 'myk8s-worker2', pod: 'web-b', ready: false, serving: true, terminating: true}),
		], [{name: 'http', port: 8080}]),
		slice('shop', 'web', 'web-v4-c5m8z', [
			endpoint(['10.10.2.9'], 'shop', {nodeName: 'myk8s-worker2', pod: 'web-c', ready: false}),
		], [{name: 'http', port: 8080}]),
	];
	const detail = describeService({service: svc, slices, nodes, pods, clusterDomain: 'cluster.local', now});

	test('one endpoint per pod, primary family first, both addresses kept', () => {
		const worker2 = detail.nodes.find(group => group.node === 'myk8s-worker2')!;
		assert.deepEqual(worker2.endpoints.map(entry => [entry.pod, entry.ip, entry.addresses, entry.ready, entry.serving, entry.terminating, entry.slices]), [
			['web-b', '10.10.2.8', ['10.10.2.8', 'fd00:10:2::8'], false, true, true, ['web-v6-9xk2', 'web-v4-7p2qd']],
			['web-c', '10.10.2.9', ['10.10.2.9', 'fd00:10:2::9'], false, false, false, ['web-v6-9xk2', 'web-v4-c5m8z']],
		]);
		assert.deepEqual(detail.endpoints, {ready: 1, total: 3});
	});

	test('the named targetPort resolves per pod; a pod without it is called out', () => {
		assert.deepEqual(detail.ports[0]!.podTargetPorts, [
			{pod: 'web-a', port: 8080}, {pod: 'web-b', port: 8080}, {pod: 'web-c', port: 8080}, {pod: 'web-d', port: 8080}, {pod: 'web-e', port: null},
		]);
		assert.equal(formatPort(detail.ports[0]!), 'http 80 -> http (web-a: 8080, web-b: 8080, web-c: 8080, web-d: 8080, web-e: not declared) /TCP');
		const finding = detail.findings.find(entry => entry.code === 'target-port-not-exposed');
		assert.match(finding?.message ?? '', /targetPort "http" is not declared by web-e/);
	});

	test('pods that are not ready endpoints, each with its reason', () => {
		assert.deepEqual(detail.unreadyPods!.map(entry => [entry.pod, entry.node, entry.reason]), [
			['web-b', 'myk8s-worker2', 'terminating (deletion requested 20s ago)'],
			['web-c', 'myk8s-worker2', 'readiness probe failing (app)'],
			['web-d', null, 'not scheduled: Unschedulable: 0/4 nodes are available: 4 Insufficient cpu.'],
			['web-e', 'myk8s-worker3', 'declares no container port named "http"'],
		]);
	});

	test('findings: some endpoints not ready, internalTrafficPolicy Local drops traffic from nodes without a ready endpoint', () => {
		assert.deepEqual(codes(detail), ['endpoints-not-ready', 'target-port-not-exposed', 'local-policy-nodes-without-endpoints']);
		assert.match(detail.findings[0]!.message, /^2 of 3 endpoints not ready: web-b \(terminating\) on myk8s-worker2, web-c on myk8s-worker2$/);
		// worker2 only has a terminating-but-serving endpoint, which kube-proxy still uses for Local policies.
		assert.match(detail.findings[2]!.message, /from pods on myk8s-control-plane, myk8s-worker3 is dropped/);
	});

	test('text shows both addresses and the terminating state', () => {
		assert.match(describeText(detail), /^ {4}web-b +10\.10\.2\.8,fd00:10:2::8 +http=8080 +not ready, serving, terminating$/m);
	});
});

describe('selectorless Services', () => {
	const mySvc = service('default', 'my-service', {type: 'ClusterIP', clusterIP: '10.96.144.7', clusterIPs: ['10.96.144.7'], ports: [{protocol: 'TCP', port: 80, targetPort: 9376 as unknown as string}]});

	test('a manual Endpoints object mirrored into a slice: endpoints without a node form their own group', () => {
		const mirrored = slice('default', 'my-service', 'my-service-l7bz2', [endpoint(['192.0.2.42'], 'default')], [{port: 9376}], {managedBy: 'endpointslicemirroring-controller.k8s.io'});
		const detail = describeService({service: mySvc, slices: [mirrored], nodes, pods: undefined, now});
		assert.deepEqual(detail.nodes, [{node: null, nodeIP: null, zone: null, endpoints: [{pod: null, ip: '192.0.2.42', addresses: ['192.0.2.42'], ports: {'': 9376}, ready: true, serving: true, terminating: false, zone: null, hostname: null, slices: ['my-service-l7bz2'], hints: {forZones: [], forNodes: []}}]}]);
		assert.deepEqual(detail.slices, [{name: 'my-service-l7bz2', addressType: 'IPv4', managedBy: 'endpointslicemirroring-controller.k8s.io', endpoints: 1}]);
		assert.equal(detail.nodesWithoutEndpoints!.length, 4);
		assert.deepEqual(codes(detail), []);
		assert.equal(formatPort(detail.ports[0]!), '<unset> 80 -> 9376 /TCP');
		const text = describeText(detail);
		assert.match(text, /^ {2}no node \(addresses without a nodeName\)\n {4}- +192\.0\.2\.42 +<unset>=9376 +ready$/m);
		assert.match(text, /^Selector: +<none>$/m);
	});

	test('without any slice: no endpoints, and why', () => {
		const detail = describeService({service: mySvc, slices: [], nodes, pods: undefined, now});
		assert.deepEqual(codes(detail), ['no-endpoints', 'selectorless-without-endpoints']);
		assert.match(detail.findings[0]!.message, /10\.96\.144\.7/);
	});
});

describe('findings from the spec and the pods', () => {
	test('selector matches nothing (pods fetched, none match)', () => {
		const svc = service('default', 'orphan', {type: 'ClusterIP', clusterIPs: ['10.96.9.9'], selector: {app: 'gone', tier: 'web'}, ports: [{port: 80, protocol: 'TCP'}]});
		const detail = describeService({service: svc, slices: [], nodes, pods: [], now});
		assert.deepEqual(codes(detail), ['no-endpoints', 'selector-matches-nothing']);
		assert.equal(detail.findings[1]!.message, 'selector app=gone,tier=web matches no pods in namespace default');
		assert.equal(detail.matchingPods, 0);
	});

	test('pods not fetched: no claim about the selector', () => {
		const svc = service('default', 'orphan', {type: 'ClusterIP', clusterIPs: ['10.96.9.9'], selector: {app: 'gone'}, ports: [{port: 80, protocol: 'TCP'}]});
		const detail = describeService({service: svc, slices: [], nodes, pods: undefined, now});
		assert.deepEqual(codes(detail), ['no-endpoints']);
		assert.equal(detail.podsFetched, false);
		assert.equal(detail.matchingPods, null);
	});

	test('no ready endpoints', () => {
		const detail = describeService({
			service: svcNodeport,
			slices: [slice('default', 'svc-nodeport', 's1', [endpoint(['10.10.1.3'], 'default', {nodeName: 'myk8s-worker', pod: 'deploy-echo-5c689d5454-m4hd9', ready: false})], [{name: 'svc-webport', port: 8080}])],
			nodes,
			pods: undefined,
			now,
		});
		assert.equal(codes(detail)[0], 'no-ready-endpoints');
		assert.equal(detail.findings[0]!.message, 'none of the 1 endpoint is ready: deploy-echo-5c689d5454-m4hd9 on myk8s-worker');
		// Every node lacks a ready endpoint now, the worker included.
		assert.match(detail.findings[1]!.message, /myk8s-control-plane, myk8s-worker, myk8s-worker2, myk8s-worker3/);
	});

	test('numeric targetPort that no container declares', () => {
		const pods = [pod('default', 'api-1', {app: 'api'}, 'myk8s-worker', {ip: '10.10.1.9', ports: [{name: 'http', containerPort: 8080}]})];
		const svc = service('default', 'api', {type: 'ClusterIP', clusterIPs: ['10.96.1.1'], selector: {app: 'api'}, ports: [{name: 'http', port: 80, targetPort: 9090 as unknown as string, protocol: 'TCP'}]});
		const slices = [slice('default', 'api', 'api-x', [endpoint(['10.10.1.9'], 'default', {nodeName: 'myk8s-worker', pod: 'api-1'})], [{name: 'http', port: 9090}])];
		const detail = describeService({service: svc, slices, nodes, pods, now});
		assert.deepEqual(codes(detail), ['target-port-not-exposed']);
		assert.match(detail.findings[0]!.message, /targetPort 9090 is not a declared TCP container port of any matching pod \(declared: http=8080\/TCP\)/);
	});

	test('named targetPort that no pod declares', () => {
		const pods = [pod('default', 'api-1', {app: 'api'}, 'myk8s-worker', {ip: '10.10.1.9', ports: [{containerPort: 8080}]})];
		const svc = service('default', 'api', {type: 'ClusterIP', clusterIPs: ['10.96.1.1'], selector: {app: 'api'}, ports: [{name: 'metrics', port: 9100, targetPort: 'metrics', protocol: 'TCP'}]});
		const detail = describeService({service: svc, slices: [slice('default', 'api', 'api-x', [], [])], nodes, pods, now});
		assert.deepEqual(codes(detail), ['no-endpoints', 'target-port-not-exposed']);
		assert.match(detail.findings[1]!.message, /targetPort "metrics" is not a TCP container port of any matching pod \(declared: 8080\/TCP\)/);
		assert.deepEqual(detail.unreadyPods!.map(entry => entry.reason), ['declares no container port named "metrics"']);
	});

	test('kube-dns: a manual slice serving dns over TCP only leaves the UDP port unserved', () => {
		const svc = service('kube-system', 'kube-dns', {
			type: 'ClusterIP', clusterIPs: ['10.96.0.10'],
			ports: [{name: 'dns', port: 53, targetPort: 53 as unknown as string, protocol: 'UDP'}, {name: 'dns-tcp', port: 53, targetPort: 53 as unknown as string, protocol: 'TCP'}, {name: 'metrics', port: 9153, protocol: 'TCP'}],
		});
		const slices = [slice('kube-system', 'kube-dns', 'kube-dns-manual', [endpoint(['10.10.0.2'], 'kube-system')], [{name: 'dns', port: 53, protocol: 'TCP'}, {name: 'dns-tcp', port: 53, protocol: 'TCP'}], {managedBy: 'staff'})];
		const detail = describeService({service: svc, slices, nodes, pods: undefined, now});
		assert.deepEqual(detail.findings, [
			{code: 'protocol-not-served', message: 'port dns 53/UDP: the endpoints serve this port over TCP only, not UDP', restsOn: ['service', 'endpointslices']},
			{code: 'protocol-not-served', message: 'port metrics 9153/TCP: no EndpointSlice lists a TCP port named "metrics", so traffic to it has no backend', restsOn: ['service', 'endpointslices']},
		]);
		assert.equal(formatPort(detail.ports[2]!), 'metrics 9153 -> 9153 /TCP');
	});

	test('LoadBalancer pending with externalIPs, and ClientIP session affinity with the default timeout', () => {
		const svc = service('test', 'nginx-svc-lb', {
			type: 'LoadBalancer', clusterIPs: ['10.110.214.153'], externalIPs: ['10.20.2.235', '10.20.2.236'], sessionAffinity: 'ClientIP', externalTrafficPolicy: 'Cluster',
			ports: [{port: 8080, targetPort: 80 as unknown as string, nodePort: 31558, protocol: 'TCP'}],
		}, {loadBalancer: {}}, 45 * 3_600_000);
		const detail = describeService({service: svc, slices: [slice('test', 'nginx-svc-lb', 'a', [endpoint(['10.10.1.4'], 'test', {nodeName: 'myk8s-worker'})], [{port: 80}])], nodes, pods: undefined, now});
		assert.deepEqual(detail.findings, [
			{code: 'lb-pending', message: 'LoadBalancer still <pending> 45h after creation: no controller has provisioned a load balancer (its externalIPs 10.20.2.235, 10.20.2.236 still take traffic)', restsOn: ['service']},
			{code: 'session-affinity-client-ip', message: 'sessionAffinity ClientIP: requests from one client IP stick to the same endpoint for 3h (10800s) of inactivity, so load is not spread per request', restsOn: ['service']},
		]);
		assert.equal(detail.service.sessionAffinityTimeoutSeconds, 10_800);
		// kubectl prints no ingress line while pending and no timeout; svctop's own section does.
		assert.doesNotMatch(describeText(detail), /^LoadBalancer Ingress:/m);
		assert.match(describeText(detail), /^LoadBalancer: +<pending> \(no ingress in the status yet\)$/m);
		assert.match(describeText(detail), /^Session Affinity: +ClientIP$/m);
		assert.match(describeText(detail), /^ClientIP timeout: +10800s$/m);
	});

	test('LoadBalancer with an ingress hostname and ipMode', () => {
		const svc = service('eks', 'np-svc', {type: 'LoadBalancer', clusterIPs: ['172.16.107.200'], ports: [{port: 80, nodePort: 30000, protocol: 'TCP'}]}, {loadBalancer: {ingress: [{hostname: 'a.elb.amazonaws.com'}, {ip: '203.0.113.7', ipMode: 'Proxy'}]}});
		const detail = describeService({service: svc, slices: [], nodes: [], pods: undefined, now});
		assert.equal(detail.service.loadBalancerPending, false);
		assert.match(describeText(detail), /^LoadBalancer Ingress: +a\.elb\.amazonaws\.com, 203\.0\.113\.7 \(Proxy\)$/m);
		assert.deepEqual(detail.nodesWithoutEndpoints, []);
	});

	test('ExternalName: resolved, unresolved, not resolved', () => {
		const svc = service('prod', 'my-service', {type: 'ExternalName', externalName: 'my.database.example.com', ipFamilies: undefined, ipFamilyPolicy: undefined});
		const resolved = describeService({service: svc, slices: [], nodes, pods: undefined, now, resolution: {name: 'my.database.example.com', chain: ['db-1.example.net'], addresses: ['192.0.2.10']}});
		assert.deepEqual(codes(resolved), []);
		assert.deepEqual(resolved.nodesWithoutEndpoints!.length, 4);
		assert.match(describeText(resolved), /^ {2}my\.database\.example\.com -> db-1\.example\.net -> 192\.0\.2\.10$/m);
		const failed = describeService({service: svc, slices: [], nodes, pods: undefined, now, resolution: {name: 'my.database.example.com', chain: [], addresses: [], error: 'queryA ENOTFOUND my.database.example.com'}});
		assert.deepEqual(failed.findings, [{code: 'external-name-unresolved', message: 'ExternalName target my.database.example.com does not resolve on this machine: queryA ENOTFOUND my.database.example.com', restsOn: ['service', 'dns']}]);
		assert.deepEqual((describeJson(failed) as {externalName: unknown}).externalName, {target: 'my.database.example.com', chain: [], addresses: [], error: 'queryA ENOTFOUND my.database.example.com'});
		assert.match(describeText(failed), /^Resolved on this machine:$/m);
		// Another resolver (the demo's own DNS) is named instead of this machine.
		const elsewhere = describeService({service: svc, slices: [], nodes, pods: undefined, now, resolution: {name: 'my.database.example.com', chain: [], addresses: [], error: 'ENOTFOUND my.database.example.com', resolver: 'the demo cluster\'s DNS'}});
		assert.match(describeText(elsewhere), /^Resolved in the demo cluster's DNS:$/m);
		assert.match(elsewhere.findings[0]!.message, /does not resolve in the demo cluster's DNS: ENOTFOUND/);
		const unresolved = describeService({service: svc, slices: [], nodes, pods: undefined, now});
		assert.deepEqual(codes(unresolved), []);
		assert.equal(unresolved.externalName?.resolution, null);
	});

	test('headless StatefulSet: a DNS name per endpoint hostname', () => {
		const svc = service('db', 'pg', {type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], selector: {app: 'pg'}, ports: [{name: 'pg', port: 5432, protocol: 'TCP'}]});
		const slices = [slice('db', 'pg', 'pg-x', [endpoint(['10.10.1.20'], 'db', {nodeName: 'myk8s-worker', pod: 'pg-0', hostname: 'pg-0'}), endpoint(['10.10.2.21'], 'db', {nodeName: 'myk8s-worker2', pod: 'pg-1', hostname: 'pg-1'})], [{name: 'pg', port: 5432}])];
		const detail = describeService({service: svc, slices, nodes, pods: undefined, now});
		assert.deepEqual(detail.dnsNames, ['pg.db.svc.cluster.local', '_pg._tcp.pg.db.svc.cluster.local', 'pg-0.pg.db.svc.cluster.local', 'pg-1.pg.db.svc.cluster.local']);
		assert.deepEqual(codes(detail), []);
	});

	test('headless without endpoints: its DNS name has no address; kube-proxy has no rules for it to reject with', () => {
		const svc = service('db', 'pg', {type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], selector: {app: 'pg'}, ports: [{name: 'pg', port: 5432, protocol: 'TCP'}]});
		const detail = describeService({service: svc, slices: [], nodes, pods: [], now});
		const finding = detail.findings.find(each => each.code === 'no-endpoints');
		assert.equal(finding?.message, 'no endpoints: pg is headless, so its DNS name resolves to no address');
		assert.doesNotMatch(describeText(detail), /kube-proxy rejects/);
	});
});

describe('podNotReadyReason', () => {
	test('a container waiting before it got an IP, and in CrashLoopBackOff', () => {
		assert.equal(podNotReadyReason(pod('default', 'p', {}, 'myk8s-worker', {waiting: 'ContainerCreating', ready: false}), now), 'no IP yet (app: ContainerCreating)');
		assert.equal(podNotReadyReason(pod('default', 'p', {}, 'myk8s-worker', {ip: '10.10.1.2', waiting: 'CrashLoopBackOff', ready: false}), now), 'container app waiting: CrashLoopBackOff');
		assert.equal(podNotReadyReason(pod('default', 'p', {}, 'myk8s-worker', {ip: '10.10.1.2', ready: false}), now), 'not ready: ContainersNotReady: containers with unready status: [app]');
		assert.equal(podNotReadyReason(pod('default', 'p', {}, 'myk8s-worker', {ip: '10.10.1.2'}), now), undefined);
		assert.equal(podNotReadyReason(pod('default', 'p', {}, 'myk8s-worker', {ip: '10.10.1.2', phase: 'Succeeded'}), now), 'Succeeded');
	});
});
