/** The shapes of the public HTTP contract (/work/shared/API.md) that the web app reads. */

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Where a command landed (API.md, "Commands answer with where they landed"). */
export interface Landed {
  id: string;
  revision: number;
  position: number;
}

export interface Me {
  id: string;
  email: string;
  displayName: string;
  roles: string[];
  uai?: string;
}

export type SpaceKind = 'academic' | 'establishment' | 'thematic';
export type SpaceVisibility = 'public' | 'restricted' | 'private';
export type SpaceRole = 'manager' | 'contributor' | 'reader';

export interface SpaceCard {
  id: string;
  name: string;
  description: string;
  kind: SpaceKind;
  visibility: SpaceVisibility;
  uai?: string;
  parentSpaceId?: string;
  memberCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface SpaceView extends SpaceCard {
  myRole: SpaceRole | null;
  permissions: { read: boolean; contribute?: boolean; manage: boolean };
  unreadTopics?: number;
}

export interface MemberItem {
  userId: string;
  displayName: string;
  role: SpaceRole;
  joinedAt: string;
}

export interface JoinRequestItem {
  userId: string;
  displayName: string;
  requestedAt: string;
}

export interface ActivityItem {
  position: number;
  type: string;
  at: string;
  actor: { id: string; displayName: string };
  subject?: { id: string; displayName: string };
  details: Record<string, unknown>;
}

export interface TopicItem {
  id: string;
  title: string;
  tags: string[];
  authorId: string;
  authorName?: string;
  createdAt: string;
  replyCount: number;
  lastActivityAt: string;
  pinned: boolean;
  locked: boolean;
  solved: boolean;
  unread: boolean;
}

export interface TopicView extends TopicItem {
  spaceId: string;
  openingPostId: string;
  solutionPostId: string | null;
  permissions: { reply: boolean; moderate: boolean; chooseSolution: boolean };
}

export interface PostView {
  id: string;
  authorId: string;
  authorName?: string;
  body: string;
  /** Sanitized by the server (libs/markdown): safe to inject. */
  html: string;
  replyTo: string | null;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
  reactions: Record<string, number>;
  mine: string[];
}

export interface TopicPage {
  topic: TopicView;
  posts: Page<PostView>;
}

export interface PostVersions {
  postId: string;
  items: Array<{ version: number; body: string; html: string; at: string; by: string; byName: string }>;
}

export interface FaqItem {
  id: string;
  spaceId: string;
  question: string;
  answer: string;
  html: string;
  category: string;
  status: 'draft' | 'published';
  authorName?: string;
  fromTopicId?: string;
  updatedAt: string;
}

export interface CompetenceView {
  code: string;
  label: string;
}

export interface DocumentListItem {
  id: string;
  spaceId: string;
  title: string;
  excerpt: string;
  competences: CompetenceView[];
  revision: number;
  updatedAt: string;
  views: number;
}

export interface DocumentView extends Omit<DocumentListItem, 'excerpt'> {
  body: string;
  html: string;
  contributors: Array<{ id: string; displayName: string }>;
  permissions: { edit: boolean };
}

export interface RevisionItem {
  revision: number;
  author: { id: string; displayName: string };
  at: string;
  summary: string | null;
  size: number;
  restoredFrom: number | null;
}

export interface RevisionDiff {
  from: number;
  to: number;
  added: number;
  removed: number;
  hunks: Array<{ oldStart: number; oldLines: number; newStart: number; newLines: number; lines: Array<{ op: 'add' | 'del' | 'eq'; text: string }> }>;
}

export const FIGURE_FIELDS = [
  'topics',
  'replies',
  'contributors',
  'newMembers',
  'documents',
  'revisions',
  'faqPublished',
  'views',
  'uniqueVisitors',
  'unansweredTopics',
  'medianFirstReplyHours',
] as const;
export type FigureField = (typeof FIGURE_FIELDS)[number];
/** A count of people under 5 is the string "< 5" on the public page. */
export type FigureValue = number | string | null;
export type Figures = Record<FigureField, FigureValue>;

export interface SpaceIndicators {
  from: string;
  to: string;
  granularity: Granularity;
  series: Array<Figures & { period: string }>;
  previous: Array<Figures & { period: string }>;
  totals: Figures;
}
export type Granularity = 'day' | 'week' | 'month';
export type GroupBy = 'establishment' | 'department' | 'space' | 'kind';

export interface AcademyIndicators {
  rows: Array<Figures & { key: string; label: string }>;
  totals: Figures;
  previousTotals: Figures;
}

export interface DormantSpaces {
  items: Array<{ spaceId: string; name: string; kind: SpaceKind; uai?: string | null; lastContributionAt: string | null; daysSince: number | null }>;
}

export interface PixCompetences {
  items: Array<{ code: string; label: string; documents: number }>;
}

export const MILESTONES = [
  'referent_designated',
  'referent_trained_pix_orga',
  'referent_trained_pix_certif',
  'pix_orga_activated',
  'pix_certif_activated',
  'digital_committee_set_up',
  'space_opened',
] as const;
export type Milestone = (typeof MILESTONES)[number];

export interface PixDeployment {
  items: Array<{ uai: string; name: string; department?: string; milestones: Partial<Record<Milestone, string | null>> }>;
}

export interface ExplainPage {
  items: Array<{ position: number; type: string; streamName: string; createdAt: string }>;
  nextCursor: string | null;
}

export interface PublicIndicators {
  generatedAt: string;
  academy: Figures;
  departments: Array<Figures & { code: string }>;
  deployment: Array<{ uai: string; name: string; milestones: Partial<Record<Milestone, string | null>> }>;
}

export type SearchType = 'topic' | 'post' | 'faq' | 'document';
/** A search hit; libs/search fixes the exact shape, read defensively. */
export interface SearchHit {
  type: SearchType;
  id: string;
  spaceId?: string;
  spaceName?: string;
  topicId?: string;
  documentId?: string;
  title?: string;
  /** Text escaped by the server, with <mark>…</mark> around the matches. */
  excerpt?: string;
  createdAt?: string;
}

export interface NotificationItem {
  id: string;
  kind: 'reply' | 'mention' | 'join_approved' | 'solution' | string;
  spaceId?: string;
  topicId?: string;
  documentId?: string;
  by?: string | { id: string; displayName: string };
  byName?: string;
  at: string;
  read?: boolean;
}
