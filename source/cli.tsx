import process from 'node:process';
import meow from 'meow';
import {parseDuration} from './core/probe/duration.js';
import type {CliConfig} from './commands/run-command.js';
import {buildInfo, versionText} from './version.js';

const meowFlags = {
	demo: {type: 'boolean', default: false},
	kubeconfig: {type: 'string'},
	context: {type: 'string'},
	namespace: {type: 'string', shortFlag: 'n'},
	allNamespaces: {type: 'boolean', shortFlag: 'A', default: false},
	clusterDomain: {type: 'string', default: 'cluster.local'},
	output: {type: 'string', shortFlag: 'o'},
	json: {type: 'boolean', default: false},
	file: {type: 'string'},
	natFile: {type: 'string'},
	mode: {type: 'string'},
	service: {type: 'string'},
	node: {type: 'string'},
	nodeCmd: {type: 'string'},
	count: {type: 'number'},
	interval: {type: 'string', default: '1s'},
	timeout: {type: 'string', default: '1s'},
	concurrency: {type: 'number', default: 1},
	http: {type: 'string'},
	tcp: {type: 'boolean', default: false},
	dns: {type: 'boolean', default: false},
	via: {type: 'string'},
	match: {type: 'string'},
} as const;

/** `--file -` means stdin; the flag parser would take a lone `-` for an argument, so join it to its flag. */
function joinStdinValues(argv: readonly string[]): string[] {
	const joined: string[] = [];
	for (let index = 0; index < argv.length; index++) {
		const argument = argv[index]!;
		if ((argument === '--file' || argument === '--nat-file') && argv[index + 1] === '-') {
			joined.push(`${argument}=-`);
			index++;
		} else {
			joined.push(argument);
		}
	}

	return joined;
}

const argv = joinStdinValues(process.argv.slice(2));

const cli = meow(
	`
	Usage
	  $ svctop [command] [options]

	Commands
	  (none)                 the live dashboard (prints the table when stdout is not a terminal)
	  list                   the Services, as kubectl get svc prints them, plus ENDPOINTS
	  describe NS/NAME       one Service: spec, endpoints grouped by node, findings
	  nat                    the node's kube-proxy rules decoded into a flow tree
	  probe TARGET           a live loop of new-connection requests: which pod answered, and when

	Cluster options
	  --demo                 run against the built-in demo cluster (no cluster needed)
	  --kubeconfig FILE      kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)
	  --context NAME         kubeconfig context to use
	  -n, --namespace NS     namespace (default: the context's namespace)
	  -A, --all-namespaces   every namespace
	  --cluster-domain D     DNS suffix for Service names (default: cluster.local)

	Output options
	  -o, --output wide|json kubectl-style output format (list)
	  --json                 JSON instead of text (list, describe, nat, probe)

	NAT options
	  --file FILE            read a rule dump from FILE ('-' for stdin) instead of the node's tools
	  --nat-file FILE        the dump the dashboard's NAT view uses
	  --mode MODE            iptables | nftables | ipvs (default: detected from the dump)
	  --service NS/NAME      only this Service
	  --node NAME            the node whose rules to read (with --node-cmd, or in --demo)
	  --node-cmd TEMPLATE    command printing another node's rules, e.g. 'ssh {node} sudo iptables-save'

	Probe options
	  --count N              stop after N probes (default: until Ctrl-C)
	  --interval DURATION    time between probes, e.g. 1s, 100ms, 1ms (default: 1s)
	  --timeout DURATION     give up on one probe after this long (default: 1s)
	  --concurrency N        probes in flight at most (default: 1)
	  --http PATH            HTTP GET of PATH (default for HTTP ports: /)
	  --tcp                  TCP connect only
	  --dns                  a DNS query (UDP DNS Services)
	  --via WAY              clusterip | nodeport | external | lb | dns | endpoints (ns/name targets)
	  --match REGEX          the first group of REGEX in the response names the pod

	Examples
	  $ svctop --demo
	  $ svctop list -A -o wide
	  $ svctop list --demo --json
	  $ svctop describe default/svc-nodeport
	  $ sudo svctop nat --service default/svc-nodeport
	  $ iptables-save | svctop nat --file -
	  $ svctop probe default/svc-nodeport --via nodeport --interval 200ms
	  $ svctop probe 127.0.0.1:8080 --count 100 --json
`,
	{
		importMeta: import.meta,
		// From the build, not a package.json found on disk: a single executable has none beside it.
		pkg: buildInfo,
		version: versionText(),
		argv,
		// Unknown flags and bad choices are reported below as one line, not as meow's multi-line error.
		allowUnknownFlags: true,
		flags: meowFlags,
	},
);

function fail(message: string): never {
	process.stderr.write(`svctop: ${message}\n`);
	process.exit(2);
}

function kebab(name: string): string {
	return name.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`);
}

const spellings = new Set<string>(['--help', '--version']);
for (const [name, flag] of Object.entries(meowFlags)) {
	spellings.add(`--${kebab(name)}`).add(`--${name}`).add(`--no-${kebab(name)}`);
	if ('shortFlag' in flag && flag.shortFlag) {
		spellings.add(`-${flag.shortFlag}`);
	}
}

for (const argument of argv) {
	if (argument === '--') {
		break;
	}

	const spelled = argument.split('=')[0]!;
	if (argument.startsWith('-') && argument.length > 1 && !/^-\d/.test(argument) && !spellings.has(spelled)) {
		fail(`unknown flag ${spelled} (see svctop --help)`);
	}
}

function oneOf(name: string, value: string | undefined, allowed: readonly string[]): void {
	if (value !== undefined && !allowed.includes(value)) {
		fail(`--${name} must be one of ${allowed.join(', ')} (got "${value}")`);
	}
}

oneOf('output', cli.flags.output, ['wide', 'json']);
oneOf('mode', cli.flags.mode, ['iptables', 'nftables', 'ipvs']);
oneOf('via', cli.flags.via, ['clusterip', 'nodeport', 'external', 'lb', 'dns', 'endpoints']);

const [command = 'dashboard', ...args] = cli.input;
const known = ['dashboard', 'list', 'describe', 'nat', 'probe'];
if (!known.includes(command)) {
	fail(`unknown command "${command}" (expected one of: ${known.slice(1).join(', ')}; see --help)`);
}

const flags = cli.flags;
function durationFlag(name: string, text: string): number {
	const parsed = parseDuration(text);
	if ('error' in parsed) {
		fail(`--${name}: ${parsed.error}`);
	}

	if (parsed.ms <= 0) {
		fail(`--${name} must be longer than zero`);
	}

	return parsed.ms;
}

const interval = durationFlag('interval', flags.interval);
const timeout = durationFlag('timeout', flags.timeout);

if (flags.count !== undefined && (!Number.isInteger(flags.count) || flags.count < 1)) {
	fail('--count must be a whole number of at least 1');
}

if (!Number.isInteger(flags.concurrency) || flags.concurrency < 1) {
	fail('--concurrency must be a whole number of at least 1');
}

if (flags.namespace !== undefined && flags.allNamespaces) {
	fail('--namespace and --all-namespaces cannot be used together');
}

const config: CliConfig = {
	command: command as CliConfig['command'],
	args,
	demo: flags.demo,
	kubeconfig: flags.kubeconfig,
	context: flags.context,
	namespace: flags.namespace,
	allNamespaces: flags.allNamespaces,
	clusterDomain: flags.clusterDomain,
	wide: flags.output === 'wide',
	json: flags.json || flags.output === 'json',
	file: flags.file,
	natFile: flags.natFile,
	mode: flags.mode as CliConfig['mode'],
	service: flags.service,
	node: flags.node,
	nodeCmd: flags.nodeCmd,
	probe: {
		count: flags.count,
		intervalMs: interval,
		timeoutMs: timeout,
		concurrency: flags.concurrency,
		mode: flags.tcp ? 'tcp' : flags.dns ? 'dns' : 'http',
		path: flags.http ?? '/',
		via: flags.via,
		match: flags.match,
	},
};

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
process.exitCode = await runCommand(config);
