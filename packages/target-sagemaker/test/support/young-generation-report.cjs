'use strict';
// Preloaded into a `berth` process (NODE_OPTIONS=--require=…): at exit, writes the size of V8's
// young generation (new_space) in bytes to the file named by BERTH_TEST_YOUNG_GENERATION_FILE.
// V8 grows it and does not shrink it back, so the size at exit is the largest it was.
const { writeFileSync } = require('node:fs');
const { getHeapSpaceStatistics } = require('node:v8');

const file = process.env.BERTH_TEST_YOUNG_GENERATION_FILE;
if (file) {
  process.on('exit', () => {
    const space = getHeapSpaceStatistics().find((entry) => entry.space_name === 'new_space');
    writeFileSync(file, String(space ? space.space_size : -1));
  });
}
