/*
 * Compiles iptables-templates.as.ts to WebAssembly and writes the bytes, base64, into
 * iptables-templates.wasm.ts (not in git) so the decoder loads them without touching the disk.
 * `npm run build` and `npm run typecheck` run this first.
 */
import {writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import asc from 'assemblyscript/asc';

const here = fileURLToPath(new URL('.', import.meta.url));
let wasm;
const {error, stderr} = await asc.main([
	'iptables-templates.as.ts',
	'--baseDir', here,
	'--outFile', 'iptables-templates.wasm',
	'--optimizeLevel', '3',
	// Small code over inlined code: V8 has it optimized sooner, and a one-shot decode runs it once.
	'--shrinkLevel', '2',
	'--runtime', 'stub',
	'--importMemory',
	'--noAssert',
	'--enable', 'simd',
	'--enable', 'bulk-memory',
	'--noExportMemory',
	// WASM_DEBUG=1 keeps the function names, for a profile (node --cpu-prof).
	...(process.env.WASM_DEBUG ? ['--debug'] : []),
], {
	writeFile(name, contents) {
		if (name.endsWith('.wasm')) {
			wasm = contents;
		}
	},
});

if (error || !wasm) {
	process.stderr.write(`${stderr.toString()}\nbuild.mjs: ${error?.message ?? 'no WebAssembly written'}\n`);
	process.exit(1);
}

writeFileSync(new URL('iptables-templates.wasm.ts', import.meta.url), [
	'// Written by build.mjs from iptables-templates.as.ts; do not edit.',
	`export const iptablesTemplatesWasm = '${Buffer.from(wasm).toString('base64')}';`,
	'',
].join('\n'));
