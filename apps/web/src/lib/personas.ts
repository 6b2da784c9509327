/**
 * The demo académie's people (seeds/demo-academy.ts DEMO_PERSONAS; a unit test keeps both
 * equal). Shown on the sign-in page in dev mode: one click signs in as one of them.
 */
export const DEMO_PERSONAS = [
  { key: 'dane', email: 'dane@ac-demo.fr', displayName: 'Dominique Durand (DANE)', roles: ['dane'] },
  { key: 'cmine', email: 'cmine.nice@ac-demo.fr', displayName: 'Claire Martin (CMINE)', roles: ['cmine'] },
  { key: 'rrupnMoulin', email: 'rrupn.0061234X@ac-demo.fr', displayName: 'Rémi Roux (RRUPN)', roles: ['rrupn', 'enseignant'], uai: '0061234X' },
  { key: 'chefMoulin', email: 'chef.0061234X@ac-demo.fr', displayName: 'Sophie Bernard (principale)', roles: ['chef_etablissement'], uai: '0061234X' },
  { key: 'rrupnCurie', email: 'rrupn.0830042K@ac-demo.fr', displayName: 'Inès Garcia (RRUPN)', roles: ['rrupn', 'enseignant'], uai: '0830042K' },
  { key: 'referentPix', email: 'referent.pix@ac-demo.fr', displayName: 'Paul Petit (référent PIX)', roles: ['referent_pix', 'enseignant'], uai: '0061234X' },
  { key: 'prof', email: 'prof.sciences@ac-demo.fr', displayName: 'Léa Moreau (professeure)', roles: ['enseignant'], uai: '0830042K' },
] as const;

export type DemoPersona = (typeof DEMO_PERSONAS)[number];

/** Global roles that read the académie's indicators (API.md, "Indicators"). */
export const INDICATOR_ROLES = ['dane', 'cmine', 'inspecteur'];
