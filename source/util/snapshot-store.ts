/** What every live source hands the views: a frozen snapshot per version and change notifications. */
export type Store<S> = {
	/** The same frozen object until the next change; a new object per version. */
	snapshot(): S;
	/** Called after each change; returns the unsubscribe. */
	subscribe(listener: () => void): () => void;
};

/**
 * The part every store in the data layer shares with the cluster store: a version bumped per
 * change, the snapshot built once per version and frozen, listeners told of each change.
 */
export abstract class SnapshotStore<S extends {readonly version: number}> implements Store<S> {
	private version = 0;
	private cached: S | undefined;
	private readonly listeners = new Set<() => void>();

	snapshot(): S {
		if (this.cached?.version !== this.version) {
			this.cached = Object.freeze(this.build(this.version));
		}

		return this.cached;
	}

	subscribe(listener: () => void): () => void {
		this.listeners.add(listener);
		return () => {
			this.listeners.delete(listener);
		};
	}

	/** The snapshot of the current state, stamped with `version`. */
	protected abstract build(version: number): S;

	/** Bumps the version and tells the listeners at once, so a command shows on the next render. */
	protected changed(): void {
		this.version++;
		for (const listener of [...this.listeners]) {
			listener();
		}
	}
}
