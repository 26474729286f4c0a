import assert from 'node:assert/strict';
import {afterEach, describe, test} from 'node:test';
import Dashboard from '../../../source/ui/Dashboard.js';
import {fitNatLine, natLines} from '../../../source/ui/views/nat/nat-lines.js';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
import {crossCheckNat} from '../../../source/core/nat/cross-check.js';
import {filterNatServices} from '../../../source/core/nat/render.js';
import {makeNatView} from '../../../source/commands/dashboard-screens.js';
import {demoSource as demoCluster} from '../fake-source.js';
import {type Rendered, renderAt, settle} from '../render-at.js';

const now = Date.UTC(2026, 10, 23, 0, 0, 0);
const rendered: Rendered[] = [];

afterEach(() => {
	for (const view of rendered.splice(0)) {
		view.unmount();
	}
});

/** The demo cluster as `svctop --demo` starts it, in one namespace or all. */
function demoSource(namespace: string | undefined) {
	const {source, dump} = demoCluster(now, namespace);
	return {source, dump: dump()};
}

describe('80x24 frames of the demo cluster', () => {
	test('the list: every Service\'s full name and ports', async () => {
		const {source} = demoSource('default');
		const view = renderAt(<Dashboard source={source} clock={() => now} />, {columns: 80, rows: 24});
		rendered.push(view);
		await settle();
		assert.equal(
			view.frame(),
			[
				'svctop  context kind-myk8s  namespace default  updated just now',
				'services synced  endpointslices synced  nodes synced',
				'   NAME              TYPE         CLUSTER-IP   EXTERNAL-IP  PORT(S)        ENDP…',
				'>  api-alias         ExternalName <none>       kubernetes.… <none>         0/0',
				'   echo-lb           LoadBalancer 10.200.1.90  192.0.2.127  80:30080/TCP   3/3',
				'   kubernetes        ClusterIP    10.200.1.1   <none>       443/TCP        1/1',
				' ! legacy-db         ClusterIP    10.200.1.43  <none>       5432/TCP       0/0',
				'   my-database       ExternalName <none>       my.database… <none>         0/0',
				'   my-service        ClusterIP    10.200.1.42  <none>       80/TCP         1/1',
				'   np-svc            LoadBalancer 10.200.1.200 ac0c6f11e2b… 80:30000/TCP   3/3',
				' ! orphan-svc        ClusterIP    10.200.1.99  <none>       80/TCP         0/0',
				'   svc-clusterip     ClusterIP    10.200.1.155 <none>       9000/TCP       2/2',
				'   svc-dualstack     ClusterIP    10.200.1.156 <none>       80/TCP         2/2',
				'   svc-nodeport      NodePort     10.200.1.60  <none>       9000:31254/TCP 3/3',
				'   svc-sticky        ClusterIP    10.200.1.77  <none>       80/TCP         3/3',
				'   svc-zonal         ClusterIP    10.200.1.160 <none>       80/TCP         2/2',
				' ! upstream-dns      ClusterIP    10.200.1.53  <none>       53/UDP         1/1',
				' ! warming-app       ClusterIP    10.200.1.111 <none>       80/TCP         0/1',
				' ! whms-loadbalancer LoadBalancer 10.200.1.205 <pending>    80:30081/TCP   2/2',
				'   wrong-port        ClusterIP    10.200.1.112 <none>       80/TCP,514/UDP 3/3',
				'',
				'17/17 services  sort name ↑',
				'',
				'? help  / filter  n ns  1-4 sort  Enter open  y yaml  t nat  p probe  q quit',
			].join('\n'),
		);
	});

	test('the list with -A: NAMESPACE and NAME whole', async () => {
		const {source} = demoSource(undefined);
		const view = renderAt(<Dashboard source={source} clock={() => now} />, {columns: 80, rows: 24});
		rendered.push(view);
		await settle();
		const lines = view.frame().split('\n');
		assert.equal(lines[2], '   NAMESPACE   NAME              TYPE         CLUSTER-IP   PORT(S)         ENDP…');
		assert.equal(lines[20], '   kube-system kube-dns          ClusterIP    10.200.1.10  53/UDP,53/TCP,… 2/2');
		for (const service of source.current.services.slice(0, 18)) {
			assert.match(view.frame(), new RegExp(`^[> ][! ] ${service.metadata!.namespace!.padEnd(11)} ${service.metadata!.name} `, 'm'));
		}
	});

	test('the NAT tree: pod and node names kept, line numbers and endpoint chains given up first, and what still does not fit goes on under its line', async () => {
		const {source, dump} = demoSource('default');
		const view = renderAt(
			<Dashboard
				source={source}
				clock={() => now}
				initialRoute={{screen: 'nat', serviceKey: 'default/svc-nodeport'}}
				screens={{nat: makeNatView(async () => ({ok: true, text: dump, mode: undefined, source: 'demo'}))}}
			/>,
			{columns: 80, rows: 24},
		);
		rendered.push(view);
		await settle();
		assert.equal(
			view.frame(),
			[
				'svctop  context kind-myk8s  namespace default  updated just now',
				'services synced  endpointslices synced  nodes synced',
				'NAT rules of default/svc-nodeport  read just now  from demo',
				'kube-proxy mode: iptables-new, masquerade mark 0x4000, 1 service port',
				'',
				'default/svc-nodeport:svc-webport  TCP',
				'├─ ClusterIP 10.200.1.60:9000 -> KUBE-SVC-VTR7MTHHNMFZ3OFS',
				'│  ├─ 33.3% DNAT 10.10.1.3:8080 (deploy-echo-5c689d5454-m4hd9 on myk8s-worker)',
				'│  ├─ 33.3% DNAT 10.10.2.3:8080 (deploy-echo-5c689d5454-cjpfp on myk8s-worker2)',
				'│  └─ 33.3% DNAT 10.10.3.4:8080 (deploy-echo-5c689d5454-b7gng on myk8s-worker3)',
				'├─ NodePort *:31254 -> KUBE-EXT-VTR7… (Local: outside traffic dropped here)',
				'├─ Pod traffic (source 10.10.0.0/16) -> KUBE-SVC-VTR7…: cluster-wide endpoints',
				'├─ Node traffic (source is a local address) -> KUBE-SVC-VTR7…: cluster-wide',
				'│    endpoints',
				'├─ Masquerade in KUBE-EXT-VTR7MTHHNMFZ3OFS when source is a local address',
				'├─ Masquerade in KUBE-SVC-VTR7MTHHNMFZ3OFS when source not in 10.10.0.0/16',
				'├─ Masquerade hairpin traffic (a pod reaching itself through the Service)',
				'└─ No local endpoints: traffic from outside dropped, pods and node still served',
				...Array.from({length: 5}, () => ''),
				'j/k scroll  a Service/all  r reread  w from node  p probe  Esc back',
			].join('\n'),
		);
	});
});

describe('fitNatLine', () => {
	const endpoint = '│  ├─ 33.3% KUBE-SEP-XEXGJWEWSC2GPNPZ -> DNAT 10.10.1.3:8080 (deploy-echo-5c689d5454-m4hd9 on myk8s-worker)';
	const cases: Array<[string, string, number, string]> = [
		['fits: unchanged, line number and all', '└─ No endpoints: REJECT (line 17)', 80, '└─ No endpoints: REJECT (line 17)'],
		['line numbers go first', '├─ Masquerade in KUBE-EXT-VTR7MTHHNMFZ3OFS when source is a local address (line 143)', 80, '├─ Masquerade in KUBE-EXT-VTR7MTHHNMFZ3OFS when source is a local address'],
		['several line numbers', '└─ No local endpoints: DROP external traffic (line 17, 18)', 40, '└─ No local endpoints: DROP external traffic'],
		['a problem\'s line number', '  line 146: default/svc-nodeport:svc-webport (TCP): rules send traffic to 10.10.2.3:8080', 80, '  default/svc-nodeport:svc-webport (TCP): rules send traffic to 10.10.2.3:8080'],
		['then the endpoint\'s own chain', endpoint, 100, '│  ├─ 33.3% DNAT 10.10.1.3:8080 (deploy-echo-5c689d5454-m4hd9 on myk8s-worker)'],
		['then the rest of hashed chain names', '├─ NodePort *:31254 -> KUBE-EXT-VTR7MTHHNMFZ3OFS (Local: only this node\'s endpoints)', 70, '├─ NodePort *:31254 -> KUBE-EXT-VTR7… (Local: only this node\'s endpoints)'],
	];
	for (const [name, line, width, expected] of cases) {
		test(name, () => {
			assert.equal(fitNatLine(line, width), expected);
		});
	}
});

describe('natLines at a narrow width', () => {
	test('an endpoint line that still does not fit goes on under its text, the tree guides drawn on; nothing is cut', () => {
		const {source, dump} = demoSource('default');
		const snapshot = source.snapshot();
		const lines = natLines(filterNatServices(crossCheckNat(decodeNatDump(dump), {services: snapshot.services, endpointSlices: snapshot.endpointSlices}), 'default/svc-nodeport'), 'default/svc-nodeport', 40);
		const endpoint = lines.findIndex(line => line.text.startsWith('│  ├─ 33.3% DNAT 10.10.1.3:8080'));
		assert.notEqual(endpoint, -1);
		assert.equal(lines[endpoint]!.text, '│  ├─ 33.3% DNAT 10.10.1.3:8080');
		assert.equal(lines[endpoint + 1]!.text, '│  │    (deploy-echo-5c689d5454-m4hd9 on');
		assert.equal(lines[endpoint + 2]!.text, '│  │    myk8s-worker)');
		assert.ok(lines.every(line => line.text.length <= 40 || !line.text.trimStart().includes(' ')), 'only a single word longer than the width may overflow');
		// The last endpoint's guide is not continued: `└─ ` goes on as blank.
		const last = lines.findIndex(line => line.text.startsWith('│  └─ 33.3%'));
		assert.match(lines[last + 1]!.text, /^│ {7}\S/);
	});
});
