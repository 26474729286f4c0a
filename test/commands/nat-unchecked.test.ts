import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdir} from 'node:fs/promises';
import path from 'node:path';
import {describe, test} from 'node:test';
import {type Fault, startApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import {fixtureApi} from '../fixtures/nat/kernel/api.js';
import {apiLab} from '../helpers/api-lab.js';
import {ensureBuilt, repositoryRoot, svctopBin} from '../helpers/built-cli.js';

/*
 * qa4 F6, "unknown is not none": `svctop nat --file` against an API it could not read (or none at
 * all) must say the rules were not checked, and why; never print what a clean check prints.
 */

const lab = apiLab('svtnatunchecked-');
const dump = path.join(repositoryRoot, 'test/fixtures/nat/kernel/iptables-1.28-save.txt');

/** The fixture's cluster as the API server serves it. */
const objects = [
	...fixtureApi.services.map(service => ({kind: 'Service', apiVersion: 'v1', ...service})),
	...fixtureApi.endpointSlices.map(slice => ({kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', ...slice})),
];

type Run = {code: number | null; stdout: string; stderr: string};

async function nat(args: string[], home: string): Promise<Run> {
	const child = spawn(process.execPath, [svctopBin, 'nat', '--file', dump, ...args], {env: {PATH: process.env.PATH, HOME: home}});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
	});
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	return {code, stdout, stderr};
}

type NatJson = {problems: unknown[]; notes: string[]};

/** `nat --json` against the fixture's cluster with `fault` on `resource` (nothing when undefined). */
async function natAgainst(resource: 'services' | 'endpointslices' | undefined, fault: Fault | 'forbidden' | undefined): Promise<NatJson> {
	lab.api = await startApiServer({objects});
	if (resource && fault === 'forbidden') {
		lab.api.setForbidden(resource, true);
	} else if (resource && fault !== undefined && fault !== 'forbidden') {
		lab.api.setFault(resource, fault);
	}

	const home = path.join(lab.directory, String(Math.random()).slice(2));
	await mkdir(home);
	const kubeconfig = await lab.api.writeKubeconfig(path.join(home, 'kubeconfig'));
	const run = await nat(['--json', '--kubeconfig', kubeconfig], home);
	assert.equal(run.code, 0, run.stderr);
	return JSON.parse(run.stdout) as NatJson;
}

describe('nat --file says when the rules were not checked against the API', {timeout: 120_000}, () => {
	test.before(() => {
		ensureBuilt();
	});

	test('an API it can read: checked, no note', async () => {
		const json = await natAgainst(undefined, undefined);
		assert.deepEqual(json.notes, []);
	});

	test('EndpointSlices forbidden: endpoints not checked, with the reason', async () => {
		const json = await natAgainst('endpointslices', 'forbidden');
		assert.equal(json.notes.length, 1, JSON.stringify(json.notes));
		assert.match(json.notes[0]!, /^endpoints not checked against the API: .*forbidden/i);
	});

	test('Services answering 500: nothing checked, with the reason', async () => {
		const json = await natAgainst('services', {kind: 'status', code: 500});
		assert.deepEqual(json.problems, []);
		assert.equal(json.notes.length, 1, JSON.stringify(json.notes));
		assert.match(json.notes[0]!, /^not checked against the API: .*500/);
	});

	test('every request reset: nothing checked, with the reason', async () => {
		lab.api = await startApiServer({objects});
		lab.api.setFault('*', {kind: 'reset'});
		const home = path.join(lab.directory, 'reset');
		await mkdir(home);
		const run = await nat(['--kubeconfig', await lab.api.writeKubeconfig(path.join(home, 'kubeconfig'))], home);
		assert.equal(run.code, 0, run.stderr);
		assert.match(run.stdout, /^Note: not checked against the API: \S/m);
		assert.doesNotMatch(run.stdout, /^Problems/m);
	});

	test('no kubeconfig: text and JSON say so', async () => {
		const home = path.join(lab.directory, 'empty-home');
		await mkdir(home);
		const text = await nat([], home);
		assert.equal(text.code, 0, text.stderr);
		assert.match(text.stdout, /^Note: not checked against the API: no kubeconfig/m);
		const json = JSON.parse((await nat(['--json'], home)).stdout) as NatJson;
		assert.equal(json.notes.length, 1, JSON.stringify(json.notes));
		assert.match(json.notes[0]!, /^not checked against the API: no kubeconfig/);
	});
});
