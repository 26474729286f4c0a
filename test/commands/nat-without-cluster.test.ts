import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseCommandLine} from '../../source/cli/parse-command-line.js';
import {kubeconfigPresent, natWithoutCluster} from '../../source/commands/nat-without-cluster.js';
import type {CliConfig} from '../../source/commands/run-command.js';
import {generateIptablesSave} from '../../source/builtin-cluster/generate/iptables.js';
import {endpointSlicesFor, initialDemoState} from '../../source/builtin-cluster/demo/cluster.js';
import {ensureBuilt, svctopBin} from '../helpers/built-cli.js';

function config(argv: string[]): CliConfig {
	const parsed = parseCommandLine(argv);
	assert.equal(parsed.kind, 'run');
	return (parsed as {config: CliConfig}).config;
}

describe('nat without a cluster (the path that never loads the Kubernetes client)', () => {
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

	test('only nat, without --demo or node access, and without a kubeconfig', () => {
		assert.equal(natWithoutCluster(config(['nat', '--file', 'x']), {HOME: home}), true);
		assert.equal(natWithoutCluster(config(['nat', '--file', 'x']), {HOME: withConfig}), false);
		assert.equal(natWithoutCluster(config(['nat', '--demo']), {HOME: home}), false);
		assert.equal(natWithoutCluster(config(['nat', '--debug-pod']), {HOME: home}), false);
		assert.equal(natWithoutCluster(config(['list']), {HOME: home}), false);
	});

	test('prints what the full path prints (which connects, fails and goes on without a cluster)', () => {
		ensureBuilt();
		const state = initialDemoState(Date.now());
		const file = path.join(home, 'iptables-save.txt');
		writeFileSync(file, generateIptablesSave({services: state.services, slices: endpointSlicesFor(state), nodeName: 'myk8s-worker', nodeIPs: ['172.18.0.5']}));
		const run = (args: string[], env: Record<string, string>) => spawnSync(process.execPath, [svctopBin, 'nat', '--file', file, ...args], {encoding: 'utf8', env: {PATH: process.env.PATH, HOME: home, ...env}, timeout: 30_000});
		for (const args of [['--json'], [], ['--service', 'svc-nodeport'], ['-n', 'kube-system', '--json']]) {
			const lean = run(args, {});
			const full = run(args, {KUBECONFIG: '/nonexistent'});
			assert.equal(lean.status, 0, lean.stderr);
			assert.equal(lean.stderr, full.stderr);
			assert.ok(lean.stdout.length > 100, args.join(' '));
			assert.equal(lean.stdout, full.stdout, args.join(' '));
		}
	});

	test.after(() => {
		rmSync(home, {recursive: true, force: true});
		rmSync(withConfig, {recursive: true, force: true});
	});
});
