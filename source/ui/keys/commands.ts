/**
 * The one registry of keys: every command the dashboard understands, what it does and which keys
 * trigger it. Matchers (match.ts) and the help screen are derived from this table, so a key is
 * added or rebound here and nowhere else.
 */
export const Command = {
	up: 'up',
	down: 'down',
	pageUp: 'pageUp',
	pageDown: 'pageDown',
	top: 'top',
	bottom: 'bottom',
	filter: 'filter',
	namespace: 'namespace',
	commandLine: 'commandLine',
	sortName: 'sortName',
	sortType: 'sortType',
	sortAge: 'sortAge',
	sortEndpoints: 'sortEndpoints',
	open: 'open',
	yaml: 'yaml',
	nat: 'nat',
	probe: 'probe',
	refresh: 'refresh',
	natAll: 'natAll',
	natVantage: 'natVantage',
	probeRun: 'probeRun',
	probePause: 'probePause',
	probeClear: 'probeClear',
	probeVia: 'probeVia',
	probePort: 'probePort',
	probeSlower: 'probeSlower',
	probeFaster: 'probeFaster',
	complete: 'complete',
	help: 'help',
	back: 'back',
	quit: 'quit',
	forceQuit: 'forceQuit',
} as const;

export type Command = (typeof Command)[keyof typeof Command];

/**
 * One key combination. `name` is a named key (`up`, `down`, `pageup`, `pagedown`, `home`, `end`,
 * `return`, `escape`, `tab`, `backspace`) or a single printable character (`j`, `G`, `/`).
 */
export type KeyBinding = {
	readonly name: string;
	readonly ctrl?: boolean;
};

/** Where a command applies; the help screen groups by it. */
export type CommandSection = 'Navigation' | 'Service list' | 'Screens' | 'General';

export type CommandSpec = {
	readonly description: string;
	readonly section: CommandSection;
	readonly bindings: readonly KeyBinding[];
};

export const commands: Readonly<Record<Command, CommandSpec>> = {
	up: {description: 'Up one row (detail: scroll)', section: 'Navigation', bindings: [{name: 'k'}, {name: 'up'}]},
	down: {description: 'Down one row (detail: scroll)', section: 'Navigation', bindings: [{name: 'j'}, {name: 'down'}]},
	pageUp: {description: 'One page up', section: 'Navigation', bindings: [{name: 'pageup'}, {name: 'b', ctrl: true}]},
	pageDown: {description: 'One page down', section: 'Navigation', bindings: [{name: 'pagedown'}, {name: 'f', ctrl: true}]},
	top: {description: 'First row', section: 'Navigation', bindings: [{name: 'g'}, {name: 'home'}]},
	bottom: {description: 'Last row', section: 'Navigation', bindings: [{name: 'G'}, {name: 'end'}]},
	filter: {
		description: 'Filter by name, namespace, type or IP (Enter keeps, Esc clears)',
		section: 'Service list',
		bindings: [{name: '/'}],
	},
	namespace: {description: 'Switch namespace (`all` for every namespace)', section: 'Service list', bindings: [{name: 'n'}]},
	commandLine: {description: 'Command line, on every screen (commands below)', section: 'General', bindings: [{name: ':'}]},
	sortName: {description: 'Sort by namespace/name (again: reverse)', section: 'Service list', bindings: [{name: '1'}]},
	sortType: {description: 'Sort by type (again: reverse)', section: 'Service list', bindings: [{name: '2'}]},
	sortAge: {description: 'Sort by age, newest first (again: reverse)', section: 'Service list', bindings: [{name: '3'}]},
	sortEndpoints: {
		description: 'Sort by ready endpoints, fewest first (again: reverse)',
		section: 'Service list',
		bindings: [{name: '4'}],
	},
	open: {description: 'Open the selected Service', section: 'Screens', bindings: [{name: 'return'}]},
	yaml: {description: 'YAML of the Service (kubectl get -o yaml; read-only)', section: 'Screens', bindings: [{name: 'y'}]},
	nat: {description: 'NAT rules of the selected Service', section: 'Screens', bindings: [{name: 't'}]},
	probe: {description: 'Probe the selected Service', section: 'Screens', bindings: [{name: 'p'}]},
	refresh: {description: 'Detail: fetch pods again; NAT view: read the rules again', section: 'Screens', bindings: [{name: 'r'}]},
	natAll: {description: 'NAT view: this Service or the whole table', section: 'Screens', bindings: [{name: 'a'}]},
	natVantage: {description: 'NAT view: read this machine\'s or a node\'s rules; probe view: probe from this machine, a node (a debug pod there) or a running pod of the namespace (exec, nothing created), after a y/n naming it; needs --debug-pod', section: 'Screens', bindings: [{name: 'w'}]},
	// The probe view's own keys (source/ui/views/ProbeView.tsx).
	probeRun: {description: 'Probe view: start / stop probing', section: 'Screens', bindings: [{name: ' '}]},
	probePause: {description: 'Probe view: freeze / resume the display (probing goes on)', section: 'Screens', bindings: [{name: 'z'}]},
	probeClear: {description: 'Probe view: clear samples and counts', section: 'Screens', bindings: [{name: 'c'}]},
	probeVia: {description: 'Probe view: next target this Service has: ClusterIP, NodePort, externalIPs, LoadBalancer, DNS name, each endpoint', section: 'Screens', bindings: [{name: 'v'}]},
	probePort: {description: 'Probe view: next port of a multi-port Service', section: 'Screens', bindings: [{name: 'o'}]},
	probeSlower: {description: 'Probe view: longer interval, up to 1s', section: 'Screens', bindings: [{name: '+'}]},
	probeFaster: {description: 'Probe view: shorter interval, down to 10ms', section: 'Screens', bindings: [{name: '-'}]},
	complete: {description: 'In prompts: complete a command, namespace or context', section: 'General', bindings: [{name: 'tab'}]},
	help: {description: 'Show or hide this help', section: 'General', bindings: [{name: '?'}]},
	back: {description: 'Back / clear the filter', section: 'General', bindings: [{name: 'escape'}]},
	quit: {description: 'Back; quit from the list', section: 'General', bindings: [{name: 'q'}]},
	forceQuit: {description: 'Quit', section: 'General', bindings: [{name: 'c', ctrl: true}]},
};

const keyLabels: Readonly<Record<string, string>> = {
	up: '↑',
	down: '↓',
	pageup: 'PgUp',
	pagedown: 'PgDn',
	home: 'Home',
	end: 'End',
	return: 'Enter',
	escape: 'Esc',
	tab: 'Tab',
	backspace: 'Backspace',
	' ': 'Space',
};

/** How a binding is written in help and hints, e.g. `Ctrl-C`, `PgDn`, `j`. */
export function bindingLabel(binding: KeyBinding): string {
	const base = keyLabels[binding.name] ?? binding.name;
	return binding.ctrl ? `Ctrl-${base.toUpperCase()}` : base;
}

/** All bindings of a command joined for display, e.g. `j ↓`. */
export function commandKeys(command: Command): string {
	return commands[command].bindings.map(binding => bindingLabel(binding)).join(' ');
}
