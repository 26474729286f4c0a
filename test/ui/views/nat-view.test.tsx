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
		assert.equal(lines[2], 'NAT rules of default/svc-nodeport  read just now  from iptables-save');
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
		assert.match(frame, /^NAT table {2}read just now {2}from demo$/m);
		assert.match(frame, /^kube-proxy mode: iptables-new, masquerade mark 0x4000, \d+ service ports$/m);
		assert.match(frame, /^default\/echo-lb:http {2}TCP$/m, 'the table starts with the first Service by name');
		await view.press('a');
		assert.match(view.frame(), /^NAT rules of default\/svc-nodeport/m);
	});

	test('a Service without rules, and a dump that cannot be read, say so in one line', async () => {
		const {source, dump} = demoCluster();
		const external = open(source, 'default/my-database', async () => ({ok: true, text: dump, mode: undefined, source: 'demo'}), {columns: 80, rows: 24});
		await settle();
		assert.match(external.frame(), /^No kube-proxy rules for default\/my-database in this dump\.$/m);
		// An ExternalName Service: why, from the API, wrapped at 80 columns rather than cut.
		assert.match(external.frame(), /^default\/my-database is an ExternalName Service: DNS answers its name with a\n {2}CNAME to my\.database\.example\.com, so kube-proxy writes no rules for it$/m);
		external.unmount();

		// A Service the API gives a ClusterIP, without rules in the dump: a finding, with the address.
		const {dump: withoutNginx} = demoCluster();
		const stale = open(source, 'test/nginx-svc', async () => ({ok: true, text: withoutNginx.split('\n').filter(line => !line.includes('test/nginx-svc:')).join('\n'), mode: undefined, source: 'demo'}), {columns: 200, rows: 12});
		await settle();
		assert.match(stale.frame(), /^No kube-proxy rules for test\/nginx-svc in this dump\.$/m);
		assert.match(stale.frame(), /^the API gives test\/nginx-svc ClusterIP 10\.200\.1\.127: kube-proxy here has not written its rules/m);
		stale.unmount();

		const failing = open(source, 'default/svc-nodeport', async () => ({ok: false, error: 'iptables-save not found (is this a node? run as root)'}));
		await settle();
		assert.match(failing.frame(), /^Cannot read the rules: iptables-save not found \(is this a node\? run as root\)$/m);
		failing.unmount();

		// A dump holding no kube-proxy rule is not an empty table.
		const empty = open(source, 'default/svc-nodeport', async () => ({ok: true, text: '', mode: undefined, source: 'empty.txt'}), {columns: 200, rows: 12});
		await settle();
		assert.match(empty.frame(), /^Cannot read the rules: no kube-proxy rules found in empty\.txt: it is empty \(0 bytes\)$/m);
		assert.doesNotMatch(empty.frame(), /service ports|kube-proxy mode/);
		empty.unmount();

		// At 80 columns the reason goes on under the line, not cut off.
		const narrow = open(source, 'default/svc-nodeport', async () => ({ok: true, text: '', mode: undefined, source: 'empty.txt'}), {columns: 80, rows: 12});
		await settle();
		assert.match(narrow.frame(), /^Cannot read the rules: no kube-proxy rules found in empty\.txt: it is empty \(0\n {2}bytes\)$/m);
		narrow.unmount();
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
		// Far down, the position is longer: a hint gives way whole, `Esc back` is never cut.
		await view.press('G');
		const footer = view.frame().split('\n').at(-1)!;
		assert.match(footer, /^\[\d{3}-\d{3}\/\d{3}\] {2}a Service\/all {2}r reread {2}w from node {2}p probe {2}Esc back$/);
		assert.ok(footer.length <= 80);
	});
});

/** The API after a pod of `service` (in default) was replaced: `from` leaves its EndpointSlice, `to` joins it. */
function movedEndpoint(source: FakeClusterSource, service: string, from: string, to: string) {
	const slices = source.snapshot().endpointSlices.map(slice => (slice.metadata?.labels?.['kubernetes.io/service-name'] === service && slice.metadata.namespace === 'default'
		? {
			...slice,
			// The API server stamps a new resourceVersion on every change.
			metadata: {...slice.metadata, resourceVersion: `${Number(slice.metadata.resourceVersion ?? 0) + 1}`},
			endpoints: (slice.endpoints ?? []).map(endpoint => (endpoint.addresses.includes(from) ? {...endpoint, addresses: [to]} : endpoint)),
		}
		: slice));
	assert.notDeepEqual(slices, source.snapshot().endpointSlices, `${from} is an endpoint of ${service}`);
	source.update({endpointSlices: slices});
}

/** The dashboard passes a new snapshot on at most every 200 ms. */
async function nextSnapshot() {
	await new Promise(resolve => {
		setTimeout(resolve, 250);
	});
	await settle();
}

describe('NatView checks the rules against the API as it was when they were read', () => {
	test('a later API change is one line, not new findings; r re-reads and checks against the API of then', async () => {
		const {source, dump} = demoCluster();
		const view = open(source, 'default/svc-nodeport', async () => ({ok: true, text: dump, mode: undefined, source: 'demo'}), {columns: 200, rows: 50});
		await settle();
		assert.doesNotMatch(view.frame(), /Problems|the API changed/);

		movedEndpoint(source, 'svc-nodeport', '10.10.3.4', '10.10.3.9');
		await nextSnapshot();
		const frame = view.frame();
		assert.doesNotMatch(frame, /Problems|10\.10\.3\.9|which the API does not list/);
		assert.match(frame.split('\n')[3]!, /^the API changed since the rules were read just now: r re-reads$/);

		await view.press('r');
		await settle();
		// The same dump read again, now against the changed API: the findings are real now.
		assert.doesNotMatch(view.frame(), /the API changed/);
		assert.match(view.frame(), /endpoint 10\.10\.3\.9:8080 .*is in the EndpointSlices but not in the rules/);
		assert.match(view.frame(), /rules send traffic to 10\.10\.3\.4:8080, which the API does not list/);
	});

	test('another Service\'s change is not this Service\'s news, but it is the whole table\'s', async () => {
		const {source, dump} = demoCluster();
		const view = open(source, 'default/svc-nodeport', async () => ({ok: true, text: dump, mode: undefined, source: 'demo'}), {columns: 200, rows: 50});
		await settle();
		const other = source.snapshot().endpointSlices.find(slice => slice.metadata?.labels?.['kubernetes.io/service-name'] === 'svc-dualstack')!;
		movedEndpoint(source, 'svc-dualstack', other.endpoints?.[0]!.addresses[0]!, '10.10.9.9');
		await nextSnapshot();
		assert.doesNotMatch(view.frame(), /the API changed/);
		await view.press('a');
		assert.match(view.frame(), /^the API changed since the rules were read/m);
		assert.doesNotMatch(view.frame(), /10\.10\.9\.9/);
	});

	test('EndpointSlices not listed when the rules were read: no endpoint findings, and a line says why', async () => {
		const {source, dump} = demoCluster();
		source.update({endpointSlices: []});
		source.setState('endpointslices', {phase: 'forbidden', since: now, message: 'endpointslices is forbidden'});
		const view = open(source, 'default/svc-nodeport', async () => ({ok: true, text: dump, mode: undefined, source: 'demo'}), {columns: 200, rows: 50});
		await settle();
		assert.doesNotMatch(view.frame(), /Problems|which the API does not list/);
		assert.match(view.frame(), /^endpoints not checked against the API: its EndpointSlices were not listed when the rules were read \(endpointslices is forbidden\)$/m);
		assert.match(view.frame(), /DNAT 10\.10\.3\.4:8080/);
	});

	test('Services not listed when the rules were read: no check at all, and a line says so', async () => {
		const {source, dump} = demoCluster();
		source.setState('services', {phase: 'retrying', since: now, message: 'connection refused'});
		const view = open(source, 'default/svc-nodeport', async () => ({ok: true, text: dump, mode: undefined, source: 'demo'}), {columns: 200, rows: 50});
		await settle();
		assert.match(view.frame(), /^not checked against the API: its Services were not listed when the rules were read \(connection refused\)$/m);
		assert.doesNotMatch(view.frame(), /Problems/);
	});
});
