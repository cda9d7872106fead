#!/usr/bin/env node
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'lib', 'src', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('hookwait: not built yet; run `npm run build` first\n');
  process.exit(1);
}
require(main);
