import assert from 'node:assert/strict';
import type {CoreV1Event} from '@kubernetes/client-node';
import type {ClusterSource} from '../../../source/kube/types.js';
import {afterEach, beforeEach, describe, mock, test} from 'node:test';
import type {NameResolution} from '../../../source/core/detail/describe-service.js';
import Dashboard from '../../../source/ui/Dashboard.js';
import {Text} from 'ink';
import type {ServiceScreenProps, ServiceScreens} from '../../../source/ui/screens.js';
import ServiceDetail from '../../../source/ui/views/ServiceDetail.js';
import {FakeClusterSource, node, pod, seededSource, seedNow, slice} from '../fake-source.js';
import {keys, type Rendered, renderAt, settle} from '../render-at.js';

const rendered: Rendered[] = [];

beforeEach(() => {
	mock.timers.enable({apis: ['setInterval', 'setTimeout']});
});

afterEach(() => {
	for (const view of rendered.splice(0)) {
		view.unmount();
	}

	mock.timers.reset();
});

function cluster() {
	const source = seededSource({
		nodes: [
			node('myk8s-control-plane', '172.18.0.2'),
			node('myk8s-worker', '172.18.0.3'),
			node('myk8s-worker2', '172.18.0.4'),
			node('myk8s-worker3', '172.18.0.5'),
		],
		lastUpdate: seedNow - 2000,
	});
	source.pods = [
		pod({name: 'np-deployment-6b96849c57-4xk2m', labels: {app: 'np-pods'}, node: 'myk8s-worker', ip: '10.244.1.2', containerPort: {name: 'http', containerPort: 80}}),
		pod({name: 'np-deployment-6b96849c57-9ptwl', labels: {app: 'np-pods'}, node: 'myk8s-worker2', ip: '10.244.2.2', containerPort: {name: 'http', containerPort: 80}}),
		pod({name: 'np-deployment-6b96849c57-zz7qp', labels: {app: 'np-pods'}, node: 'myk8s-worker3', ready: false, waiting: 'ImagePullBackOff', containerPort: {name: 'http', containerPort: 80}}),
		pod({name: 'unrelated', labels: {app: 'other'}, node: 'myk8s-worker', ip: '10.244.1.9'}),
	];
	const eventQueries: string[] = [];
	// The Service controller's events about the stuck load balancer, as the events API would list them.
	const withEvents: ClusterSource = source;
	withEvents.listEvents = async (namespace, involved) => {
		eventQueries.push(`${namespace}/${involved.kind}/${involved.name}`);
		return involved.name === 'whms-loadbalancer'
			? [
					serviceEvent('Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer', 4 * 3_600_000 + 58 * 60_000, 3 * 60_000, 61),
					serviceEvent('Warning', 'SyncLoadBalancerFailed', 'Error syncing load balancer: failed to ensure load balancer: timed out', 4 * 3_600_000 + 53 * 60_000, 2 * 60_000, 60),
				]
			: [];
	};
	const podQueries: Array<[string, Readonly<Record<string, string>>]> = [];
	const listPods = source.listPods.bind(source);
	source.listPods = async (namespace, selector) => {
		podQueries.push([namespace, selector]);
		return listPods(namespace, selector);
	};

	return {source, podQueries, eventQueries};
}

/** A core v1 Event about whms-loadbalancer, `count` times from `firstAgoMs` to `lastAgoMs` before seedNow. */
function serviceEvent(type: string, reason: string, message: string, firstAgoMs: number, lastAgoMs: number, count: number): CoreV1Event {
	return {
		metadata: {name: `whms-loadbalancer.${reason}`},
		involvedObject: {kind: 'Service', namespace: 'default', name: 'whms-loadbalancer'},
		type,
		reason,
		message,
		source: {component: 'service-controller'},
		firstTimestamp: new Date(seedNow - firstAgoMs),
		lastTimestamp: new Date(seedNow - lastAgoMs),
		count,
	};
}

function open(source: FakeClusterSource, serviceKey: string, size = {columns: 80, rows: 24}, resolveName?: (name: string) => Promise<NameResolution>, screens: ServiceScreens = {}) {
	function Detail(props: ServiceScreenProps) {
		return <ServiceDetail {...props} resolveName={resolveName} />;
	}

	const view = renderAt(
		<Dashboard source={source} clock={() => seedNow} initialRoute={{screen: 'detail', serviceKey}} screens={{...screens, detail: Detail}} />,
		size,
	);
	rendered.push(view);
	return view;
}

describe('ServiceDetail', () => {
	test('80x24: findings first, kubectl describe\'s fields and Events, then endpoints by node, topology, pods', async () => {
		const {source} = cluster();
		// The fields kube-apiserver fills in by default, as kubectl describe would see them.
		source.update({
			services: source.current.services.map(item =>
				item.metadata?.name === 'whms-loadbalancer'
					? {
							...item,
							spec: {
								...item.spec,
								ipFamilies: ['IPv4'],
								ipFamilyPolicy: 'SingleStack',
								sessionAffinity: 'None',
								externalTrafficPolicy: 'Cluster',
								internalTrafficPolicy: 'Cluster',
								ports: [{port: 80, targetPort: 8080 as unknown as string, nodePort: 30_081, protocol: 'TCP'}],
							},
						}
					: item,
			),
		});
		const view = open(source, 'default/whms-loadbalancer');
		await settle();
		assert.equal(view.frame(), FIRST_FRAME);
		await view.press(keys.pageDown);
		assert.equal(view.frame(), SECOND_FRAME);
	});

	test('pods are fetched by the selector, again on r and when the endpoints move, never for other changes', async () => {
		const {source, podQueries} = cluster();
		const view = open(source, 'default/np-svc', {columns: 100, rows: 60});
		await settle();
		assert.deepEqual(podQueries, [['default', {app: 'np-pods'}]]);
		await view.press('r');
		assert.equal(podQueries.length, 2);
		// A change elsewhere in the cluster: a new snapshot, same endpoints, no fetch.
		source.update({lastUpdate: seedNow});
		mock.timers.tick(200);
		await settle();
		assert.equal(podQueries.length, 2);
		// The third pod becomes a ready endpoint.
		source.update({
			endpointSlices: source.current.endpointSlices.map(item =>
				item.metadata?.name === 'np-svc-abcde'
					? slice('default', 'np-svc', [
							{ip: '10.244.1.2', node: 'myk8s-worker', pod: 'np-deployment-6b96849c57-4xk2m'},
							{ip: '10.244.2.2', node: 'myk8s-worker2', pod: 'np-deployment-6b96849c57-9ptwl'},
							{ip: '10.244.3.3', node: 'myk8s-worker3', pod: 'np-deployment-6b96849c57-zz7qp'},
						], 80)
					: item,
			),
		});
		source.pods[2] = pod({name: 'np-deployment-6b96849c57-zz7qp', labels: {app: 'np-pods'}, node: 'myk8s-worker3', ip: '10.244.3.3'});
		mock.timers.tick(200);
		await settle();
		assert.equal(podQueries.length, 3);
		assert.match(view.frame(), /^default\/np-svc {2}NodePort {2}age 6m41s {2}endpoints 3\/3 ready$/m);
		assert.match(view.frame(), /^ {4}np-deployment-6b96849c57-zz7qp {2}10\.244\.3\.3 {2}80 {2}ready$/m);
		assert.match(view.frame(), /^Pods matching the selector: 3; not ready endpoints: none$/m);
		// And every five seconds while open.
		mock.timers.tick(5000);
		await settle();
		assert.equal(podQueries.length, 4);
	});

	test('findings for a pending LoadBalancer without endpoints', async () => {
		const {source} = cluster();
		const view = open(source, 'default/whms-loadbalancer', {columns: 120, rows: 60});
		await settle();
		const frame = view.frame();
		assert.match(frame, /^Findings$/m);
		assert.match(frame, /^ {2}! .*\[lb-pending\]$/m);
		assert.match(frame, /^ {2}! .*\[no-endpoints\]$/m);
		assert.match(frame, /^ {2}LoadBalancer +<pending> \(Service created 4h58m ago\)$/m);
		assert.doesNotMatch(frame, /LoadBalancer Ingress/, 'kubectl prints no ingress while pending');
	});

	test('events: read once on open, again on r; unreadable events say unknown with the reason, never <none>', async () => {
		const {source, eventQueries} = cluster();
		const view = open(source, 'default/np-svc', {columns: 200, rows: 40});
		await settle();
		assert.deepEqual(eventQueries, ['default/Service/np-svc']);
		assert.match(view.frame(), /^ {2}Events: +<none>$/m);
		await view.press('r');
		assert.equal(eventQueries.length, 2);
		const withEvents: ClusterSource = source;
		withEvents.listEvents = async () => {
			throw new Error('events is forbidden: User "me" cannot list resource "events" in API group "" in the namespace "default"\nmore');
		};
		await view.press('r');
		assert.match(view.frame(), /^ {2}Events: +unknown \(events is forbidden: User "me" cannot list resource "events" in API group "" in the namespace "default"\)$/m);
		assert.doesNotMatch(view.frame(), /Events: +<none>/);
	});

	test('endpointslices forbidden: the findings line says what was not checked and why, never a bare none', async () => {
		const {source} = cluster();
		source.setState('endpointslices', {phase: 'forbidden', message: 'endpointslices is forbidden: User "dev" cannot list', since: seedNow});
		const view = open(source, 'default/np-svc', {columns: 200, rows: 40});
		await settle();
		const frame = view.frame();
		assert.match(frame, /^Findings: none from what could be read; not checked: endpointslices \(.*endpointslices is forbidden: User "dev" cannot list.*\)$/m);
		assert.doesNotMatch(frame, /^Findings: none$/m);
		assert.match(frame, /endpoints \?\/\? \(unknown\)/);
		// The pods were read (one of them is not ready), but which are endpoints is unknown without the slices.
		assert.match(frame, /^Pods matching the selector: 3; not ready endpoints: unknown \(endpointslices: endpointslices is forbidden: User "dev" cannot list\)$/m);
		assert.match(frame, /^Topology: unknown \(endpointslices: endpointslices is forbidden: User "dev" cannot list\)$/m);
		assert.doesNotMatch(frame, /not ready endpoints: none|Topology: <none>/);
	});

	test('pods forbidden: the pods line and the findings say pods unknown with the reason, never fetching… nor Findings: none', async () => {
		const {source} = cluster();
		const reason = 'pods is forbidden: User "dev" cannot list resource "pods" in API group "" in the namespace "default"';
		source.listPods = async () => {
			throw new Error(`${reason}\nmore`);
		};
		// A Service with a selector and nothing else to find: only the pods could have given a finding.
		const view = open(source, 'default/np-svc', {columns: 250, rows: 60});
		await settle();
		const frame = view.frame();
		assert.match(frame, new RegExp(`^Pods matching the selector: unknown \\(pods: ${reason.replaceAll('"', '.')}\\)$`, 'm'));
		assert.match(frame, new RegExp(`^Findings: none from what could be read; not checked: pods \\(${reason.replaceAll('"', '.')}\\)$`, 'm'));
		assert.doesNotMatch(frame, /fetching…|^Findings: none$/m);
	});

	test('pods read, then forbidden on a later read: they are unknown from then on, no finding drawn from the old ones (qa9 F1)', async () => {
		const {source} = cluster();
		const view = open(source, 'default/np-svc', {columns: 250, rows: 60});
		await settle();
		assert.match(view.frame(), /^Pods matching the selector: \d+/m);
		const reason = 'pods is forbidden: User "dev" cannot list resource "pods"';
		source.listPods = async () => {
			throw new Error(reason);
		};
		await view.press('r');
		await settle();
		const frame = view.frame();
		assert.match(frame, /^Pods matching the selector: unknown \(pods: pods is forbidden/m, frame);
		assert.match(frame, /not checked: pods \(pods is forbidden/, frame);
	});

	test('an ExternalName is resolved live on this machine', async () => {
		const {source} = cluster();
		const asked: string[] = [];
		const view = open(source, 'default/external-db', {columns: 100, rows: 24}, async name => {
			asked.push(name);
			return {name, chain: ['db.internal.example.com'], addresses: ['192.0.2.10']};
		});
		await settle();
		assert.deepEqual(asked, ['db.example.com']);
		assert.match(view.frame(), /^Resolved on this machine\n {2}db\.example\.com -> db\.internal\.example\.com -> 192\.0\.2\.10$/m);
		assert.doesNotMatch(view.frame(), /Endpoints by node/);
	});

	test('scrolls with the navigation keys when the content is taller than the screen', async () => {
		const {source} = cluster();
		const view = open(source, 'default/np-svc', {columns: 80, rows: 10});
		await settle();
		assert.equal(view.frame().split('\n')[2], 'default/np-svc  NodePort  age 6m41s  endpoints 2/2 ready');
		await view.press('j', 'j');
		assert.equal(view.frame().split('\n')[2], 'kubectl describe');
		await view.press('G');
		assert.equal(view.frame().split('\n').at(-2), '  np-deployment-6b96849c57-zz7qp  myk8s-worker3  no IP yet (app: ImagePullBackO…');
		await view.press('g');
		assert.equal(view.frame().split('\n')[2], 'default/np-svc  NodePort  age 6m41s  endpoints 2/2 ready');
	});

	test('repeated lines (two findings of one code) scroll as one window of the content, each line once and in order', async () => {
		const {source} = cluster();
		// Two ports whose targetPorts no pod declares, and no slice port named like them: two findings of each code.
		source.update({
			services: source.current.services.map(item => item.metadata?.name === 'np-svc'
				? {...item, spec: {...item.spec, ports: [{name: 'http', port: 80, targetPort: 8081 as never, protocol: 'TCP'}, {name: 'syslog', port: 514, targetPort: 514 as never, protocol: 'UDP'}]}}
				: item),
		});
		const tall = open(source, 'default/np-svc', {columns: 80, rows: 100});
		await settle();
		const content = tall.frame().split('\n').slice(2, -1).filter(Boolean);
		assert.equal(content.filter(line => line.endsWith('[target-port-not-exposed]')).length, 2);
		assert.equal(content.filter(line => line.endsWith('[protocol-not-served]')).length, 2);
		assert.equal(content.filter(line => line.startsWith('  ! ')).length, 4);
		const rows = 12;
		const body = rows - 3;
		const view = open(source, 'default/np-svc', {columns: 80, rows});
		await settle();
		const window = () => view.frame().split('\n').slice(2, 2 + body);
		const offsets = [0, 1, 2, 3, 4, 5, 6, 7, 8, 7, 6, 5, 4, 3, 2, 1, 0];
		for (const [step, offset] of offsets.entries()) {
			if (step > 0) {
				await view.press(offset > offsets[step - 1]! ? 'j' : 'k');
			}

			assert.deepEqual(window(), content.slice(offset, offset + body), `scrolled to line ${offset}`);
		}
	});

	test('a deleted Service says so; Esc goes back to the list', async () => {
		const {source} = cluster();
		const view = open(source, 'default/np-svc');
		await settle();
		source.update({services: source.current.services.filter(item => item.metadata?.name !== 'np-svc')});
		mock.timers.tick(200);
		await settle();
		assert.match(view.frame(), /^Service default\/np-svc is gone \(deleted, or not in the namespace shown\)\.$/m);
		await view.press(keys.escape);
		mock.timers.tick(25);
		await settle();
		assert.match(view.frame(), /^ {3}NAMESPACE   NAME/m);
	});

	test('t and p open the NAT and probe screens of this Service', async () => {
		const {source} = cluster();
		const screens = {
			nat: ({serviceKey}: ServiceScreenProps) => <Text>{`NAT of ${serviceKey}`}</Text>,
			probe: ({serviceKey}: ServiceScreenProps) => <Text>{`probe of ${serviceKey}`}</Text>,
		};
		const view = open(source, 'default/np-svc', undefined, undefined, screens);
		await settle();
		await view.press('p');
		assert.match(view.frame(), /^probe of default\/np-svc$/m);
		await view.press('q');
		assert.doesNotMatch(view.frame(), /^probe of/m);
		await view.press('t');
		assert.match(view.frame(), /^NAT of default\/np-svc$/m);
	});
});

const FIRST_FRAME = [
	'svctop  context kind-myk8s  namespace all  updated 2s ago',
	'services synced  endpointslices synced  nodes synced',
	'default/whms-loadbalancer  LoadBalancer  age 4h58m  endpoints 0/0 ready',
	'Findings',
	'  ! no endpoints: connections to 10.111.205.225 have no backend (kube-proxy',
	'    rejects them) [no-endpoints]',
	'  ! selector app=whms matches no pods in namespace default',
	'    [selector-matches-nothing]',
	'  ! LoadBalancer still <pending> 4h58m after creation: no controller has',
	'    provisioned a load balancer [lb-pending]',
	'kubectl describe',
	'  Name:                     whms-loadbalancer',
	'  Namespace:                default',
	'  Labels:                   <none>',
	'  Annotations:              <none>',
	'  Selector:                 app=whms',
	'  Type:                     LoadBalancer',
	'  IP Family Policy:         SingleStack',
	'  IP Families:              IPv4',
	'  IP:                       10.111.205.225',
	'  IPs:                      10.111.205.225',
	'  Port:                     <unset>  80/TCP',
	'  TargetPort:               8080/TCP',
	'j/k scroll  t nat  p probe  r refresh  Esc back  ? help',
].join('\n');
const SECOND_FRAME = [
	'svctop  context kind-myk8s  namespace all  updated 2s ago',
	'services synced  endpointslices synced  nodes synced',
	'  NodePort:                 <unset>  30081/TCP',
	'  Endpoints:                <none>',
	'  Session Affinity:         None',
	'  External Traffic Policy:  Cluster',
	'  Internal Traffic Policy:  Cluster',
	'  Events:',
	'    Type     Reason                  Age                  From',
	'    ----     ------                  ----                 ----',
	'    Normal   EnsuringLoadBalancer    3m (x61 over 4h58m)  service-controller',
	'      Ensuring load balancer',
	'    Warning  SyncLoadBalancerFailed  2m (x60 over 4h53m)  service-controller',
	'      Error syncing load balancer: failed to ensure load balancer: timed out',
	'Not in kubectl describe',
	'  LoadBalancer  <pending> (Service created 4h58m ago)',
	'  DNS           whms-loadbalancer.default.svc.cluster.local',
	'Endpoints by node: 0/0 ready',
	'  <none>',
	'Nodes without endpoints',
	'  myk8s-control-plane  172.18.0.2  zone zone-a',
	'  myk8s-worker         172.18.0.3  zone zone-a',
	'  myk8s-worker2        172.18.0.4  zone zone-a',
	'j/k scroll  t nat  p probe  r refresh  Esc back  ? help',
].join('\n');
