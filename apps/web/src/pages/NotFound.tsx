import { Link } from 'react-router';
import { useTitle } from '../components/Title';
import { useI18n } from '../i18n';

export function NotFoundPage() {
  const { t } = useI18n();
  useTitle(t('notFound.title'));
  return (
    <div className="fr-my-7w fr-grid-row">
      <div className="fr-col-12 fr-col-md-8">
        <h1>{t('notFound.title')}</h1>
        <p className="fr-text--sm fr-mb-3w">{t('notFound.lead')}</p>
        <p className="fr-text--lead fr-mb-3w">{t('notFound.text')}</p>
        <p className="fr-text--sm fr-mb-5w">{t('notFound.hint')}</p>
        <Link className="fr-btn" to="/">
          {t('notFound.home')}
        </Link>
      </div>
    </div>
  );
}
