import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import process from 'node:process';

/*
 * `npm run bench`: each benchmark is its own process, so one's heap and peak RSS do not colour the next.
 * Every benchmark measures its own baseline in the same run and prints PASS/FAIL per goal.
 */
const benches = ['services', 'nat', 'probe', 'probe-conntrack', 'startup'];
const only = process.argv.slice(2);
let failed = 0;
for (const name of benches) {
	if (only.length > 0 && !only.includes(name)) {
		continue;
	}

	const file = new URL(`${name}.ts`, import.meta.url).pathname;
	if (!existsSync(file)) {
		process.stdout.write(`\n== ${name}: missing (${file})\n`);
		failed++;
		continue;
	}

	process.stdout.write(`\n== ${name}\n`);
	const result = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', file], {stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8'});
	process.stdout.write(result.stdout);
	if (result.status !== 0 || /\bFAIL\b/.test(result.stdout)) {
		failed++;
	}
}

process.stdout.write(failed === 0 ? '\nbench: every goal met\n' : `\nbench: ${failed} benchmark(s) missed a goal or failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
