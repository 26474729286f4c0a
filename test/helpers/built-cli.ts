import {spawnSync} from 'node:child_process';
import {existsSync, readdirSync, statSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What bin/svctop.js runs: the bundled build. */
export const builtEntry = path.join(repositoryRoot, 'build/bundle/cli.js');

/** The svctop executable. */
export const svctopBin = path.join(repositoryRoot, 'bin/svctop.js');

export function newestMtime(directory: string): number {
	let newest = 0;
	for (const entry of readdirSync(directory, {withFileTypes: true, recursive: true})) {
		if (entry.isFile()) {
			newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
		}
	}

	return newest;
}

/**
 * Tests and benchmarks run the CLI as a user does, from the build; rebuild (tsc + bundle) when any
 * source file is newer than the bundle. Throws with the build's output when it produced nothing.
 */
export function ensureBuilt(): void {
	if (existsSync(builtEntry) && newestMtime(path.join(repositoryRoot, 'source')) <= statSync(builtEntry).mtimeMs) {
		return;
	}

	const build = spawnSync('npm', ['run', '--silent', 'build'], {cwd: repositoryRoot, encoding: 'utf8'});
	if (!existsSync(builtEntry)) {
		throw new Error(`the build did not produce ${builtEntry}:\n${build.stdout}${build.stderr}`);
	}
}
