/** Splits `ns/name`, `name` or `svc/name` (kubectl's TYPE/NAME); undefined when the target is malformed. */
export function parseTarget(target: string, fallbackNamespace: string): {namespace: string; name: string} | undefined {
	const parts = target.replace(/^(services?|svc)\//, '').split('/');
	if (parts.length === 1 && parts[0]) {
		return {namespace: fallbackNamespace, name: parts[0]};
	}

	if (parts.length === 2 && parts[0] && parts[1]) {
		return {namespace: parts[0], name: parts[1]};
	}

	return undefined;
}

/** One line saying why `target` names no Service, as describe and nat reject it. */
export function badTarget(target: string): string {
	return `expected NAMESPACE/NAME or NAME, got "${target}"`;
}
