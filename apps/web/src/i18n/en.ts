import type { MessageKey } from './fr';

/** English, key by key; what is missing here is shown in French. */
export const en: Partial<Record<MessageKey, string>> = {
  'app.tagline': 'Collaborative spaces for digital education teams',
  'app.brand': 'Demo\nacadémie',
  'app.skip.content': 'Content',
  'app.skip.nav': 'Menu',
  'app.loading': 'Loading…',
  'app.language': 'Language',
  'app.signOut': 'Sign out',
  'app.signIn': 'Sign in',
  'nav.home': 'Home',
  'nav.search': 'Search',
  'nav.indicators': 'Académie indicators',
  'nav.public': 'Public indicators',
  'live.reconnecting': 'Connection lost: reconnecting…',
  'notFound.title': 'Page not found',
  'notFound.text': 'The page you are looking for cannot be found.',
  'notFound.home': 'Home page',
  'signIn.title': 'Sign in to Ruche',
  'signIn.as': 'Sign in as {name}',
  'signIn.email': 'E-mail address',
  'signIn.submit': 'Sign in',
  'home.title': 'Hello {name}',
  'home.mySpaces': 'My spaces',
  'home.notifications': 'My notifications',
};
