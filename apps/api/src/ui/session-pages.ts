import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express, Request, Response } from 'express';
import type { SwitchyardConfig } from '@switchyard/orchestration';

export const UI_PATH = '/ui';

/** One page for every route: the script reads the path. No inline script, so the strict CSP holds. */
const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard</title>
<link rel="icon" href="${UI_PATH}/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${UI_PATH}/assets/app.css">
</head>
<body>
<div id="app"></div>
<script src="${UI_PATH}/assets/app.js"></script>
</body>
</html>
`;

/**
 * Serves the session pages: `/ui` and `/ui/sessions/:id` (the same HTML; no key needed, as it
 * holds no data: the page asks for a key and sends it with its API calls), and their built
 * assets from SWITCHYARD_UI_DIR. Mounted on Express beside Nest's routes, like Bull Board: they
 * are not API routes and stay out of the OpenAPI document.
 */
export function mountSessionPages(app: NestExpressApplication, config: Pick<SwitchyardConfig, 'uiDir'>): void {
  const dir = resolve(config.uiDir);
  const built = () => existsSync(join(dir, 'app.js'));
  const page = (_request: Request, response: Response) => {
    if (!built()) {
      response
        .status(503)
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: 'https://switchyard.dev/problems/ui-not-built',
            title: 'Service Unavailable',
            status: 503,
            detail: `The session pages are not built: run "npm run build" (they go to ${dir}, SWITCHYARD_UI_DIR)`,
          }),
        );
      return;
    }
    response.type('html').setHeader('cache-control', 'no-cache');
    response.send(SHELL);
  };
  const express = app.getHttpAdapter().getInstance() as Express;
  express.get([UI_PATH, `${UI_PATH}/`, `${UI_PATH}/sessions/:id`], page);
  app.useStaticAssets(dir, { prefix: `${UI_PATH}/assets/`, index: false, maxAge: '5m' });
}
