import { ZodError } from 'zod';
import { createTestSchema } from '../../helpers/test-context';
import { createDb } from '../../../src/db';
import type { Database } from '../../../src/db';
import {
  DEFAULT_WRITEBACK_SETTINGS,
  getWritebackSettings,
  saveWritebackSettings,
} from '../../../src/writeback';

describe('write-back settings', () => {
  let db: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const schema = await createTestSchema();
    drop = schema.drop;
    db = createDb({
      url: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      poolMax: 2,
      schema: schema.schema,
    });
  });
  afterAll(async () => {
    await db.destroy();
    await drop();
  });

  it('defaults to everything on for a portal that never saved settings', async () => {
    expect(await getWritebackSettings(db, 101)).toEqual(DEFAULT_WRITEBACK_SETTINGS);
  });

  it('merges a patch over the stored settings, per portal only', async () => {
    await saveWritebackSettings(db, 201, { contacts: false, channelModels: ['w_shaped', 'markov'] });
    const saved = await saveWritebackSettings(db, 201, { creditModel: 'linear' });
    expect(saved).toEqual({
      deals: true,
      contacts: false,
      channelModels: ['w_shaped', 'markov'],
      creditModel: 'linear',
    });
    expect(await getWritebackSettings(db, 201)).toEqual(saved);
    // Another portal does not see portal 201's settings.
    expect(await getWritebackSettings(db, 202)).toEqual(DEFAULT_WRITEBACK_SETTINGS);
  });

  it('refuses unknown keys, unknown models and duplicates without storing anything', async () => {
    await expect(saveWritebackSettings(db, 301, { deal: false })).rejects.toBeInstanceOf(ZodError);
    await expect(saveWritebackSettings(db, 301, { creditModel: 'magic' })).rejects.toBeInstanceOf(ZodError);
    await expect(
      saveWritebackSettings(db, 301, { channelModels: ['linear', 'linear'] }),
    ).rejects.toBeInstanceOf(ZodError);
    await expect(saveWritebackSettings(db, 301, 'nope')).rejects.toBeInstanceOf(ZodError);
    expect(await getWritebackSettings(db, 301)).toEqual(DEFAULT_WRITEBACK_SETTINGS);
  });
});
