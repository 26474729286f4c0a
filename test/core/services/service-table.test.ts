import {readFileSync} from 'node:fs';
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {serviceRows} from '../../../source/core/services/service-row.js';
import {formatServiceTable, padColumns} from '../../../source/core/services/service-table.js';
import {serviceListJson} from '../../../source/core/services/service-json.js';
import {eksLoadBalancerWide, kubeadmServicesWide} from '../../fixtures/services/kubectl-tables.js';

type Fixture = {now: string; items: Array<V1Service | V1EndpointSlice>};
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/services/seed-cluster.json', import.meta.url), 'utf8')) as Fixture;
const rows = serviceRows(
	fixture.items.filter(item => item.kind === 'Service') as V1Service[],
	fixture.items.filter(item => item.kind === 'EndpointSlice') as V1EndpointSlice[],
	Date.parse(fixture.now),
);

describe('padColumns reproduces kubectl tabwriter output byte for byte', () => {
	const blocks: Array<[string, string]> = [
		['kubeadm get all -o wide', kubeadmServicesWide],
		['EKS LoadBalancer with a 74-char hostname', eksLoadBalancerWide],
	];
	for (const [name, text] of blocks) {
		test(name, () => {
			// kubectl's cells, split on runs of 2+ spaces, laid out again.
			const cells = text.trimEnd().split('\n').map(line => line.split(/ {2,}/));
			assert.equal(padColumns(cells), text);
		});
	}

	test('columns are at least 6 wide including the 3-space gap; the last column is not padded', () => {
		assert.equal(padColumns([['A', 'BB', 'C'], ['ab', 'c', 'longer']]), 'A     BB    C\nab    c     longer\n');
		assert.equal(padColumns([['NAME', 'AGE'], ['a-much-longer-name', '5s']]), 'NAME                 AGE\na-much-longer-name   5s\n');
	});
});

describe('formatServiceTable', () => {
	test('one namespace, not wide: EXTERNAL-IP in full as kubectl prints it (the server builds its table in wide mode), no SELECTOR, WARNINGS last', () => {
		const expected = [
			'NAME        TYPE           CLUSTER-IP       EXTERNAL-IP                                                                  PORT(S)        ENDPOINTS   AGE    WARNINGS',
			'np-svc      LoadBalancer   172.16.107.200   ac0c6f11e2b974fe0a44b970b63be449-52265006.ap-northeast-2.elb.amazonaws.com   80:30000/TCP   1/2         44s    <none>',
			'light-api   NodePort       10.100.134.179   <none>                                                                       80:30427/TCP   0/0         211d   no endpoints',
		];
		const selected = rows.filter(row => row.key === 'eks/np-svc' || row.key === 'prod/light-api');
		const table = formatServiceTable(selected, {wide: false, allNamespaces: false});
		assert.equal(table, expected.join('\n') + '\n');
		// The clipped form stays available for the dashboard's narrow columns.
		assert.equal(selected.find(row => row.key === 'eks/np-svc')?.externalIPShort, 'ac0c6f11e2b97...');
	});

	test('-A -o wide: NAMESPACE first, full EXTERNAL-IP, SELECTOR then WARNINGS', () => {
		const selected = rows.filter(row => ['default/svc-nodeport', 'kube-system/kube-dns', 'prod/my-service', 'ingress-nginx/ingress-nginx'].includes(row.key));
		const expected = [
			'NAMESPACE       NAME            TYPE           CLUSTER-IP      EXTERNAL-IP                               PORT(S)                      ENDPOINTS   AGE    SELECTOR                                                                      WARNINGS',
			'default         svc-nodeport    NodePort       10.200.1.60     <none>                                    9000:31254/TCP               3/3         12m    app=deploy-websrv                                                             <none>',
			'ingress-nginx   ingress-nginx   LoadBalancer   10.100.72.159   xxxxxx.ap-northeast-2.elb.amazonaws.com   80:31930/TCP,443:32120/TCP   1/1         58d    app.kubernetes.io/component=controller,app.kubernetes.io/name=ingress-nginx   <none>',
			'kube-system     kube-dns        ClusterIP      10.96.0.10      <none>                                    53/UDP,53/TCP,9153/TCP       2/2         13d    k8s-app=kube-dns                                                              <none>',
			'prod            my-service      ExternalName   <none>          my.database.example.com                   <none>                       0/0         120m   <none>                                                                        <none>',
		];
		assert.equal(formatServiceTable(selected, {wide: true, allNamespaces: true}), expected.join('\n') + '\n');
	});

	test('no rows: the header alone', () => {
		assert.equal(formatServiceTable([], {wide: false, allNamespaces: false}), 'NAME   TYPE   CLUSTER-IP   EXTERNAL-IP   PORT(S)   ENDPOINTS   AGE   WARNINGS\n');
	});
});

describe('serviceListJson', () => {
	test('the shape of issue 2, wide strings, sorted by namespace then name', () => {
		const shuffled = [...rows].reverse();
		const json = serviceListJson('kind-myk8s', shuffled);
		assert.equal(json.context, 'kind-myk8s');
		assert.deepEqual(json.services.map(service => `${service.namespace}/${service.name}`), rows.map(row => row.key));
		assert.deepEqual(json.services.find(service => service.namespace === 'eks'), {
			namespace: 'eks',
			name: 'np-svc',
			type: 'LoadBalancer',
			clusterIP: '172.16.107.200',
			externalIP: 'ac0c6f11e2b974fe0a44b970b63be449-52265006.ap-northeast-2.elb.amazonaws.com',
			ports: '80:30000/TCP',
			selector: 'app=np-pods',
			age: '44s',
			endpoints: {ready: 1, total: 2},
			warnings: [],
			unknown: [],
		});
		// Additive: the fields of issue 2 in their order, then `unknown`.
		assert.deepEqual(Object.keys(json.services[0]!), ['namespace', 'name', 'type', 'clusterIP', 'externalIP', 'ports', 'selector', 'age', 'endpoints', 'warnings', 'unknown']);
	});
});
