/** `scalekit.v1.tools` at the official import path, shaped as protobuf-es output. */
import type { GenFile, GenMessage } from '@bufbuild/protobuf/codegenv2';
import type { JsonObject, Message } from '@bufbuild/protobuf';
import type { Timestamp } from '@bufbuild/protobuf/wkt';

export declare const file_scalekit_v1_tools_tools: GenFile;

type M<Name extends string, Fields> = Message<`scalekit.v1.tools.${Name}`> & Fields;
interface Page { nextPageToken: string; totalSize: number; prevPageToken: string }

/**
 * The names the SDK reference page gives each tool the tools client lists: read-only views of
 * `definition` on its answers (`WithPageNames` in the package root), not fields of the message.
 */
export interface PageNames { readonly name: string; readonly description: string; readonly inputSchema: JsonObject }
export type Tool = M<'Tool', { id: string; provider: string; definition?: JsonObject; metadata?: JsonObject; tags: string[]; isDefault?: boolean; updatedAt?: Timestamp }>;
export declare const ToolSchema: GenMessage<Tool>;
export type ScopedTool = M<'ScopedTool', { tool?: Tool; identifier: string; connectedAccountId: string }>;
export declare const ScopedToolSchema: GenMessage<ScopedTool>;
export type Filter = M<'Filter', { summary?: boolean; provider: string; identifier: string; toolName: string[]; query?: string; connector?: string; organizationId?: string; userId?: string; connectedAccountId?: string }>;
export declare const FilterSchema: GenMessage<Filter>;
export type ScopedToolFilter = M<'ScopedToolFilter', { providers: string[]; toolNames: string[]; connectionNames: string[] }>;
export declare const ScopedToolFilterSchema: GenMessage<ScopedToolFilter>;
export type ListToolsResponse = M<'ListToolsResponse', Page & { toolNames: string[]; tools: Tool[] }>;
export declare const ListToolsResponseSchema: GenMessage<ListToolsResponse>;
export type ListScopedToolsResponse = M<'ListScopedToolsResponse', Page & { tools: ScopedTool[] }>;
export declare const ListScopedToolsResponseSchema: GenMessage<ListScopedToolsResponse>;
export type ListAvailableToolsResponse = M<'ListAvailableToolsResponse', Page & { tools: Tool[] }>;
export declare const ListAvailableToolsResponseSchema: GenMessage<ListAvailableToolsResponse>;
export type ExecuteToolResponse = M<'ExecuteToolResponse', { data?: JsonObject; executionId: string }>;
export declare const ExecuteToolResponseSchema: GenMessage<ExecuteToolResponse>;
