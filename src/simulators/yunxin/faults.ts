import { ENDPOINTS, type EndpointName } from '../../yunxin/endpoints.js';
import {
  type Faults as AnyFaults,
  type FaultsInput as AnyFaultsInput,
  faultsSchemaFor,
} from '../kit/faults.js';

export { seededRandom } from '../kit/faults.js';

/** The Yunxin simulator's faults: server errors 500/503, stalls on create, items fail with 110449. */
export const faultsSchema = faultsSchemaFor(Object.keys(ENDPOINTS) as [EndpointName, ...EndpointName[]], {
  serverErrorCodes: [500, 503],
  stallEndpoints: ['group.create'],
});
export type Faults = AnyFaults<EndpointName>;
export type FaultsInput = AnyFaultsInput<EndpointName>;
