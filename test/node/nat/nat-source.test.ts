import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {describe, test} from 'node:test';
import {generateIptablesSave} from '../../../source/builtin-cluster/generate/iptables.js';
import {NatSource} from '../../../source/node/nat/nat-source.js';
import type {NatDump} from '../../../source/node/nat/read-dump.js';
import type {ClusterSnapshot} from '../../../source/kube/types.js';
import {nodePortCluster} from '../../fixtures/nat/plain-services.js';

const dumpOf = (services: number) => generateIptablesSave({...nodePortCluster(services, 2), nodeName: 'node-0', nodeIPs: ['10.0.0.1']}, {form: 'save'});

/** A loader whose reads wait until the test lets each one finish. */
function gatedLoader(dump: NatDump) {
	const waiting: Array<() => void> = [];
	let calls = 0;
	return {
		load: async (): Promise<NatDump> => {
			calls++;
			await new Promise<void>(resolve => {
				waiting.push(resolve);
			});
			return dump;
		},
		release() {
			for (const resolve of waiting.splice(0)) {
				resolve();
			}
		},
		get calls() {
			return calls;
		},
	};
}

describe('NatSource (the NAT view\'s and svctop nat\'s store)', () => {
	test('snapshots: the same frozen object until the version moves, a new one per version', async () => {
		const nat = new NatSource({load: async () => ({ok: true, text: dumpOf(3), mode: undefined, source: 'test'}), clock: () => 42});
		try {
			const first = nat.snapshot();
			assert.equal(nat.snapshot(), first);
			assert.ok(Object.isFrozen(first));
			assert.equal(first.table, undefined);
			let told = 0;
			const unsubscribe = nat.subscribe(() => told++);
			const read = await nat.reload();
			unsubscribe();
			assert.ok(told >= 2, `${told} notifications (loading, then read)`);
			assert.notEqual(read, first);
			assert.ok(read.version > first.version);
			assert.equal(nat.snapshot(), read);
			assert.equal(read.loading, false);
			assert.equal(read.loadedAt, 42);
			assert.equal(read.origin, 'test');
			assert.equal(read.table?.services.length, 3);
		} finally {
			nat.close();
		}
	});

	test('a reload while one runs is dropped: one read, both callers get its result', async () => {
		const gated = gatedLoader({ok: true, text: dumpOf(2), mode: undefined, source: 'gated'});
		const nat = new NatSource({load: gated.load});
		try {
			const first = nat.reload();
			const second = nat.reload();
			await new Promise(resolve => setImmediate(resolve));
			assert.equal(nat.snapshot().loading, true);
			gated.release();
			const [a, b] = await Promise.all([first, second]);
			assert.equal(gated.calls, 1);
			assert.equal(a, b);
			assert.equal(a.table?.services.length, 2);
			// Once it finished, the next reload reads again.
			const third = nat.reload();
			await new Promise(resolve => setImmediate(resolve));
			gated.release();
			await third;
			assert.equal(gated.calls, 2);
		} finally {
			nat.close();
		}
	});

	test('a new vantage supersedes the running read: the older result never shows', async () => {
		const local = gatedLoader({ok: true, text: dumpOf(4), mode: undefined, source: 'iptables-save'});
		const nat = new NatSource({load: local.load, loaders: {loaderFor: node => async () => ({ok: true, text: dumpOf(1), mode: undefined, source: `node ${node}`})}});
		try {
			const older = nat.reload();
			const newer = await nat.setVantage('worker');
			assert.equal(newer.vantage, 'worker');
			assert.equal(newer.origin, 'node worker');
			assert.equal(newer.table?.services.length, 1);
			// The local read finishes late: it is ignored.
			local.release();
			await older;
			assert.equal(nat.snapshot().origin, 'node worker');
			assert.equal(nat.snapshot().table?.services.length, 1);
		} finally {
			nat.close();
		}
	});

	test('failures are one line with the table gone, never an empty table', async () => {
		const nat = new NatSource({load: async () => ({ok: true, text: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', mode: undefined, source: 'iptables-save', tried: ['iptables-save']})});
		try {
			const read = await nat.reload();
			assert.equal(read.table, undefined);
			assert.match(read.error ?? '', /no kube-proxy|KUBE-SERVICES|rules/i);
			assert.match(read.error ?? '', /\(also tried iptables-save\)$/);
			const thrown = new NatSource({load: async () => {
				throw new Error('first line\nsecond line');
			}});
			assert.equal((await thrown.reload()).error, 'first line');
			thrown.close();
		} finally {
			nat.close();
		}
	});
	test('progress says reading while bytes go in, and decoding (no percent) once all are in', async () => {
		// Over 1 MiB as bytes: the reader takes it in parts and reports after each.
		const bytes = new TextEncoder().encode(generateIptablesSave({...nodePortCluster(1500, 5), nodeName: 'node-0', nodeIPs: ['10.0.0.1']}, {form: 'save'}));
		assert.ok(bytes.length > 2 * 1024 * 1024);
		const nat = new NatSource({load: async () => ({ok: true, text: bytes, mode: undefined, source: 'big'}), inlineBytes: Number.POSITIVE_INFINITY});
		const seen: string[] = [];
		const unsubscribe = nat.subscribe(() => {
			const {progress} = nat.snapshot();
			if (progress !== undefined && seen.at(-1) !== progress) {
				seen.push(progress);
			}
		});
		try {
			const read = await nat.reload();
			assert.equal(read.progress, undefined);
			assert.ok(read.table && read.table.services.length > 0);
			const size = (bytes.length / 1024 / 1024).toFixed(1);
			assert.ok(seen.length >= 3, seen.join(' | '));
			for (const line of seen.slice(0, -1)) {
				assert.match(line, new RegExp(`^reading \\d+% of ${size} MB$`));
				assert.doesNotMatch(line, /100%/);
			}

			assert.equal(seen.at(-1), `decoding ${size} MB…`);
		} finally {
			unsubscribe();
			nat.close();
		}
	});
	test('keeps the cluster snapshot of the moment the dump was read with its table', async () => {
		const gate = gatedLoader({ok: true, text: dumpOf(3), mode: undefined, source: 'test'});
		let version = 1;
		const cluster = () => ({version} as unknown as ClusterSnapshot);
		const nat = new NatSource({load: gate.load, cluster});
		try {
			const reading = nat.reload();
			version = 2; // The API moves while the dump is being taken.
			await Promise.resolve();
			gate.release();
			const read = await reading;
			version = 3; // and after.
			assert.equal(read.cluster?.version, 2);
			assert.equal(nat.snapshot().cluster?.version, 2);
			const failing = new NatSource({load: async () => ({ok: false, error: 'no'}), cluster});
			assert.equal((await failing.reload()).cluster, undefined, 'no table, no snapshot to check it against');
			failing.close();
		} finally {
			nat.close();
		}
	});

	test('dumps with CRLF line endings (kubectl exec -t) decode exactly as the LF ones, iptables and nft', async () => {
		for (const name of ['iptables-1.28-save.txt', 'iptables-1.28-save-nat.txt', 'nft-list-table.txt', 'nft-list-ruleset.txt']) {
			const text = readFileSync(new URL(`../../fixtures/nat/kernel/${name}`, import.meta.url));
			const crlf = Buffer.from(text.toString('utf8').replaceAll('\n', '\r\n'));
			const read = async (bytes: Uint8Array) => {
				const nat = new NatSource({load: async () => ({ok: true, text: bytes, mode: undefined, source: name}), inlineBytes: Number.POSITIVE_INFINITY});
				try {
					return await nat.reload();
				} finally {
					nat.close();
				}
			};

			const [lf, cr] = [await read(text), await read(crlf)];
			assert.equal(cr.error, undefined, name);
			assert.ok(lf.table && lf.table.services.length > 0, name);
			assert.deepEqual(cr.table, lf.table, name);
		}
	});

});
