import type {NodeSync} from '../../core/nat/cross-node.js';
import type {NatMode} from '../../core/nat/types.js';
import type {CommandResult, CommandRunner, NatTextDump} from '../nat/read-dump.js';

/** What `curl 127.0.0.1:10249/proxyMode` says kube-proxy runs, when it answers. */
export function proxyModeOf(result: CommandResult): NatMode | undefined {
	const answer = result.code === 0 ? result.stdout.trim() : '';
	return answer === 'iptables' || answer === 'nftables' || answer === 'ipvs' ? answer : undefined;
}

function metric(text: string, name: string): number | undefined {
	const found = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'm').exec(text)?.[1];
	const value = found === undefined ? Number.NaN : Number(found);
	return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** kube-proxy's sync gauges from its metrics text (`/metrics` on 127.0.0.1:10249). */
export function proxySyncOf(metricsText: string): NodeSync | undefined {
	const lastSync = metric(metricsText, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds');
	const lastQueued = metric(metricsText, 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds');
	return lastSync === undefined && lastQueued === undefined ? undefined : {lastSync, lastQueued};
}

type Attempt = {readonly argv: readonly string[]; readonly mode: NatMode; readonly holdsRules: (text: string) => boolean};

const iptablesAttempts: readonly Attempt[] = [
	// Both backends can hold rules on one node; kube-proxy's are where KUBE-SERVICES is.
	{argv: ['iptables-nft-save'], mode: 'iptables', holdsRules: text => text.includes(':KUBE-SERVICES')},
	{argv: ['iptables-legacy-save'], mode: 'iptables', holdsRules: text => text.includes(':KUBE-SERVICES')},
	{argv: ['iptables-save'], mode: 'iptables', holdsRules: text => text.includes(':KUBE-SERVICES')},
];
const nftAttempt: Attempt = {argv: ['nft', 'list', 'table', 'ip', 'kube-proxy'], mode: 'nftables', holdsRules: text => /table ip kube-proxy/.test(text)};
const ipvsAttempt: Attempt = {argv: ['ipvsadm', '-S', '-n'], mode: 'ipvs', holdsRules: text => text.trim() !== ''};

function attemptsFor(mode: NatMode | undefined): readonly Attempt[] {
	switch (mode) {
		case 'nftables': {
			return [nftAttempt];
		}

		case 'ipvs': {
			return [ipvsAttempt];
		}

		case 'iptables': {
			return iptablesAttempts;
		}

		default: {
			return [...iptablesAttempts, nftAttempt, ipvsAttempt];
		}
	}
}

/**
 * Reads a node's kube-proxy rules with `runner` (an exec into a debug pod there): the mode from
 * kube-proxy's metrics port when it answers (or `mode`), then the tool that holds its rules.
 */
export async function readNodeRules(runner: CommandRunner, where: string, options: {mode?: NatMode; timeoutMs?: number} = {}): Promise<NatTextDump & {proxyMode?: NatMode; sync?: NodeSync}> {
	const timeoutMs = options.timeoutMs ?? 20_000;
	const proxyMode = proxyModeOf(await runner(['curl', '-s', '--max-time', '1', 'http://127.0.0.1:10249/proxyMode'], 5000));
	const tried: string[] = [];
	let unread = false;
	for (const attempt of attemptsFor(options.mode ?? proxyMode)) {
		// eslint-disable-next-line no-await-in-loop
		const result = await runner(attempt.argv, timeoutMs);
		if (result.code === 0 && attempt.holdsRules(result.stdout)) {
			// kube-proxy's own record of its last sync, read right after the rules (only where its port answered).
			const metrics = proxyMode === undefined ? undefined : await runner(['curl', '-s', '--max-time', '1', 'http://127.0.0.1:10249/metrics'], 5000);
			const sync = metrics?.code === 0 ? proxySyncOf(metrics.stdout) : undefined;
			return {ok: true, text: result.stdout, mode: attempt.mode, source: `${attempt.argv.join(' ')} in ${where}`, proxyMode, ...(sync ? {sync} : {})};
		}

		const failure = (result as {failure?: string}).failure;
		// A tool that did not run to its end (exec refused, timed out, cut off) said nothing about the rules.
		unread ||= result.errorCode !== 'ENOENT' && (failure !== undefined || result.timedOut || result.code === null);
		const why = result.errorCode === 'ENOENT' ? 'not in the image' : result.code === 0 ? 'no kube-proxy rules' : failure ?? (result.stderr.trim().split('\n')[0] || `exit code ${result.code}`);
		tried.push(`${attempt.argv[0]}: ${why}`);
	}

	return {ok: false, error: `${unread ? 'could not read the rules' : 'no kube-proxy rules found'} in ${where} (${tried.join('; ')})`};
}
