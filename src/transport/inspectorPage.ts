// GET /debug/inspector/: the inspector page (static files in src/inspector) and the machines'
// diagrams (visualizations/<machine>.svg), served through the ordinary express app so the same
// HTTP middleware (authorization) covers them. Paths are resolved from the package root: dist/
// holds compiled TypeScript only.
import express, { type NextFunction, type Request, type Response } from 'express';
import { join } from 'node:path';
import { packageRoot } from '../util/packageRoot.js';

export const INSPECTOR_PATH = '/debug/inspector';

export function inspectorPage(): express.Router {
  const root = packageRoot();
  const router = express.Router();
  const opts = { etag: false, lastModified: false, maxAge: 0, dotfiles: 'deny' as const };
  const diagrams = express.static(join(root, 'visualizations'), { ...opts, index: false });
  // Only the generated SVGs, nothing else that lives in visualizations/.
  router.use(`${INSPECTOR_PATH}/diagrams`, (req: Request, res: Response, next: NextFunction) => {
    if (!/^\/[A-Za-z0-9_-]+\.svg$/.test(req.path)) {
      next();
      return;
    }
    void diagrams(req, res, next);
  });
  router.use(INSPECTOR_PATH, express.static(join(root, 'src', 'inspector'), { ...opts, index: 'index.html' }));
  return router;
}
