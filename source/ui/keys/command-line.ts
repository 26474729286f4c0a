/**
 * The `:` command line, k9s style: one table of verbs with their spellings, arguments and help, from
 * which the parser, the completion and the help screen are derived.
 */
export type CommandLineVerb = 'ns' | 'ctx' | 'svc' | 'q';

export type CommandLineSpec = {
	/** Spellings accepted, the first shown in help. */
	readonly names: readonly string[];
	/** How the argument is written in help, '' when there is none. */
	readonly argument: string;
	readonly description: string;
};

export const commandLineVerbs: Readonly<Record<CommandLineVerb, CommandLineSpec>> = {
	ns: {names: ['ns', 'namespace'], argument: '[NAME|all]', description: 'Switch namespace (none or `all`: every namespace)'},
	ctx: {names: ['ctx', 'context'], argument: '[NAME]', description: 'Switch kubeconfig context; without a name, list them'},
	svc: {names: ['svc', 'services', 'service'], argument: '', description: 'Back to the Service list'},
	q: {names: ['q', 'quit'], argument: '', description: 'Quit'},
};

/** What `:` accepts. */
export type ParsedCommand =
	| {readonly kind: 'namespace'; readonly namespace: string | undefined}
	| {readonly kind: 'context'; readonly context: string | undefined}
	| {readonly kind: 'services'}
	| {readonly kind: 'quit'}
	| {readonly kind: 'error'; readonly message: string};

function verbOf(word: string): CommandLineVerb | undefined {
	return (Object.keys(commandLineVerbs) as CommandLineVerb[]).find(verb => commandLineVerbs[verb].names.includes(word));
}

/** `all`, `-A`, `*` or nothing mean every namespace. */
export function parseNamespace(text: string): string | undefined {
	const name = text.trim();
	return name === '' || name === 'all' || name === '-A' || name === '*' ? undefined : name;
}

/** Parses a command-line entry: `ns NAME`, `ns all` (or `ns` alone), `ctx [NAME]`, `svc`, `q`. */
export function parseCommandLine(text: string): ParsedCommand {
	const [word = '', ...rest] = text.trim().split(/\s+/);
	const verb = verbOf(word);
	if (verb === undefined) {
		return {kind: 'error', message: word === '' ? 'empty command' : `unknown command: ${word} (try :ns NAME, :ctx, :svc)`};
	}

	const takes = commandLineVerbs[verb].argument !== '';
	if (rest.length > (takes ? 1 : 0)) {
		return {kind: 'error', message: takes ? `one name at a time: ${text.trim()}` : `:${word} takes no argument`};
	}

	switch (verb) {
		case 'ns': {
			const namespace = parseNamespace(rest[0] ?? '');
			// A namespace name is a DNS label; anything else would only be asked of the API to find nothing.
			return namespace === undefined || /^[a-z\d]([-a-z\d]{0,61}[a-z\d])?$/.test(namespace)
				? {kind: 'namespace', namespace}
				: {kind: 'error', message: `not a namespace name: ${namespace} (lowercase letters, digits and -)`};
		}

		case 'ctx': {
			return {kind: 'context', context: rest[0]};
		}

		case 'svc': {
			return {kind: 'services'};
		}

		case 'q': {
			return {kind: 'quit'};
		}
	}
}

/** A completed prompt text and, when the completion is not unique, the candidates left. */
export type Completion = {readonly text: string; readonly candidates: readonly string[]};

function commonPrefix(words: readonly string[]): string {
	let prefix = words[0] ?? '';
	for (const word of words) {
		while (!word.startsWith(prefix)) {
			prefix = prefix.slice(0, -1);
		}
	}

	return prefix;
}

/**
 * Completes the last word of `text` from `words`, as a shell does: a unique match whole (with a
 * space after a command-line verb), several up to what they share.
 */
export function completeWord(text: string, words: readonly string[], suffix = ''): Completion {
	const start = text.lastIndexOf(' ') + 1;
	const partial = text.slice(start);
	const matches = [...new Set(words)].filter(word => word.startsWith(partial)).sort();
	if (matches.length === 0) {
		return {text, candidates: []};
	}

	if (matches.length === 1) {
		return {text: text.slice(0, start) + matches[0]! + suffix, candidates: []};
	}

	return {text: text.slice(0, start) + commonPrefix(matches), candidates: matches};
}

/** Tab on the command line: the verb, then a namespace after `ns`, a context after `ctx`. */
export function completeCommandLine(text: string, names: {readonly namespaces: readonly string[]; readonly contexts: readonly string[]}): Completion {
	const words = text.trimStart().split(/\s+/);
	if (words.length <= 1) {
		const spellings = (Object.keys(commandLineVerbs) as CommandLineVerb[]).map(verb => commandLineVerbs[verb].names[0]!);
		return completeWord(text.trimStart(), spellings, ' ');
	}

	const verb = verbOf(words[0]!);
	if (verb === 'ns') {
		return completeWord(text, [...names.namespaces, 'all']);
	}

	if (verb === 'ctx') {
		return completeWord(text, names.contexts);
	}

	return {text, candidates: []};
}
