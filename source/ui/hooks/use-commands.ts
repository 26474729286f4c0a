import {useEffect, useState} from 'react';
import type {ClusterSource} from '../../kube/types.js';
import {parseCommandLine} from '../keys/command-line.js';
import type {ContextSwitch} from '../screens.js';
import type {ScreenStack} from './use-screen-stack.js';

export type Commands = {
	/** What the last command did or why it could not, until the next key. */
	readonly notice: string | undefined;
	clearNotice(): void;
	/** Runs a `:` command line. */
	run(text: string): void;
	switchNamespace(namespace: string | undefined): void;
	switchContext(name: string): void;
};

export type CommandsOptions = {
	readonly source: ClusterSource;
	readonly contextSwitch: ContextSwitch | undefined;
	/** The context shown now. */
	readonly context: string;
	/** The namespace shown now (undefined: all), with its Services listed: a switch to it is over. */
	readonly shownNamespace: string | undefined;
	readonly servicesListed: boolean;
	readonly screens: ScreenStack;
	readonly exit: () => void;
};

function firstLine(error: unknown): string {
	return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** What `:ns`, `:ctx`, `:svc`, `:q` and `n` do: requests to the source or the command layer, never I/O here. */
export function useCommands({source, contextSwitch, context, shownNamespace, servicesListed, screens, exit}: CommandsOptions): Commands {
	const [notice, setNotice] = useState<string | undefined>(undefined);
	// The namespace a switch is under way to: its "switching to" notice goes once that namespace is listed.
	const [switching, setSwitching] = useState<{namespace: string | undefined} | undefined>(undefined);
	useEffect(() => {
		if (switching && switching.namespace === shownNamespace && servicesListed) {
			setSwitching(undefined);
			setNotice(current => (current?.startsWith('switching to ') ? undefined : current));
		}
	}, [switching, shownNamespace, servicesListed]);

	const switchNamespace = (namespace: string | undefined) => {
		source.setNamespace(namespace);
		screens.toList();
		setNotice(`switching to ${namespace === undefined ? 'all namespaces' : `namespace ${namespace}`}`);
		setSwitching({namespace});
	};

	const switchContext = (name: string) => {
		if (!contextSwitch?.contexts.some(candidate => candidate.name === name)) {
			setNotice(contextSwitch ? `no context "${name}" in the kubeconfig (:ctx lists them)` : 'no kubeconfig to switch contexts in');
			return;
		}

		if (name === context) {
			screens.toList();
			return;
		}

		setNotice(`switching to context ${name}…`);
		// On success the dashboard starts over on the new context; only a failure comes back here.
		contextSwitch.switchTo(name).catch((error: unknown) => {
			setNotice(`cannot switch to context ${name}: ${firstLine(error)}`);
		});
	};

	const run = (text: string) => {
		const parsed = parseCommandLine(text);
		switch (parsed.kind) {
			case 'quit': {
				exit();
				break;
			}

			case 'services': {
				screens.toList();
				break;
			}

			case 'namespace': {
				switchNamespace(parsed.namespace);
				break;
			}

			case 'context': {
				if (parsed.context !== undefined) {
					switchContext(parsed.context);
				} else if (screens.route.screen !== 'contexts') {
					screens.open({screen: 'contexts'});
				}

				break;
			}

			case 'error': {
				setNotice(parsed.message);
				break;
			}
		}
	};

	return {
		notice,
		clearNotice() {
			setNotice(undefined);
		},
		run,
		switchNamespace,
		switchContext,
	};
}
