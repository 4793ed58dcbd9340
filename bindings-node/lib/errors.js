'use strict';
/**
 * Error classes of the SDK, exported from the package root so `instanceof` works.
 * The native addon encodes errors as tagged JSON (napi-rs cannot throw subclasses);
 * `wrapError` turns them into instances of these classes.
 */

const ERROR_TAG = 'AGENTKIT_ERROR:';

class ScalekitException extends Error {
  constructor(message, details = {}) {
    super(message);
    this.name = this.constructor.name;
    this.httpStatus = details.httpStatus;
    this.errorCode = details.errorCode ?? null;
    this.kind = details.kind;
    this.field = details.field ?? null;
    this.requestId = details.requestId ?? null;
    this.errDetails = details.errDetails;
    /** The gRPC status code number (`Code` of @connectrpc/connect: 5 is NotFound). */
    this.grpcStatus = details.grpcStatus;
    /** The error's detail payloads (`errorCode`, `validationErrorInfo`, `toolErrorInfo`…). */
    this.unpackedDetails = details.unpackedDetails ?? [];
  }
}
class ScalekitConnectionException extends ScalekitException {}
class ScalekitModifierException extends ScalekitException {}
class ScalekitServerException extends ScalekitException {
  /**
   * The SDK exception for a failed HTTP answer (`{ status, data }` as axios or fetch code holds
   * it), classified by core as the SDK's own calls are; SDK exceptions are returned unchanged.
   */
  static promote(error) {
    if (error instanceof ScalekitException) return error;
    if (!error || typeof error.status !== 'number') {
      throw new TypeError('promote expects an HTTP response with a numeric status');
    }
    const data = error.data ?? error.body ?? '';
    const body = Buffer.isBuffer(data) ? data : Buffer.from(typeof data === 'string' ? data : JSON.stringify(data));
    const { errorFromResponse } = require('../native.js');
    return wrapError(new Error(errorFromResponse(error.status, body)));
  }
}
class ScalekitBadRequestException extends ScalekitServerException {}
class ScalekitUnauthorizedException extends ScalekitServerException {}
class ScalekitForbiddenException extends ScalekitServerException {}
class ScalekitNotFoundException extends ScalekitServerException {}
class ScalekitConflictException extends ScalekitServerException {}
class ScalekitTooManyRequestsException extends ScalekitServerException {}
class ScalekitInternalServerException extends ScalekitServerException {}
class ScalekitNotImplementedException extends ScalekitServerException {}
class ScalekitServiceUnavailableException extends ScalekitServerException {}
class ScalekitGatewayTimeoutException extends ScalekitServerException {}
class ScalekitCancelledException extends ScalekitServerException {}
class ScalekitUnknownException extends ScalekitServerException {}
/** A webhook delivery did not verify (headers, timestamp window or signature). */
class WebhookVerificationError extends ScalekitException {}

/** Adds the tool-error fields; `isToolError` marks every tool failure. */
function toolFields(self, details) {
  self.isToolError = true;
  self.toolErrorCode = details.toolErrorCode ?? '';
  self.toolErrorMessage = details.toolErrorMessage ?? '';
  self.executionId = details.executionId ?? '';
}
class ScalekitToolException extends ScalekitServerException {
  constructor(message, details = {}) { super(message, details); toolFields(this, details); }
}
class ScalekitToolRateLimitException extends ScalekitTooManyRequestsException {
  constructor(message, details = {}) { super(message, details); toolFields(this, details); }
}
class ScalekitToolUnauthorizedException extends ScalekitUnauthorizedException {
  constructor(message, details = {}) { super(message, details); toolFields(this, details); }
}
class ScalekitToolForbiddenException extends ScalekitForbiddenException {
  constructor(message, details = {}) { super(message, details); toolFields(this, details); }
}

const classes = {
  ScalekitException, ScalekitConnectionException, ScalekitModifierException, ScalekitServerException,
  ScalekitBadRequestException, ScalekitUnauthorizedException, ScalekitForbiddenException, ScalekitNotFoundException,
  ScalekitConflictException, ScalekitTooManyRequestsException, ScalekitInternalServerException,
  ScalekitNotImplementedException, ScalekitServiceUnavailableException, ScalekitGatewayTimeoutException,
  ScalekitCancelledException, ScalekitUnknownException, ScalekitToolException, ScalekitToolRateLimitException,
  ScalekitToolUnauthorizedException, ScalekitToolForbiddenException, WebhookVerificationError,
};

/** True for any failure the provider reported while running a tool. */
function isToolException(e) {
  return e instanceof ScalekitServerException && e.isToolError === true;
}

/** Converts a native error into its SDK class; other errors pass through unchanged. */
function wrapError(err) {
  const text = err && typeof err.message === 'string' ? err.message : '';
  if (!text.startsWith(ERROR_TAG)) return err;
  const details = JSON.parse(text.slice(ERROR_TAG.length));
  const Cls = classes[details.className] ?? ScalekitException;
  const wrapped = new Cls(details.message, details);
  if (err.cause) wrapped.cause = err.cause;
  return wrapped;
}

/** Awaits `promise`, rethrowing native errors as SDK classes. */
async function wrapErrors(promise) {
  try {
    return await promise;
  } catch (err) {
    throw wrapError(err);
  }
}

module.exports = { ...classes, isToolException, wrapError, wrapErrors };
