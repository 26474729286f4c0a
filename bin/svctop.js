#!/usr/bin/env node
import {existsSync} from 'node:fs';
import module from 'node:module';
import process from 'node:process';
import {fileURLToPath} from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
	await handOver();
} else {
	// Start-up is dominated by compiling @kubernetes/client-node and Ink; Node's on-disk compile cache
	// lets the second and later runs skip most of that.
	module.enableCompileCache?.();
	await import('../build/bundle/cli.js');
}

/**
 * Ink and the Kubernetes client need Node 22+. In a clone of the repository, `npm ci` has put the
 * project's own Node in node_modules: run this same script on it. Without one, say so in one line
 * rather than fail inside a dependency.
 */
async function handOver() {
	const projectNode = ['../node_modules/node/bin/node', '../node_modules/.bin/node']
		.map(relative => fileURLToPath(new URL(relative, import.meta.url)))
		.find(candidate => existsSync(candidate));
	if (!projectNode || process.env.SVCTOP_HANDED_OVER) {
		process.stderr.write(`svctop: needs Node.js 22 or newer, this is ${process.version}; use a newer node, or the single executable (see README, Install)\n`);
		process.exit(1);
	}

	// Loaded here, not at the top: every other run would pay for child_process (and net) at start-up.
	const {spawn} = await import('node:child_process');
	const child = spawn(projectNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
		stdio: 'inherit',
		env: {...process.env, SVCTOP_HANDED_OVER: '1'},
	});
	// Ctrl-C and Ctrl-\ reach the whole foreground process group, svctop included, which then restores
	// the terminal and exits; this process only waits for it. Signals sent to this process alone
	// (kill, a closed SSH session) are passed on.
	process.on('SIGINT', () => {});
	process.on('SIGQUIT', () => {});
	for (const signal of ['SIGTERM', 'SIGHUP']) {
		process.on(signal, () => child.kill(signal));
	}

	child.on('error', error => {
		process.stderr.write(`svctop: cannot run ${projectNode}: ${error.message}\n`);
		process.exit(1);
	});
	const [code, signal] = await new Promise(resolve => {
		child.on('exit', (...result) => resolve(result));
	});
	if (signal) {
		// End the same way, so the shell sees what ended svctop.
		process.removeAllListeners(signal);
		process.kill(process.pid, signal);
	}

	process.exit(code ?? 1);
}
