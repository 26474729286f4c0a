import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import {startApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import {ensureBuilt, svctopBin} from '../helpers/built-cli.js';

/*
 * `:ctx` to a server that never answers, in a real terminal (tmux, 80x24): the dashboard says it is
 * switching and stays whole. The command-line wait notice went to stderr under the running
 * dashboard, scrolled it up a row and tore the header (qa10 F1).
 */

const tmux = (...args: string[]) => spawnSync('tmux', args, {encoding: 'utf8'});
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

test(':ctx to a server that never answers: "switching to context", the screen stays whole, nothing written under it', {skip: hasTmux ? false : 'tmux is not installed here'}, async () => {
	ensureBuilt();
	const server = await startApiServer({objects: [{apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'default'}}]});
	const hanging = createServer(socket => socket.on('error', () => undefined));
	const port = await new Promise<number>(resolve => hanging.listen(0, '127.0.0.1', () => resolve((hanging.address() as {port: number}).port)));
	const directory = mkdtempSync(path.join(os.tmpdir(), 'svctop-ctx-'));
	const kubeconfig = path.join(directory, 'kubeconfig');
	const cluster = (name: string, url: string) => `- name: ${name}\n  cluster: {server: "${url}"}\n`;
	const context = (name: string) => `- name: ${name}\n  context: {cluster: ${name}, user: u, namespace: default}\n`;
	writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n${cluster('good', server.url)}${cluster('hang', `http://127.0.0.1:${port}`)}contexts:\n${context('good')}${context('hang')}current-context: good\nusers:\n- name: u\n  user: {token: x}\n`);
	const session = `svctop-ctx-${process.pid}`;
	const started = tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', `${process.execPath} ${svctopBin} --kubeconfig ${kubeconfig}`);
	assert.equal(started.status, 0, started.stderr);
	try {
		const screen = () => tmux('capture-pane', '-p', '-t', session).stdout.split('\n');
		for (let waited = 0; !screen()[0]!.startsWith('svctop  context good') && waited < 15_000; waited += 200) {
			// eslint-disable-next-line no-await-in-loop
			await delay(200);
		}

		assert.match(screen()[0]!, /^svctop {2}context good/, screen().join('\n'));
		tmux('send-keys', '-t', session, ':ctx hang', 'Enter');
		// Past the second after which the command line says it is waiting.
		await delay(2500);
		const lines = screen();
		const text = lines.join('\n');
		assert.match(lines[0]!, /^svctop {2}context good/, `the header stays:\n${text}`);
		assert.match(lines[1]!, /^services /, `the state line stays:\n${text}`);
		assert.doesNotMatch(text, /waiting for the API server/, `nothing written under the dashboard:\n${text}`);
		assert.match(text, /switching to context hang/, `the switch is shown:\n${text}`);
	} finally {
		tmux('kill-session', '-t', session);
		hanging.close();
		await server.close();
		rmSync(directory, {recursive: true, force: true});
	}
});
