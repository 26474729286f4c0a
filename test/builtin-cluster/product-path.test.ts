import {before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {ensureBuilt, repositoryRoot} from '../helpers/built-cli.js';

/*
 * The built-in cluster (in-process API server, demo data plane, rule generators) is support code: the
 * product reaches it by one dynamic import for --demo and nothing else. Checked in the sources (no
 * module outside the folder imports it at run time; the pure core not even its types) and in the
 * bundle that bin/svctop.js runs (no chunk a real cluster's commands can load carries its modules).
 */

const sourceRoot = path.join(repositoryRoot, 'source');
const builtinFolder = path.join(sourceRoot, 'builtin-cluster');
/** The one module allowed to import the built-in cluster, and what it may import (dynamically). */
const demoEntry = {importer: 'commands/run-command.ts', module: '../builtin-cluster/demo/demo.js'};

type ImportSite = {file: string; specifier: string; typeOnly: boolean; dynamic: boolean};

/** Every relative import in a TypeScript file: static (`import ... from`, `import '...'`) and dynamic (`import('...')`). */
function importsOf(file: string): ImportSite[] {
	const text = readFileSync(file, 'utf8');
	const sites: ImportSite[] = [];
	for (const match of text.matchAll(/^(import|export)\s+(type\s+)?(?:[^;'"]*?\sfrom\s*)?'(\.[^']+)'/gm)) {
		sites.push({file, specifier: match[3]!, typeOnly: match[2] !== undefined, dynamic: false});
	}

	for (const match of text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g)) {
		sites.push({file, specifier: match[1]!, typeOnly: false, dynamic: true});
	}

	return sites;
}

function sourceFiles(directory: string): string[] {
	return readdirSync(directory, {recursive: true, encoding: 'utf8'})
		.filter(name => /\.tsx?$/.test(name))
		.map(name => path.join(directory, name));
}

function reachesBuiltin(site: ImportSite): boolean {
	return path.resolve(path.dirname(site.file), site.specifier).startsWith(builtinFolder + path.sep);
}

describe('the built-in cluster stays out of the product path', () => {
	const productFiles = sourceFiles(sourceRoot).filter(file => !file.startsWith(builtinFolder + path.sep));

	test('the sources outside builtin-cluster/ import it only by run-command\'s dynamic import for --demo', () => {
		const sites = productFiles.flatMap(file => importsOf(file)).filter(site => reachesBuiltin(site) && !site.typeOnly);
		assert.deepEqual(
			sites.map(site => ({file: path.relative(sourceRoot, site.file), specifier: site.specifier, dynamic: site.dynamic})),
			[{file: demoEntry.importer, specifier: demoEntry.module, dynamic: true}],
		);
	});

	test('the pure core does not depend on the built-in cluster, not even for types', () => {
		const sites = sourceFiles(path.join(sourceRoot, 'core')).flatMap(file => importsOf(file)).filter(site => reachesBuiltin(site));
		assert.deepEqual(sites.map(site => `${path.relative(sourceRoot, site.file)} -> ${site.specifier}`), []);
	});

	describe('in the bundle', () => {
		const bundle = path.join(repositoryRoot, 'build/bundle');
		const marker = /^\/\/ build\/source\/builtin-cluster\//m;
		let chunks: Map<string, string>;
		before(() => {
			ensureBuilt();
			chunks = new Map(readdirSync(bundle, {recursive: true, encoding: 'utf8'}).filter(name => name.endsWith('.js')).map(name => [name, readFileSync(path.join(bundle, name), 'utf8')]));
		});

		/** The chunks a file imports, statically (`import ... from "./x.js"`, `import "./x.js"`) or with import(). */
		function edges(name: string): Array<{target: string; dynamic: boolean}> {
			const text = chunks.get(name)!;
			const resolve = (specifier: string) => path.join(path.dirname(name), specifier);
			return [
				...[...text.matchAll(/^import\s*(?:[^;"]*?from\s*)?"(\.[^"]+)";/gm)].map(match => ({target: resolve(match[1]!), dynamic: false})),
				...[...text.matchAll(/\bimport\("(\.[^"]+)"\)/g)].map(match => ({target: resolve(match[1]!), dynamic: true})),
			];
		}

		test('no chunk reachable from cli.js or the decode worker carries built-in cluster modules, except through the --demo import', () => {
			const demoChunk = [...chunks].find(([, text]) => text.includes('// build/source/builtin-cluster/demo/demo.js'))?.[0];
			assert.ok(demoChunk, 'the bundle holds the demo (loaded by --demo)');
			assert.match(chunks.get(demoChunk)!, marker);
			const runCommandChunk = [...chunks].find(([, text]) => text.includes('// build/source/commands/run-command.js'))?.[0];
			assert.ok(runCommandChunk);
			assert.deepEqual(edges(runCommandChunk).filter(edge => edge.target === demoChunk), [{target: demoChunk, dynamic: true}]);

			const reached = new Set<string>();
			const pending = ['cli.js', 'decode-worker.js'];
			while (pending.length > 0) {
				const name = pending.pop()!;
				if (reached.has(name)) {
					continue;
				}

				reached.add(name);
				for (const edge of edges(name)) {
					assert.ok(chunks.has(edge.target), `${name} imports ${edge.target}, which is not in the bundle`);
					if (!(edge.dynamic && edge.target === demoChunk && name === runCommandChunk)) {
						pending.push(edge.target);
					}
				}
			}

			assert.ok(reached.has(runCommandChunk), 'the walk follows the commands');
			assert.deepEqual([...reached].filter(name => marker.test(chunks.get(name)!)), []);
		});
	});
});
