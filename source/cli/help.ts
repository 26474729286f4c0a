import {flagSpec, kebab, type FlagName} from './flags.js';

type CommandHelp = {
	/** The words after `svctop` in the usage line. */
	readonly usage: string;
	/** One line: what the command does. */
	readonly summary: string;
	/** More lines about it (arguments, output formats). */
	readonly description?: readonly string[];
	/** Flag sections in order: heading -> the flags under it. */
	readonly options: Readonly<Record<string, readonly FlagName[]>>;
	/** A flag's help line where this command reads it differently from the table's. */
	readonly flagHelp?: Partial<Record<FlagName, string>>;
	readonly examples: readonly string[];
};

const clusterFlags: readonly FlagName[] = ['demo', 'kubeconfig', 'context', 'namespace', 'allNamespaces', 'clusterDomain'];
const natSourceFlags: readonly FlagName[] = ['mode', 'node', 'nodeCmd', 'maxBytes'];
const nodeAccessFlags: readonly FlagName[] = ['debugPod', 'debugImage', 'debugNamespace'];
const probeFlags: readonly FlagName[] = ['count', 'interval', 'timeout', 'concurrency', 'http', 'tcp', 'dns', 'via', 'match'];

/** The usage of every command, keyed by its name; `dashboard` is svctop without a command. */
export const commandHelp = {
	dashboard: {
		usage: '[dashboard] [options]',
		summary: 'the live dashboard of the Services (prints the list instead when stdout or stdin is not a terminal, or with -o/--json)',
		description: [
			'`svctop` and `svctop dashboard` are the same. With -o FORMAT or --json, or when stdout or stdin is',
			'not a terminal, it prints what `svctop list` prints with the same flags, once, and exits.',
		],
		options: {
			'Cluster options': clusterFlags,
			'NAT view options': ['natFile', ...natSourceFlags],
			'Node access (the NAT and probe views\' w key)': nodeAccessFlags,
			'Output options (print the list instead of the dashboard)': ['output', 'json'],
		},
		examples: ['svctop --demo', 'svctop -A', 'svctop --context kind-myk8s -n kube-system', 'svctop | grep -v \'<none>\''],
	},
	list: {
		usage: 'list [NAME...] [options]',
		summary: 'the Services, as kubectl get svc prints them, plus ENDPOINTS and WARNINGS',
		description: [
			'NAME...: only these Services of the namespace, as kubectl get svc NAME... (one not found is an error line).',
			'',
			'Output formats',
			'  (default), -o wide   kubectl\'s table plus ENDPOINTS (ready/total) and WARNINGS',
			'  -o json, -o yaml     exactly what kubectl get svc -o json|yaml prints: a v1 List of the Service objects',
			'  -o name              service/NAME, one a line, as kubectl',
			'  --json               svctop\'s own rows: {context, services: [{..., endpoints, warnings}]}',
			'',
			'WARNINGS are what the Service and its EndpointSlices show: load balancer pending, no (ready)',
			'endpoints, a port no EndpointSlice lists by its name or lists over another protocol only, endpoints',
			'unknown. The list reads no pods: a finding that needs them (a targetPort no pod declares, a selector',
			'matching nothing) is only in `svctop describe` and the dashboard\'s detail, so <none> here means none',
			'of the above.',
		],
		options: {'Options': ['output', 'json'], 'Cluster options': clusterFlags},
		flagHelp: {json: 'svctop\'s own rows with endpoints and warnings (not kubectl\'s shape)'},
		examples: ['svctop list -A -o wide', 'svctop list -o json | jq \'.items[].metadata.name\'', 'svctop list --demo --json', 'svctop list -n kube-system -o name'],
	},
	describe: {
		usage: 'describe [NAMESPACE/]NAME [options]',
		summary: 'one Service: its spec, endpoints grouped by node, findings',
		options: {'Options': ['json'], 'Cluster options': clusterFlags.filter(name => name !== 'allNamespaces')},
		flagHelp: {json: 'the same as a JSON document'},
		examples: ['svctop describe default/svc-nodeport', 'svctop describe -n kube-system kube-dns', 'svctop describe --demo default/svc-nodeport --json'],
	},
	nat: {
		usage: 'nat [options]',
		summary: 'the node\'s kube-proxy rules (iptables, nftables or IPVS) decoded into a flow tree',
		description: [
			'Reads this node\'s rules with iptables-save, nft or ipvsadm (root needed) unless --file or --node-cmd',
			'says where the dump comes from. Names pods and cross-checks with the API when a cluster is reachable.',
			'The rules are node-wide: without -n every namespace\'s Services are shown; -n NS shows only NS\'s.',
			'--service NAME (without NAMESPACE/) means the Service in -n NS, else in the context\'s namespace.',
			'Exit status: 0 when the rules were read and shown (Problems found in them are part of the output),',
			'1 when they could not be read or --service has no rules, 2 for a usage error.',
		],
		options: {'Options': ['file', 'service', ...natSourceFlags, 'json'], 'Node access (creates a pod)': ['allNodes', ...nodeAccessFlags], 'Cluster options': clusterFlags},
		flagHelp: {json: 'the flow tree as a JSON document', node: 'the node whose rules to read (with --node-cmd or --debug-pod, or in --demo)'},
		examples: ['sudo svctop nat --service default/svc-nodeport', 'iptables-save | svctop nat --file -', 'svctop nat --node-cmd \'ssh {node} sudo iptables-save\' --node myk8s-worker', 'svctop nat --node myk8s-worker --debug-pod', 'svctop nat --all-nodes --debug-pod', 'svctop nat --demo --json'],
	},
	probe: {
		usage: 'probe TARGET [options]',
		summary: 'a live loop of new-connection requests: which pod answered, and when',
		description: [
			'TARGET is NAMESPACE/NAME[:PORT] (a Service), HOST:PORT or a URL.',
			'Exit status: 0 when anything answered (or nothing was probed), 1 when every probe failed or the',
			'target cannot be probed, 2 for a usage error.',
		],
		options: {'Probe options': probeFlags, 'Options': ['json'], 'Node access': ['from', ...nodeAccessFlags], 'Cluster options': clusterFlags.filter(name => name !== 'allNamespaces')},
		flagHelp: {json: 'one JSON line per probe, then the summary'},
		examples: ['svctop probe default/svc-nodeport --via nodeport --interval 200ms', 'svctop probe 127.0.0.1:8080 --count 100 --json', 'svctop probe --demo default/svc-clusterip --count 20', 'svctop probe default/web --from node/myk8s-worker --debug-pod --count 50', 'svctop probe default/web --via nodeport --from nodes --debug-pod --count 5', 'svctop probe default/web --from pod/default/client --count 20'],
	},
	'debug-pods': {
		usage: 'debug-pods [--clean] [options]',
		summary: 'the debug pods svctop created (label app.kubernetes.io/managed-by=svctop), e.g. left by a crash',
		description: ['Lists them in every namespace it may read; --clean deletes them (the only write it makes).'],
		options: {'Options': ['clean', 'debugNamespace', 'json'], 'Cluster options': clusterFlags.filter(name => name !== 'allNamespaces' && name !== 'namespace' && name !== 'clusterDomain')},
		flagHelp: {debugNamespace: 'where to look when pods cannot be listed in every namespace (default: kube-system)', json: 'the pods as a JSON document'},
		examples: ['svctop debug-pods', 'svctop debug-pods --clean'],
	},
} as const satisfies Record<string, CommandHelp>;

export type CommandName = keyof typeof commandHelp;

export function isCommand(word: string): word is CommandName {
	return Object.hasOwn(commandHelp, word);
}

/** Whether `command` takes `flag`: its help lists every flag it reads. */
export function takesFlag(command: CommandName, flag: FlagName): boolean {
	const help: CommandHelp = commandHelp[command];
	return Object.values(help.options).some(names => names.includes(flag));
}

/** The commands that take `flag`, as a phrase: `svctop nat, svctop probe and the dashboard`. */
export function commandsTaking(flag: FlagName): string {
	const names = (Object.keys(commandHelp) as CommandName[]).filter(command => takesFlag(command, flag));
	const phrases = [...names.filter(name => name !== 'dashboard').map(name => `svctop ${name}`), ...(names.includes('dashboard') ? ['the dashboard'] : [])];
	return phrases.length > 1 ? `${phrases.slice(0, -1).join(', ')} and ${phrases.at(-1)!}` : phrases[0] ?? 'no command';
}

const column = 26;

function optionLine(name: FlagName, command: CommandHelp): string {
	const flag = flagSpec(name);
	const spelled = `${flag.shortFlag ? `-${flag.shortFlag}, ` : ''}--${kebab(name)}${flag.value ? ` ${flag.value}` : ''}`;
	return `    ${spelled.padEnd(column - 1)} ${command.flagHelp?.[name] ?? flag.help}`;
}

/** `svctop help`: every command in one line each, the general flags and where to look next. */
export function generalHelp(): string {
	const commands = Object.entries(commandHelp).map(([name, help]) => `    ${(name === 'dashboard' ? '(none), dashboard' : name).padEnd(column - 1)} ${help.summary}`);
	return [
		'',
		'  Where does traffic to a Kubernetes Service actually go, and why?',
		'',
		'  Usage',
		'    $ svctop [COMMAND] [options]',
		'',
		'  Commands',
		...commands,
		`    ${'help [COMMAND]'.padEnd(column - 1)} a command's usage: its flags and examples`,
		'',
		'  Options',
		`    ${'-h, --help'.padEnd(column - 1)} this help; \`svctop COMMAND --help\` or \`svctop help COMMAND\` for one command`,
		`    ${'--version'.padEnd(column - 1)} the version`,
		...Object.entries(commandHelp.dashboard.options).flatMap(([heading, names]) => ['', `  ${heading}`, ...names.map(name => optionLine(name, commandHelp.dashboard))]),
		'',
		'  Examples',
		...['svctop --demo', 'svctop list -A -o wide', 'svctop describe default/svc-nodeport', 'sudo svctop nat --service default/svc-nodeport', 'svctop probe default/svc-nodeport --via nodeport'].map(example => `    $ ${example}`),
		'',
	].join('\n');
}

/** `svctop COMMAND --help`: what it does, its flags, examples, in meow's Usage/Options/Examples layout. */
export function commandUsage(name: CommandName): string {
	const help: CommandHelp = commandHelp[name];
	return [
		'',
		`  ${help.summary[0]!.toUpperCase()}${help.summary.slice(1)}.`,
		'',
		'  Usage',
		`    $ svctop ${help.usage}`,
		...(help.description ? ['', ...help.description.map(line => `  ${line}`)] : []),
		...Object.entries(help.options).flatMap(([heading, names]) => [
			'',
			`  ${heading}`,
			...names.map(flag => optionLine(flag, help)),
			...(heading === 'Options' ? [`    ${'-h, --help'.padEnd(column - 1)} this help`] : []),
		]),
		'',
		'  Examples',
		...help.examples.map(example => `    $ ${example}`),
		'',
	].join('\n');
}
