import type {AccessRule} from '../pod-access.js';

type Denial = AccessRule & {readonly hiddenFromReview: boolean};

/** The verbs denied as RBAC would deny them; a denial may be hidden from access reviews. */
export class Denials {
	private readonly rules: Denial[] = [];

	deny(rule: AccessRule, hiddenFromReview: boolean): void {
		this.rules.push({...rule, hiddenFromReview});
	}

	allowAll(): void {
		this.rules.length = 0;
	}

	denied(verb: string, resource: string, subresource: string, namespace: string | undefined, forReview: boolean): boolean {
		return this.rules.some(rule => (rule.verb === verb || rule.verb === '*') && rule.resource === resource && (rule.subresource ?? '') === subresource
			&& (rule.namespace === undefined || rule.namespace === namespace) && !(forReview && rule.hiddenFromReview));
	}
}
