import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {kubeconfigPresent} from '../../source/kube/kubeconfig-location.js';
import {generateIptablesSave} from '../../source/builtin-cluster/generate/iptables.js';
import {endpointSlicesFor, initialDemoState} from '../../source/builtin-cluster/demo/cluster.js';
import {ensureBuilt, svctopBin} from '../helpers/built-cli.js';

describe('nat without a cluster (it never loads the Kubernetes client)', () => {
	const home = mkdtempSync(path.join(os.tmpdir(), 'svctop-nohome-'));
	const withConfig = mkdtempSync(path.join(os.tmpdir(), 'svctop-home-'));
	mkdirSync(path.join(withConfig, '.kube'));
	writeFileSync(path.join(withConfig, '.kube', 'config'), 'apiVersion: v1\nkind: Config\n');

	test('a kubeconfig is present wherever kubectl would look for one', () => {
		assert.equal(kubeconfigPresent(undefined, {HOME: home}), false);
		assert.equal(kubeconfigPresent('/some/file', {HOME: home}), true);
		assert.equal(kubeconfigPresent(undefined, {HOME: home, KUBECONFIG: '/nonexistent'}), true);
		assert.equal(kubeconfigPresent(undefined, {HOME: withConfig}), true);
		// In-cluster needs the service account token too (present only inside a pod).
		const inPod = existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');
		assert.equal(kubeconfigPresent(undefined, {HOME: home, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443'}), inPod);
		assert.equal(kubeconfigPresent(undefined, {HOME: home, KUBERNETES_SERVICE_HOST: '10.96.0.1'}), false);
	});

	const file = path.join(home, 'iptables-save.txt');
	const run = (args: string[], env: Record<string, string>, node: string[] = []) =>
		spawnSync(process.execPath, [...node, svctopBin, 'nat', '--file', file, ...args], {encoding: 'utf8', env: {PATH: process.env.PATH, HOME: home, ...env}, timeout: 30_000});
	test.before(() => {
		ensureBuilt();
		const state = initialDemoState(Date.now());
		writeFileSync(file, generateIptablesSave({services: state.services, endpointSlices: endpointSlicesFor(state), nodeName: 'myk8s-worker', nodeIPs: ['172.18.0.5']}));
	});

	test('the Kubernetes client is loaded only when there is a kubeconfig to connect with', () => {
		// A module hook names every file of the bundle the process loads; the client's code is in whichever holds its modules.
		const hook = path.join(home, 'loaded.mjs');
		writeFileSync(hook, `import {registerHooks} from 'node:module';
registerHooks({load(url, context, next) { if (url.includes('/build/bundle/')) process.stderr.write('loaded ' + url + '\\n'); return next(url, context); }});
`);
		const loadsClient = (env: Record<string, string>) => {
			const result = run(['--json'], env, ['--import', hook]);
			assert.equal(result.status, 0, result.stderr);
			const loaded = [...result.stderr.matchAll(/^loaded (\S+)$/gm)].map(match => fileURLToPath(match[1]!));
			assert.ok(loaded.length > 1, result.stderr);
			return loaded.some(chunk => readFileSync(chunk, 'utf8').includes('node_modules/@kubernetes/client-node/'));
		};

		assert.equal(loadsClient({}), false);
		assert.equal(loadsClient({KUBECONFIG: '/nonexistent'}), true);
	});

	test('prints what it prints after connecting to no cluster (a kubeconfig that is not there), but for why the rules were not checked', () => {
		// The one line that differs: the note that says why nothing was checked against the API.
		const unchecked = /^(Note: |    ")not checked against the API: (.*?)"?$/m;
		for (const args of [['--json'], [], ['--service', 'svc-nodeport'], ['-n', 'kube-system', '--json']]) {
			const lean = run(args, {});
			const full = run(args, {KUBECONFIG: '/nonexistent'});
			assert.equal(lean.status, 0, lean.stderr);
			assert.equal(lean.stderr, full.stderr);
			assert.ok(lean.stdout.length > 100, args.join(' '));
			assert.match(lean.stdout.match(unchecked)?.[2] ?? '', /^no kubeconfig/, args.join(' '));
			assert.match(full.stdout.match(unchecked)?.[2] ?? '', /\/nonexistent/, args.join(' '));
			assert.equal(lean.stdout.replace(unchecked, ''), full.stdout.replace(unchecked, ''), args.join(' '));
		}
	});

	test.after(() => {
		rmSync(home, {recursive: true, force: true});
		rmSync(withConfig, {recursive: true, force: true});
	});
});
