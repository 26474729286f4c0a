import type {V1Service} from '@kubernetes/client-node';
import type {ProbePlan} from './plan.js';

/** Why a node's own Local NodePort is probed but not judged, said once under a matrix or summary. */
export const ownNodeNote = 'not judged (own node): a node\'s traffic to its own NodePort is node traffic, which kube-proxy\'s iptables and nftables rules send to the cluster-wide endpoints even under externalTrafficPolicy Local (their `--src-type LOCAL` / `fib saddr type local` rule), so what an outside client is promised does not hold there';

/**
 * Traffic a node sends to its own NodePort (or external address) is node traffic: kube-proxy sends
 * it to the cluster-wide endpoints even under externalTrafficPolicy Local, so what the plan expects
 * of an outside client does not hold there. Those series are probed but not judged.
 */
export function unjudgedFromOwnNode(plan: ProbePlan, node: string, services: readonly V1Service[]): ProbePlan {
	const [namespace, name] = (plan.service ?? '').split('/');
	const service = services.find(each => each.metadata?.namespace === namespace && each.metadata?.name === name);
	if (service?.spec?.externalTrafficPolicy !== 'Local') {
		return plan;
	}

	return {...plan, series: plan.series.map(spec => (spec.target.node === node ? {target: spec.target, affinity: spec.affinity} : spec))};
}

/** Labels of the series `unjudgedFromOwnNode` left unjudged in `planned`: they stay so while the cluster changes. */
export function unjudgedLabels(plan: ProbePlan, planned: ProbePlan): ReadonlySet<string> {
	const judged = new Set(plan.series.filter(spec => spec.expectation).map(spec => spec.target.label));
	return new Set(planned.series.filter(spec => !spec.expectation && judged.has(spec.target.label)).map(spec => spec.target.label));
}
