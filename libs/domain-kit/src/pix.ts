import { DomainError } from './domain-error.js';

/**
 * The PIX framework (CRCN, cadre de référence des compétences numériques): 5 domains, 16
 * competences, with the labels the académie uses. The one place the codes and labels live.
 */
export const PIX_COMPETENCES = [
  { code: '1.1', domain: 1, label: 'Mener une recherche et une veille d’information' },
  { code: '1.2', domain: 1, label: 'Gérer des données' },
  { code: '1.3', domain: 1, label: 'Traiter des données' },
  { code: '2.1', domain: 2, label: 'Interagir' },
  { code: '2.2', domain: 2, label: 'Partager et publier' },
  { code: '2.3', domain: 2, label: 'Collaborer' },
  { code: '2.4', domain: 2, label: 'S’insérer dans le monde numérique' },
  { code: '3.1', domain: 3, label: 'Développer des documents textuels' },
  { code: '3.2', domain: 3, label: 'Développer des documents multimédia' },
  { code: '3.3', domain: 3, label: 'Adapter les documents à leur finalité' },
  { code: '3.4', domain: 3, label: 'Programmer' },
  { code: '4.1', domain: 4, label: 'Sécuriser l’environnement numérique' },
  { code: '4.2', domain: 4, label: 'Protéger les données personnelles et la vie privée' },
  { code: '4.3', domain: 4, label: 'Protéger la santé, le bien-être et l’environnement' },
  { code: '5.1', domain: 5, label: 'Résoudre des problèmes techniques' },
  { code: '5.2', domain: 5, label: 'Construire un environnement numérique' },
] as const;

export type PixCompetenceCode = (typeof PIX_COMPETENCES)[number]['code'];

export const PIX_DOMAINS = [
  { domain: 1, label: 'Information et données' },
  { domain: 2, label: 'Communication et collaboration' },
  { domain: 3, label: 'Création de contenus' },
  { domain: 4, label: 'Protection et sécurité' },
  { domain: 5, label: 'Environnement numérique' },
] as const;

export const PIX_COMPETENCE_CODES: readonly PixCompetenceCode[] = PIX_COMPETENCES.map((c) => c.code);

export function isPixCompetence(value: unknown): value is PixCompetenceCode {
  return typeof value === 'string' && (PIX_COMPETENCE_CODES as readonly string[]).includes(value);
}

export function pixCompetenceLabel(code: PixCompetenceCode): string {
  return PIX_COMPETENCES.find((c) => c.code === code)!.label;
}

/**
 * A list of competence codes from a command: each one of the 16, without duplicates, sorted in
 * the framework's order; at least `min` (VALIDATION on `field` otherwise, naming the bad code).
 */
export function parsePixCompetences(value: unknown, field = 'competences', { min = 1 }: { min?: number } = {}): PixCompetenceCode[] {
  if (!Array.isArray(value)) throw DomainError.validation(field, `${field} must be a list of PIX competence codes (1.1 to 5.2)`);
  for (const code of value) {
    if (!isPixCompetence(code)) {
      throw DomainError.validation(field, `${field}: ${JSON.stringify(code)} is not a PIX competence (${PIX_COMPETENCE_CODES.join(', ')})`);
    }
  }
  const codes = PIX_COMPETENCE_CODES.filter((code) => value.includes(code));
  if (codes.length < min) throw DomainError.validation(field, `${field} must name at least ${min} PIX competence`);
  return codes;
}
