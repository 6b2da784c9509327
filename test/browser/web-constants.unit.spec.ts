import { PIX_COMPETENCES } from '#ruche/domain-kit';
import { DEMO_PERSONAS as SEEDED } from '../../seeds/demo-academy.js';
import { DEMO_PERSONAS } from '../../apps/web/src/lib/personas.js';
import { PIX_COMPETENCES as WEB_COMPETENCES, REACTION_EMOJIS as WEB_REACTIONS } from '../../apps/web/src/lib/pix.js';
import { REACTION_EMOJIS } from '../../libs/forums/src/topic.js';

// The web app keeps its own copies (its bundle must not pull in the server's code): same values.
describe('the web app’s copies of server constants', () => {
  it('lists the demo personas of the seed', () => {
    expect(DEMO_PERSONAS).toEqual(SEEDED);
  });
  it('lists the 16 PIX competences with their labels', () => {
    expect(WEB_COMPETENCES.map((c) => [c.code, c.label])).toEqual(PIX_COMPETENCES.map((c) => [c.code, c.label]));
  });
  it('offers the forum’s reactions', () => {
    expect(WEB_REACTIONS).toEqual(REACTION_EMOJIS);
  });
});
