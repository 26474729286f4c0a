/*
 * Bundles the compiled CLI (build/source, from tsc) with esbuild, twice:
 * - build/bundle/: what bin/svctop.js and the npm package run; code-split, so `--version` and `list`
 *   never parse the dashboard, the NAT view or the demo cluster.
 * - build/sea/svctop.mjs (with --sea): one script for a single executable application, which can load
 *   nothing from the file system, so every dynamic import is inlined.
 * Both carry the build's version and commit (source/version.ts reads them).
 */
import {execFileSync} from 'node:child_process';
import {readFileSync, rmSync} from 'node:fs';
import {builtinModules} from 'node:module';
import process from 'node:process';
import {fileURLToPath} from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

function gitCommit() {
	try {
		return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim() || 'unknown';
	} catch {
		// Built from a tarball or an export: no git, or not a repository.
		return 'unknown';
	}
}

const buildInfo = {
	name: packageJson.name,
	version: packageJson.version,
	description: packageJson.description,
	commit: gitCommit(),
};

/**
 * meow's bundled dependencies do work at import time that svctop, which answers --help and --version
 * itself and passes meow its package.json, never uses: they set up normalize-package-data
 * (spdx-correct sorting its tables, ~25 ms of every command's start-up), and a leftover
 * `promisify(execFile)` loads child_process (and net). The first becomes lazy, the second goes. If a
 * meow upgrade changes either line, the build stops rather than silently paying for them again.
 */
const meowAtFirstUse = {
	name: 'meow-at-first-use',
	setup(build) {
		const edits = [
			['var normalizeExports = requireNormalize();\nconst normalizePackageData = getDefaultExportFromCjs(normalizeExports);', 'const normalizePackageData = (...args) => getDefaultExportFromCjs(requireNormalize())(...args);'],
			['\npromisify(execFile);\n', '\n'],
		];
		build.onLoad({filter: /[\\/]meow[\\/]build[\\/]dependencies\.js$/}, args => {
			let source = readFileSync(args.path, 'utf8');
			for (const [eager, lazy] of edits) {
				if (source.split(eager).length !== 2) {
					throw new Error(`${args.path}: ${JSON.stringify(eager)} is not there (once) any more; update meowAtFirstUse in packaging/bundle.mjs`);
				}

				source = source.replace(eager, lazy);
			}

			return {contents: source, loader: 'js'};
		});
	},
};

const common = {
	absWorkingDir: root,
	entryPoints: {cli: 'build/source/cli.js', 'decode-worker': 'build/source/node/nat/decode-worker.js'},
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node22',
	define: {SVCTOP_BUILD_INFO: JSON.stringify(buildInfo)},
	// CommonJS dependencies call require(); an ES module has none, so give it one.
	banner: {js: 'import {createRequire as __svctopRequire} from \'node:module\'; const require = __svctopRequire(import.meta.url);'},
	logLevel: 'warning',
	plugins: [meowAtFirstUse],
};

/**
 * Inside a single executable, require() and import() reach only Node's built-in modules. Ink's React
 * DevTools hook (only with DEV=true and react-devtools-core installed) becomes an empty module and the
 * optional helpers of ws and debug (each required in a try/catch) missing ones, so nothing is ever
 * looked up on the file system next to the executable.
 */
const absentOptionalModules = {
	name: 'absent-optional-modules',
	setup(build) {
		build.onResolve({filter: /^\.\/devtools\.js$/}, args => (args.importer.includes('/ink/') ? {path: 'ink-devtools', namespace: 'absent'} : undefined));
		build.onResolve({filter: /^(bufferutil|utf-8-validate|supports-color)$/}, args => ({path: args.path, namespace: 'absent'}));
		build.onLoad({filter: /.*/, namespace: 'absent'}, args => ({
			// Ink's hook becomes a module that does nothing; the optional helpers fail as a missing module does.
			contents: args.path === 'ink-devtools' ? '' : `throw Object.assign(new Error('${args.path} is not part of the svctop executable'), {code: 'MODULE_NOT_FOUND'});`,
			loader: 'js',
		}));
	},
};

/**
 * In one script, every `import ... from 'node:http'` of every module would be hoisted to the top and
 * load at start-up, where the split bundle loads them with the chunk that needs them (http, tls and
 * undici cost ~150 ms before `--version` could answer). As a CommonJS module re-exporting require(),
 * a built-in loads when the first module that imports it is initialised.
 */
const builtinsOnFirstUse = {
	name: 'builtins-on-first-use',
	setup(build) {
		const builtins = new Set(builtinModules);
		build.onResolve({filter: /^[a-z_:/]+$/}, args => {
			const name = args.path.replace(/^node:/, '');
			return args.namespace !== 'builtin' && builtins.has(name) ? {path: name, namespace: 'builtin'} : undefined;
		});
		build.onLoad({filter: /.*/, namespace: 'builtin'}, args => ({contents: `module.exports = require('node:${args.path}');`, loader: 'js'}));
	},
};

// Chunk names carry a hash: without this, every build would leave the last one's chunks (and ship them).
rmSync(new URL('../build/bundle', import.meta.url), {recursive: true, force: true});
await esbuild.build({
	...common,
	outdir: 'build/bundle',
	splitting: true,
	entryNames: '[name]',
	chunkNames: 'chunks/[name]-[hash]',
	external: ['react-devtools-core'],
});

if (process.argv.includes('--sea')) {
	// The NAT view's decode worker cannot be a file next to the executable: it goes in as a script that
	// Worker runs with eval (CommonJS, so it reaches the built-in modules through require()).
	const worker = await esbuild.build({
		...common,
		entryPoints: ['build/source/node/nat/decode-worker.js'],
		format: 'cjs',
		banner: {},
		minifyWhitespace: true,
		minifySyntax: true,
		write: false,
	});
	await esbuild.build({
		...common,
		entryPoints: {cli: 'build/source/cli.js'},
		define: {...common.define, SVCTOP_DECODE_WORKER_SOURCE: JSON.stringify(worker.outputFiles[0].text)},
		outfile: 'build/sea/svctop.mjs',
		minifyWhitespace: true,
		minifySyntax: true,
		plugins: [meowAtFirstUse, absentOptionalModules, builtinsOnFirstUse],
	});
}
