import { useLiveStatus } from '../live/hooks';
import { useI18n } from '../i18n';

/** Says, politely to screen readers, when the live connection is lost and being restored. */
export function ConnectionBanner() {
  const status = useLiveStatus();
  const { t } = useI18n();
  return (
    <div aria-live="polite" className="ruche-connection" data-live-status={status}>
      {status === 'reconnecting' && (
        <p className="fr-badge fr-badge--warning fr-badge--no-icon" data-testid="reconnecting">
          {t('live.reconnecting')}
        </p>
      )}
    </div>
  );
}
