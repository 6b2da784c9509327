import Alert from '@codegouvfr/react-dsfr/Alert';
import { ApiError, describeError, frenchFieldMessage } from '../api/client';
import { useI18n } from '../i18n';

/**
 * The DSFR input props that put the server's messages (problem+json `errors`) in French under
 * the field they name.
 */
export function fieldState(error: unknown, field: string): { state?: 'error'; stateRelatedMessage?: string } {
  if (!(error instanceof ApiError)) return {};
  const messages = error.fieldMessages(field);
  if (messages.length === 0) return {};
  return { state: 'error', stateRelatedMessage: [...new Set(messages.map(frenchFieldMessage))].join(' ') };
}

/** The error as a whole, above the form's buttons; fields named by the server are listed beside them. */
export function FormError({ error, fields = [] }: { error: unknown; fields?: string[] }) {
  const { lang } = useI18n();
  if (!error) return null;
  const unplaced =
    error instanceof ApiError ? (error.problem.errors ?? []).filter((e) => !fields.some((f) => e.field === f || e.field.startsWith(`${f}.`) || e.field.startsWith(`${f}[`))) : [];
  return (
    <Alert
      className="fr-mb-3w"
      severity="error"
      small
      role="alert"
      description={
        <>
          {describeError(error, lang)}
          {unplaced.length > 0 && (
            <ul>
              {unplaced.map((e, i) => (
                <li key={i}>
                  {e.field} : {frenchFieldMessage(e.message)}
                </li>
              ))}
            </ul>
          )}
        </>
      }
    />
  );
}

export function ErrorNotice({ error }: { error: unknown }) {
  const { lang } = useI18n();
  if (!error) return null;
  return <Alert severity="error" small description={describeError(error, lang)} className="fr-my-2w" />;
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p className="fr-text--sm" role="status">
      {t('app.loading')}
    </p>
  );
}
