/*
 * The worker thread that decodes rule dumps for the dashboard, so a large dump never blocks keys
 * and redraws. Its own entry point (in the bundle too): one request at a time from NatDecoder.
 */
import {parentPort} from 'node:worker_threads';
import {type DecodeReply, type DecodeRequest, decodeInput} from './nat-decoder.js';

parentPort?.on('message', ({id, ...input}: DecodeRequest) => {
	const post = (reply: DecodeReply) => parentPort!.postMessage(reply);
	const result = decodeInput(input, (done, total) => {
		post({kind: 'progress', id, done, total});
	});
	post({kind: 'done', id, ...result});
});
