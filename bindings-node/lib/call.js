'use strict';
/**
 * Running the native operations: errors become the SDK's classes (a modifier's own error comes
 * back unchanged), an operation group calls operations by name, webhook signatures are checked.
 */

const errors = require('./errors');

const MODIFIER_ERROR_TAG = 'AGENTKIT_MODIFIER_ERROR:';
const modifierErrors = new Map();
let modifierErrorSeq = 0;

/** Rethrows a modifier's own error unchanged; other native errors become SDK classes. */
async function run(promise) {
  try {
    return await promise;
  } catch (err) {
    const text = err && typeof err.message === 'string' ? err.message : '';
    const at = text.indexOf(MODIFIER_ERROR_TAG);
    if (at >= 0) {
      const id = Number.parseInt(text.slice(at + MODIFIER_ERROR_TAG.length), 10);
      if (modifierErrors.has(id)) {
        const original = modifierErrors.get(id);
        modifierErrors.delete(id);
        throw original;
      }
    }
    throw errors.wrapError(err);
  }
}

/**
 * A modifier's error, kept while the native call unwinds: `run` throws the original again. Gives
 * the error the native side sees.
 */
function modifierFailure(error) {
  const id = ++modifierErrorSeq;
  modifierErrors.set(id, error);
  return new Error(`${MODIFIER_ERROR_TAG}${id}`);
}

/** A group of SDK operations over the native client: `_call` runs one by name. */
class OperationGroup {
  constructor(native) {
    this._native = native;
  }

  /** Runs `op`; `shape` turns the JSON answer into what the method returns. */
  async _call(op, params, shape) {
    const result = await run(this._native.call(op, params ?? {}));
    return shape ? shape(result) : result;
  }
}

/** Runs a native Standard Webhooks check on (`secret`, headers as pairs, raw payload bytes). */
function checkSignature(check, secret, headers, payload) {
  const pairs = Object.entries(headers ?? {}).map(([name, value]) => [String(name), Array.isArray(value) ? value.join(', ') : String(value)]);
  try {
    return check(String(secret), pairs, Buffer.isBuffer(payload) ? payload : Buffer.from(String(payload)));
  } catch (err) {
    throw errors.wrapError(err);
  }
}

module.exports = { run, modifierFailure, OperationGroup, checkSignature };
