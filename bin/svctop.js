#!/usr/bin/env node
import module from 'node:module';

// Start-up is dominated by compiling @kubernetes/client-node and Ink; Node's on-disk compile cache
// (22.1+) lets the second and later runs skip most of that.
module.enableCompileCache?.();
await import('../build/source/cli.js');
