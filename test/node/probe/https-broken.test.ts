import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import {probeHttp} from '../../../source/node/probe/probe-once.js';

/** A throw-away self-signed certificate, made by the machine's openssl (none in the repository). */
function certificate(): {key: Buffer; cert: Buffer} | string {
	const dir = mkdtempSync(path.join(os.tmpdir(), `svctop-tls-${process.pid}-`));
	try {
		const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-subj', '/CN=localhost', '-days', '1'], {encoding: 'utf8'});
		if (made.status !== 0) {
			return `openssl could not make a certificate: ${(made.stderr || String(made.error)).trim().split('\n')[0]}`;
		}

		return {key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem'))};
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
}

const made = certificate();
const skip = typeof made === 'string' ? `skipped: ${made}` : false;

describe('https: a reply cut mid-body is a failure, still attributed by what arrived', {skip}, () => {
	let server: net.Server;
	let port: number;
	let ending: 'end' | 'reset' = 'end';
	before(async () => {
		const {key, cert} = made as {key: Buffer; cert: Buffer};
		// TLS over a plain TCP socket of our own, so the reset is a real RST on the wire.
		server = net.createServer(raw => {
			raw.on('error', () => undefined);
			const socket = new tls.TLSSocket(raw, {isServer: true, key, cert});
			socket.on('error', () => undefined);
			socket.once('data', () => {
				socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npod-h');
				setTimeout(() => (ending === 'reset' ? raw.resetAndDestroy() : socket.end()), 20);
			});
		});
		port = await new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as {port: number}).port)));
	});
	after(async () => new Promise(resolve => server.close(resolve)));

	for (const [how, reason] of [['end', 'truncated body'], ['reset', 'reset after headers']] as const) {
		test(`the server ${how === 'end' ? 'closes' : 'resets'} after 5 of 100 bytes: ${reason}`, async () => {
			ending = how;
			const result = await probeHttp({host: '127.0.0.1', port, path: '/', timeoutMs: 2000, scheme: 'https'});
			assert.equal(result.ok, false);
			assert.equal(result.error, reason);
			assert.match(result.responseText ?? '', /pod-h/);
		});
	}
});
