import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {endpointsColumn, serviceRows} from '../../../source/core/services/service-row.js';
import {
	filterRows,
	fit,
	headerLine,
	layoutTable,
	rowLine,
	sortRows,
	windowStart,
} from '../../../source/ui/table/service-table.js';
import {seedCluster, seedNow} from '../fake-source.js';

const {services, endpointSlices} = seedCluster();
const rows = serviceRows(services, endpointSlices, seedNow);
const keys = (list: ReadonlyArray<{key: string}>) => list.map(row => row.key);

describe('sortRows', () => {
	test('by name sorts by namespace, then name', () => {
		assert.deepEqual(keys(sortRows(rows.toReversed(), {key: 'name', reversed: false})), [
			'default/external-db',
			'default/kubernetes',
			'default/lb-svc',
			'default/np-svc',
			'default/whms-loadbalancer',
			'kube-system/kube-dns',
			'test/nginx-svc',
		]);
	});

	test('by type groups types, names within', () => {
		assert.deepEqual(keys(sortRows(rows, {key: 'type', reversed: false})), [
			'default/kubernetes',
			'kube-system/kube-dns',
			'test/nginx-svc',
			'default/external-db',
			'default/lb-svc',
			'default/whms-loadbalancer',
			'default/np-svc',
		]);
	});

	test('by age puts the newest first, reversed the oldest', () => {
		const order = keys(sortRows(rows, {key: 'age', reversed: false}));
		assert.deepEqual(order.slice(0, 3), ['default/lb-svc', 'default/np-svc', 'default/whms-loadbalancer']);
		assert.equal(order.at(-1), 'kube-system/kube-dns');
		assert.deepEqual(keys(sortRows(rows, {key: 'age', reversed: true})), order.toReversed());
	});

	test('by endpoints puts the fewest ready first', () => {
		const order = sortRows(rows, {key: 'endpoints', reversed: false});
		assert.deepEqual(
			order.map(row => `${row.name} ${endpointsColumn(row.endpoints)}`),
			['external-db 0/0', 'whms-loadbalancer 0/0', 'nginx-svc 1/2', 'kubernetes 1/1', 'lb-svc 2/2', 'np-svc 2/2', 'kube-dns 2/2'],
		);
	});

	test('a Service without a timestamp sorts last by age', () => {
		const undated = {...rows[0]!, key: 'x/undated', createdAt: undefined};
		assert.equal(sortRows([undated, ...rows], {key: 'age', reversed: false}).at(-1)!.key, 'x/undated');
	});
});

describe('filterRows', () => {
	const cases: Array<[string, string[]]> = [
		['', keys(rows)],
		['dns', ['kube-system/kube-dns']],
		['KUBE-SYSTEM', ['kube-system/kube-dns']],
		['loadbalancer', ['default/lb-svc', 'default/whms-loadbalancer']],
		['10.96.0', ['default/kubernetes', 'kube-system/kube-dns']],
		['10.20.2.236', ['test/nginx-svc']],
		['db.example', ['default/external-db']],
		// The fields are matched one by one, never across a boundary.
		['defaultkubernetes', []],
		// Ports and selectors are not searched.
		['30000', []],
	];
	for (const [query, expected] of cases) {
		test(`"${query}"`, () => {
			assert.deepEqual(keys(filterRows(rows, query)), expected);
		});
	}
});

describe('layoutTable', () => {
	test('wide terminal: kubectl widths, SELECTOR, full EXTERNAL-IP when it fits', () => {
		const layout = layoutTable(rows, {width: 200, allNamespaces: false});
		assert.equal(layout.fullExternalIP, true);
		assert.equal(layout.gap, 2);
		const hostname = 'ac0c6f11e2b974fe0a44b970b63be449-52265006.ap-northeast-2.elb.amazonaws.com';
		assert.equal(
			headerLine(layout),
			`NAME               TYPE          CLUSTER-IP      ${'EXTERNAL-IP'.padEnd(hostname.length)}  PORT(S)                 ENDPOINTS  AGE    SELECTOR`,
		);
		assert.equal(
			rowLine(rows.find(row => row.name === 'lb-svc')!, layout),
			`lb-svc             LoadBalancer  172.16.107.200  ${hostname}  80:30001/TCP            2/2        44s    app=np-pods`,
		);
	});

	test('160 columns: the clipped EXTERNAL-IP, SELECTOR kept', () => {
		const layout = layoutTable(rows, {width: 160, allNamespaces: true});
		assert.equal(layout.fullExternalIP, false);
		assert.deepEqual(
			layout.columns.map(column => `${column.header}:${column.width}`),
			['NAMESPACE:11', 'NAME:17', 'TYPE:12', 'CLUSTER-IP:14', 'EXTERNAL-IP:23', 'PORT(S):22', 'ENDPOINTS:9', 'AGE:5', 'SELECTOR:16'],
		);
	});

	test('80 columns with all namespaces: NAMESPACE, NAME and PORT(S) keep their width, the rest gives way', () => {
		const layout = layoutTable(rows, {width: 80, allNamespaces: true});
		for (const row of rows) {
			assert.ok(3 + rowLine(row, layout).length <= 80, rowLine(row, layout));
		}

		assert.deepEqual(
			layout.columns.map(column => `${column.header}:${column.width}`),
			['NAMESPACE:11', 'NAME:17', 'TYPE:10', 'CLUSTER-IP:14', 'PORT(S):15', 'ENDPOINTS:5'],
		);
		assert.equal(layout.gap, 1);
		const whms = rows.find(row => row.name === 'whms-loadbalancer')!;
		assert.equal(rowLine(whms, layout), 'default     whms-loadbalancer LoadBalan… 10.111.205.225 80:30081/TCP    0/0');
	});

	test('80 columns, one namespace: full names and ports, AGE dropped, EXTERNAL-IP clipped', () => {
		const layout = layoutTable(rows.filter(row => row.namespace === 'default'), {width: 80, allNamespaces: false});
		assert.equal(headerLine(layout), 'NAME              TYPE         CLUSTER-IP     EXTERNAL-IP  PORT(S)      ENDP…');
		assert.equal(
			rowLine(rows.find(row => row.name === 'lb-svc')!, layout),
			'lb-svc            LoadBalancer 172.16.107.200 ac0c6f11e2b… 80:30001/TCP 2/2',
		);
	});

	test('an EXTERNAL-IP column of only <none> is the first to go', () => {
		const plain = rows.filter(row => row.externalIP === '<none>');
		const layout = layoutTable(plain, {width: 100, allNamespaces: true});
		assert.deepEqual(
			layout.columns.map(column => column.id),
			['namespace', 'name', 'type', 'clusterIP', 'ports', 'endpoints', 'age'],
		);
		assert.equal(layout.gap, 2);
		// With room to spare it stays, as kubectl prints it.
		assert.ok(layoutTable(plain, {width: 160, allNamespaces: true}).columns.some(column => column.id === 'externalIP'));
	});

	test('room left after a column was dropped goes back to it', () => {
		const layout = layoutTable(rows, {width: 100, allNamespaces: true});
		assert.equal(3 + headerLine(layout).length, 100);
		assert.deepEqual(
			layout.columns.map(column => `${column.header}:${column.width}`),
			['NAMESPACE:11', 'NAME:17', 'TYPE:12', 'CLUSTER-IP:14', 'EXTERNAL-IP:10', 'PORT(S):22', 'ENDPOINTS:5'],
		);
	});

	test('60 columns: names shrink last, never below 10', () => {
		const layout = layoutTable(rows, {width: 60, allNamespaces: true});
		for (const row of rows) {
			assert.ok(3 + rowLine(row, layout).length <= 60, rowLine(row, layout));
		}

		assert.equal(layout.columns.find(column => column.id === 'name')!.width, 10);
	});
});

describe('fit', () => {
	test('pads, cuts with an ellipsis, leaves the last column unpadded', () => {
		assert.equal(fit('abc', 5, true), 'abc  ');
		assert.equal(fit('abc', 5, false), 'abc');
		assert.equal(fit('abcdef', 5, true), 'abcd…');
		assert.equal(fit('abcdef', 1, true), 'a');
	});
});

describe('windowStart', () => {
	const cases: Array<[string, [number, number, number, number], number]> = [
		['selection inside the window: no move', [10, 15, 20, 100], 10],
		['selection above: the window follows up', [10, 4, 20, 100], 4],
		['selection below: the window follows down just enough', [10, 35, 20, 100], 16],
		['never past the end', [90, 99, 20, 100], 80],
		['fewer rows than lines: from the top', [5, 3, 20, 10], 0],
		['no rows', [5, 0, 20, 0], 0],
	];
	for (const [name, [previous, selected, height, count], expected] of cases) {
		test(name, () => {
			assert.equal(windowStart(previous, selected, height, count), expected);
		});
	}
});
