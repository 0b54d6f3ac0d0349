export { TencentClient, type TencentClientOptions } from './client.js';
export { type ContactKey, contactKey, parseContactKey } from './contact.js';
export { classifyCode as classifyTencentCode, ERROR_CODES as TENCENT_ERROR_CODES } from './error-codes.js';
export { TencentError } from './errors.js';
export { TENCENT_LIMITS } from './limits.js';
export { TencentProvider, tencentProfile, truncateUtf8 } from './provider.js';
export { checkUserSig, decodeUserSig, genUserSig, UserSigCache } from './usersig.js';
