'use strict';
/**
 * Says so when the official `@scalekit-sdk/node` is installed beside this package under its own
 * name (`agentkit-gateway-sdk`): code importing `@scalekit-sdk/node` (the documented path, and
 * every library written against it) would then get the official package while this one is
 * loaded too, a silent mix of two SDKs. Installed under the official path with npm's alias
 * (`npm install @scalekit-sdk/node@npm:agentkit-gateway-sdk`), there is nothing to check.
 */
const path = require('path');
const fs = require('fs');

const OURS = require('../package.json').name;
const OFFICIAL = '@scalekit-sdk/node';

/** The name in the package.json that `@scalekit-sdk/node` resolves to from `from`, if any. */
function officialPathOwner(from) {
  try {
    const manifest = require.resolve(`${OFFICIAL}/package.json`, { paths: [from] });
    return JSON.parse(fs.readFileSync(manifest, 'utf8')).name;
  } catch {
    return undefined;
  }
}

function warnOnMixedInstall() {
  if (__dirname.split(path.sep).join('/').includes(`/${OFFICIAL}/`)) return;
  const owner = officialPathOwner(process.cwd());
  if (owner === OFFICIAL) {
    process.emitWarning(
      `${OURS} is loaded while '${OFFICIAL}' resolves to the official package: code importing '${OFFICIAL}' ` +
        `gets the official SDK, not this one. Install this one under that path instead: ` +
        `npm uninstall ${OFFICIAL} ${OURS} && npm install ${OFFICIAL}@npm:${OURS}`,
      { code: 'AGENTKIT_MIXED_INSTALL' },
    );
  }
}

module.exports = { warnOnMixedInstall, officialPathOwner };
