import assert from 'node:assert/strict';
import {afterEach, beforeEach, describe, mock, test} from 'node:test';
import {Text} from 'ink';
import {useState} from 'react';
import {useKeypress} from '../../../source/ui/keys/use-keypress.js';
import Dashboard from '../../../source/ui/Dashboard.js';
import type {ServiceScreenProps} from '../../../source/ui/screens.js';
import {FakeClusterSource, seedCluster, seededSource, seedNow} from '../fake-source.js';
import {keys, type Rendered, renderAt, settle} from '../render-at.js';

const rendered: Rendered[] = [];

function start(options: {namespace?: string; columns?: number; rows?: number; screens?: Parameters<typeof Dashboard>[0]['screens']} = {}) {
	const source = seededSource({
		services: seedCluster().services.filter(item => options.namespace === undefined || item.metadata!.namespace === options.namespace),
		namespace: options.namespace,
		lastUpdate: seedNow - 2000,
	});
	const view = renderAt(<Dashboard source={source} clock={() => seedNow} screens={options.screens} />, {
		columns: options.columns ?? 80,
		rows: options.rows ?? 24,
	});
	rendered.push(view);
	return {source, view};
}

/** The Service names of the table rows in the frame, in order; `>` marks the selected one. */
function tableNames(frame: string, nameColumn = 0): string[] {
	const lines = frame.split('\n');
	const header = lines.findIndex(line => line.startsWith('   NAME') || line.startsWith('   NAMESPACE'));
	const names: string[] = [];
	for (const line of lines.slice(header + 1)) {
		if (!/^[> ][! ] \S/.test(line)) {
			break;
		}

		names.push((line.startsWith('>') ? '>' : '') + line.slice(3).split(/\s+/)[nameColumn]);
	}

	return names;
}

beforeEach(() => {
	mock.timers.enable({apis: ['setInterval', 'setTimeout']});
});

afterEach(() => {
	for (const view of rendered.splice(0)) {
		view.unmount();
	}

	mock.timers.reset();
});

/** Lone Esc is held back 20 ms by ink's parser to tell it from an escape sequence. */
async function pressEscape(view: Rendered) {
	await view.press(keys.escape);
	mock.timers.tick(25);
	await settle();
}

describe('frames', () => {
	test('80x24, one namespace', async () => {
		const {view} = start({namespace: 'default'});
		await settle();
		assert.equal(
			view.frame(),
			[
				'svctop  context kind-myk8s  namespace default  updated 2s ago',
				'services synced  endpointslices synced  nodes synced',
				// Full names and ports; AGE gives way first, then the rest of EXTERNAL-IP.
				'   NAME              TYPE         CLUSTER-IP     EXTERNAL-IP  PORT(S)      ENDP…',
				'>  external-db       ExternalName <none>         db.example.… <none>       0/0',
				'   kubernetes        ClusterIP    10.96.0.1      <none>       443/TCP      1/1',
				'   lb-svc            LoadBalancer 172.16.107.200 ac0c6f11e2b… 80:30001/TCP 2/2',
				'   np-svc            NodePort     10.103.126.111 <none>       80:30000/TCP 2/2',
				' ! whms-loadbalancer LoadBalancer 10.111.205.225 <pending>    80:30081/TCP 0/0',
				...Array.from({length: 13}, () => ''),
				'5/5 services  sort name ↑',
				'',
				'? help  / filter  n ns  1-4 sort  Enter open  y yaml  t nat  p probe  q quit',
			].join('\n'),
		);
	});

	test('160x24, all namespaces: SELECTOR shown, kubectl widths', async () => {
		const {view} = start({columns: 160});
		await settle();
		assert.equal(
			view.frame(),
			[
				'svctop  context kind-myk8s  namespace all  updated 2s ago',
				'services synced  endpointslices synced  nodes synced',
				'   NAMESPACE    NAME               TYPE          CLUSTER-IP      EXTERNAL-IP              PORT(S)                 ENDPOINTS  AGE    SELECTOR',
				'>  default      external-db        ExternalName  <none>          db.example.com           <none>                  0/0        2d     <none>',
				'   default      kubernetes         ClusterIP     10.96.0.1       <none>                   443/TCP                 1/1        4d21h  <none>',
				'   default      lb-svc             LoadBalancer  172.16.107.200  ac0c6f11e2b97...         80:30001/TCP            2/2        44s    app=np-pods',
				'   default      np-svc             NodePort      10.103.126.111  <none>                   80:30000/TCP            2/2        6m41s  app=np-pods',
				' ! default      whms-loadbalancer  LoadBalancer  10.111.205.225  <pending>                80:30081/TCP            0/0        4h58m  app=whms',
				'   kube-system  kube-dns           ClusterIP     10.96.0.10      <none>                   53/UDP,53/TCP,9153/TCP  2/2        13d    k8s-app=kube-dns',
				'   test         nginx-svc          ClusterIP     10.105.132.127  10.20.2.235,10.20.2.236  80/TCP                  1/2        45h    app=nginx',
				...Array.from({length: 11}, () => ''),
				'7/7 services  sort name ↑',
				'',
				'? help  / filter  n ns  1-4 sort  Enter open  y yaml  t nat  p probe  q quit',
			].join('\n'),
		);
	});

	test('the selected row\'s warnings are spelled out below the table', async () => {
		const {view} = start({namespace: 'default'});
		await view.press('G');
		const lines = view.frame().split('\n');
		assert.equal(lines.at(-2), '! load balancer pending; no endpoints');
		assert.deepEqual(tableNames(view.frame()).at(-1), '>whms-loadbalancer');
	});

	test('resizes live: 160 columns, then 80', async () => {
		const {view} = start({columns: 160});
		await settle();
		assert.match(view.frame(), /SELECTOR/);
		await view.resize(80, 24);
		assert.doesNotMatch(view.frame(), /SELECTOR/);
		assert.equal(view.frame().split('\n')[2], '   NAMESPACE   NAME              TYPE       CLUSTER-IP     PORT(S)         ENDP…');
		await view.resize(80, 10);
		assert.equal(view.frame().split('\n').length, 10);
		assert.equal(tableNames(view.frame(), 1).length, 10 - 2 - 4);
	});

	test('connection problems and the age of the last update are in the status bar', async () => {
		let now = seedNow;
		const {services} = seedCluster();
		const source = new FakeClusterSource({services, lastUpdate: seedNow - 2000});
		const view = renderAt(<Dashboard source={source} clock={() => now} />, {columns: 100, rows: 12});
		rendered.push(view);
		source.setState('nodes', {phase: 'forbidden', message: 'nodes is forbidden: User "dev" cannot list resource "nodes"', since: now});
		source.setState('endpointslices', {phase: 'retrying', message: 'watch closed', since: now, retryAt: now + 61_000 + 4000});
		now += 61_000;
		mock.timers.tick(1000);
		await settle();
		const [first, second] = view.frame().split('\n');
		assert.equal(first, 'svctop  context kind-myk8s  namespace all  updated 63s ago');
		assert.equal(
			second,
			'services synced  endpointslices retrying in 4s (watch closed)  nodes forbidden: nodes is forbidden:…',
		);
	});
	test('Services never read: the footer says unknown, not 0/0, and the header claims no update', async () => {
		const source = new FakeClusterSource({services: [], lastUpdate: seedNow - 33_000});
		source.setState('services', {phase: 'retrying', message: 'the API server answered 500', since: seedNow, retryAt: seedNow + 8000});
		const view = renderAt(<Dashboard source={source} clock={() => seedNow} />, {columns: 100, rows: 12});
		rendered.push(view);
		await settle();
		const frame = view.frame();
		assert.match(frame, /Services unknown: the API server answered 500/);
		assert.match(frame, /^\? services \(unknown\)/m);
		assert.doesNotMatch(frame, /0\/0 services|updated 33s ago/);
		assert.match(frame.split('\n')[0]!, /services never listed/);
	});

	test('Services listed once, now refused: the rows and the update age stay', async () => {
		const {services} = seedCluster();
		const source = new FakeClusterSource({services, lastUpdate: seedNow - 33_000});
		source.setState('services', {phase: 'forbidden', message: 'services is forbidden', since: seedNow, retryAt: seedNow + 8000, staleSince: seedNow - 1000});
		const view = renderAt(<Dashboard source={source} clock={() => seedNow} />, {columns: 100, rows: 24});
		rendered.push(view);
		await settle();
		const frame = view.frame();
		assert.match(frame.split('\n')[0]!, /updated 33s ago/);
		assert.match(frame, new RegExp(`^${services.length}/${services.length} services`, 'm'));
	});
});

describe('EndpointSlices unknown', () => {
	test('rows are not shown clean: ? on rows with no other warning, ! kept, the reason spelled out below', async () => {
		const {services} = seedCluster();
		const source = new FakeClusterSource({services, namespace: 'default', lastUpdate: seedNow});
		source.setState('endpointslices', {phase: 'forbidden', message: 'endpointslices is forbidden', since: seedNow});
		const view = renderAt(<Dashboard source={source} clock={() => seedNow} />, {columns: 100, rows: 24});
		rendered.push(view);
		await settle();
		const rowsOf = (frame: string) => frame.split('\n').filter(line => /^[> ][!? ] \S/.test(line) && / (ClusterIP|NodePort|LoadBalancer|ExternalName) /.test(line));
		const rows = rowsOf(view.frame());
		assert.ok(rows.length >= 3, view.frame());
		for (const row of rows) {
			const mark = row[1];
			if (/ ExternalName /.test(row)) {
				assert.equal(mark, ' ', row);
			} else if (/ LoadBalancer .*<pending>/.test(row)) {
				assert.equal(mark, '!', row);
			} else {
				assert.equal(mark, '?', row);
			}
		}

		await view.press('G');
		await settle();
		assert.match(view.frame(), /^>\? nginx-svc /m);
		assert.match(view.frame(), /^\? endpoints unknown: endpointslices is forbidden$/m);
		await view.press('/', ...'whms', '\r');
		await settle();
		assert.match(view.frame(), /^! load balancer pending; endpoints unknown: endpointslices is forbidden$/m);
	});
});

describe('keys', () => {
	test('j/k, arrows, g/G, PgDn/PgUp move the selection', async () => {
		const {view} = start({rows: 9});
		const selected = () => tableNames(view.frame(), 1).find(name => name.startsWith('>'));
		assert.equal(selected(), '>external-db');
		await view.press('j', 'j');
		assert.equal(selected(), '>lb-svc');
		await view.press('k');
		assert.equal(selected(), '>kubernetes');
		await view.press(keys.down, keys.down);
		assert.equal(selected(), '>np-svc');
		await view.press(keys.up);
		assert.equal(selected(), '>lb-svc');
		await view.press('G');
		assert.equal(selected(), '>nginx-svc');
		// Three table lines at 9 rows: the window followed the selection to the end.
		assert.deepEqual(tableNames(view.frame(), 1), ['whms-loadbalancer', 'kube-dns', '>nginx-svc']);
		await view.press('g');
		assert.deepEqual(tableNames(view.frame(), 1), ['>external-db', 'kubernetes', 'lb-svc']);
		await view.press(keys.pageDown);
		assert.equal(selected(), '>np-svc');
		await view.press(keys.pageUp);
		assert.equal(selected(), '>external-db');
		await view.press('k');
		assert.equal(selected(), '>external-db');
	});

	test('several keys in one input chunk all count', async () => {
		const {view} = start({namespace: 'default'});
		await view.press('jjj');
		assert.equal(tableNames(view.frame()).find(name => name.startsWith('>')), '>np-svc');
	});

	test('the selection stays on its Service when rows are added above it', async () => {
		const {source, view} = start({namespace: 'default'});
		await view.press('j', 'j');
		const {services} = seedCluster();
		source.update({
			services: [...source.current.services, {...services[0]!, metadata: {...services[0]!.metadata, name: 'aaa-first'}}],
		});
		mock.timers.tick(200);
		await settle();
		assert.deepEqual(tableNames(view.frame()).slice(0, 4), ['aaa-first', 'external-db', 'kubernetes', '>lb-svc']);
	});

	test('/ filters over name, namespace, type and IPs as you type; Enter keeps it, Esc clears it', async () => {
		const {view} = start({columns: 160});
		await view.press('/', 'l', 'o', 'a', 'd');
		assert.deepEqual(tableNames(view.frame(), 1), ['>lb-svc', 'whms-loadbalancer']);
		assert.equal(view.frame().split('\n').at(-1), '/load');
		await view.press(keys.backspace, keys.backspace, keys.backspace, keys.backspace, '1', '0', '.', '9', '6');
		assert.deepEqual(tableNames(view.frame(), 1), ['>kubernetes', 'kube-dns']);
		await view.press(keys.enter);
		assert.match(view.frame(), /2\/7 services {2}sort name ↑ {2}filter "10\.96"/);
		assert.deepEqual(tableNames(view.frame(), 1), ['>kubernetes', 'kube-dns']);
		// Keys navigate again once the prompt is closed.
		await view.press('j');
		assert.deepEqual(tableNames(view.frame(), 1), ['kubernetes', '>kube-dns']);
		await pressEscape(view);
		assert.equal(tableNames(view.frame(), 1).length, 7);
		assert.equal(tableNames(view.frame(), 1).find(name => name.startsWith('>')), '>kube-dns');
	});

	test('Esc in the filter prompt drops the filter', async () => {
		const {view} = start({columns: 160});
		await view.press('/', 'z', 'z', 'z');
		assert.match(view.frame(), /No Service matches "zzz"\./);
		await pressEscape(view);
		assert.equal(tableNames(view.frame(), 1).length, 7);
	});

	test('n and :ns switch the namespace through the source', async () => {
		const {source, view} = start();
		await view.press('n', ...'kube-system', keys.enter);
		assert.deepEqual(source.namespaceCalls, ['kube-system']);
		assert.match(view.frame(), /switching to namespace kube-system/);
		await view.press(':', 'n', 's', ' ', 'a', 'l', 'l', keys.enter);
		await view.press(':', ...'ns default', keys.enter);
		assert.deepEqual(source.namespaceCalls, ['kube-system', undefined, 'default']);
		await view.press(':', ...'frobnicate', keys.enter);
		assert.match(view.frame(), /unknown command: frobnicate \(try :ns NAME, :ctx, :svc\)/);
		assert.equal(source.namespaceCalls.length, 3);
	});

	test('"switching to namespace" goes once that namespace is listed, not before', async () => {
		const {source, view} = start();
		await view.press(':', ...'ns kube-system', keys.enter);
		assert.match(view.frame(), /switching to namespace kube-system/);
		source.setState('services', {phase: 'connecting', since: seedNow});
		source.update({namespace: 'kube-system'});
		mock.timers.tick(200);
		await settle();
		assert.match(view.frame(), /switching to namespace kube-system/, 'still listing');
		source.setState('services', {phase: 'synced', since: seedNow});
		mock.timers.tick(200);
		await settle();
		assert.doesNotMatch(view.frame(), /switching to/);
	});

	test('1-4 sort by name, type, age, endpoints; again reverses', async () => {
		const {view} = start({columns: 160});
		const names = () => tableNames(view.frame(), 1).map(name => name.replace(/^>/, ''));
		await view.press('3');
		assert.deepEqual(names().slice(0, 3), ['lb-svc', 'np-svc', 'whms-loadbalancer']);
		assert.match(view.frame(), /sort age ↑/);
		await view.press('3');
		assert.deepEqual(names().slice(0, 2), ['kube-dns', 'kubernetes']);
		assert.match(view.frame(), /sort age ↓/);
		await view.press('4');
		assert.deepEqual(names().slice(0, 3), ['external-db', 'whms-loadbalancer', 'nginx-svc']);
		await view.press('2');
		assert.deepEqual(names().slice(0, 3), ['kubernetes', 'kube-dns', 'nginx-svc']);
		await view.press('1');
		assert.deepEqual(names().slice(0, 2), ['external-db', 'kubernetes']);
	});

	test('? shows the help generated from the registry; Esc closes it', async () => {
		const {view} = start({rows: 50});
		await view.press('?');
		const help = view.frame();
		assert.match(help, /^ {2}j ↓ +Down one row \(detail: scroll\)$/m);
		assert.match(help, /^ {2}Ctrl-C +Quit$/m);
		assert.match(help, /^ {2}t +NAT rules of the selected Service$/m);
		assert.doesNotMatch(help, /NAMESPACE/);
		// Keys under the overlay do nothing.
		await view.press('j');
		await pressEscape(view);
		assert.equal(tableNames(view.frame(), 1)[0], '>external-db');
	});

	test('the help scrolls when the terminal is short', async () => {
		const {view} = start({rows: 12});
		await view.press('?');
		assert.doesNotMatch(view.frame(), /Ctrl-C/);
		await view.press('G');
		assert.match(view.frame(), /Ctrl-C +Quit/);
		await view.press('?');
		assert.match(view.frame(), /NAMESPACE   NAME/);
	});

	test('q on the list quits', async () => {
		const {view} = start();
		await view.press('q');
		await view.exited;
		assert.equal(view.hasExited(), true);
	});

	test('Ctrl-C quits, even from an open prompt', async () => {
		const {view} = start();
		await view.press('/', keys.ctrlC);
		await view.exited;
		assert.equal(view.hasExited(), true);
	});
});

describe('router', () => {
	function Probe({serviceKey, width, height}: ServiceScreenProps) {
		return <Text>{`probe of ${serviceKey} in ${width}x${height}`}</Text>;
	}

	test('Enter opens the detail view of the selected Service; Esc and q go back', async () => {
		const {view} = start({namespace: 'default', screens: {probe: Probe}});
		await view.press('j', keys.enter);
		assert.match(view.frame(), /^default\/kubernetes {2}ClusterIP {2}age 4d21h {2}endpoints 1\/1 ready$/m);
		await pressEscape(view);
		assert.equal(tableNames(view.frame())[1], '>kubernetes');
		await view.press('j', 'p');
		assert.match(view.frame(), /^probe of default\/lb-svc in 80x22$/m);
		await view.press('q');
		assert.equal(view.hasExited(), false);
		assert.equal(tableNames(view.frame())[2], '>lb-svc');
		// No NAT screen plugged in: `t` opens nothing and the list stays.
		await view.press('t');
		assert.equal(tableNames(view.frame())[2], '>lb-svc');
		await view.press('p');
		assert.match(view.frame(), /^probe of default\/lb-svc in 80x22$/m);
	});

	test('a screen sees keys before the app and can consume q', async () => {
		function Sticky({serviceKey}: ServiceScreenProps) {
			const [count, setCount] = useState(0);
			useKeypress(keypress => {
				if (keypress.name !== 'q') {
					return false;
				}

				setCount(previous => previous + 1);
				return true;
			});
			return <Text>{`${serviceKey} swallowed q ${count} times`}</Text>;
		}

		const {view} = start({screens: {nat: Sticky}});
		await view.press('t', 'q', 'q');
		assert.equal(view.frame().split('\n')[2], 'default/external-db swallowed q 2 times');
		// Esc is not consumed by the screen, so the app goes back.
		await pressEscape(view);
		assert.match(view.frame(), /NAMESPACE   NAME/);
	});
});
