import process from 'node:process';
import {type Instance, render} from 'ink';
import type {KubeContext} from '../kube/contexts.js';
import type {ClusterSource} from '../kube/types.js';
import Dashboard from '../ui/Dashboard.js';
import ErrorBoundary from '../ui/components/ErrorBoundary.js';
import type {Clock} from '../ui/hooks/use-now.js';
import type {ContextSwitch, ServiceScreenProps, ServiceScreens} from '../ui/screens.js';
import ServiceDetail from '../ui/views/ServiceDetail.js';
import {resolveName} from '../node/resolve-name.js';
import type {ResolveName} from '../ui/hooks/use-name-resolution.js';

export type DashboardOptions = {
	/** DNS suffix for Service names, e.g. `cluster.local`. */
	readonly clusterDomain: string;
	/** Screens for one Service: NAT and probe views are plugged in here; detail defaults to ServiceDetail. */
	readonly screens?: ServiceScreens;
	/** Epoch milliseconds. Default: `Date.now`. */
	readonly clock?: Clock;
	/** How the detail view resolves ExternalName targets. Default: this machine's resolver. */
	readonly resolveName?: ResolveName;
	/** Draw on the terminal's alternate screen, leaving the shell's scrollback untouched. Default: true. */
	readonly alternateScreen?: boolean;
	/** `:ctx`: the kubeconfig's contexts and how to connect to one. Default: no switching. */
	readonly contexts?: DashboardContexts;
};

export type DashboardContexts = {
	readonly list: readonly KubeContext[];
	/** A started source for the context; rejects with a one-line message. */
	connect(context: string, allNamespaces: boolean): Promise<ClusterSource>;
};

/** The detail view with ExternalName targets resolved by `resolve`. */
function resolvingDetail(resolve: ResolveName) {
	return function ResolvingServiceDetail(props: ServiceScreenProps) {
		return <ServiceDetail {...props} resolveName={resolve} />;
	};
}

export type DashboardIo = {
	readonly stdin: NodeJS.ReadStream;
	readonly stdout: NodeJS.WriteStream;
	readonly stderr: NodeJS.WritableStream;
	/** Where SIGINT, SIGTERM and uncaught errors are heard. Default: `process`. */
	readonly signals?: NodeJS.EventEmitter;
};

/** Whether the dashboard can run on this stream; when not, the CLI prints the table instead. */
export function isInteractive(stream: {readonly isTTY?: boolean}): boolean {
	return stream.isTTY === true;
}

function describe(error: unknown): string {
	const text = error instanceof Error ? error.message : String(error);
	return text.split('\n')[0] || 'unknown error';
}

const signalCodes: Readonly<Record<string, number>> = {SIGINT: 130, SIGTERM: 143};

/**
 * Runs the dashboard until the user quits (0), a signal arrives (130 for SIGINT, 143 for SIGTERM)
 * or something throws (1, reported as one line on stderr). The terminal is restored in every case:
 * ink's unmount shows the cursor, turns raw mode off and leaves the alternate screen.
 */
export async function runDashboard(
	source: ClusterSource,
	options: DashboardOptions,
	io: DashboardIo = {stdin: process.stdin, stdout: process.stdout, stderr: process.stderr},
): Promise<number> {
	const signals = io.signals ?? process;
	let failure: unknown;
	let exitCode = 0;
	let instance: Instance | undefined;
	const fail = (error: unknown) => {
		failure ??= error;
		// A render error can be caught while render() itself is still running; unmount after it returns.
		setImmediate(() => instance?.unmount());
	};

	// `:ctx` swaps the source under the running dashboard: the new one connected first (a failure
	// keeps the old), then the screens start over on it and the old informers stop.
	let current = source;
	let generation = 0;
	let finished = false;
	const contextSwitch: ContextSwitch | undefined = options.contexts && {
		contexts: options.contexts.list,
		async switchTo(name) {
			const next = await options.contexts!.connect(name, current.snapshot().namespace === undefined);
			if (finished) {
				await next.stop();
				return;
			}

			const previous = current;
			current = next;
			generation++;
			instance?.rerender(tree());
			await previous.stop().catch(() => undefined);
		},
	};
	const screens = {detail: resolvingDetail(options.resolveName ?? (async name => resolveName(name))), ...options.screens};
	const tree = () => (
		<ErrorBoundary onError={fail}>
			<Dashboard key={generation} source={current} clusterDomain={options.clusterDomain} clock={options.clock} screens={screens} contextSwitch={contextSwitch} />
		</ErrorBoundary>
	);

	instance = render(
		tree(),
		{
			stdin: io.stdin,
			stdout: io.stdout,
			stderr: io.stderr,
			// Ctrl-C is a key in the registry so it leaves through the same path as `q`.
			exitOnCtrlC: false,
			// The dashboard only runs on a terminal; Ink would otherwise draw nothing until exit when CI is set.
			interactive: true,
			alternateScreen: options.alternateScreen ?? true,
			maxFps: 10,
			// Only changed lines are rewritten: the status bar ticks every second, the table rarely.
			incrementalRendering: true,
		},
	);

	const onSignal = (signal: NodeJS.Signals) => {
		exitCode = signalCodes[signal] ?? 1;
		instance?.unmount();
	};

	signals.on('SIGINT', onSignal);
	signals.on('SIGTERM', onSignal);
	signals.on('uncaughtException', fail);
	signals.on('unhandledRejection', fail);
	try {
		await instance.waitUntilExit();
	} catch (error) {
		failure ??= error;
	} finally {
		signals.off('SIGINT', onSignal);
		signals.off('SIGTERM', onSignal);
		signals.off('uncaughtException', fail);
		signals.off('unhandledRejection', fail);
		finished = true;
		// The caller stops the source it gave; one connected by `:ctx` is ours to stop.
		if (current !== source) {
			await current.stop().catch(() => undefined);
		}
	}

	if (failure !== undefined) {
		io.stderr.write(`svctop: ${describe(failure)}\n`);
		return 1;
	}

	return exitCode;
}
