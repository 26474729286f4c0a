import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {Worker} from 'node:worker_threads';
import {refuseCutShort} from '../../core/nat/cut-short.js';
import {decodeNatDump} from '../../core/nat/decode.js';
import {missingKubeProxyRules} from '../../core/nat/no-rules.js';
import type {NatMode} from '../../core/nat/types.js';
import {type DecodedDump, decodeNatFile, type NatFileRequest} from './dump-file.js';

/** A dump in hand, or a file to decode as it is read. */
export type DecodeInput = {readonly text: string | Uint8Array; readonly mode: NatMode | undefined; readonly source: string} | NatFileRequest;

export type DecodeRequest = DecodeInput & {readonly id: number};

export type DecodeReply =
	| {readonly kind: 'progress'; readonly id: number; readonly done: number; readonly total: number}
	| ({readonly kind: 'done'; readonly id: number} & DecodedDump);

/** A decoded dump, why it was not decoded, or `superseded` when a newer request replaced it before it finished. */
export type DecodeResult = DecodedDump | 'superseded';

/**
 * Decodes in this thread: a dump in hand whole, a file as it is read. A dump cut short is refused
 * (a partial dump decodes into a table that looks whole and is wrong).
 */
export function decodeInput(input: DecodeInput, onProgress?: (done: number, total: number) => void): DecodedDump {
	if ('file' in input) {
		return decodeNatFile(input, onProgress);
	}

	const cutShort = refuseCutShort(input.text, input.source);
	if (cutShort) {
		return {error: cutShort};
	}

	const table = decodeNatDump(input.text, input.mode, onProgress);
	return {table, missing: missingKubeProxyRules(input.text, table, input.source)};
}

/** The worker's script, bundled in by the single-executable build, which has no files beside it. */
declare const SVCTOP_DECODE_WORKER_SOURCE: string | undefined;

type WorkerScript = {readonly file: string} | {readonly source: string};

/** The bundled worker script inside the single executable, else the worker's file (see `workerFile`). */
function workerScript(): WorkerScript | undefined {
	if (typeof SVCTOP_DECODE_WORKER_SOURCE === 'string') {
		return {source: SVCTOP_DECODE_WORKER_SOURCE};
	}

	const file = workerFile();
	return file === undefined ? undefined : {file};
}

/**
 * The worker's file: next to this module when built by tsc, at the bundle's root when this code
 * sits in a bundle chunk, or the TypeScript source under tsx. Undefined when none exists.
 */
function workerFile(): string | undefined {
	for (const candidate of ['./decode-worker.js', '../decode-worker.js', './decode-worker.ts']) {
		const file = fileURLToPath(new URL(candidate, import.meta.url));
		if (existsSync(file)) {
			return file;
		}
	}

	return undefined;
}

/** Below this size a dump decodes in a few ms: quicker in this thread than handing it to a worker. */
export const inlineDecodeBytes = 256 * 1024;

/**
 * Decodes dumps in a worker thread, one at a time: a newer request ends the worker running an
 * older one (its caller gets `superseded`) and starts afresh. Small dumps, and every dump when no
 * worker script exists (an unusual install), decode in this thread.
 */
export class NatDecoder {
	private worker: Worker | undefined;
	private nextId = 0;
	/** `inlineBytes`: dumps shorter than this decode in this thread (tests pass 0 to force the worker). */
	constructor(private readonly inlineBytes = inlineDecodeBytes) {}

	private pending: {id: number; settle: (result: DecodeResult) => void; fail: (error: Error) => void; onProgress?: (done: number, total: number) => void} | undefined;

	async decode(dump: DecodeInput, onProgress?: (done: number, total: number) => void): Promise<DecodeResult> {
		if (this.pending) {
			this.pending.settle('superseded');
			this.pending = undefined;
			void this.worker?.terminate();
			this.worker = undefined;
		}

		const script = ('file' in dump ? dump.size : dump.text.length) < this.inlineBytes ? undefined : workerScript();
		if (!script) {
			return decodeInput(dump, onProgress);
		}

		const id = ++this.nextId;
		const worker = this.startWorker(script);
		return new Promise<DecodeResult>((resolve, reject) => {
			this.pending = {id, settle: resolve, fail: reject, onProgress};
			worker.postMessage({...dump, id} satisfies DecodeRequest);
		});
	}

	/** Ends the worker (the view is gone); a decode in flight settles as superseded. */
	close(): void {
		this.pending?.settle('superseded');
		this.pending = undefined;
		void this.worker?.terminate();
		this.worker = undefined;
	}

	private startWorker(script: WorkerScript): Worker {
		if (this.worker) {
			return this.worker;
		}

		const worker = 'source' in script ? new Worker(script.source, {eval: true}) : new Worker(script.file);
		// An idle worker does not keep the process alive.
		worker.unref();
		worker.on('message', (reply: DecodeReply) => {
			const pending = this.pending;
			if (pending?.id !== reply.id) {
				return;
			}

			if (reply.kind === 'progress') {
				pending.onProgress?.(reply.done, reply.total);
				return;
			}

			this.pending = undefined;
			const {kind, id, ...result} = reply;
			pending.settle(result);
		});
		const fail = (error: Error) => {
			if (this.worker !== worker) {
				return;
			}

			this.pending?.fail(error);
			this.pending = undefined;
			this.worker = undefined;
		};

		worker.on('error', fail);
		worker.on('exit', code => {
			fail(new Error(`the NAT decoder stopped (exit code ${code})`));
		});
		this.worker = worker;
		return worker;
	}
}
