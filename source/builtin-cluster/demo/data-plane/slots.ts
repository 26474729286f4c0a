import {type Protocol, protocols, type Wanted} from './wanted.js';

/** One protocol's server on a slot; `meta` is updated in place on reconcile. */
export type Side<T> = {meta: T; close(): Promise<void>};

/** One cluster address on loopback: one port number, a TCP server and/or a UDP socket on it. */
export type Slot<T> = {readonly port: number; sides: Partial<Record<Protocol, Side<T>>>};

/** Binds one protocol's server for `meta` on `port` (0: any); rejects with the bind error. */
export type Opener<T> = (meta: () => T, port: number) => Promise<{port: number; close(): Promise<void>}>;

export type Openers<T> = Record<Protocol, Opener<T>>;

async function closeSides<T>(slot: Pick<Slot<T>, 'sides'>): Promise<void> {
	await Promise.all(Object.values(slot.sides).map(async side => side.close()));
}

/** Opens `wanted`'s protocols on one port number: `port`, or a free one tried a few times over. */
async function openSlot<T>(wanted: Wanted<T>, openers: Openers<T>, port?: number): Promise<Slot<T> | undefined> {
	const needed = protocols.filter(protocol => wanted[protocol] !== undefined);
	for (let attempt = 0; attempt < (port === undefined ? 8 : 1); attempt++) {
		const sides: Partial<Record<Protocol, Side<T>>> = {};
		let at = port ?? 0;
		try {
			for (const protocol of needed) {
				const side: Side<T> = {meta: wanted[protocol]!, close: async () => undefined};
				// eslint-disable-next-line no-await-in-loop -- the second protocol binds the port the first got.
				const bound = await openers[protocol](() => side.meta, at);
				side.close = bound.close;
				sides[protocol] = side;
				at = bound.port;
			}

			return {port: at, sides};
		} catch {
			// The other protocol's port of that number is taken: let go and try another number.
			// eslint-disable-next-line no-await-in-loop -- release before retrying.
			await closeSides({sides});
		}
	}

	return undefined;
}

/**
 * One kind of slot (pods or Service addresses) by address: brought in line with what is wanted,
 * reusing a slot's port number for a protocol it gains.
 */
export class Slots<T> {
	private readonly slots = new Map<string, Slot<T>>();

	constructor(
		private readonly openers: Openers<T>,
		private readonly isClosed: () => boolean,
	) {}

	get(key: string): Slot<T> | undefined {
		return this.slots.get(key);
	}

	async sync(wanted: Map<string, Wanted<T>>): Promise<void> {
		await Promise.all([...this.closeUnwanted(wanted), ...this.openMissing(wanted)]);
	}

	async close(): Promise<void> {
		await Promise.all([...this.slots.values()].map(async slot => closeSides(slot)));
		this.slots.clear();
	}

	/** Updates the sides still wanted in place and closes the others; forgets slots wanted no more. */
	private closeUnwanted(wanted: Map<string, Wanted<T>>): Array<Promise<void>> {
		const work: Array<Promise<void>> = [];
		for (const [key, slot] of this.slots) {
			const want = wanted.get(key) ?? {};
			for (const protocol of protocols) {
				const side = slot.sides[protocol];
				if (side && want[protocol]) {
					side.meta = want[protocol];
				} else if (side) {
					delete slot.sides[protocol];
					work.push(side.close());
				}
			}

			if (Object.keys(want).length === 0) {
				this.slots.delete(key);
			}
		}

		return work;
	}

	/** Opens what is wanted and not served yet; what fails to open is tried again on the next sync. */
	private openMissing(wanted: Map<string, Wanted<T>>): Array<Promise<void>> {
		const work: Array<Promise<void>> = [];
		for (const [key, want] of wanted) {
			const existing = this.slots.get(key);
			const missing: Wanted<T> = {};
			for (const protocol of protocols) {
				if (want[protocol] && !existing?.sides[protocol]) {
					missing[protocol] = want[protocol];
				}
			}

			if (Object.keys(missing).length > 0) {
				work.push(openSlot(missing, this.openers, existing?.port).then(async opened => this.adopt(key, opened)));
			}
		}

		return work;
	}

	private async adopt(key: string, opened: Slot<T> | undefined): Promise<void> {
		if (!opened) {
			return;
		}

		if (this.isClosed()) {
			await closeSides(opened);
			return;
		}

		const slot = this.slots.get(key);
		if (slot) {
			Object.assign(slot.sides, opened.sides);
		} else {
			this.slots.set(key, opened);
		}
	}
}
