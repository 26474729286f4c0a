import {Buffer} from 'node:buffer';
import {closeSync, openSync, readFileSync, readSync} from 'node:fs';
import {refuseCutShort, DumpFrame} from '../../core/nat/cut-short.js';
import {NatDumpDecoder} from '../../core/nat/decode.js';
import {type DumpLimits, dumpChecker} from '../../core/nat/dump-limits.js';
import {missingKubeProxyRules} from '../../core/nat/no-rules.js';
import type {NatFlowTable, NatMode} from '../../core/nat/types.js';
import {cannotRead} from './read-dump.js';

/** A regular file to decode as it is read. */
export type NatFileRequest = {readonly file: string; readonly size: number; readonly limits: DumpLimits; readonly mode: NatMode | undefined; readonly source: string};

/** A decoded dump (`missing`: why it holds no kube-proxy rules), or the one line saying why it was not decoded. */
export type DecodedDump = {readonly table: NatFlowTable; readonly missing: string | null} | {readonly error: string};

/** How much of the file one read takes. */
const readPartBytes = 1 << 20;

/**
 * Decodes a dump file part by part as it is read, so the file is never held whole (a 17 MB dump
 * otherwise costs 17 MB more peak memory than its decode): each part is checked against the limits,
 * watched for a cut-short frame and passed to the decoder. A dump cut short is refused once read.
 * Synchronous: it runs in the decode worker, or in a one-shot `svctop nat`.
 */
export function decodeNatFile(request: NatFileRequest, onProgress?: (done: number, total: number) => void): DecodedDump {
	const check = dumpChecker(request.source, request.limits);
	const frame = new DumpFrame();
	const decoder = new NatDumpDecoder(request.mode);
	let fd: number | undefined;
	try {
		fd = openSync(request.file, 'r');
		for (let done = 0; ;) {
			// A new part each time: the decoders keep views of a part's unfinished last line.
			const part = Buffer.allocUnsafe(readPartBytes);
			const length = readSync(fd, part, 0, part.length, null);
			if (length === 0) {
				break;
			}

			const bytes = part.subarray(0, length);
			const error = check(bytes);
			if (error) {
				return {error};
			}

			frame.write(bytes);
			decoder.write(bytes);
			done += length;
			onProgress?.(done, Math.max(done, request.size));
		}
	} catch (error) {
		return {error: cannotRead(request.file, error)};
	} finally {
		if (fd !== undefined) {
			closeSync(fd);
		}
	}

	const cutShort = refuseCutShort(frame, request.source);
	if (cutShort) {
		return {error: cutShort};
	}

	const table = decoder.end();
	// Only a dump without Service rules is read again, whole, to say what it holds instead.
	return {table, missing: table.services.length > 0 ? null : missingKubeProxyRules(readFileSync(request.file), table, request.source)};
}
