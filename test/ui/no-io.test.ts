import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';

const sourceRoot = fileURLToPath(new URL('../../source/', import.meta.url));

/** Modules that open sockets, files, processes or threads, or talk to the API. */
const ioModules = /^(node:)?(net|dgram|dns|http|https|http2|tls|fs|fs\/promises|child_process|worker_threads)$|^@kubernetes\/client-node$/;
/** Folders of the data layer and the commands that start it. */
const ioFolders = ['node/', 'kube/', 'demo/', 'apiserver/', 'commands/'];
/** Pure modules of those folders a view may use (no import of their own but types). */
const pureExceptions = new Set(['kube/connection-state.ts']);

function filesUnder(folder: string): string[] {
	return readdirSync(path.join(sourceRoot, folder), {recursive: true, encoding: 'utf8'})
		.filter(file => /\.tsx?$/.test(file))
		.map(file => path.join(folder, file));
}

/** The value imports of a module (`import type` is erased and costs nothing at run time). */
function valueImports(file: string): string[] {
	const text = readFileSync(path.join(sourceRoot, file), 'utf8');
	return [...text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)].map(match => match[1]!);
}

function resolve(from: string, specifier: string): string {
	const joined = path.normalize(path.join(path.dirname(from), specifier));
	const base = joined.replace(/\.js$/, '');
	for (const candidate of [`${base}.ts`, `${base}.tsx`]) {
		try {
			readFileSync(path.join(sourceRoot, candidate));
			return candidate;
		} catch {}
	}

	return joined;
}

test('views and hooks import no module that does I/O, directly or through another', () => {
	const problems: string[] = [];
	const seen = new Set<string>();
	const queue = filesUnder('ui').map(file => ({file, via: [file]}));
	while (queue.length > 0) {
		const {file, via} = queue.shift()!;
		if (seen.has(file)) {
			continue;
		}

		seen.add(file);
		for (const specifier of valueImports(file)) {
			if (!specifier.startsWith('.')) {
				if (ioModules.test(specifier)) {
					problems.push(`${[...via, specifier].join(' -> ')}`);
				}

				continue;
			}

			const target = resolve(file, specifier);
			if (ioFolders.some(folder => target.startsWith(folder)) && !pureExceptions.has(target)) {
				problems.push(`${[...via, target].join(' -> ')}`);
				continue;
			}

			queue.push({file: target, via: [...via, target]});
		}
	}

	assert.ok(seen.size > 40, `${seen.size} modules walked`);
	assert.deepEqual(problems, []);
});
