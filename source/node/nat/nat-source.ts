import {readFileSync} from 'node:fs';
import {decodeNatDump, detectNatMode} from '../../core/nat/decode.js';
import type {NatFlowTable, NatMode} from '../../core/nat/types.js';
import type {ClusterSnapshot} from '../../kube/types.js';
import {errorLine} from '../../util/error-line.js';
import {SnapshotStore, type Store} from '../../util/snapshot-store.js';
import {NatDecoder} from './nat-decoder.js';
import type {NatDump} from './read-dump.js';

/** Reads a rule dump: the node's own tools, a file, another node's command, the demo's. */
export type NatDumpLoader = () => Promise<NatDump>;

/** Other places the rules can be read from (debug pods on nodes); see node/access/nat-vantages.ts. */
export type NatLoaders = {
	/** Reads `node`'s rules (the same function for the same node). */
	loaderFor(node: string): NatDumpLoader;
};

export type NatSourceSnapshot = {
	readonly version: number;
	/** Decoded, not yet checked against the API; undefined until a read succeeds. */
	readonly table: NatFlowTable | undefined;
	/** Where the dump came from, e.g. `iptables-save` or a file name. */
	readonly origin: string | undefined;
	/** One line, when the last read failed or found no kube-proxy rules. */
	readonly error: string | undefined;
	readonly loading: boolean;
	/** Epoch ms of the last finished read. */
	readonly loadedAt: number | undefined;
	/** The API as it was when these rules were read (see `cluster` in the options): what they are checked against. */
	readonly cluster: ClusterSnapshot | undefined;
	/** While a large dump decodes: how far, e.g. `reading 40% of 24 MB`, then `decoding 24 MB…`. */
	readonly progress: string | undefined;
	/** The node read through `loaders`; undefined: the default loader (this machine, a file, the demo). */
	readonly vantage: string | undefined;
};

/** What a view holds of a NAT source: its snapshots and its commands. */
export type NatSourceStore = Store<NatSourceSnapshot> & {
	reload(): Promise<NatSourceSnapshot>;
	setVantage(node: string | undefined): Promise<NatSourceSnapshot>;
	close(): void;
};

export type NatSourceOptions = {
	readonly load: NatDumpLoader;
	readonly loaders?: NatLoaders;
	/** Overrides the dump's own format (`--mode`). Default: the dump's. */
	readonly mode?: NatMode;
	/** Dumps shorter than this decode in this thread; the CLI passes Infinity (no screen to keep live). */
	readonly inlineBytes?: number;
	/** Epoch ms. Default: `Date.now`. */
	readonly clock?: () => number;
	/** The cluster's latest snapshot, kept with each read's table: the rules are compared with the API of their moment. */
	readonly cluster?: () => ClusterSnapshot;
};

type Read = Pick<NatSourceSnapshot, 'table' | 'origin' | 'error' | 'loadedAt' | 'cluster'>;

const dumpKinds: Record<NatMode, string> = {iptables: 'iptables-save output', nftables: 'nft list ruleset output', ipvs: 'ipvsadm output'};

/** When `mode` names another format than the dump's, and the dump read as its own format has Service rules: say so. */
export function modeMismatch(text: string | Uint8Array, mode: NatMode, source: string): string | undefined {
	const detected = detectNatMode(typeof text === 'string' ? text : new TextDecoder().decode(text.subarray(0, 64 * 1024)));
	if (detected === mode || decodeNatDump(text, detected).services.length === 0) {
		return undefined;
	}

	return `--mode ${mode}, but ${source} is ${dumpKinds[detected]}, not ${mode}: drop --mode (the format is detected from the dump)`;
}

/**
 * The progress line: the decoder reports the bytes its reader has taken in, and only once all are
 * in does the decode proper run (a good part of the time), so 100% is not "done".
 */
export function decodeProgress(done: number, total: number): string {
	const size = `${(total / 1024 / 1024).toFixed(total < 10 * 1024 * 1024 ? 1 : 0)} MB`;
	return done < total ? `reading ${Math.floor((100 * done) / total)}% of ${size}` : `decoding ${size}…`;
}

/**
 * The node's kube-proxy rules as a store: read and decoded on demand (`reload`), never on a timer,
 * because iptables-save on a large node is expensive. A reload while one runs is dropped (it
 * would read the same rules); a new vantage supersedes the running read, whose result is ignored.
 * Shared by `svctop nat` and the dashboard's NAT view.
 */
export class NatSource extends SnapshotStore<NatSourceSnapshot> implements NatSourceStore {
	private read: Read = {table: undefined, origin: undefined, error: undefined, loadedAt: undefined, cluster: undefined};
	private running: Promise<NatSourceSnapshot> | undefined;
	private generation = 0;
	private progress: string | undefined;
	private vantage: string | undefined;
	private readonly decoder: NatDecoder;
	private readonly clock: () => number;
	private closed = false;

	constructor(private readonly options: NatSourceOptions) {
		super();
		this.decoder = new NatDecoder(options.inlineBytes);
		this.clock = options.clock ?? Date.now;
	}

	/** Reads the rules again; resolves with the snapshot after it. Dropped (the running read returned) while one runs. */
	async reload(): Promise<NatSourceSnapshot> {
		this.running ??= this.start();
		return this.running;
	}

	/** Reads from `node` through the loaders from now on (undefined: the default); supersedes a running read. */
	async setVantage(node: string | undefined): Promise<NatSourceSnapshot> {
		this.vantage = node;
		this.running = this.start();
		return this.running;
	}

	/** Ends the decoder's worker; a read in flight is ignored. */
	close(): void {
		this.closed = true;
		this.generation++;
		this.decoder.close();
	}

	protected build(version: number): NatSourceSnapshot {
		const loading = this.running !== undefined;
		return {version, ...this.read, loading, progress: loading ? this.progress : undefined, vantage: this.vantage};
	}

	private async start(): Promise<NatSourceSnapshot> {
		const generation = ++this.generation;
		const current = () => generation === this.generation && !this.closed;
		const load = this.vantage !== undefined && this.options.loaders ? this.options.loaders.loaderFor(this.vantage) : this.options.load;
		this.progress = undefined;
		this.changed();
		let read: Read | undefined;
		try {
			const dump = await load();
			// The rules are as of now: the API of this moment is the one to compare them with.
			const cluster = this.options.cluster?.();
			const decoded = current() ? await this.decode(dump, () => current()) : undefined;
			read = decoded && {...decoded, cluster: decoded.table ? cluster : undefined};
		} catch (error) {
			read = {table: undefined, origin: undefined, error: errorLine(error), loadedAt: this.clock(), cluster: undefined};
		}

		if (!current()) {
			return this.snapshot();
		}

		if (read) {
			this.read = read;
		}

		this.running = undefined;
		this.changed();
		return this.snapshot();
	}

	/** The decoded dump (off this thread when large), or the one line saying why there is no table (never an empty one). */
	private async decode(dump: NatDump, current: () => boolean): Promise<Omit<Read, 'cluster'> | undefined> {
		const at = () => this.clock();
		if (!dump.ok) {
			return {table: undefined, origin: undefined, error: dump.error, loadedAt: at()};
		}

		const mode = this.options.mode ?? dump.mode;
		const result = await this.decoder.decode({...dump, mode}, (done, total) => {
			if (current()) {
				this.progress = decodeProgress(done, total);
				this.changed();
			}
		});
		if (result === 'superseded') {
			return undefined;
		}

		if ('error' in result) {
			return {table: undefined, origin: dump.source, error: result.error, loadedAt: at()};
		}

		if (result.missing) {
			const mismatch = this.options.mode ? modeMismatch('text' in dump ? dump.text : readFileSync(dump.file), this.options.mode, dump.source) : undefined;
			return {table: undefined, origin: dump.source, error: mismatch ?? `${result.missing}${dump.tried ? ` (also tried ${dump.tried.join('; ')})` : ''}`, loadedAt: at()};
		}

		return {table: result.table, origin: dump.source, error: undefined, loadedAt: at()};
	}
}
