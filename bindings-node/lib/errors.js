'use strict';
/**
 * Error classes of the SDK, exported from the package root so `instanceof` works.
 * The native addon encodes errors as tagged JSON (napi-rs cannot throw subclasses);
 * `wrapError` turns them into instances of these classes.
 */

const ERROR_TAG = 'AGENTKIT_ERROR:';

// gRPC status codes (`Code` of @connectrpc/connect) and the HTTP statuses they pair with, as the
// official SDK maps them.
const GRPC_TO_HTTP = { 3: 400, 9: 400, 11: 400, 16: 401, 7: 403, 5: 404, 6: 409, 10: 409, 8: 429, 1: 499, 15: 500, 2: 500, 13: 500, 12: 501, 14: 503, 4: 504 };
const HTTP_TO_GRPC = { 200: 2, 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 501: 12, 503: 14, 504: 4 };
const CODE_UNKNOWN = 2;

const ERRDETAILS = 'scalekit.v1.errdetails.';
/** A message of `scalekit.v1.errdetails` as protobuf-es shapes it: `$typeName` plus its fields. */
const detailMessage = (name, fields) => ({ $typeName: `${ERRDETAILS}${name}`, ...fields });
const pick = (o, camel, snake) => o?.[camel] ?? o?.[snake];

/**
 * An error detail (the gateway's JSON `ErrorInfo`, snake_case or camelCase) as the official SDK's
 * `ErrorInfo` message: `errorCode`, and `toolErrorInfo` / `validationErrorInfo` /
 * `requestInfo`… when present. Messages already shaped pass unchanged.
 */
function errorInfo(d) {
  if (!d || typeof d !== 'object' || typeof d.$typeName === 'string') return d;
  const info = detailMessage('ErrorInfo', { errorCode: String(pick(d, 'errorCode', 'error_code') ?? '') });
  const tool = pick(d, 'toolErrorInfo', 'tool_error_info');
  if (tool) {
    info.toolErrorInfo = detailMessage('ToolErrorInfo', {
      executionId: pick(tool, 'executionId', 'execution_id') ?? '',
      toolErrorMessage: pick(tool, 'toolErrorMessage', 'tool_error_message') ?? '',
      toolErrorCode: pick(tool, 'toolErrorCode', 'tool_error_code') ?? '',
    });
  }
  const validation = pick(d, 'validationErrorInfo', 'validation_error_info');
  if (validation) {
    info.validationErrorInfo = detailMessage('ValidationErrorInfo', {
      fieldViolations: (pick(validation, 'fieldViolations', 'field_violations') ?? []).map((v) => detailMessage('ValidationErrorInfo.FieldViolation', {
        field: v.field ?? '', description: v.description ?? '', constraint: v.constraint ?? '',
      })),
    });
  }
  const request = pick(d, 'requestInfo', 'request_info');
  if (request) info.requestInfo = detailMessage('RequestInfo', { requestId: pick(request, 'requestId', 'request_id') ?? '', servingData: pick(request, 'servingData', 'serving_data') ?? '' });
  const debug = pick(d, 'debugInfo', 'debug_info');
  if (debug) info.debugInfo = detailMessage('DebugInfo', { stackEntries: pick(debug, 'stackEntries', 'stack_entries') ?? [], detail: debug.detail ?? '' });
  return info;
}

/**
 * The `ErrorInfo` details of a ConnectError (from code that calls Scalekit over gRPC itself):
 * those sent with their JSON `debug` form. Binary-only details are not decoded (this SDK has no
 * `errdetails` schema); the SDK's own errors always carry theirs.
 */
function connectDetails(error) {
  const details = Array.isArray(error.details) ? error.details : [];
  return details.filter((d) => d && d.type === `${ERRDETAILS}ErrorInfo` && d.debug && typeof d.debug === 'object').map((d) => errorInfo(d.debug));
}

/**
 * `new XException(error)` as the official classes take it — an HTTP response (`{ status,
 * statusText?, data? }`, an AxiosResponse) or a ConnectError (`{ code, message, details? }`) —
 * turned into this SDK's (message, details); a message string passes unchanged.
 */
function officialInput(error, details) {
  if (error && typeof error === 'object') {
    if (typeof error.status === 'number') {
      return [`HTTP ${error.status}${error.statusText ? ` ${error.statusText}` : ''}`, {
        httpStatus: error.status, grpcStatus: HTTP_TO_GRPC[error.status] ?? CODE_UNKNOWN, errorCode: error.statusText ?? null, errDetails: error.data, ...details,
      }];
    }
    if (typeof error.code === 'number') {
      const infos = connectDetails(error);
      return [String(error.message ?? error.rawMessage ?? ''), {
        grpcStatus: error.code, httpStatus: GRPC_TO_HTTP[error.code] ?? 500, errorCode: infos.find((d) => d.errorCode)?.errorCode ?? null,
        errDetails: infos, unpackedDetails: infos, ...details,
      }];
    }
  }
  return [error, details];
}

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
    /** The error's detail payloads, as the official `ErrorInfo` messages (`errorCode`, `validationErrorInfo`, `toolErrorInfo`…). */
    this.unpackedDetails = (details.unpackedDetails ?? []).map(errorInfo);
  }
}
class ScalekitConnectionException extends ScalekitException {}
class ScalekitModifierException extends ScalekitException {}
/** A token failed validation (the official class; AgentKit itself validates no tokens). */
class ScalekitValidateTokenFailureException extends ScalekitException {}

/** The class the official SDK gives a gRPC status code (`toolError`: a provider's failure). */
function classForGrpc(code, toolError) {
  if (toolError) {
    return { 16: ScalekitToolUnauthorizedException, 7: ScalekitToolForbiddenException, 8: ScalekitToolRateLimitException }[code] ?? ScalekitToolException;
  }
  return {
    3: ScalekitBadRequestException, 9: ScalekitBadRequestException, 11: ScalekitBadRequestException,
    16: ScalekitUnauthorizedException, 7: ScalekitForbiddenException, 5: ScalekitNotFoundException,
    6: ScalekitConflictException, 10: ScalekitConflictException, 8: ScalekitTooManyRequestsException,
    1: ScalekitCancelledException, 15: ScalekitInternalServerException, 2: ScalekitInternalServerException,
    13: ScalekitInternalServerException, 12: ScalekitNotImplementedException, 14: ScalekitServiceUnavailableException,
    4: ScalekitGatewayTimeoutException,
  }[code] ?? ScalekitUnknownException;
}

/** The fields an exception is rebuilt from (`promote` changing its class). */
const fieldsOf = (e) => ({
  httpStatus: e.httpStatus, grpcStatus: e.grpcStatus, errorCode: e.errorCode, kind: e.kind, field: e.field, requestId: e.requestId,
  errDetails: e.errDetails, unpackedDetails: e.unpackedDetails, toolErrorCode: e.toolErrorCode, toolErrorMessage: e.toolErrorMessage, executionId: e.executionId,
});

/**
 * An error the server answered: `httpStatus` and `grpcStatus` are always numbers (one derived from
 * the other when only one is known, as the official SDK does), `errDetails` the answer's details.
 */
class ScalekitServerException extends ScalekitException {
  constructor(error, details = {}) {
    const [message, fields] = officialInput(error, details);
    super(message, fields);
    if (typeof this.httpStatus !== 'number') this.httpStatus = GRPC_TO_HTTP[this.grpcStatus] ?? 500;
    if (typeof this.grpcStatus !== 'number') this.grpcStatus = HTTP_TO_GRPC[this.httpStatus] ?? CODE_UNKNOWN;
    if (this.errDetails === undefined) this.errDetails = this.unpackedDetails;
  }

  /**
   * The SDK exception for a failed HTTP answer (`{ status, data }` as axios or fetch code holds
   * it; classified by core as the SDK's own calls are) or a ConnectError (by its code, as the
   * official SDK does); `isToolError` forces (or rules out) a tool exception class. SDK
   * exceptions are returned unchanged.
   */
  static promote(error, isToolError) {
    if (error instanceof ScalekitException) return error;
    if (error && typeof error.code === 'number' && typeof error.status !== 'number') {
      const Cls = classForGrpc(error.code, isToolError ?? connectDetails(error).some((d) => d.errorCode === 'TOOL_ERROR'));
      return new Cls(error);
    }
    if (!error || typeof error.status !== 'number') {
      throw new TypeError('promote expects an HTTP response with a numeric status or a ConnectError');
    }
    const data = error.data ?? error.body ?? '';
    const body = Buffer.isBuffer(data) ? data : Buffer.from(typeof data === 'string' ? data : JSON.stringify(data));
    const { errorFromResponse } = require('../native.js');
    const promoted = wrapError(new Error(errorFromResponse(error.status, body)));
    if (typeof isToolError === 'boolean' && isToolError !== (promoted.isToolError === true)) {
      const Cls = classForGrpc(promoted.grpcStatus, isToolError);
      const again = new Cls(promoted.message, fieldsOf(promoted));
      if (promoted.cause) again.cause = promoted.cause;
      return again;
    }
    return promoted;
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
class ScalekitGatewayTimeoutException extends ScalekitServerException {
  /** True for an axios error that is a timeout (`ECONNABORTED` or `ETIMEDOUT`), as the official class says. */
  static isAxiosTimeout(error) {
    return error?.code === 'ECONNABORTED' || error?.code === 'ETIMEDOUT';
  }

  /** An axios timeout (it has no response) as this exception: DeadlineExceeded, HTTP 504. */
  static fromAxiosTimeout(error) {
    return new ScalekitGatewayTimeoutException(String(error?.message ?? 'timeout'), { grpcStatus: 4, httpStatus: 504, errorCode: null });
  }
}
class ScalekitCancelledException extends ScalekitServerException {}
class ScalekitUnknownException extends ScalekitServerException {}
/** A webhook delivery did not verify (headers, timestamp window or signature). */
class WebhookVerificationError extends ScalekitException {}

/** Adds the tool-error fields (given, else from a `toolErrorInfo` detail); `isToolError` marks every tool failure. */
function toolFields(self, details) {
  const info = self.unpackedDetails.find((d) => d && d.toolErrorInfo)?.toolErrorInfo ?? {};
  self.isToolError = true;
  self.toolErrorCode = details.toolErrorCode ?? info.toolErrorCode ?? '';
  self.toolErrorMessage = details.toolErrorMessage ?? info.toolErrorMessage ?? '';
  self.executionId = details.executionId ?? info.executionId ?? '';
}
class ScalekitToolException extends ScalekitServerException {
  constructor(error, details = {}) { super(error, details); toolFields(this, details); }
}
class ScalekitToolRateLimitException extends ScalekitTooManyRequestsException {
  constructor(error, details = {}) { super(error, details); toolFields(this, details); }
}
class ScalekitToolUnauthorizedException extends ScalekitUnauthorizedException {
  constructor(error, details = {}) { super(error, details); toolFields(this, details); }
}
class ScalekitToolForbiddenException extends ScalekitForbiddenException {
  constructor(error, details = {}) { super(error, details); toolFields(this, details); }
}

const classes = {
  ScalekitException, ScalekitConnectionException, ScalekitModifierException, ScalekitValidateTokenFailureException, ScalekitServerException,
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
