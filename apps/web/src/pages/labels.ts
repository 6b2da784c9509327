import type { ActivityItem, NotificationItem } from '../api/types';

/** A readable French sentence for an activity item of a space (GET /api/spaces/:id/activity). */
export function describeActivity(item: ActivityItem): string {
  const who = item.actor?.displayName ?? 'Quelqu’un';
  const subject = item.subject?.displayName;
  const title = typeof item.details?.title === 'string' ? ` « ${item.details.title} »` : '';
  const role = typeof item.details?.role === 'string' ? ROLE[item.details.role] ?? item.details.role : undefined;
  switch (item.type) {
    case 'SpaceCreated':
      return `${who} a créé l’espace`;
    case 'SpaceUpdated':
    case 'SpaceRenamed':
      return `${who} a modifié l’espace`;
    case 'MemberJoined':
      return `${subject ?? who} a rejoint l’espace`;
    case 'MemberInvited':
    case 'MemberAdded':
      return `${who} a ajouté ${subject ?? 'une personne'}${role ? ` comme ${role.toLowerCase()}` : ''}`;
    case 'MemberRoleChanged':
      return `${who} a changé le rôle de ${subject ?? 'une personne'}${role ? ` : ${role.toLowerCase()}` : ''}`;
    case 'MemberRemoved':
    case 'MemberLeft':
      return `${subject ?? who} a quitté l’espace`;
    case 'JoinRequested':
      return `${subject ?? who} demande à rejoindre l’espace`;
    case 'JoinRequestApproved':
      return `${who} a accepté la demande de ${subject ?? 'quelqu’un'}`;
    case 'JoinRequestRejected':
      return `${who} a refusé la demande de ${subject ?? 'quelqu’un'}`;
    case 'TopicOpened':
    case 'TopicCreated':
      return `${who} a ouvert le sujet${title}`;
    case 'ReplyPosted':
    case 'PostAdded':
      return `${who} a répondu${title}`;
    case 'DocumentCreated':
      return `${who} a créé la fiche${title}`;
    case 'DocumentContentWritten':
    case 'DocumentRevised':
      return `${who} a modifié la fiche${title}`;
    case 'FaqEntryPublished':
      return `${who} a publié une question de la FAQ`;
    default:
      return `${who} : ${item.type}${title}`;
  }
}

export const ROLE: Record<string, string> = { manager: 'Gestionnaire', contributor: 'Contributeur', reader: 'Lecteur' };

export function notificationBy(n: NotificationItem): string {
  if (n.byName) return n.byName;
  if (n.by && typeof n.by === 'object') return n.by.displayName;
  return 'quelqu’un';
}
