'use strict';
/**
 * @scalekit-sdk/node — AgentKit Node SDK. Every method is a thin call into the Rust core
 * (native addon); the files beside this one only shape parameters, results and errors as
 * documented: one file per client (`scalekit`, `actions`, `tools`, `connected-accounts`, `mcp`,
 * `providers`, `triggers`), `call` (running operations), `answers` (their protobuf-es shapes).
 */

const errors = require('./errors');
// Loaded under its own name beside the official package: say so (README, "Installing the SDKs").
require('./install-check').warnOnMixedInstall();
const { ConnectorStatus, ConnectorType } = require('./pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb');
const { ScalekitClient } = require('./scalekit');
const { ActionsClient } = require('./actions');
const { ToolsClient } = require('./tools');
const { McpClient } = require('./mcp');
const { ConnectedAccountsClient } = require('./connected-accounts');

// Static `exports.X =` lines so ESM `import { X }` of this CommonJS module finds every name.
exports.ScalekitClient = ScalekitClient;
exports.Scalekit = ScalekitClient;
exports.default = ScalekitClient;
exports.ActionsClient = ActionsClient;
exports.ToolsClient = ToolsClient;
exports.McpClient = McpClient;
exports.ConnectedAccountsClient = ConnectedAccountsClient;
exports.formatTools = (definitions, format) => ToolsClient.prototype.formatTools.call(null, definitions, format);
exports.ConnectorStatus = ConnectorStatus;
exports.ConnectorType = ConnectorType;
exports.ScalekitException = errors.ScalekitException;
exports.ScalekitConnectionException = errors.ScalekitConnectionException;
exports.ScalekitModifierException = errors.ScalekitModifierException;
exports.ScalekitValidateTokenFailureException = errors.ScalekitValidateTokenFailureException;
exports.ScalekitServerException = errors.ScalekitServerException;
exports.ScalekitBadRequestException = errors.ScalekitBadRequestException;
exports.ScalekitUnauthorizedException = errors.ScalekitUnauthorizedException;
exports.ScalekitForbiddenException = errors.ScalekitForbiddenException;
exports.ScalekitNotFoundException = errors.ScalekitNotFoundException;
exports.ScalekitConflictException = errors.ScalekitConflictException;
exports.ScalekitTooManyRequestsException = errors.ScalekitTooManyRequestsException;
exports.ScalekitInternalServerException = errors.ScalekitInternalServerException;
exports.ScalekitNotImplementedException = errors.ScalekitNotImplementedException;
exports.ScalekitServiceUnavailableException = errors.ScalekitServiceUnavailableException;
exports.ScalekitGatewayTimeoutException = errors.ScalekitGatewayTimeoutException;
exports.ScalekitCancelledException = errors.ScalekitCancelledException;
exports.ScalekitUnknownException = errors.ScalekitUnknownException;
exports.ScalekitToolException = errors.ScalekitToolException;
exports.ScalekitToolRateLimitException = errors.ScalekitToolRateLimitException;
exports.ScalekitToolUnauthorizedException = errors.ScalekitToolUnauthorizedException;
exports.ScalekitToolForbiddenException = errors.ScalekitToolForbiddenException;
exports.WebhookVerificationError = errors.WebhookVerificationError;
exports.isToolException = errors.isToolException;
