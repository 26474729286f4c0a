import assert from 'node:assert/strict';
import {afterEach, describe, test} from 'node:test';
import type {NatDump} from '../../../source/node/nat/read-dump.js';
import Dashboard from '../../../source/ui/Dashboard.js';
import {makeNatView} from '../../../source/commands/dashboard-screens.js';
import {demoSource, type FakeClusterSource} from '../fake-source.js';
import {type Rendered, renderAt, settle} from '../render-at.js';

const now = Date.UTC(2026, 10, 23, 0, 0, 0);
const rendered: Rendered[] = [];

afterEach(() => {
	for (const view of rendered.splice(0)) {
		view.unmount();
	}
});

function demoCluster() {
	const {source, dump} = demoSource(now);
	return {source, dump: dump()};
}

function open(source: FakeClusterSource, serviceKey: string, load: () => Promise<NatDump>, size = {columns: 130, rows: 24}) {
	const view = renderAt(
		<Dashboard source={source} clock={() => now} initialRoute={{screen: 'nat', serviceKey}} screens={{nat: makeNatView(load)}} />,
		size,
	);
	rendered.push(view);
	return view;
}

describe('NatView', () => {
	test('shows the Service\'s flow tree with exact shares, pods and nodes, decoded from the dump', async () => {
		const {source, dump} = demoCluster();
		let loads = 0;
		const view = open(source, 'default/svc-nodeport', async () => {
			loads++;
			return {ok: true, text: dump, mode: undefined, source: 'iptables-save'};
		});
		await settle();
		const lines = view.frame().split('\n');
		assert.equal(lines[2], 'NAT rules of default/svc-nodeport  from iptables-save  read just now');
		assert.equal(lines[3], 'kube-proxy mode: iptables-new, masquerade mark 0x4000, 1 service port');
		assert.equal(lines[5], 'default/svc-nodeport:svc-webport  TCP');
		assert.equal(lines[6], '├─ ClusterIP 10.200.1.60:9000 -> KUBE-SVC-VTR7MTHHNMFZ3OFS');
		assert.equal(lines[7], '│  ├─ 33.3% KUBE-SEP-XEXGJWEWSC2GPNPZ -> DNAT 10.10.1.3:8080 (deploy-echo-5c689d5454-m4hd9 on myk8s-worker)');
		assert.match(view.frame(), /NodePort \*:31254 -> KUBE-EXT-VTR7MTHHNMFZ3OFS \(Local: outside traffic dropped here\)/);
		// The paths that still work, so "dropped" does not read as "every connection dies".
		assert.match(view.frame(), /├─ Pod traffic \(source 10\.10\.0\.0\/16\) -> KUBE-SVC-VTR7MTHHNMFZ3OFS: cluster-wide endpoints \(line \d+\)/);
		assert.match(view.frame(), /├─ Node traffic \(source is a local address\) -> KUBE-SVC-VTR7MTHHNMFZ3OFS: cluster-wide endpoints \(line \d+\)/);
		assert.equal(loads, 1);

		await view.press('r');
		await settle();
		assert.equal(loads, 2, 'r reads the rules again');
	});

	test('a toggles between this Service and the whole table', async () => {
		const {source, dump} = demoCluster();
		const view = open(source, 'default/svc-nodeport', async () => ({ok: true, text: dump, mode: undefined, source: 'demo'}));
		await settle();
		await view.press('a');
		const frame = view.frame();
		assert.match(frame, /^NAT table {2}from demo/m);
		assert.match(frame, /^kube-proxy mode: iptables-new, masquerade mark 0x4000, \d+ service ports$/m);
		assert.match(frame, /^default\/echo-lb:http {2}TCP$/m, 'the table starts with the first Service by name');
		await view.press('a');
		assert.match(view.frame(), /^NAT rules of default\/svc-nodeport/m);
	});

	test('a Service without rules, and a dump that cannot be read, say so in one line', async () => {
		const {source, dump} = demoCluster();
		const external = open(source, 'default/my-database', async () => ({ok: true, text: dump, mode: undefined, source: 'demo'}));
		await settle();
		assert.match(external.frame(), /^No kube-proxy rules for default\/my-database in this dump\.$/m);
		external.unmount();

		const failing = open(source, 'default/svc-nodeport', async () => ({ok: false, error: 'iptables-save not found (is this a node? run as root)'}));
		await settle();
		assert.match(failing.frame(), /^Cannot read the rules: iptables-save not found \(is this a node\? run as root\)$/m);
		failing.unmount();

		// A dump holding no kube-proxy rule is not an empty table.
		const empty = open(source, 'default/svc-nodeport', async () => ({ok: true, text: '', mode: undefined, source: 'empty.txt'}), {columns: 200, rows: 12});
		await settle();
		assert.match(empty.frame(), /^Cannot read the rules: no kube-proxy rules found in empty\.txt: it is empty \(0 bytes\)$/m);
		assert.doesNotMatch(empty.frame(), /service ports|kube-proxy mode/);
	});

	test('the body scrolls inside the screen and never overflows a small terminal', async () => {
		const {source, dump} = demoCluster();
		const view = open(source, 'default/svc-nodeport', async () => ({ok: true, text: dump, mode: undefined, source: 'demo'}), {columns: 80, rows: 12});
		await settle();
		await view.press('a');
		const before = view.frame();
		assert.ok(before.split('\n').length <= 12, `frame has ${before.split('\n').length} lines`);
		assert.match(before, /^\[1-8\/\d+\] {2}j\/k scroll/m);
		await view.press('j', 'j');
		assert.match(view.frame(), /^\[3-10\/\d+\] {2}j\/k scroll/m);
	});
});
