/** The exec sessions running per pod, so deleting or ending a pod ends them. */
export class ExecSessions {
	private readonly byPod = new Map<string, Set<{kill(): void}>>();

	/** Records a session until `onClose` reports its connection closed. */
	add(namespace: string, name: string, session: {kill(): void}, onClose: (listener: () => void) => void): void {
		const key = `${namespace}/${name}`;
		const sessions = this.byPod.get(key) ?? new Set();
		sessions.add(session);
		this.byPod.set(key, sessions);
		onClose(() => {
			sessions.delete(session);
			if (sessions.size === 0) {
				this.byPod.delete(key);
			}
		});
	}

	kill(namespace: string, name: string): void {
		for (const session of this.byPod.get(`${namespace}/${name}`) ?? []) {
			session.kill();
		}
	}

	killAll(): void {
		for (const sessions of this.byPod.values()) {
			for (const session of sessions) {
				session.kill();
			}
		}
	}

	count(): number {
		return [...this.byPod.values()].reduce((total, sessions) => total + sessions.size, 0);
	}
}
