export { authHeaders, type Credentials, checkSum, newTraceId } from './auth.js';
export { isRouteMissing, type MembershipChange, YunxinClient, type YunxinClientOptions } from './client.js';
export {
  type ConversationId,
  type ConversationParts,
  conversationId,
  formatConversationId,
  parseConversationId,
} from './conversation-id.js';
export { ENDPOINTS, type EndpointName, endpointLabel } from './endpoints.js';
export { classifyCode, ERROR_CODES, type ErrorKind } from './error-codes.js';
export { InvalidRequestError, TRANSPORT_CODES, YunxinError } from './errors.js';
export { YUNXIN_LIMITS } from './limits.js';
export type { Conversation, ConversationGroup, GroupChangeResult, ItemFailure } from './schemas.js';
