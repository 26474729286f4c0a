#!/usr/bin/env node
import module from 'node:module';
import process from 'node:process';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
	// Ink and the Kubernetes client need Node 22+; say so in one line rather than fail inside a dependency.
	process.stderr.write(`svctop: needs Node.js 22 or newer, this is ${process.version} (inside the repository, \`npm run demo\` and \`npm start\` use the project's own Node 24)\n`);
	process.exit(1);
}

// Start-up is dominated by compiling @kubernetes/client-node and Ink; Node's on-disk compile cache
// lets the second and later runs skip most of that.
module.enableCompileCache?.();
await import('../build/bundle/cli.js');
