import {lookup as systemLookup} from 'node:dns/promises';
import {Resolver} from 'node:dns/promises';
import {isIP} from 'node:net';
import type {NameResolution} from '../core/detail/describe-service.js';

export type {NameResolution} from '../core/detail/describe-service.js';

/** The parts of a DNS resolver this needs; node's `dns.promises.Resolver` fits, tests pass a fake. */
export type DnsClient = {
	resolveCname(name: string): Promise<string[]>;
	resolve4(name: string): Promise<string[]>;
	resolve6(name: string): Promise<string[]>;
	/** getaddrinfo (hosts file, mDNS...), used when DNS has no address records. */
	lookup(name: string): Promise<Array<{address: string}>>;
};

export type ResolveNameOptions = {
	/** Give up after this long in total. Default 3000 ms. */
	readonly timeoutMs?: number;
	readonly dns?: DnsClient;
	/** DNS servers to ask instead of the system's (`host:port`), for tests on loopback. */
	readonly servers?: readonly string[];
};

const maxChain = 16;

function systemDns(timeoutMs: number, servers: readonly string[] | undefined): DnsClient {
	const resolver = new Resolver({timeout: Math.max(100, Math.floor(timeoutMs / 2)), tries: 1});
	if (servers) {
		resolver.setServers([...servers]);
	}

	return {
		resolveCname: async name => resolver.resolveCname(name),
		resolve4: async name => resolver.resolve4(name),
		resolve6: async name => resolver.resolve6(name),
		lookup: async name => systemLookup(name, {all: true}),
	};
}

/** `queryA ENOTFOUND name` style, one line, from whatever the resolver threw. */
function describeError(error: unknown): string {
	if (error instanceof Error) {
		const {code, syscall, hostname} = error as Error & {code?: string; syscall?: string; hostname?: string};
		if (code) {
			return [syscall, code, hostname].filter(Boolean).join(' ');
		}

		return error.message.split('\n')[0]!;
	}

	return String(error);
}

function isNoData(error: unknown): boolean {
	const code = (error as {code?: string} | undefined)?.code;
	return code === 'ENODATA' || code === 'ENOTFOUND';
}

async function follow(name: string, dns: DnsClient): Promise<NameResolution> {
	const chain: string[] = [];
	let current = name;
	for (let hop = 0; hop < maxChain; hop++) {
		let targets: string[];
		try {
			targets = await dns.resolveCname(current);
		} catch (error) {
			if (isNoData(error)) {
				break;
			}

			return {name, chain, addresses: [], error: describeError(error)};
		}

		const next = targets[0];
		if (!next || next === name || chain.includes(next)) {
			break;
		}

		chain.push(next);
		current = next;
	}

	const [v4, v6] = await Promise.allSettled([dns.resolve4(current), dns.resolve6(current)]);
	const addresses = [
		...(v4.status === 'fulfilled' ? v4.value : []),
		...(v6.status === 'fulfilled' ? v6.value : []),
	];
	if (addresses.length > 0) {
		return {name, chain, addresses};
	}

	const dnsError = v4.status === 'rejected' ? v4.reason : (v6.status === 'rejected' ? v6.reason : undefined);
	if (dnsError !== undefined && !isNoData(dnsError)) {
		return {name, chain, addresses: [], error: describeError(dnsError)};
	}

	// DNS has no A/AAAA records; the system resolver may still know the name (hosts file).
	try {
		const found = await dns.lookup(current);
		const viaSystem = [...new Set(found.map(entry => entry.address))];
		if (viaSystem.length > 0) {
			return {name, chain, addresses: viaSystem};
		}
	} catch (error) {
		return {name, chain, addresses: [], error: describeError(dnsError ?? error)};
	}

	return {name, chain, addresses: [], error: describeError(dnsError ?? new Error(`no addresses for ${current}`))};
}

/**
 * Resolves an ExternalName target on this machine: the CNAME chain and the final addresses, or the
 * resolver's error as one line. Never throws; gives up after `timeoutMs`.
 */
export async function resolveName(name: string, options: ResolveNameOptions = {}): Promise<NameResolution> {
	const timeoutMs = options.timeoutMs ?? 3000;
	const target = name.endsWith('.') ? name.slice(0, -1) : name;
	if (!target) {
		return {name, chain: [], addresses: [], error: 'empty name'};
	}

	if (isIP(target)) {
		return {name, chain: [], addresses: [target]};
	}

	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<NameResolution>(resolve => {
		timer = setTimeout(() => {
			resolve({name, chain: [], addresses: [], error: `timed out after ${timeoutMs} ms`});
		}, timeoutMs);
	});
	try {
		const resolution = await Promise.race([follow(target, options.dns ?? systemDns(timeoutMs, options.servers)).catch((error: unknown) => ({name, chain: [], addresses: [], error: describeError(error)})), timeout]);
		return {...resolution, name};
	} finally {
		clearTimeout(timer);
	}
}
