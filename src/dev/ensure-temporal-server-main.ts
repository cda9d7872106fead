import { findTemporalServer } from './temporal-server';

// `npm run cluster:ensure`: prints the Temporal server's path, then its sql tool's (one a line), building them first
// if needed.
findTemporalServer()
  .then(({ server, sqlTool }) => process.stdout.write(`${server}\n${sqlTool}\n`))
  .catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
