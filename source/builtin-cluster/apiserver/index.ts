export {type ApiServer, type ApiServerOptions, type KubeconfigOptions, type RequestCounters, type RequestLogEntry, startApiServer, type Verb} from './server.js';
export {formatLabelSelector, type LabelSelector, matchesLabels, parseLabelSelector} from './label-selector.js';
export {type ResourceName} from './resources.js';
export {type Fault, type FaultOptions} from './faults.js';
