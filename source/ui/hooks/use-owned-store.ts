import {useEffect, useState} from 'react';

/**
 * A store the command hands a screen as a factory (a probe session, a NAT source): opened once
 * when the screen opens, closed when it closes, so its sockets and workers live as long as the screen.
 */
export function useOwnedStore<T extends {close(): void}>(open: () => T): T {
	const [store] = useState(open);
	useEffect(() => () => {
		store.close();
	}, [store]);
	return store;
}
