import helmet from 'helmet';
import type { RequestHandler } from 'express';
import type { RucheConfig } from '../config/configuration.js';

/**
 * helmet's headers with a Content-Security-Policy that allows no inline script, fitting the web
 * app's Vite build (module scripts from 'self' only). Styles: files from 'self', and inline
 * `<style>` elements, which the DSFR (react-dsfr's color-scheme handling) inserts at run time —
 * an injected style cannot run code. Images: 'self', data: and https: (Markdown bodies may show
 * absolute https images). Socket.io connects to the public origin (ws/wss spelled out: not every
 * browser lets 'self' cover them). The OIDC provider is a form target (logout is a form POST
 * answered by a redirect there, which form-action governs).
 */
export function securityHeaders(config: RucheConfig): RequestHandler {
  const publicUrl = new URL(config.publicUrl);
  const socket = `${publicUrl.protocol === 'https:' ? 'wss' : 'ws'}://${publicUrl.host}`;
  const formTargets = ["'self'", ...(config.oidc ? [new URL(config.oidc.issuer).origin] : [])];
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'https:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", socket],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: formTargets,
        frameAncestors: ["'none'"],
        ...(publicUrl.protocol === 'https:' ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // HSTS only where the public origin is https: a plain-http test or demo must stay reachable.
    strictTransportSecurity: publicUrl.protocol === 'https:' ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginEmbedderPolicy: false,
  });
}
