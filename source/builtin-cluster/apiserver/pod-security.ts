/**
 * Pod Security Admission as far as a debug pod meets it: the namespace's enforce label decides the
 * level, and a rejection is worded as kube-apiserver words it, so clients can be tested on the
 * real message (`violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), ...`).
 */

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

export const enforceLabel = 'pod-security.kubernetes.io/enforce';

/** Capabilities the baseline level lets a container add (the Pod Security Standards' list). */
const baselineCapabilities = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

type Container = {name?: string; securityContext?: {privileged?: boolean; capabilities?: {add?: string[]}}};
type PodSpec = {hostNetwork?: boolean; hostPID?: boolean; hostIPC?: boolean; containers?: Container[]};

function quoted(values: readonly string[]): string {
	return values.map(value => `"${value}"`).join(', ');
}

/** What the pod breaks at `level`, in the order and words of the pod-security-admission library. */
export function podSecurityViolations(spec: PodSpec, level: PodSecurityLevel): string[] {
	if (level === 'privileged') {
		return [];
	}

	const violations: string[] = [];
	const hostNamespaces = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter(field => spec[field] === true);
	if (hostNamespaces.length > 0) {
		violations.push(`host namespaces (${hostNamespaces.map(field => `${field}=true`).join(', ')})`);
	}

	const containers = spec.containers ?? [];
	const privileged = containers.filter(container => container.securityContext?.privileged === true).map(container => container.name ?? '');
	if (privileged.length > 0) {
		violations.push(`privileged (container${privileged.length > 1 ? 's' : ''} ${quoted(privileged)} must not set securityContext.privileged=true)`);
	}

	for (const container of containers) {
		const added = (container.securityContext?.capabilities?.add ?? []).filter(capability => level === 'restricted' ? capability !== 'NET_BIND_SERVICE' : !baselineCapabilities.has(capability));
		if (added.length > 0) {
			violations.push(`non-default capabilities (container "${container.name ?? ''}" must not include ${quoted(added)} in securityContext.capabilities.add)`);
		}
	}

	return violations;
}

/** The Forbidden message for a pod the level rejects, or undefined when it is admitted. */
export function podSecurityRejection(name: string, spec: PodSpec, level: PodSecurityLevel): string | undefined {
	const violations = podSecurityViolations(spec, level);
	return violations.length === 0 ? undefined : `pods "${name}" is forbidden: violates PodSecurity "${level}:latest": ${violations.join(', ')}`;
}

export function isPodSecurityLevel(value: unknown): value is PodSecurityLevel {
	return value === 'privileged' || value === 'baseline' || value === 'restricted';
}
