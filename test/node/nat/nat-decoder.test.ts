import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {Worker} from 'node:worker_threads';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
import {generateIptablesSave} from '../../../source/builtin-cluster/generate/iptables.js';
import {NatDecoder} from '../../../source/node/nat/nat-decoder.js';
import {nodePortCluster} from '../../fixtures/nat/plain-services.js';

// Large enough for several 1 MiB parts, so the worker reports progress on the way.
const large = new TextEncoder().encode(generateIptablesSave({...nodePortCluster(1500, 5), nodeName: 'node-0', nodeIPs: ['10.0.0.1']}, {form: 'save'}));
const small = generateIptablesSave({...nodePortCluster(3, 2), nodeName: 'node-0', nodeIPs: ['10.0.0.1']}, {form: 'save'});

describe('NatDecoder (the dashboard\'s decode off the UI thread)', () => {
	test('decodes in a worker thread to the same table as in this thread, reporting progress', async () => {
		assert.ok(large.length > 2 * 1024 * 1024, `dump of ${large.length} bytes`);
		const decoder = new NatDecoder(0);
		const progress: Array<[number, number]> = [];
		try {
			const result = await decoder.decode({text: large, mode: undefined, source: 'test'}, (done, total) => progress.push([done, total]));
			assert.ok(result !== 'superseded' && 'table' in result);
			assert.deepEqual(result.table, decodeNatDump(large));
			assert.equal(result.missing, null);
			assert.ok(progress.length >= 2, `${progress.length} progress reports`);
			assert.deepEqual(progress.at(-1), [large.length, large.length]);
		} finally {
			decoder.close();
		}
	});

	test('a newer request supersedes an older one still decoding', async () => {
		const decoder = new NatDecoder(0);
		try {
			const older = decoder.decode({text: large, mode: undefined, source: 'older'});
			const newer = decoder.decode({text: small, mode: undefined, source: 'newer'});
			assert.equal(await older, 'superseded');
			const result = await newer;
			assert.ok(result !== 'superseded' && 'table' in result);
			assert.deepEqual(result.table, decodeNatDump(small));
		} finally {
			decoder.close();
		}
	});

	test('a dump without kube-proxy rules comes back as the one line saying so', async () => {
		const decoder = new NatDecoder(0);
		try {
			const result = await decoder.decode({text: '*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n', mode: undefined, source: 'iptables-save'});
			assert.ok(result !== 'superseded' && 'table' in result);
			assert.match(result.missing ?? '', /iptables-save/);
		} finally {
			decoder.close();
		}
	});
});

const bundledWorker = fileURLToPath(new URL('../../../build/bundle/decode-worker.js', import.meta.url));

test('the bundle has the worker as its own entry point, and it decodes', {skip: existsSync(bundledWorker) ? false : 'no build/bundle (run npm run build)'}, async () => {
	const worker = new Worker(bundledWorker);
	try {
		const reply = await new Promise<{kind: string; table: {services: unknown[]}}>((resolve, reject) => {
			worker.on('message', (message: {kind: string; table: {services: unknown[]}}) => {
				if (message.kind === 'done') {
					resolve(message);
				}
			});
			worker.on('error', reject);
			worker.postMessage({id: 1, text: small, mode: undefined, source: 'test'});
		});
		assert.deepEqual(reply.table, decodeNatDump(small));
	} finally {
		await worker.terminate();
	}
});
