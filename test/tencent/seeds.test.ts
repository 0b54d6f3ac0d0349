import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRequestSchema, createResponseSchema, envelopeSchema } from '../../src/tencent/schemas.js';

const dir = join(import.meta.dirname, '../fixtures/seed-examples');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(dir, name), 'utf8'));

describe('the Tencent seed examples parse with the wire schemas', () => {
  it('create_contact_group: request and response', () => {
    const req = createRequestSchema.parse(fixture('tencent-create-contact-group.request.json'));
    expect(req).toEqual({
      From_Account: 'user15',
      GroupContactItem: [{ GroupName: 'test0', ContactItem: [{ Type: 1, To_Account: 'user0' }] }],
    });
    const body = fixture('tencent-create-contact-group.response.json');
    expect(envelopeSchema.parse(body)).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' });
    expect(createResponseSchema.parse(body)).toEqual({
      group: { name: 'test2', groupId: '2' },
      succeeded: ['1|user1'],
      failed: [],
    });
  });

  const seeds = join(import.meta.dirname, '../../../shared/seeds');
  it.runIf(existsSync(seeds))('fixtures still match the seed document', () => {
    const seed = readFileSync(join(seeds, '001_4d69e95a2b9e7d6e.txt'), 'utf8').replace(/\s+/g, '');
    for (const name of [
      'tencent-create-contact-group.request.json',
      'tencent-create-contact-group.response.json',
    ]) {
      expect(seed).toContain(JSON.stringify(fixture(name)));
    }
  });
});
