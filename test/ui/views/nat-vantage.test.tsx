import assert from 'node:assert/strict';
import {afterEach, test} from 'node:test';
import {type NatVantages, noNatVantages} from '../../../source/node/access/nat-vantages.js';
import type {NatTextDump} from '../../../source/node/nat/read-dump.js';
import Dashboard from '../../../source/ui/Dashboard.js';
import {makeNatView} from '../../../source/commands/dashboard-screens.js';
import {demoSource} from '../fake-source.js';
import {type Rendered, renderAt, settle} from '../render-at.js';

const now = Date.UTC(2026, 10, 23, 0, 0, 0);
const rendered: Rendered[] = [];

afterEach(() => {
	for (const view of rendered.splice(0)) {
		view.unmount();
	}
});

const {dump: dumpOf} = demoSource(now);

function open(vantages: NatVantages) {
	const {source} = demoSource(now);
	const local = async (): Promise<NatTextDump> => ({ok: true, text: dumpOf('myk8s-control-plane'), mode: undefined, source: 'iptables-save'});
	const view = renderAt(<Dashboard source={source} clock={() => now} initialRoute={{screen: 'nat', serviceKey: 'default/svc-nodeport'}} screens={{nat: makeNatView(local, vantages)}} />, {columns: 150, rows: 24});
	rendered.push(view);
	return view;
}

test('w picks a node; the pod is named and confirmed before anything is created', async () => {
	const created: string[] = [];
	const loaders = new Map<string, () => Promise<NatTextDump>>();
	const vantages: NatVantages = {
		describe: node => `Create pod svctop-debug-${node}-* in namespace kube-system on node ${node}?`,
		loaderFor(node) {
			let loader = loaders.get(node);
			if (!loader) {
				loader = async () => {
					created.push(node);
					return {ok: true, text: dumpOf(node), mode: undefined, source: `iptables-nft-save in node ${node}`};
				};

				loaders.set(node, loader);
			}

			return loader;
		},
	};
	const view = open(vantages);
	await settle();
	assert.match(view.frame(), /from iptables-save/);
	await view.press('w');
	assert.match(view.frame(), /Read the rules from \(Enter picks, Esc cancels\):/);
	assert.match(view.frame(), /\* this machine \(as svctop was started\)/);
	await view.press('j');
	await view.press('j');
	await view.press('return');
	assert.match(view.frame(), /Create pod svctop-debug-myk8s-worker-\* in namespace kube-system on node myk8s-worker\?/);
	await view.press('n');
	await settle();
	assert.deepEqual(created, [], 'nothing is created on n');
	await view.press('return');
	await view.press('y');
	await settle();
	assert.deepEqual(created, ['myk8s-worker']);
	assert.match(view.frame(), /NAT rules of default\/svc-nodeport {2}read just now {2}from iptables-nft-save in node myk8s-worker$/m);
	// Local policy: myk8s-worker has a local endpoint of svc-nodeport, the control plane has none.
	assert.match(view.frame(), /NodePort \*:31254 -> KUBE-EXT-\w+ -> KUBE-SVL-\w+ \(Local: only this node's endpoints\)/);
	await view.press('w');
	await view.press('k');
	await view.press('k');
	await view.press('return');
	await settle();
	assert.match(view.frame(), /from iptables-save/, 'back to this machine without a question');
});

test('without --debug-pod, w says how to enable it and creates nothing', async () => {
	const view = open(noNatVantages);
	await settle();
	await view.press('w');
	assert.match(view.frame(), /start svctop with --debug-pod to read another node's rules/);
	assert.doesNotMatch(view.frame(), /Read the rules from/);
});
