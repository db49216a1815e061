/**
 * `@f2b/action-cloudflare/testing`: a loopback fake of Cloudflare's API (access rules, IP lists with
 * bulk operations, auth, rate limit, failure injection), to test the action — or anything else that
 * talks to these endpoints — without Cloudflare.
 */
export { FakeCloudflare, FAKE_BASE_PATH, type FakeCloudflareOptions, type Outage, type RecordedRequest } from './fake-cloudflare.js';
export { FakeAccessRules, canonicalValue, type FakeRule } from './fake-access-rules.js';
export { FakeLists, listIpText, type FakeItem, type FakeList, type FakeOperation, type FakeListsOptions } from './fake-lists.js';
export { ok, fail, cfId, type FakeRequest, type FakeResponse } from './fake-http.js';
