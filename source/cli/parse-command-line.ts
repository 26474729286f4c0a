import meow from 'meow';
import type {CliConfig} from '../commands/run-command.js';
import {parseByteSize} from '../core/nat/dump-limits.js';
import {invalidNodeName} from '../node/access/node-name.js';
import {parseDuration} from '../core/probe/duration.js';
import {badTarget, parseTarget} from '../core/services/service-target.js';
import {flagNamed, flagSpec, flagTable, kebab, type FlagName} from './flags.js';
import {commandHelp, commandsTaking, commandUsage, generalHelp, isCommand, takesFlag, type CommandName} from './help.js';

/** What the command line asks for; nothing here reads the cluster, the node or the network. */
export type ParsedCommandLine =
	| {readonly kind: 'help'; readonly text: string}
	| {readonly kind: 'version'}
	| {readonly kind: 'error'; readonly message: string}
	| {readonly kind: 'run'; readonly config: CliConfig};

/** A flag as it was given, e.g. `-o json`; `missing` when it takes a value and got none. */
type GivenFlag = {readonly name: FlagName; readonly text: string; readonly missing?: boolean};

type Words = {
	flags: GivenFlag[];
	positionals: string[];
	help: boolean;
	version: boolean;
	/** The first problem met (an unknown flag), reported unless help was asked for. */
	problem?: string;
	/** The words with every value joined to its flag (`--interval=-5ms`), for meow. */
	argv: string[];
};

const outputFormats = ['wide', 'json', 'yaml', 'name'] as const;
const durationRange = {minMs: 1, maxMs: 3_600_000, text: '1ms to 1h'};

function isFlagWord(word: string): boolean {
	return ['--', '-h', '--help', '--version'].includes(word) || flagNamed(word.split('=')[0]!) !== undefined;
}

/**
 * Splits the words into flags and positionals. A flag that takes a value takes the next word unless
 * that is itself a flag, as kubectl does: so `--interval -5ms` and `--file -` reach their flag instead
 * of being read as short flags.
 */
function readWords(raw: readonly string[]): Words {
	const words: Words = {flags: [], positionals: [], help: false, version: false, argv: []};
	for (let index = 0; index < raw.length; index++) {
		const word = raw[index]!;
		if (word === '--') {
			words.positionals.push(...raw.slice(index + 1));
			words.argv.push(...raw.slice(index));
			break;
		}

		if (word === '-h' || word === '--help') {
			words.help = true;
		} else if (word === '--version') {
			words.version = true;
		} else if (!word.startsWith('-') || word === '-') {
			words.positionals.push(word);
			words.argv.push(word);
		} else {
			index += readFlag(word, raw[index + 1], words);
		}
	}

	return words;
}

/** Adds one flag word (and its value, when it takes the next word); returns how many extra words it took. */
function readFlag(word: string, next: string | undefined, words: Words): number {
	const equals = word.indexOf('=');
	const spelled = equals === -1 ? word : word.slice(0, equals);
	const name = flagNamed(spelled);
	if (name === undefined) {
		words.problem ??= `unknown flag ${spelled}`;
		return 0;
	}

	const given = equals === -1 ? undefined : word.slice(equals + 1);
	if (flagSpec(name).type === 'boolean' && given !== undefined && given !== 'true' && given !== 'false') {
		// The parser would read any other value as false: `-A=1` would quietly mean one namespace.
		words.problem ??= `${spelled} takes no value, or =true or =false (got "${given}")`;
		return 0;
	}

	if (flagSpec(name).type === 'boolean' || equals !== -1) {
		words.flags.push({name, text: word, missing: flagSpec(name).type !== 'boolean' && equals === word.length - 1});
		words.argv.push(word);
		return 0;
	}

	const value = next === undefined || isFlagWord(next) ? undefined : next;
	words.flags.push({name, text: value === undefined ? spelled : `${spelled} ${value}`, missing: value === undefined});
	words.argv.push(`${spelled}=${value ?? ''}`);
	return value === undefined ? 0 : 1;
}

class UsageError extends Error {}

function repeatedFlag(flags: readonly GivenFlag[]): string | undefined {
	for (const flag of flags) {
		const same = flags.filter(other => other.name === flag.name);
		if (same.length > 1) {
			return `--${kebab(flag.name)} is given ${same.length} times (${same.map(other => other.text).join(', ')}); give it once`;
		}
	}

	return undefined;
}

function oneOf<T extends string>(name: FlagName, value: string | undefined, allowed: readonly T[]): T | undefined {
	if (value !== undefined && !(allowed as readonly string[]).includes(value)) {
		throw new UsageError(`--${kebab(name)} must be one of ${allowed.join(', ')} (got "${value}")`);
	}

	return value as T | undefined;
}

function duration(name: FlagName, text: string): number {
	// kubectl's durations carry a unit; a bare 5 would silently be 5 ms. (0 is out of range either way.)
	if (/^\s*\d+(\.\d+)?\s*$/.test(text) && Number(text) !== 0) {
		throw new UsageError(`--${kebab(name)} ${text.trim()} has no unit: write e.g. ${text.trim()}s or ${text.trim()}ms (a duration from ${durationRange.text})`);
	}

	const parsed = parseDuration(text);
	if ('error' in parsed || parsed.ms < durationRange.minMs || parsed.ms > durationRange.maxMs) {
		throw new UsageError(`--${kebab(name)} must be a duration from ${durationRange.text}, e.g. 200ms or 2s (got "${text}")`);
	}

	return parsed.ms;
}

function byteSize(text: string | undefined): number | undefined {
	const parsed = text === undefined ? undefined : parseByteSize(text);
	if (typeof parsed === 'object') {
		throw new UsageError(`--max-bytes: ${parsed.error}`);
	}

	return parsed;
}

function wholeNumber(name: FlagName, value: number | undefined): void {
	if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
		throw new UsageError(`--${kebab(name)} must be a whole number of at least 1`);
	}
}

function helpFor(words: Words): ParsedCommandLine {
	const topic = words.help ? words.positionals[0] : words.positionals[1];
	if (topic === undefined || topic === 'help') {
		return {kind: 'help', text: generalHelp()};
	}

	if (!isCommand(topic)) {
		return {kind: 'error', message: unknownCommand(topic)};
	}

	return {kind: 'help', text: commandUsage(topic)};
}

function unknownCommand(word: string): string {
	return `unknown command "${word}" (expected one of: ${Object.keys(commandHelp).join(', ')}, help; see svctop --help)`;
}

/** Unknown, repeated or value-less flags: what the flag parser cannot be trusted with. */
function checkWords(words: Words, command: CommandName): void {
	const usage = `(see svctop ${command === 'dashboard' ? '' : `${command} `}--help)`;
	if (words.problem) {
		throw new UsageError(`${words.problem} ${usage}`);
	}

	const repeated = repeatedFlag(words.flags);
	if (repeated) {
		throw new UsageError(repeated);
	}

	const missing = words.flags.find(flag => flag.missing);
	if (missing) {
		throw new UsageError(`${missing.text.replace(/=$/, '')} needs a value ${usage}`);
	}
}

/** The arguments each command takes: describe one Service, probe one target, list names, the others none. */
function checkArguments(command: CommandName, args: readonly string[], allNamespaces: boolean): void {
	const usage = `(see svctop ${command} --help)`;
	if (command === 'describe' || command === 'probe') {
		if (args.length > 1) {
			throw new UsageError(`${command} takes one ${command === 'describe' ? 'Service' : 'target'}, got ${args.length}: ${args.join(' ')} ${usage}`);
		}

		if (command === 'describe' && args[0] !== undefined && !parseTarget(args[0], 'default')) {
			throw new UsageError(badTarget(args[0]));
		}

		return;
	}

	if (command === 'list') {
		const qualified = args.find(arg => arg.includes('/'));
		if (qualified) {
			throw new UsageError(`list takes Service names, got "${qualified}" (another namespace: -n NAMESPACE)`);
		}

		if (args.length > 0 && allNamespaces) {
			// kubectl's words for `kubectl get svc -A NAME`.
			throw new UsageError('a resource cannot be retrieved by name across all namespaces');
		}

		return;
	}

	if (args.length > 0) {
		throw new UsageError(`${command === 'dashboard' ? 'the dashboard' : command} takes no arguments, got "${args.join(' ')}" ${usage}`);
	}
}

/** The config of a run, or the usage error in it. */
function configOf(words: Words): CliConfig {
	const [command = 'dashboard', ...args] = words.positionals;
	if (!isCommand(command)) {
		throw new UsageError(unknownCommand(command));
	}

	checkWords(words, command);
	// svctop answers --help and --version itself, so meow needs no package.json: given one, it does not
	// search the disk for it at every start. meow names the process after it (ps, top, pgrep svctop).
	const {flags} = meow({importMeta: import.meta, pkg: {name: 'svctop'}, argv: words.argv, autoHelp: false, autoVersion: false, allowUnknownFlags: true, flags: flagTable});
	const output = oneOf('output', flags.output, outputFormats);
	const mode = oneOf('mode', flags.mode, ['iptables', 'nftables', 'ipvs'] as const);
	oneOf('via', flags.via, ['clusterip', 'nodeport', 'external', 'lb', 'dns', 'endpoints']);
	if (output !== undefined && command !== 'list' && command !== 'dashboard') {
		throw new UsageError(`-o/--output is for svctop list; ${command} takes --json`);
	}

	if (output !== undefined && flags.json) {
		throw new UsageError(`-o ${output} and --json cannot be used together (--json prints svctop's own rows, -o kubectl's formats)`);
	}

	const intervalMs = duration('interval', flags.interval);
	const timeoutMs = duration('timeout', flags.timeout);
	const maxBytes = byteSize(flags.maxBytes);
	// A node name reaches command lines (--node-cmd) and the API: only a real node name, never an option.
	const badNode = flags.node === undefined ? null : invalidNodeName(flags.node);
	if (badNode) {
		throw new UsageError(`--node ${JSON.stringify(flags.node)} ${badNode}`);
	}

	// Without a way to reach it, the rules read would be this machine's, shown as if they were the node's.
	if (flags.node !== undefined && flags.nodeCmd === undefined && !flags.debugPod && !flags.demo) {
		throw new UsageError(`--node ${flags.node} needs --node-cmd TEMPLATE or --debug-pod to reach that node (without them svctop reads this machine's rules)`);
	}

	if (flags.natFile === '-') {
		throw new UsageError('--nat-file - cannot read the rules from standard input: the dashboard reads its keys there; give a file (--nat-file FILE)');
	}

	// --tcp sends nothing: a path or a query beside it would be dropped without a word.
	const besideTcp = flags.tcp ? [flags.http === undefined ? '' : '--http', flags.dns ? '--dns' : ''].filter(Boolean) : [];
	if (besideTcp.length > 0) {
		throw new UsageError(`--tcp and ${besideTcp.join(' and ')} cannot be used together: --tcp only connects`);
	}

	wholeNumber('count', flags.count);
	wholeNumber('concurrency', flags.concurrency);
	if (flags.namespace !== undefined && flags.allNamespaces) {
		throw new UsageError('--namespace and --all-namespaces cannot be used together');
	}

	// A flag of another command would be read by nothing here: say so rather than ignore it, as kubectl does.
	const foreign = words.flags.find(flag => !takesFlag(command, flag.name));
	if (foreign) {
		throw new UsageError(`${foreign.text.split(/[ =]/)[0]} is for ${commandsTaking(foreign.name)} (see svctop ${command === 'dashboard' ? '' : `${command} `}--help)`);
	}

	checkArguments(command, args, flags.allNamespaces);
	// [NS/]NAME[:PORT]: a second colon or an empty port would be read as something else.
	const [serviceName, servicePort, ...more] = flags.service?.split(':') ?? [];
	if (flags.service !== undefined && (!parseTarget(serviceName!, 'default') || servicePort === '' || more.length > 0)) {
		throw new UsageError(`--service: ${badTarget(flags.service)}${servicePort === undefined ? '' : ' (and an optional :PORT, a port name)'}`);
	}

	return {
		command,
		args,
		demo: flags.demo,
		kubeconfig: flags.kubeconfig,
		context: flags.context,
		namespace: flags.namespace,
		allNamespaces: flags.allNamespaces,
		clusterDomain: flags.clusterDomain,
		wide: output === 'wide',
		json: flags.json,
		kubectlFormat: output === 'wide' ? undefined : output,
		file: flags.file,
		natFile: flags.natFile,
		mode,
		service: flags.service,
		node: flags.node,
		nodeCmd: flags.nodeCmd,
		maxBytes,
		access: {debugPod: flags.debugPod, image: flags.debugImage, namespace: flags.debugNamespace, allNodes: flags.allNodes, from: flags.from, clean: flags.clean},
		probe: {
			count: flags.count,
			intervalMs,
			timeoutMs,
			concurrency: flags.concurrency,
			mode: flags.tcp ? 'tcp' : flags.dns ? 'dns' : 'http',
			path: flags.http ?? '/',
			via: flags.via,
			match: flags.match,
		},
	};
}

/** Reads svctop's command line (without `node` and the script): help, version, a usage error or a run. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
	const words = readWords(argv);
	if (words.help || words.positionals[0] === 'help') {
		return helpFor(words);
	}

	if (words.version) {
		// cli.tsx prints version.ts's text (a single executable has no package.json for meow to read).
		return {kind: 'version'};
	}

	try {
		return {kind: 'run', config: configOf(words)};
	} catch (error) {
		if (error instanceof UsageError) {
			return {kind: 'error', message: error.message};
		}

		// meow's own checks throw too; their message is one line.
		return {kind: 'error', message: error instanceof Error ? error.message : String(error)};
	}
}
