import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {parseCommandLine, type ParsedCommandLine} from '../../source/cli/parse-command-line.js';
import {flagTable, kebab, type FlagName} from '../../source/cli/flags.js';
import {commandHelp, takesFlag} from '../../source/cli/help.js';

function errorOf(parsed: ParsedCommandLine): string {
	assert.equal(parsed.kind, 'error', `expected a usage error, got ${JSON.stringify(parsed).slice(0, 300)}`);
	return (parsed as {message: string}).message;
}

function configOf(parsed: ParsedCommandLine) {
	assert.equal(parsed.kind, 'run', JSON.stringify(parsed).slice(0, 300));
	return (parsed as Extract<ParsedCommandLine, {kind: 'run'}>).config;
}

/** A value each flag accepts, so that giving it twice is the only problem. */
const validValue: Partial<Record<FlagName, string>> = {
	output: 'wide',
	mode: 'iptables',
	via: 'clusterip',
	count: '3',
	concurrency: '2',
	interval: '5ms',
	timeout: '2s',
	service: 'default/web',
	maxBytes: '1G',
};

function given(name: FlagName, value?: string): string[] {
	const flag = flagTable[name];
	if (flag.type === 'boolean') {
		return [`--${kebab(name)}`];
	}

	return [`--${kebab(name)}`, value ?? validValue[name] ?? 'x'];
}

describe('a repeated flag is one line naming the flag and both uses', () => {
	for (const name of Object.keys(flagTable) as FlagName[]) {
		test(`--${kebab(name)} twice`, () => {
			// A command that takes the flag (each takes only those its help lists).
			const command = (['probe', 'list', 'nat', 'debug-pods', 'dashboard'] as const).find(candidate => takesFlag(candidate, name))!;
			// --node alone is refused (it names a node svctop has no way to reach).
			const reach = name === 'node' ? ['--demo'] : [];
			const once = parseCommandLine([command, ...(command === 'probe' ? ['1.2.3.4:80'] : []), ...reach, ...given(name)]);
			assert.equal(once.kind, 'run', `once is fine: ${JSON.stringify(once).slice(0, 200)}`);
			const message = errorOf(parseCommandLine([command, ...(command === 'probe' ? ['1.2.3.4:80'] : []), ...reach, ...given(name), ...given(name)]));
			assert.match(message, new RegExp(`^--${kebab(name)} is given 2 times \\(.*\\); give it once$`));
			assert.doesNotMatch(message, /\n/);
		});
	}

	test('short and long spellings of one flag count as the same flag', () => {
		assert.equal(errorOf(parseCommandLine(['list', '-o', 'json', '--output=wide'])), '--output is given 2 times (-o json, --output=wide); give it once');
		assert.match(errorOf(parseCommandLine(['list', '-A', '--all-namespaces'])), /^--all-namespaces is given 2 times/);
		assert.match(errorOf(parseCommandLine(['list', '--json', '--no-json'])), /^--json is given 2 times/);
		assert.match(errorOf(parseCommandLine(['list', '-n', 'a', '--namespace', 'b'])), /^--namespace is given 2 times \(-n a, --namespace b\)/);
	});
});

describe('--node takes only a Kubernetes node name, for every command', () => {
	for (const [command, value] of [['nat', '-oProxyCommand=touch /tmp/x'], ['probe', '--help-me'], ['nat', 'Node_A'], ['dashboard', 'a..b']] as const) {
		test(`${command} --node=${value}`, () => {
			const args = command === 'probe' ? ['probe', '1.2.3.4:80'] : [command];
			assert.match(errorOf(parseCommandLine([...args, `--node=${value}`])), /^--node ".*" is not a DNS-1123 subdomain/);
		});
	}

	test('a real node name is taken', () => {
		const parsed = parseCommandLine(['nat', '--node', 'myk8s-worker2.example.com', '--debug-pod']);
		assert.equal(parsed.kind, 'run');
	});
});

describe('--node needs a way to reach the node (qa4 F23: never this machine\'s rules shown as the node\'s)', () => {
	for (const command of ['nat', 'dashboard', 'list'] as const) {
		test(`${command} --node NAME alone is one line naming --node-cmd and --debug-pod`, () => {
			const message = errorOf(parseCommandLine([command, '--node', 'node-zzz']));
			assert.match(message, /^--node node-zzz needs --node-cmd TEMPLATE or --debug-pod/);
			assert.doesNotMatch(message, /\n/);
		});
	}

	test('nat --file FILE --node NAME is refused too (the file is not that node\'s)', () => {
		assert.match(errorOf(parseCommandLine(['nat', '--file', 'dump.txt', '--node', 'node-zzz'])), /^--node node-zzz needs/);
	});

	for (const reach of [['--node-cmd', 'ssh {node} sudo iptables-save'], ['--debug-pod'], ['--demo']]) {
		test(`nat --node NAME ${reach[0]} is taken`, () => {
			assert.equal(configOf(parseCommandLine(['nat', '--node', 'node-zzz', ...reach])).node, 'node-zzz');
		});
	}
});

describe('durations: a clear range, never a silent default', () => {
	for (const name of ['interval', 'timeout'] as const) {
		for (const bad of ['-5ms', '0', '0s', '0.5ms', '2h', 'abc', '5 parsecs', '-1']) {
			test(`--${name} ${bad}`, () => {
				assert.equal(errorOf(parseCommandLine(['probe', '1.2.3.4:80', `--${name}`, bad])), `--${name} must be a duration from 1ms to 1h, e.g. 200ms or 2s (got "${bad}")`);
				assert.equal(errorOf(parseCommandLine(['probe', '1.2.3.4:80', `--${name}=${bad}`])), `--${name} must be a duration from 1ms to 1h, e.g. 200ms or 2s (got "${bad}")`);
			});
		}

		test(`--${name} without a value`, () => {
			assert.match(errorOf(parseCommandLine(['probe', '1.2.3.4:80', `--${name}`])), new RegExp(`^--${name} needs a value`));
			assert.match(errorOf(parseCommandLine(['probe', '1.2.3.4:80', `--${name}`, '--tcp'])), new RegExp(`^--${name} needs a value`));
		});
	}

	test('good durations reach the config in milliseconds', () => {
		const config = configOf(parseCommandLine(['probe', '1.2.3.4:80', '--interval', '1ms', '--timeout', '1h']));
		assert.equal(config.probe.intervalMs, 1);
		assert.equal(config.probe.timeoutMs, 3_600_000);
		assert.equal(configOf(parseCommandLine(['probe', '1.2.3.4:80', '--interval=1m30s'])).probe.intervalMs, 90_000);
		assert.equal(configOf(parseCommandLine(['probe', '1.2.3.4:80'])).probe.intervalMs, 1000);
	});
});

test('a switch given =true or =false is that value', () => {
	assert.equal(configOf(parseCommandLine(['list', '-A=true'])).allNamespaces, true);
	assert.equal(configOf(parseCommandLine(['list', '--all-namespaces=false'])).allNamespaces, false);
});

describe('other flag errors are one line', () => {
	const cases: Array<[string[], RegExp]> = [
		[['list', '--bogus'], /^unknown flag --bogus \(see svctop list --help\)$/],
		[['--bogus'], /^unknown flag --bogus \(see svctop --help\)$/],
		[['frobnicate'], /^unknown command "frobnicate"/],
		[['list', '-o', 'table'], /^--output must be one of wide, json, yaml, name \(got "table"\)$/],
		[['list', '-o', 'json', '--json'], /^-o json and --json cannot be used together/],
		[['describe', 'a/b', '-o', 'json'], /^-o\/--output is for svctop list; describe takes --json$/],
		[['list', '--namespace', '-A'], /^--namespace needs a value/],
		[['list', '-n'], /^-n needs a value/],
		[['list', '--namespace='], /^--namespace needs a value/],
		[['probe', 'x:1', '--count', '0'], /^--count must be a whole number of at least 1$/],
		[['probe', 'x:1', '--count', '-3'], /^--count must be a whole number of at least 1$/],
		[['probe', 'x:1', '--concurrency', '1.5'], /^--concurrency must be a whole number of at least 1$/],
		[['nat', '--mode', 'bpf'], /^--mode must be one of iptables, nftables, ipvs/],
		[['list', '-n', 'a', '-A'], /^--namespace and --all-namespaces cannot be used together$/],
		[['probe', 'x:1', '--tcp', '--http', '/x'], /^--tcp and --http cannot be used together: --tcp only connects$/],
		[['probe', 'x:1', '--tcp', '--dns'], /^--tcp and --dns cannot be used together/],
		// A flag of another command is refused, not ignored (as kubectl does).
		[['list', '--count', '3'], /^--count is for svctop probe \(see svctop list --help\)$/],
		[['describe', 'a/b', '-A'], /^-A is for svctop list, svctop nat and the dashboard \(see svctop describe --help\)$/],
		[['nat', '--tcp'], /^--tcp is for svctop probe \(see svctop nat --help\)$/],
		[['--count=2'], /^--count is for svctop probe \(see svctop --help\)$/],
		// The parser reads any other value of a switch as false: -A=1 would quietly mean one namespace.
		[['list', '-A=1'], /^-A takes no value, or =true or =false \(got "1"\) \(see svctop list --help\)$/],
		[['describe', 'a/b', '--json=yes'], /^--json takes no value, or =true or =false \(got "yes"\)/],
	];
	for (const [argv, pattern] of cases) {
		test(argv.join(' '), () => {
			const message = errorOf(parseCommandLine(argv));
			assert.match(message, pattern);
			assert.doesNotMatch(message, /\n/);
		});
	}
});

describe('values that start with a dash reach their flag', () => {
	test('--file - and --match -x', () => {
		const config = configOf(parseCommandLine(['nat', '--file', '-', '--service', 'default/web']));
		assert.equal(config.file, '-');
		assert.equal(config.service, 'default/web');
		assert.equal(configOf(parseCommandLine(['probe', 'h:1', '--match', '-(\\w+)'])).probe.match, '-(\\w+)');
	});

	test('a --node value that looks like an ssh option is the node\'s value (refused as a node name), not -o', () => {
		assert.match(errorOf(parseCommandLine(['nat', '--node', '-oProxyCommand=touch /tmp/x'])), /^--node "-oProxyCommand=touch \/tmp\/x" is not a DNS-1123 subdomain/);
	});

	test('-o formats: wide is the table, json|yaml|name are kubectl\'s, --json svctop\'s rows', () => {
		assert.deepEqual([configOf(parseCommandLine(['list', '-o', 'wide'])).wide, configOf(parseCommandLine(['list', '-o', 'wide'])).kubectlFormat], [true, undefined]);
		for (const format of ['json', 'yaml', 'name'] as const) {
			const config = configOf(parseCommandLine(['list', '-o', format]));
			assert.deepEqual([config.kubectlFormat, config.json, config.wide], [format, false, false]);
		}

		assert.deepEqual([configOf(parseCommandLine(['list', '--json'])).json, configOf(parseCommandLine(['list', '--json'])).kubectlFormat], [true, undefined]);
	});
});

describe('help', () => {
	const commands = Object.keys(commandHelp).filter(name => name !== 'dashboard');
	for (const command of commands) {
		for (const argv of [[command, '--help'], [command, '-h'], ['help', command], [command, 'ns/name', '--help', '-o', 'json', '-o', 'json', '--bogus']]) {
			test(argv.join(' '), () => {
				const parsed = parseCommandLine(argv);
				assert.equal(parsed.kind, 'help', JSON.stringify(parsed));
				const {text} = parsed as {text: string};
				assert.match(text, new RegExp(`^ {2}Usage\\n {4}\\$ svctop ${command}\\b`, 'm'));
				assert.match(text, /^ {2}Options$/m);
				assert.match(text, new RegExp(`^ {2}Examples\\n {4}\\$ (sudo )?svctop ${command}\\b`, 'm'));
				for (const flags of Object.values(commandHelp[command as keyof typeof commandHelp].options)) {
					for (const flag of flags) {
						assert.match(text, new RegExp(`^ {4}(-\\w, )?--${kebab(flag)}\\b`, 'm'), `--${kebab(flag)} is described`);
					}
				}
			});
		}
	}

	test('--help, -h, help: the general usage listing every command', () => {
		for (const argv of [['--help'], ['-h'], ['help'], ['help', 'help'], ['-n', 'kube-system', '--help']]) {
			const parsed = parseCommandLine(argv);
			assert.equal(parsed.kind, 'help', argv.join(' '));
			for (const command of commands) {
				assert.match((parsed as {text: string}).text, new RegExp(`^ {4}${command} `, 'm'));
			}
		}
	});

	test('each command\'s help is its own', () => {
		const texts = commands.map(command => (parseCommandLine([command, '--help']) as {text: string}).text);
		assert.equal(new Set(texts).size, commands.length);
		assert.match(texts[commands.indexOf('list')]!, /-o json, -o yaml +exactly what kubectl get svc -o json\|yaml prints/);
		assert.match(texts[commands.indexOf('list')]!, /--json +svctop's own rows/);
		// Only flags the command reads: debug pods have no Service names to qualify.
		assert.doesNotMatch(texts[commands.indexOf('debug-pods')]!, /--cluster-domain/);
		assert.match(texts[commands.indexOf('describe')]!, /--cluster-domain/);
	});

	test('help for an unknown command is a usage error', () => {
		assert.match(errorOf(parseCommandLine(['help', 'frobnicate'])), /^unknown command "frobnicate"/);
		assert.match(errorOf(parseCommandLine(['frobnicate', '--help'])), /^unknown command "frobnicate"/);
	});
});

describe('arguments: what each command takes, checked before any cluster is asked', () => {
	test('describe: one well-formed [NAMESPACE/]NAME', () => {
		assert.equal(errorOf(parseCommandLine(['describe', '--demo', 'a/b/c'])), 'expected NAMESPACE/NAME or NAME, got "a/b/c"');
		assert.equal(errorOf(parseCommandLine(['describe', '/x'])), 'expected NAMESPACE/NAME or NAME, got "/x"');
		assert.equal(errorOf(parseCommandLine(['describe', '--demo', 'a', 'b'])), 'describe takes one Service, got 2: a b (see svctop describe --help)');
		assert.deepEqual(configOf(parseCommandLine(['describe', 'svc/kube-dns'])).args, ['svc/kube-dns']);
	});

	test('list NAME...: names of the namespace, as kubectl get svc NAME...', () => {
		assert.deepEqual(configOf(parseCommandLine(['list', 'a', 'b'])).args, ['a', 'b']);
		assert.equal(errorOf(parseCommandLine(['list', '-A', 'a'])), 'a resource cannot be retrieved by name across all namespaces');
		assert.match(errorOf(parseCommandLine(['list', 'ns/a'])), /^list takes Service names, got "ns\/a"/);
	});

	test('nat, probe and the dashboard take no more than they use', () => {
		assert.match(errorOf(parseCommandLine(['nat', 'extra'])), /^nat takes no arguments, got "extra"/);
		assert.match(errorOf(parseCommandLine(['dashboard', 'extra'])), /^the dashboard takes no arguments/);
		assert.match(errorOf(parseCommandLine(['probe', 'a/b', 'c/d'])), /^probe takes one target, got 2/);
		assert.equal(errorOf(parseCommandLine(['nat', '--service', 'a/b/c'])), '--service: expected NAMESPACE/NAME or NAME, got "a/b/c"');
		// One port name at most, and not an empty one.
		assert.equal(errorOf(parseCommandLine(['nat', '--service', 'default/web:http:x'])), '--service: expected NAMESPACE/NAME or NAME, got "default/web:http:x" (and an optional :PORT, a port name)');
		assert.equal(errorOf(parseCommandLine(['nat', '--service', 'default/web:'])), '--service: expected NAMESPACE/NAME or NAME, got "default/web:" (and an optional :PORT, a port name)');
		assert.equal(configOf(parseCommandLine(['nat', '--service', 'default/web:http'])).service, 'default/web:http');
		assert.equal(configOf(parseCommandLine(['nat', '--service', 'svc-sticky:http'])).service, 'svc-sticky:http');
	});
});

describe('the dashboard command and durations', () => {
	test('the unknown-command error names every command, dashboard included', () => {
		const message = errorOf(parseCommandLine(['frobnicate']));
		for (const command of Object.keys(commandHelp)) {
			assert.match(message, new RegExp(`\\b${command}\\b`));
		}
	});

	test('help dashboard is the dashboard\'s own usage, not the general help', () => {
		const own = parseCommandLine(['help', 'dashboard']);
		assert.equal(own.kind, 'help');
		const {text} = own as {text: string};
		assert.notEqual(text, (parseCommandLine(['--help']) as {text: string}).text);
		assert.match(text, /^ {4}\$ svctop \[dashboard\] \[options\]$/m);
		assert.equal((parseCommandLine(['dashboard', '--help']) as {text: string}).text, text);
	});

	test('a duration without a unit is an error that says so; 0 stays out of range', () => {
		for (const name of ['interval', 'timeout']) {
			assert.equal(errorOf(parseCommandLine(['probe', '1.2.3.4:80', `--${name}`, '5'])), `--${name} 5 has no unit: write e.g. 5s or 5ms (a duration from 1ms to 1h)`);
			assert.match(errorOf(parseCommandLine(['probe', '1.2.3.4:80', `--${name}`, '0'])), /must be a duration from 1ms to 1h/);
		}

		assert.equal(configOf(parseCommandLine(['probe', '1.2.3.4:80', '--interval', '5ms'])).probe.intervalMs, 5);
	});
});

describe('--nat-file - (qa4 F11): standard input is the dashboard\'s keyboard', () => {
	test('refused in one line, before anything starts', () => {
		for (const args of [['--demo', '--nat-file', '-'], ['--nat-file=-']]) {
			const message = errorOf(parseCommandLine(args));
			assert.match(message, /^--nat-file - cannot read the rules from standard input: the dashboard reads its keys there/);
			assert.doesNotMatch(message, /\n/);
		}
	});

	test('a file is taken', () => {
		assert.equal(configOf(parseCommandLine(['--demo', '--nat-file', 'rules.txt'])).natFile, 'rules.txt');
	});
});
