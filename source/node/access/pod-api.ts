/*
 * client-node's generated API clients and exec, for the pod-exec vantages. Imported dynamically on
 * first use: the generated clients cost tens of MB, which a dashboard that never opens the picker
 * should not pay. (A dynamic import of the package itself would pull all of it into the shared chunk.)
 */
import {AuthorizationV1Api, CoreV1Api, Exec, type KubeConfig} from '@kubernetes/client-node';

export function coreApi(kc: KubeConfig): CoreV1Api {
	return kc.makeApiClient(CoreV1Api);
}

export function authorizationApi(kc: KubeConfig): AuthorizationV1Api {
	return kc.makeApiClient(AuthorizationV1Api);
}

export function execFor(kc: KubeConfig): Exec {
	return new Exec(kc);
}
