/*
 * The worker thread that decodes rule dumps for the dashboard, so a large dump never blocks keys
 * and redraws. Its own entry point (in the bundle too): one request at a time from NatDecoder.
 */
import {parentPort} from 'node:worker_threads';
import {decodeNatDump} from '../../core/nat/decode.js';
import {missingKubeProxyRules} from '../../core/nat/no-rules.js';
import type {DecodeReply, DecodeRequest} from './nat-decoder.js';

parentPort?.on('message', (request: DecodeRequest) => {
	const post = (reply: DecodeReply) => parentPort!.postMessage(reply);
	const table = decodeNatDump(request.text, request.mode, (done, total) => {
		post({kind: 'progress', id: request.id, done, total});
	});
	post({kind: 'done', id: request.id, table, missing: missingKubeProxyRules(request.text, table, request.source)});
});
