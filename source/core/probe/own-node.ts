import type {V1Service} from '@kubernetes/client-node';
import type {ProbePlan} from './plan.js';

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
