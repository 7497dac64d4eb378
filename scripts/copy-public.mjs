// After `tsc -p tsconfig.build.json`: the studio's page (plain files served as they are) next to
// the compiled server, where it looks for it.
import { cp, rm } from 'node:fs/promises';

await rm('dist/bots/web/public', { recursive: true, force: true });
await cp('src/bots/web/public', 'dist/bots/web/public', { recursive: true });
