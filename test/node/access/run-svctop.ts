import assert from 'node:assert/strict';
import {PassThrough} from 'node:stream';
import {parseCommandLine} from '../../../source/cli/parse-command-line.js';
import {runNodeAccess} from '../../../source/commands/node-access.js';

/** An svctop node-access command run in this process against `kubeconfig`, with what it printed. */
export async function svctop(kubeconfig: string, ...args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
	const parsed = parseCommandLine([...args, '--kubeconfig', kubeconfig]);
	assert.equal(parsed.kind, 'run');
	const out: Buffer[] = [];
	const err: Buffer[] = [];
	const stdout = new PassThrough().on('data', chunk => out.push(chunk as Buffer));
	const stderr = new PassThrough().on('data', chunk => err.push(chunk as Buffer));
	const code = await runNodeAccess((parsed as Extract<typeof parsed, {kind: 'run'}>).config, undefined, {stdin: new PassThrough(), stdout, stderr});
	return {code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8')};
}
