/** The 16 PIX competences (CRCN), as libs/domain-kit/src/pix.ts lists them (a unit test keeps both equal). */
export const PIX_COMPETENCES = [
  { code: '1.1', label: 'Mener une recherche et une veille d’information' },
  { code: '1.2', label: 'Gérer des données' },
  { code: '1.3', label: 'Traiter des données' },
  { code: '2.1', label: 'Interagir' },
  { code: '2.2', label: 'Partager et publier' },
  { code: '2.3', label: 'Collaborer' },
  { code: '2.4', label: 'S’insérer dans le monde numérique' },
  { code: '3.1', label: 'Développer des documents textuels' },
  { code: '3.2', label: 'Développer des documents multimédia' },
  { code: '3.3', label: 'Adapter les documents à leur finalité' },
  { code: '3.4', label: 'Programmer' },
  { code: '4.1', label: 'Sécuriser l’environnement numérique' },
  { code: '4.2', label: 'Protéger les données personnelles et la vie privée' },
  { code: '4.3', label: 'Protéger la santé, le bien-être et l’environnement' },
  { code: '5.1', label: 'Résoudre des problèmes techniques' },
  { code: '5.2', label: 'Construire un environnement numérique' },
] as const;

/** The forum's reactions (libs/forums/src/topic.ts REACTION_EMOJIS). */
export const REACTION_EMOJIS = ['👍', '❤️', '🎉', '😄', '🤔', '👀'] as const;
