import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {loadAllYaml} from '@kubernetes/client-node';
import {type ApiServer, startApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import {nodes, pod} from '../fixtures/services/kind-cluster.js';
import {ensureBuilt} from '../helpers/built-cli.js';
import {generateIptablesSave} from '../../source/builtin-cluster/generate/iptables.js';
import {endpointSlicesFor, initialDemoState} from '../../source/builtin-cluster/demo/cluster.js';
import {startDemoCluster} from '../../source/builtin-cluster/demo/start-demo.js';

/*
 * The built CLI as a user runs it: `node bin/svctop.js ...` in a child process against the fake
 * kube-apiserver, with a kubeconfig on disk. The Service tables are checked cell for cell against the
 * real kubectl talking to the same server.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/svctop.js');

type Fixture = {items: Array<Record<string, any>>};
const seed = JSON.parse(readFileSync(path.join(root, 'test/fixtures/services/seed-cluster.json'), 'utf8')) as Fixture;

/** Creation time of the objects added here; far enough back that AGE does not tick during the run. */
const created = '2024-04-01T00:00:00Z';

function namespace(name: string): object {
	return {kind: 'Namespace', apiVersion: 'v1', metadata: {name, labels: {'kubernetes.io/metadata.name': name}, creationTimestamp: created}, spec: {finalizers: ['kubernetes']}, status: {phase: 'Active'}};
}

function edgeService(name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {loadBalancer: {}}): object {
	return {
		kind: 'Service',
		apiVersion: 'v1',
		metadata: {name, namespace: 'edge', uid: `uid-edge-${name}`, creationTimestamp: created},
		spec: {sessionAffinity: 'None', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster', ...spec},
		status,
	};
}

/*
 * Services where kubectl's printer rules are easy to get wrong: several load-balancer ingresses
 * (de-duplicated and sorted), ingress plus externalIPs, headless, dual-stack, a hostname longer
 * than the 16 characters the non-wide printer path would clip.
 */
const edgeServices = [
	edgeService('lb-many-ingress', {type: 'LoadBalancer', clusterIP: '10.96.50.1', clusterIPs: ['10.96.50.1'], externalTrafficPolicy: 'Cluster', ports: [{name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30501}]}, {loadBalancer: {ingress: [{ip: '203.0.113.20'}, {ip: '203.0.113.10'}, {ip: '203.0.113.20'}]}}),
	edgeService('lb-ingress-and-external', {type: 'LoadBalancer', clusterIP: '10.96.50.2', clusterIPs: ['10.96.50.2'], externalIPs: ['192.0.2.9'], externalTrafficPolicy: 'Cluster', ports: [{port: 443, protocol: 'TCP', targetPort: 8443, nodePort: 30502}]}, {loadBalancer: {ingress: [{ip: '198.51.100.7'}]}}),
	edgeService('lb-hostname', {type: 'LoadBalancer', clusterIP: '10.96.50.3', clusterIPs: ['10.96.50.3'], externalTrafficPolicy: 'Cluster', ports: [{port: 80, protocol: 'TCP', targetPort: 80, nodePort: 30503}]}, {loadBalancer: {ingress: [{hostname: 'a1b2c3d4e5f6-1234567890.eu-west-1.elb.amazonaws.com'}]}}),
	edgeService('headless', {type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], selector: {app: 'db', tier: 'backend'}, ports: [{name: 'pg', port: 5432, protocol: 'TCP', targetPort: 5432}]}),
	// Annotations whose YAML go-yaml v2 writes in every style: folded past column 80, `|-`, `|`, `|+`, `|2-`,
	// double quotes for what reads as a number, bool, null or timestamp, single quotes for indicators.
	{...edgeService('annotated', {type: 'ClusterIP', clusterIP: '10.96.50.6', clusterIPs: ['10.96.50.6'], selector: {app: 'annotated'}, ports: [{port: 80, protocol: 'TCP', targetPort: 'http'}]}), metadata: {
		name: 'annotated', namespace: 'edge', uid: 'uid-edge-annotated', creationTimestamp: created, labels: {'app.kubernetes.io/name': 'annotated', tier9: 'x', tier10: 'y'},
		annotations: {
			'example.com/description': 'A Service whose description is long enough that go-yaml folds it at a space after column eighty, twice over.',
			'example.com/script': 'set -e\necho "ready"\n',
			'example.com/no-newline': 'first line\nsecond line',
			'example.com/blank-lines': 'x\n\n',
			'example.com/indented': '  indented\nnext',
			'example.com/space-before-newline': 'a \nb',
			'example.com/port': '8080',
			'example.com/enabled': 'true',
			'example.com/yes': 'yes',
			'example.com/none': 'null',
			'example.com/empty': '',
			'example.com/date': '2024-04-01',
			'example.com/hex': '0x1F',
			'example.com/colon': 'key: value',
			'example.com/star': '*',
			'example.com/quote': 'it\'s "quoted"',
			'example.com/tab': 'a\tb',
			'example.com/unicode': 'héllo ✓ 😀',
			'example.com/json': '{"a":1,"b":[true,null],"c":"a long string value with spaces in it to cross the eighty column line"}',
		},
	}},
	edgeService('dual-stack', {type: 'ClusterIP', clusterIP: 'fd00:10:96::a', clusterIPs: ['fd00:10:96::a', '10.96.50.5'], ipFamilies: ['IPv6', 'IPv4'], ipFamilyPolicy: 'RequireDualStack', selector: {app: 'web'}, ports: [{name: 'dns', port: 53, protocol: 'UDP', targetPort: 53}, {name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53}]}),
];

/** Pods behind default/svc-nodeport (the seed's slice lists the first three), plus one not ready yet. */
function echoPod(name: string, node: string, ip: string, ready: boolean): object {
	return {...pod('default', name, {app: 'deploy-websrv', 'pod-template-hash': '5c689d5454'}, node, {ip, ready, ports: [{containerPort: 8080, protocol: 'TCP'}]}), kind: 'Pod', apiVersion: 'v1'};
}

const objects: object[] = [
	...['eks', 'prod', 'ingress-nginx', 'test', 'edge', 'empty'].map(name => namespace(name)),
	...nodes.map(item => ({...item, kind: 'Node', apiVersion: 'v1'})),
	...seed.items,
	...edgeServices,
	echoPod('deploy-echo-5c689d5454-b7gng', 'myk8s-worker3', '10.10.1.3', true),
	echoPod('deploy-echo-5c689d5454-cjpfp', 'myk8s-worker2', '10.10.2.3', true),
	echoPod('deploy-echo-5c689d5454-m4hd9', 'myk8s-worker', '10.10.3.4', true),
	echoPod('deploy-echo-5c689d5454-zz9qk', 'myk8s-worker', '10.10.1.44', false),
];

const serviceCount = objects.filter(object => (object as {kind?: string}).kind === 'Service').length;

let server: ApiServer;
let directory: string;
let kubeconfig: string;
let home: string;

type Run = {code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string};

/** Runs a command without blocking this process's event loop: the API server lives in this process. */
async function run(command: string, args: readonly string[], env: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<Run> {
	const child = spawn(command, args, {
		cwd: directory,
		env: {PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', NO_COLOR: '1', FORCE_COLOR: '0', ...env},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', chunk => {
		stdout += chunk;
	});
	child.stderr.setEncoding('utf8').on('data', chunk => {
		stderr += chunk;
	});
	const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
	return new Promise((resolve, reject) => {
		child.on('error', reject);
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolve({code, signal, stdout, stderr});
		});
	});
}

async function svctop(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Run> {
	return run(process.execPath, [bin, ...args], env);
}

async function kubectl(args: readonly string[]): Promise<Run> {
	return run('kubectl', ['--kubeconfig', kubeconfig, ...args]);
}

/** Splits a kubectl-style table into rows of cells by the header's column starts. */
function parseTable(text: string): {header: string[]; rows: Array<Record<string, string>>} {
	const lines = text.split('\n').filter(line => line.trim() !== '');
	assert.ok(lines.length > 0, 'a table with a header line');
	const headerLine = lines[0]!;
	const starts: Array<{name: string; at: number}> = [];
	for (const match of headerLine.matchAll(/\S+/g)) {
		starts.push({name: match[0], at: match.index});
	}

	const rows = lines.slice(1).map(line => Object.fromEntries(starts.map((column, index) => {
		const end = index + 1 < starts.length ? starts[index + 1]!.at : line.length;
		return [column.name, line.slice(column.at, end).trim()];
	})));
	return {header: starts.map(column => column.name), rows};
}

/** The table's rows keyed by NAMESPACE/NAME (or NAME), keeping only `columns`. */
function cellsByService(table: ReturnType<typeof parseTable>, columns: readonly string[]): Map<string, Record<string, string>> {
	return new Map(table.rows.map(row => [
		row.NAMESPACE === undefined ? row.NAME! : `${row.NAMESPACE}/${row.NAME}`,
		Object.fromEntries(columns.map(column => [column, row[column] ?? '(missing)'])),
	]));
}

/** An error exit: non-zero, one clear line on stderr, nothing on stdout, no stack trace anywhere. */
function assertOneLineError(result: Run, pattern: RegExp): void {
	const all = result.stdout + result.stderr;
	assert.doesNotMatch(all, /^ {4}at /m, `no stack trace; got:\n${all}`);
	assert.notEqual(result.code, 0, `non-zero exit; stderr: ${result.stderr}`);
	assert.equal(result.signal, null);
	const lines = result.stderr.split('\n').filter(line => line.trim() !== '');
	assert.equal(lines.length, 1, `exactly one line on stderr; got:\n${result.stderr}`);
	assert.match(lines[0]!, pattern);
	assert.equal(result.stdout, '', 'nothing on stdout');
}

before(async () => {
	// The CLI under test is the built one (tsc + bundle), rebuilt when a source file is newer.
	ensureBuilt();

	directory = mkdtempSync(path.join(os.tmpdir(), 'svctop-e2e-'));
	home = path.join(directory, 'home');
	writeFileSync(path.join(directory, '.keep'), '');
	server = await startApiServer({objects});
	kubeconfig = await server.writeKubeconfig(directory, {context: 'e2e', namespace: 'default'});
});

after(async () => {
	await server?.close();
	if (directory) {
		rmSync(directory, {recursive: true, force: true});
	}
});

/** The columns svctop adds to kubectl's. */
const ourColumns = ['ENDPOINTS', 'WARNINGS'];
const sharedColumns = ['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR'];

describe('svctop list', () => {
	test('-A -o wide matches kubectl get svc -A -o wide cell for cell, plus ENDPOINTS', async () => {
		const [ours, theirs] = await Promise.all([svctop(['list', '-A', '-o', 'wide', '--kubeconfig', kubeconfig]), kubectl(['get', 'svc', '-A', '-o', 'wide'])]);
		assert.equal(theirs.code, 0, `kubectl: ${theirs.stderr}`);
		assert.equal(ours.code, 0, `svctop: ${ours.stderr}`);
		const ourTable = parseTable(ours.stdout);
		const kubectlTable = parseTable(theirs.stdout);
		assert.deepEqual(kubectlTable.header, sharedColumns);
		assert.deepEqual(ourTable.header.filter(column => !ourColumns.includes(column)), sharedColumns, 'kubectl\'s columns in kubectl\'s order');
		assert.ok(ourTable.header.includes('ENDPOINTS'));
		assert.equal(ourTable.header.at(-1), 'WARNINGS');
		assert.equal(ourTable.rows.length, serviceCount);
		const ourCells = cellsByService(ourTable, sharedColumns);
		const kubectlCells = cellsByService(kubectlTable, sharedColumns);
		assert.deepEqual([...ourCells.keys()], [...kubectlCells.keys()], 'same Services in the same order');
		const differences = [...kubectlCells].flatMap(([key, cells]) => sharedColumns
			.filter(column => ourCells.get(key)?.[column] !== cells[column])
			.map(column => `${key} ${column}: svctop "${ourCells.get(key)?.[column]}", kubectl "${cells[column]}"`));
		assert.deepEqual(differences, []);
		assert.equal(ourTable.rows.find(row => row.NAME === 'svc-nodeport')?.ENDPOINTS, '3/3');
	});

	test('the plain table matches kubectl get svc cell for cell (kubectl does not clip EXTERNAL-IP)', async () => {
		const [ours, theirs] = await Promise.all([svctop(['list', '-A', '--kubeconfig', kubeconfig]), kubectl(['get', 'svc', '-A'])]);
		assert.equal(theirs.code, 0, `kubectl: ${theirs.stderr}`);
		assert.equal(ours.code, 0, `svctop: ${ours.stderr}`);
		const columns = sharedColumns.filter(column => column !== 'SELECTOR');
		const ourTable = parseTable(ours.stdout);
		assert.deepEqual(ourTable.header.filter(column => !ourColumns.includes(column)), columns);
		const ourCells = cellsByService(ourTable, columns);
		const kubectlCells = cellsByService(parseTable(theirs.stdout), columns);
		const differences = [...kubectlCells].flatMap(([key, cells]) => columns
			.filter(column => ourCells.get(key)?.[column] !== cells[column])
			.map(column => `${key} ${column}: svctop "${ourCells.get(key)?.[column]}", kubectl "${cells[column]}"`));
		assert.deepEqual(differences, []);
	});

	test('without -A: the context\'s namespace, no NAMESPACE column, like kubectl get svc', async () => {
		const [ours, theirs] = await Promise.all([svctop(['list', '--kubeconfig', kubeconfig]), kubectl(['get', 'svc'])]);
		assert.equal(ours.code, 0, ours.stderr);
		const ourTable = parseTable(ours.stdout);
		const kubectlTable = parseTable(theirs.stdout);
		assert.deepEqual(ourTable.header, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'ENDPOINTS', 'AGE', 'WARNINGS']);
		assert.deepEqual(ourTable.rows.map(row => row.NAME), kubectlTable.rows.map(row => row.NAME));
		assert.ok(ourTable.rows.length > 0);
	});

	test('-n NS lists that namespace only', async () => {
		const result = await svctop(['list', '-n', 'test', '--kubeconfig', kubeconfig]);
		assert.equal(result.code, 0, result.stderr);
		assert.deepEqual(parseTable(result.stdout).rows.map(row => row.NAME), ['nginx-svc', 'nginx-svc-lb', 'nginx-svc-np']);
	});

	test('--json: the document of issue 2, sorted by namespace then name, with the wide strings', async () => {
		const [json, wide] = await Promise.all([
			svctop(['list', '-A', '--json', '--kubeconfig', kubeconfig]),
			svctop(['list', '-A', '-o', 'wide', '--kubeconfig', kubeconfig]),
		]);
		assert.equal(json.code, 0, json.stderr);
		const document = JSON.parse(json.stdout) as {context: string; services: Array<Record<string, any>>};
		assert.deepEqual(Object.keys(document).sort(), ['context', 'services']);
		assert.equal(document.context, 'e2e');
		assert.equal(document.services.length, serviceCount);
		const keys = ['age', 'clusterIP', 'endpoints', 'externalIP', 'name', 'namespace', 'ports', 'selector', 'type', 'unknown', 'warnings'];
		for (const entry of document.services) {
			assert.deepEqual(Object.keys(entry).sort(), keys, `${entry.namespace}/${entry.name}`);
			assert.deepEqual(Object.keys(entry.endpoints).sort(), ['ready', 'total']);
			assert.ok(Array.isArray(entry.warnings));
		}

		const order = document.services.map(entry => `${entry.namespace}/${entry.name}`);
		assert.deepEqual(order, [...order].sort((a, b) => {
			const [an, aName] = a.split('/');
			const [bn, bName] = b.split('/');
			return an! === bn! ? (aName! < bName! ? -1 : 1) : (an! < bn! ? -1 : 1);
		}));
		const table = cellsByService(parseTable(wide.stdout), sharedColumns);
		for (const entry of document.services) {
			const cells = table.get(`${entry.namespace}/${entry.name}`);
			assert.deepEqual(
				[entry.type, entry.clusterIP, entry.externalIP, entry.ports, entry.selector, entry.age],
				[cells?.TYPE, cells?.['CLUSTER-IP'], cells?.['EXTERNAL-IP'], cells?.['PORT(S)'], cells?.SELECTOR, cells?.AGE],
				`${entry.namespace}/${entry.name}`,
			);
		}

		const byKey = new Map(document.services.map(entry => [`${entry.namespace}/${entry.name}`, entry]));
		assert.deepEqual(byKey.get('default/svc-nodeport')?.endpoints, {ready: 3, total: 3});
		assert.deepEqual(byKey.get('default/whms-loadbalancer')?.warnings.some((warning: string) => /pending/.test(warning)), true);
		assert.equal(byKey.get('edge/lb-many-ingress')?.externalIP, '203.0.113.10,203.0.113.20');
	});

	test('the WARNINGS column carries the reasons --json has', async () => {
		const [table, json] = await Promise.all([svctop(['list', '-A', '--kubeconfig', kubeconfig]), svctop(['list', '-A', '--json', '--kubeconfig', kubeconfig])]);
		assert.equal(table.code, 0, table.stderr);
		const warnings = new Map(parseTable(table.stdout).rows.map(row => [`${row.NAMESPACE}/${row.NAME}`, row.WARNINGS]));
		const document = JSON.parse(json.stdout) as {services: Array<{namespace: string; name: string; warnings: string[]}>};
		for (const entry of document.services) {
			assert.equal(warnings.get(`${entry.namespace}/${entry.name}`), entry.warnings.length > 0 ? entry.warnings.join('; ') : '<none>', `${entry.namespace}/${entry.name}`);
		}

		assert.match(warnings.get('default/whms-loadbalancer') ?? '', /load balancer pending/);
	});

	for (const scope of [['-A'], [], ['-n', 'test']]) {
		test(`-o json ${scope.join(' ')}: the objects kubectl get svc -o json prints, byte for byte`, async () => {
			const [ours, theirs] = await Promise.all([svctop(['list', ...scope, '-o', 'json', '--kubeconfig', kubeconfig]), kubectl(['get', 'svc', ...scope, '-o', 'json'])]);
			assert.equal(theirs.code, 0, `kubectl: ${theirs.stderr}`);
			assert.equal(ours.code, 0, `svctop: ${ours.stderr}`);
			const document = JSON.parse(ours.stdout) as {apiVersion: string; kind: string; items: Array<{kind: string; apiVersion: string}>};
			assert.equal(document.kind, 'List');
			assert.equal(document.apiVersion, 'v1');
			assert.ok(document.items.length > 0);
			assert.ok(document.items.every(item => item.kind === 'Service' && item.apiVersion === 'v1'));
			assert.deepEqual(document, JSON.parse(theirs.stdout));
			assert.equal(ours.stdout, theirs.stdout);
			assert.equal(ours.stderr, '');
		});
	}

	for (const scope of [['-A'], [], ['-n', 'edge']]) {
		test(`-o yaml ${scope.join(' ')}: what kubectl get svc -o yaml prints, byte for byte`, async () => {
			const [ours, theirs] = await Promise.all([svctop(['list', ...scope, '-o', 'yaml', '--kubeconfig', kubeconfig]), kubectl(['get', 'svc', ...scope, '-o', 'yaml'])]);
			assert.equal(theirs.code, 0, `kubectl: ${theirs.stderr}`);
			assert.equal(ours.code, 0, `svctop: ${ours.stderr}`);
			const [document] = loadAllYaml(ours.stdout) as Array<{kind: string; items: unknown[]}>;
			assert.equal(document?.kind, 'List');
			assert.ok((document?.items.length ?? 0) > 0);
			assert.equal(ours.stdout, theirs.stdout);
			assert.equal(ours.stderr, '');
		});
	}

	test('-o yaml -A on the demo cluster (last-applied and prometheus annotations): kubectl\'s bytes', async () => {
		const demo = await startDemoCluster({stepMs: 0});
		try {
			const demoKubeconfig = path.join(directory, 'demo-kubeconfig');
			writeFileSync(demoKubeconfig, demo.kubeconfigYaml);
			const [ours, theirs] = await Promise.all([
				svctop(['list', '-A', '-o', 'yaml', '--kubeconfig', demoKubeconfig]),
				run('kubectl', ['--kubeconfig', demoKubeconfig, 'get', 'svc', '-A', '-o', 'yaml']),
			]);
			assert.equal(theirs.code, 0, `kubectl: ${theirs.stderr}`);
			assert.equal(ours.code, 0, `svctop: ${ours.stderr}`);
			assert.match(theirs.stdout, /last-applied-configuration: \|\n/, 'a literal block in the input');
			assert.equal(ours.stdout, theirs.stdout);
		} finally {
			await demo.stop();
		}
	});

	test('-o name: service/NAME as kubectl prints it', async () => {
		for (const scope of [['-A'], ['-n', 'test']]) {
			const [ours, theirs] = await Promise.all([svctop(['list', ...scope, '-o', 'name', '--kubeconfig', kubeconfig]), kubectl(['get', 'svc', ...scope, '-o', 'name'])]);
			assert.equal(ours.code, 0, ours.stderr);
			assert.match(ours.stdout, /^service\/nginx-svc$/m);
			assert.equal(ours.stdout, theirs.stdout);
		}
	});

	test('--json stays svctop\'s rows, not kubectl\'s List', async () => {
		const result = await svctop(['list', '-A', '--json', '--kubeconfig', kubeconfig]);
		const document = JSON.parse(result.stdout) as Record<string, unknown>;
		assert.equal(document.kind, undefined);
		assert.ok(Array.isArray(document.services));
	});

	for (const ns of ['missing', 'empty']) {
		for (const format of [[], ['-o', 'json'], ['-o', 'yaml'], ['-o', 'name']]) {
			test(`-n ${ns} ${format.join(' ')}: what kubectl prints for a namespace ${ns === 'missing' ? 'that does not exist' : 'without Services'}, exit 0`, async () => {
				const [ours, theirs] = await Promise.all([svctop(['list', '-n', ns, ...format, '--kubeconfig', kubeconfig]), kubectl(['get', 'svc', '-n', ns, ...format])]);
				assert.equal(theirs.code, 0, `kubectl: ${theirs.stderr}`);
				assert.deepEqual([ours.code, ours.stdout, ours.stderr], [theirs.code, theirs.stdout, theirs.stderr]);
			});
		}
	}

	test('list NAME...: those Services in that order, then kubectl\'s NotFound line per missing name, exit 1', async () => {
		const names = ['svc-nodeport', 'extra-arg', 'kubernetes', 'gone'];
		const [ours, theirs] = await Promise.all([svctop(['list', ...names, '--kubeconfig', kubeconfig]), kubectl(['get', 'svc', ...names])]);
		assert.equal(theirs.code, 1);
		assert.equal(ours.code, 1, ours.stderr);
		assert.equal(ours.stderr, theirs.stderr);
		assert.match(ours.stderr, /^Error from server \(NotFound\): services "extra-arg" not found$/m);
		assert.deepEqual(parseTable(ours.stdout).rows.map(row => row.NAME), parseTable(theirs.stdout).rows.map(row => row.NAME));
		assert.deepEqual(parseTable(ours.stdout).rows.map(row => row.NAME), ['svc-nodeport', 'kubernetes']);
	});

	test('list NAME... -o json|yaml|name: kubectl\'s bytes (one name prints the object alone)', async () => {
		for (const args of [['svc-nodeport', '-o', 'json'], ['svc-nodeport', '-o', 'yaml'], ['svc-nodeport', 'kubernetes', '-o', 'json'], ['kubernetes', 'nope', '-o', 'name'], ['nope', '-o', 'yaml']]) {
			const [ours, theirs] = await Promise.all([svctop(['list', ...args, '--kubeconfig', kubeconfig]), kubectl(['get', 'svc', ...args])]);
			assert.deepEqual([ours.code, ours.stdout, ours.stderr], [theirs.code, theirs.stdout, theirs.stderr], args.join(' '));
		}
	});

	test('list -A NAME: kubectl\'s refusal, before any request', async () => {
		const result = await svctop(['list', '-A', 'svc-nodeport', '--kubeconfig', '/nonexistent']);
		assertOneLineError(result, /^svctop: a resource cannot be retrieved by name across all namespaces$/);
	});
});

describe('svctop describe', () => {
	test('text: spec, endpoints grouped by node, the pod that is not an endpoint, findings', async () => {
		const result = await svctop(['describe', 'default/svc-nodeport', '--kubeconfig', kubeconfig]);
		assert.equal(result.code, 0, result.stderr);
		const text = result.stdout;
		assert.match(text, /svc-nodeport/);
		assert.match(text, /NodePort/);
		assert.match(text, /svc-nodeport\.default\.svc\.cluster\.local/);
		for (const node of ['myk8s-worker', 'myk8s-worker2', 'myk8s-worker3']) {
			assert.match(text, new RegExp(`^.*${node}\\b.*$`, 'm'));
		}

		assert.match(text, /myk8s-control-plane/, 'the node without endpoints is listed');
		assert.match(text, /deploy-echo-5c689d5454-zz9qk/, 'the unready pod is listed');
		assert.match(text, /local-policy-nodes-without-endpoints/);
		assert.equal(result.stderr, '');
	});

	test('--json: the shape of issue 3', async () => {
		const result = await svctop(['describe', 'default/svc-nodeport', '--json', '--kubeconfig', kubeconfig]);
		assert.equal(result.code, 0, result.stderr);
		const document = JSON.parse(result.stdout) as Record<string, any>;
		for (const key of ['service', 'dnsNames', 'ports', 'nodes', 'nodesWithoutEndpoints', 'unreadyPods', 'findings']) {
			assert.ok(key in document, `has ${key}`);
		}

		assert.deepEqual([document.service.namespace, document.service.name, document.service.type], ['default', 'svc-nodeport', 'NodePort']);
		assert.equal(document.dnsNames[0], 'svc-nodeport.default.svc.cluster.local');
		for (const name of document.dnsNames as string[]) {
			assert.match(name, /(^|\.)svc-nodeport\.default\.svc\.cluster\.local$/);
		}

		assert.deepEqual(document.ports.map((port: Record<string, unknown>) => [port.name, port.port, port.targetPort, port.nodePort, port.protocol]), [['svc-webport', 9000, 8080, 31254, 'TCP']]);
		const groups = (document.nodes as Array<{node: string | null; nodeIP: string | null; zone: string | null; endpoints: Array<Record<string, any>>}>)
			.map(group => [group.node, group.nodeIP, group.endpoints.map(endpoint => [endpoint.pod, endpoint.ip, endpoint.ports, endpoint.ready, endpoint.serving, endpoint.terminating])]);
		assert.deepEqual(groups.sort(), [
			['myk8s-worker', '172.18.0.5', [['deploy-echo-5c689d5454-m4hd9', '10.10.3.4', {'svc-webport': 8080}, true, true, false]]],
			['myk8s-worker2', '172.18.0.2', [['deploy-echo-5c689d5454-cjpfp', '10.10.2.3', {'svc-webport': 8080}, true, true, false]]],
			['myk8s-worker3', '172.18.0.4', [['deploy-echo-5c689d5454-b7gng', '10.10.1.3', {'svc-webport': 8080}, true, true, false]]],
		]);
		const withoutEndpoints = (document.nodesWithoutEndpoints as Array<string | {node: string}>).map(entry => (typeof entry === 'string' ? entry : entry.node));
		assert.deepEqual(withoutEndpoints, ['myk8s-control-plane']);
		assert.deepEqual(document.unreadyPods.map((entry: {pod: string}) => entry.pod), ['deploy-echo-5c689d5454-zz9qk']);
		assert.match(document.unreadyPods[0].reason, /\S/);
		const codes = document.findings.map((finding: {code: string; message: string}) => finding.code);
		assert.ok(codes.includes('local-policy-nodes-without-endpoints'), codes.join(','));
		for (const finding of document.findings) {
			assert.match(finding.message, /\S/);
		}
	});

	test('an unknown Service: kubectl\'s NotFound line, non-zero', async () => {
		const result = await svctop(['describe', 'prod/nope', '--kubeconfig', kubeconfig]);
		assertOneLineError(result, /^Error from server \(NotFound\): services "nope" not found$/);
	});

	test('a malformed name or a second argument: a usage error (exit 2) before any request', async () => {
		for (const [args, pattern] of [[['a/b/c'], /^svctop: expected NAMESPACE\/NAME or NAME, got "a\/b\/c"$/], [['/x'], /^svctop: expected NAMESPACE\/NAME or NAME, got "\/x"$/], [['a', 'b'], /^svctop: describe takes one Service, got 2: a b/]] as const) {
			// A kubeconfig that does not exist: the error must come before svctop looks for a cluster.
			const result = await svctop(['describe', ...args, '--kubeconfig', '/nonexistent']);
			assertOneLineError(result, pattern);
			assert.equal(result.code, 2);
		}
	});
});

describe('errors: one clear line on stderr, no stack trace, non-zero exit', () => {
	test('no kubeconfig at all', async () => {
		const result = await svctop(['list'], {KUBECONFIG: '/nonexistent'});
		assertOneLineError(result, /kubeconfig/i);
	});

	test('no kubeconfig: HOME without ~/.kube/config and no KUBECONFIG', async () => {
		const result = await svctop(['list']);
		assertOneLineError(result, /kubeconfig/i);
	});

	test('an API server that does not answer (closed loopback port)', async () => {
		const port = await new Promise<number>((resolve, reject) => {
			const probe = createServer();
			probe.once('error', reject);
			probe.listen(0, '127.0.0.1', () => {
				const {port: free} = probe.address() as {port: number};
				probe.close(() => resolve(free));
			});
		});
		const dead = path.join(directory, 'dead-kubeconfig');
		writeFileSync(dead, readFileSync(kubeconfig, 'utf8').replace(server.url, `http://127.0.0.1:${port}`));
		assert.notEqual(readFileSync(dead, 'utf8'), readFileSync(kubeconfig, 'utf8'), 'the kubeconfig names the closed port');
		const result = await svctop(['list', '--kubeconfig', dead]);
		assertOneLineError(result, new RegExp(`127\\.0\\.0\\.1:${port}|refused|unreachable`, 'i'));
	});

	test('a bad flag', async () => {
		const result = await svctop(['list', '--no-such-flag', '--kubeconfig', kubeconfig]);
		assertOneLineError(result, /no-such-flag/);
	});

	test('an unknown command', async () => {
		const result = await svctop(['frobnicate', '--kubeconfig', kubeconfig]);
		assertOneLineError(result, /frobnicate/);
	});

	test('services forbidden by RBAC', async () => {
		server.setForbidden('services', true);
		try {
			const result = await svctop(['list', '-A', '--kubeconfig', kubeconfig]);
			assertOneLineError(result, /forbidden/);
		} finally {
			server.setForbidden('services', false);
		}
	});
});

describe('help, version, pipes, demo', () => {
	test('--help has Usage, Options and Examples', async () => {
		const result = await svctop(['--help']);
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /Usage/);
		assert.match(result.stdout, /^\s+(\w+ )?options$/im, 'an options heading');
		assert.match(result.stdout, /Examples/);
		assert.match(result.stdout, /svctop list/);
	});

	test('--version prints the package version, the commit built and the Node.js running it', async () => {
		const {version} = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {version: string};
		const result = await svctop(['--version']);
		assert.equal(result.code, 0, result.stderr);
		const escaped = version.replaceAll('.', String.raw`\.`);
		assert.match(result.stdout, new RegExp(String.raw`^svctop ${escaped} \(commit ([0-9a-f]{7,}|unknown), Node\.js ${process.version}\)\n$`));
	});

	test('svctop with stdout piped prints the table, not the dashboard', async () => {
		const [piped, list] = await Promise.all([svctop(['--kubeconfig', kubeconfig]), svctop(['list', '--kubeconfig', kubeconfig])]);
		assert.equal(piped.code, 0, piped.stderr);
		assert.doesNotMatch(piped.stdout, /\u001B\[/, 'no terminal escape sequences');
		assert.equal(piped.stdout, list.stdout);
		assert.ok(parseTable(piped.stdout).rows.length > 0);
	});

	test('a reader that goes away early (| head) ends svctop quietly, exit 0, no stack trace', async () => {
		const child = spawn(process.execPath, [bin, 'probe', '--demo', 'default/svc-clusterip', '--interval', '5ms', '--count', '2000'], {
			cwd: directory,
			env: {PATH: process.env.PATH, HOME: home, NO_COLOR: '1'},
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let stderr = '';
		child.stderr.setEncoding('utf8').on('data', chunk => {
			stderr += chunk;
		});
		// Like `head -1`: read the first chunk, then close our end of the pipe.
		await new Promise<void>(resolve => {
			child.stdout.once('data', () => {
				child.stdout.destroy();
				resolve();
			});
		});
		const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
		const code = await new Promise<number | null>(resolve => child.on('close', resolve));
		clearTimeout(timer);
		assert.equal(code, 0, stderr);
		assert.doesNotMatch(stderr, /^\s+at /m);
		assert.equal(stderr, '');
	});

	test('list against a server that never answers says within a few seconds what it waits for, not only after 40 s (qa9 F11)', async () => {
		const hanging = createServer(socket => socket.on('error', () => undefined));
		const port = await new Promise<number>(resolve => hanging.listen(0, '127.0.0.1', () => resolve((hanging.address() as {port: number}).port)));
		const config = path.join(directory, 'hanging-kubeconfig');
		writeFileSync(config, `apiVersion: v1\nkind: Config\nclusters:\n- name: h\n  cluster: {server: "http://127.0.0.1:${port}"}\ncontexts:\n- name: h\n  context: {cluster: h, user: u}\ncurrent-context: h\nusers:\n- name: u\n  user: {token: x}\n`);
		const child = spawn(process.execPath, [bin, 'list'], {cwd: directory, env: {PATH: process.env.PATH, HOME: home, KUBECONFIG: config}, stdio: ['ignore', 'ignore', 'pipe']});
		let stderr = '';
		child.stderr.setEncoding('utf8').on('data', chunk => {
			stderr += chunk;
		});
		try {
			for (let waited = 0; !stderr.includes('waiting') && waited < 5000; waited += 50) {
				// eslint-disable-next-line no-await-in-loop -- polling the child's output.
				await new Promise(resolve => setTimeout(resolve, 50));
			}

			assert.equal(stderr, 'svctop: waiting for the API server to answer (Ctrl-C quits)…\n');
		} finally {
			child.kill();
			hanging.close();
		}
	});

	test('the process is named svctop (ps, top and pgrep find it)', {skip: process.platform === 'linux' ? false : 'reads /proc (Linux only)'}, async () => {
		// nat --file - waits for its dump on stdin: the process is there to look at.
		const child = spawn(process.execPath, [bin, 'nat', '--file', '-'], {cwd: directory, env: {PATH: process.env.PATH, HOME: home, KUBECONFIG: '/nonexistent'}, stdio: ['pipe', 'ignore', 'ignore']});
		try {
			let name = '';
			for (let i = 0; i < 200 && name !== 'svctop'; i++) {
				// eslint-disable-next-line no-await-in-loop -- polling a process that is starting.
				await new Promise(resolve => setTimeout(resolve, 20));
				name = /^Name:\s*(.*)$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? '';
			}

			assert.equal(name, 'svctop');
			assert.match(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8'), /^svctop/);
		} finally {
			child.kill();
		}
	});

	test('nat --file - reads the dump from stdin (a lone - is not taken for an argument)', () => {
		const state = initialDemoState(Date.now());
		const dump = generateIptablesSave({services: state.services, endpointSlices: endpointSlicesFor(state), nodeName: 'myk8s-worker', nodeIPs: ['172.18.0.5']});
		// spawnSync is fine here: this command needs no API server (none is reachable with this kubeconfig).
		const result = spawnSync(process.execPath, [bin, 'nat', '--file', '-', '--service', 'default/svc-nodeport', '--json'], {
			input: dump,
			encoding: 'utf8',
			env: {PATH: process.env.PATH, HOME: home, KUBECONFIG: '/nonexistent'},
			timeout: 30_000,
		});
		assert.equal(result.status, 0, result.stderr);
		const document = JSON.parse(result.stdout) as {mode: string; services: Array<{service: string; endpoints: Array<{probability: number}>}>};
		assert.equal(document.mode, 'iptables');
		assert.deepEqual(document.services.map(flow => flow.service), ['default/svc-nodeport']);
		assert.equal(document.services[0]!.endpoints.length, 3);
	});

	test('nat: a bare --service NAME is in the context\'s namespace (or -n\'s); -n shows only that namespace', async () => {
		const flows = async (args: string[]) => {
			const result = await svctop(['nat', '--demo', '--json', ...args], {KUBECONFIG: '/nonexistent'});
			assert.equal(result.code, 0, result.stderr);
			return (JSON.parse(result.stdout) as {services: Array<{service: string}>}).services.map(flow => flow.service);
		};

		assert.deepEqual([...new Set(await flows(['--service', 'svc-sticky']))], ['default/svc-sticky']);
		assert.deepEqual([...new Set(await flows(['-n', 'kube-system', '--service', 'kube-dns:dns']))], ['kube-system/kube-dns']);
		const all = new Set((await flows([])).map(service => service.split('/')[0]));
		assert.ok(all.has('default') && all.has('kube-system'), `node-wide without -n: ${[...all].join(', ')}`);
		assert.deepEqual([...new Set((await flows(['-n', 'kube-system'])).map(service => service.split('/')[0]))], ['kube-system']);
	});

	test('nat --mode naming another format than the dump\'s says which it is', () => {
		const state = initialDemoState(Date.now());
		const dump = generateIptablesSave({services: state.services, endpointSlices: endpointSlicesFor(state), nodeName: 'myk8s-worker', nodeIPs: ['172.18.0.5']});
		const file = path.join(directory, 'iptables-save.txt');
		writeFileSync(file, dump);
		const result = spawnSync(process.execPath, [bin, 'nat', '--file', file, '--mode', 'nftables'], {encoding: 'utf8', env: {PATH: process.env.PATH, HOME: home, KUBECONFIG: '/nonexistent'}, timeout: 30_000});
		assertOneLineError({code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr}, /^svctop: --mode nftables, but .*iptables-save\.txt is iptables-save output, not nftables: drop --mode/);
	});

	test('svctop -o json in a terminal prints the list instead of starting the dashboard', async t => {
		if (spawnSync('script', ['--version']).status !== 0) {
			t.skip('no script(1) to give svctop a terminal');
			return;
		}

		const [tty, list] = await Promise.all([
			run('script', ['-qec', `${process.execPath} ${bin} -o json --kubeconfig ${kubeconfig}`, '/dev/null'], {}, 20_000),
			svctop(['list', '-o', 'json', '--kubeconfig', kubeconfig]),
		]);
		assert.equal(tty.code, 0, `exited by itself: ${tty.stdout.slice(0, 300)}`);
		assert.equal(tty.stdout.replaceAll('\r\n', '\n'), list.stdout);
	});

	test('svctop in a terminal with stdin not a terminal (< /dev/null) prints the list: no key could ever reach a dashboard', async t => {
		if (spawnSync('script', ['--version']).status !== 0) {
			t.skip('no script(1) to give svctop a terminal');
			return;
		}

		const [tty, list] = await Promise.all([
			run('script', ['-qec', `${process.execPath} ${bin} --kubeconfig ${kubeconfig} < /dev/null`, '/dev/null'], {}, 20_000),
			svctop(['list', '--kubeconfig', kubeconfig]),
		]);
		assert.equal(tty.code, 0, `exited by itself: ${tty.stdout.slice(0, 300)}`);
		assert.equal(tty.stdout.replaceAll('\r\n', '\n'), list.stdout);
	});

	test('list --demo --json needs no cluster', async () => {
		const result = await svctop(['list', '--demo', '--json'], {KUBECONFIG: '/nonexistent'});
		assert.equal(result.code, 0, result.stderr);
		const document = JSON.parse(result.stdout) as {context: string; services: Array<{namespace: string; name: string; type: string}>};
		assert.equal(document.context, 'kind-myk8s');
		const names = new Set(document.services.map(entry => `${entry.namespace}/${entry.name}`));
		for (const name of ['default/svc-nodeport', 'default/my-database']) {
			assert.ok(names.has(name), `the demo lists ${name}`);
		}

		assert.deepEqual([...new Set(document.services.map(entry => entry.namespace))], ['default'], 'the context\'s namespace only');

		assert.ok(document.services.some(entry => entry.type === 'ExternalName'));
	});
});
