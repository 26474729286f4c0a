import {createSocket} from 'node:dgram';
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {type DnsClient, resolveName} from '../../source/node/resolve-name.js';

function dnsError(code: string, syscall: string, hostname: string): Error {
	return Object.assign(new Error(`${syscall} ${code} ${hostname}`), {code, syscall, hostname});
}

/** A fake resolver from a zone: CNAME, A and AAAA records, plus hosts-file entries for lookup. */
function zone(records: {cname?: Record<string, string>; a?: Record<string, string[]>; aaaa?: Record<string, string[]>; hosts?: Record<string, string[]>; fail?: string}): DnsClient {
	return {
		async resolveCname(name) {
			if (records.fail) {
				throw dnsError(records.fail, 'queryCname', name);
			}

			const target = records.cname?.[name];
			if (!target) {
				throw dnsError(records.a?.[name] || records.aaaa?.[name] ? 'ENODATA' : 'ENOTFOUND', 'queryCname', name);
			}

			return [target];
		},
		async resolve4(name) {
			const found = records.a?.[name];
			if (!found) {
				throw dnsError('ENOTFOUND', 'queryA', name);
			}

			return found;
		},
		async resolve6(name) {
			const found = records.aaaa?.[name];
			if (!found) {
				throw dnsError('ENODATA', 'queryAaaa', name);
			}

			return found;
		},
		async lookup(name) {
			const found = records.hosts?.[name];
			if (!found) {
				throw dnsError('ENOTFOUND', 'getaddrinfo', name);
			}

			return found.map(address => ({address}));
		},
	};
}

describe('resolveName', () => {
	test('follows a CNAME chain to the final addresses', async () => {
		const dns = zone({cname: {'my.database.example.com': 'db.eu.example.net', 'db.eu.example.net': 'db-1.eu.example.net'}, a: {'db-1.eu.example.net': ['192.0.2.10']}, aaaa: {'db-1.eu.example.net': ['2001:db8::10']}});
		assert.deepEqual(await resolveName('my.database.example.com', {dns}), {name: 'my.database.example.com', chain: ['db.eu.example.net', 'db-1.eu.example.net'], addresses: ['192.0.2.10', '2001:db8::10']});
	});

	test('a name without CNAME resolves directly; a trailing dot is ignored', async () => {
		const dns = zone({a: {'api.example.com': ['198.51.100.3']}});
		assert.deepEqual(await resolveName('api.example.com.', {dns}), {name: 'api.example.com.', chain: [], addresses: ['198.51.100.3']});
	});

	test('NXDOMAIN: the resolver error as one line', async () => {
		assert.deepEqual(await resolveName('nope.example.com', {dns: zone({})}), {name: 'nope.example.com', chain: [], addresses: [], error: 'queryA ENOTFOUND nope.example.com'});
	});

	test('a dangling CNAME keeps the chain', async () => {
		const result = await resolveName('old.example.com', {dns: zone({cname: {'old.example.com': 'gone.example.net'}})});
		assert.deepEqual(result.chain, ['gone.example.net']);
		assert.equal(result.error, 'queryA ENOTFOUND gone.example.net');
	});

	test('a server failure is reported as such', async () => {
		const result = await resolveName('x.example.com', {dns: zone({fail: 'ESERVFAIL'})});
		assert.equal(result.error, 'queryCname ESERVFAIL x.example.com');
	});

	test('names only the hosts file knows', async () => {
		assert.deepEqual(await resolveName('db.internal', {dns: zone({hosts: {'db.internal': ['10.1.2.3']}})}), {name: 'db.internal', chain: [], addresses: ['10.1.2.3']});
	});

	test('a CNAME loop stops', async () => {
		const result = await resolveName('a.example', {dns: zone({cname: {'a.example': 'b.example', 'b.example': 'a.example'}})});
		assert.deepEqual(result.chain, ['b.example']);
		assert.ok(result.error);
	});

	test('an IP address as the target', async () => {
		assert.deepEqual(await resolveName('192.0.2.55', {dns: zone({})}), {name: '192.0.2.55', chain: [], addresses: ['192.0.2.55']});
	});

	test('times out instead of hanging', async () => {
		const hanging: DnsClient = {resolveCname: async () => new Promise(() => {}), resolve4: async () => [], resolve6: async () => [], lookup: async () => []};
		const started = Date.now();
		const result = await resolveName('slow.example.com', {dns: hanging, timeoutMs: 50});
		assert.equal(result.error, 'timed out after 50 ms');
		assert.ok(Date.now() - started < 1000);
	});

	test('the real resolver against a loopback server that never answers: a timeout, not a hang', async () => {
		// Only loopback traffic is allowed here, so the silent "DNS server" is a UDP socket of our own.
		const socket = createSocket('udp4');
		await new Promise<void>(resolve => {
			socket.bind(0, '127.0.0.1', resolve);
		});
		try {
			const {port} = socket.address();
			const started = Date.now();
			const result = await resolveName('db.example.invalid', {servers: [`127.0.0.1:${port}`], timeoutMs: 400});
			assert.deepEqual(result.addresses, []);
			assert.match(result.error ?? '', /ETIMEOUT|timed out/);
			assert.ok(Date.now() - started < 2000);
		} finally {
			socket.close();
		}
	});
});
