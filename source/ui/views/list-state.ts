import {defaultSortOrder, type SortOrder} from '../table/service-table.js';

/** What the Service list remembers while another screen is open. */
export type ServiceListState = {
	/** `namespace/name` of the selected row. */
	readonly selectedKey: string | undefined;
	/** Index of the selection when last seen, the fallback when that Service disappears. */
	readonly selectedIndex: number;
	/** First row of the window. */
	readonly start: number;
	readonly filter: string;
	readonly sort: SortOrder;
};

export const initialListState: ServiceListState = {
	selectedKey: undefined,
	selectedIndex: 0,
	start: 0,
	filter: '',
	sort: defaultSortOrder,
};

/** What `:` accepts. */
export type ParsedCommand = {kind: 'namespace'; namespace: string | undefined} | {kind: 'quit'} | {kind: 'error'; message: string};

/** Parses a command-line entry: `ns NAME`, `ns all` (or `ns` alone), `q`/`quit`. */
export function parseCommandLine(text: string): ParsedCommand {
	const [verb = '', ...rest] = text.trim().split(/\s+/);
	if (verb === 'q' || verb === 'quit') {
		return {kind: 'quit'};
	}

	if (verb === 'ns' || verb === 'namespace') {
		if (rest.length > 1) {
			return {kind: 'error', message: `one namespace at a time: ${text.trim()}`};
		}

		return {kind: 'namespace', namespace: parseNamespace(rest[0] ?? '')};
	}

	return {kind: 'error', message: verb === '' ? 'empty command' : `unknown command: ${verb} (try :ns NAME)`};
}

/** `all`, `-A`, `*` or nothing mean every namespace. */
export function parseNamespace(text: string): string | undefined {
	const name = text.trim();
	return name === '' || name === 'all' || name === '-A' || name === '*' ? undefined : name;
}
