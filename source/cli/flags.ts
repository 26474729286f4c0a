import {defaultDebugImage, defaultDebugNamespace} from '../node/access/debug-pod-spec.js';

/**
 * Every flag svctop knows, in one table: meow's parser options plus the help line and the name of the
 * value it takes. A new flag is one entry here, then its name in the commands' help (help.ts).
 */
export const flagTable = {
	demo: {type: 'boolean', default: false, help: 'run against the built-in demo cluster (no cluster needed)'},
	kubeconfig: {type: 'string', value: 'FILE', help: 'kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)'},
	context: {type: 'string', value: 'NAME', help: 'kubeconfig context to use'},
	namespace: {type: 'string', shortFlag: 'n', value: 'NS', help: 'namespace (default: the context\'s namespace)'},
	allNamespaces: {type: 'boolean', shortFlag: 'A', default: false, help: 'every namespace'},
	clusterDomain: {type: 'string', default: 'cluster.local', value: 'D', help: 'DNS suffix for Service names (default: cluster.local)'},
	output: {type: 'string', shortFlag: 'o', value: 'FORMAT', help: 'wide | json | yaml | name, as kubectl get svc -o prints them'},
	json: {type: 'boolean', default: false, help: 'svctop\'s own JSON document instead of text'},
	file: {type: 'string', value: 'FILE', help: 'read a rule dump from FILE (\'-\' for stdin) instead of the node\'s tools'},
	natFile: {type: 'string', value: 'FILE', help: 'the rule dump the NAT view uses instead of the node\'s tools'},
	mode: {type: 'string', value: 'MODE', help: 'iptables | nftables | ipvs (default: detected from the dump)'},
	service: {type: 'string', value: '[NS/]NAME', help: 'only this Service (NAME alone: in -n NS, else the context\'s namespace)'},
	node: {type: 'string', value: 'NAME', help: 'the node whose rules to read (with --node-cmd or --debug-pod, or in --demo)'},
	nodeCmd: {type: 'string', value: 'TEMPLATE', help: 'command printing another node\'s rules, e.g. \'ssh {node} sudo iptables-save\''},
	maxBytes: {type: 'string', value: 'SIZE', help: 'largest rule dump read from a file or stdin (--file, --nat-file, -), e.g. 1G (default: 512M)'},
	count: {type: 'number', value: 'N', help: 'stop after N probes in all, over every node or address (default: until Ctrl-C)'},
	interval: {type: 'string', default: '1s', value: 'DURATION', help: 'time between probes, 1ms to 1h, e.g. 200ms, 2s (default: 1s)'},
	timeout: {type: 'string', default: '1s', value: 'DURATION', help: 'give up on one probe after this long, 1ms to 1h (default: 1s)'},
	concurrency: {type: 'number', default: 1, value: 'N', help: 'probes in flight at most, per node or address (default: 1)'},
	http: {type: 'string', value: 'PATH', help: 'HTTP GET of PATH (default for HTTP ports: /)'},
	tcp: {type: 'boolean', default: false, help: 'TCP connect only'},
	dns: {type: 'boolean', default: false, help: 'a DNS query (UDP DNS ports; other UDP ports are not probed)'},
	via: {type: 'string', value: 'WAY', help: 'clusterip | nodeport | external | lb | dns | endpoints (ns/name targets)'},
	match: {type: 'string', value: 'REGEX', help: 'the first group of REGEX in the response names the pod'},
	debugPod: {type: 'boolean', default: false, help: 'allow svctop to create a short-lived host-network pod on the node (deleted at the end) and exec in it'},
	debugImage: {type: 'string', default: defaultDebugImage, value: 'IMAGE', help: `image of the debug pod; needs iptables, nft, ipvsadm, conntrack, curl (default: ${defaultDebugImage})`},
	debugNamespace: {type: 'string', default: defaultDebugNamespace, value: 'NS', help: `namespace of the debug pods (default: ${defaultDebugNamespace}; Pod Security usually rejects host-network pods elsewhere)`},
	allNodes: {type: 'boolean', default: false, help: 'every node\'s rules (with --debug-pod), and where the nodes disagree'},
	from: {type: 'string', value: 'WHERE', help: 'probe from node/NAME or nodes (each in turn; with --debug-pod), or from inside pod/NS/NAME (exec, nothing created)'},
	clean: {type: 'boolean', default: false, help: 'delete the pods listed'},
} as const;

export type FlagName = keyof typeof flagTable;

type FlagSpec = {readonly type: 'string' | 'boolean' | 'number'; readonly shortFlag?: string; readonly value?: string; readonly help: string};

export function flagSpec(name: FlagName): FlagSpec {
	return flagTable[name];
}

/** `allNamespaces` -> `all-namespaces`: how the flag is spelled on the command line. */
export function kebab(name: string): string {
	return name.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`);
}

/** The flag a command-line word names (`-n`, `--namespace`, `--no-json`, `--allNamespaces`), if any. */
export function flagNamed(spelling: string): FlagName | undefined {
	for (const [name, flag] of Object.entries(flagTable) as Array<[FlagName, FlagSpec]>) {
		if (flag.shortFlag && spelling === `-${flag.shortFlag}`) {
			return name;
		}

		const long = [`--${kebab(name)}`, `--${name}`];
		if (long.includes(spelling) || (flag.type === 'boolean' && long.includes(spelling.replace(/^--no-/, '--')))) {
			return name;
		}
	}

	return undefined;
}
