import process from 'node:process';
import {parseCommandLine} from './cli/parse-command-line.js';
import {versionText} from './version.js';

// Flags and help live in ./cli/ (flags.ts: every flag and its help line; help.ts: each command's usage).
const parsed = parseCommandLine(process.argv.slice(2));
if (parsed.kind === 'help') {
	process.stdout.write(parsed.text);
	process.exit(0);
}

if (parsed.kind === 'version') {
	// The version, commit and Node.js of this build (a single executable has no package.json to read).
	process.stdout.write(`${versionText()}\n`);
	process.exit(0);
}

if (parsed.kind === 'error') {
	process.stderr.write(`svctop: ${parsed.message}\n`);
	process.exit(2);
}

// A reader that goes away (`svctop probe ... | head`) ends svctop quietly, as other Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
	if (error.code === 'EPIPE') {
		process.exit(0);
	}

	process.stderr.write(`svctop: cannot write the output: ${error.message}\n`);
	process.exit(1);
});

// Loaded after the flags are parsed, so --help, --version and flag errors answer at once.
const {runCommand} = await import('./commands/run-command.js');
process.exitCode = await runCommand(parsed.config);
