'use strict';
/**
 * Builds protobuf-es schemas at load time from compact field tables (no protoc, no codegen), so
 * results are real @bufbuild/protobuf messages: `toJson(Schema, msg)`, `timestampDate(...)` and
 * `create(Schema, ...)` work on them as on the official SDK's.
 */

const { create, createFileRegistry } = require('@bufbuild/protobuf');
const wkt = require('@bufbuild/protobuf/wkt');

const T = { STRING: 9, MESSAGE: 11, BOOL: 8, UINT32: 13, INT32: 5, DOUBLE: 1, ENUM: 14 };
const ONE = 1;
const MANY = 3;
const WELL_KNOWN = {
  'google/protobuf/struct.proto': wkt.file_google_protobuf_struct,
  'google/protobuf/timestamp.proto': wkt.file_google_protobuf_timestamp,
  'google/protobuf/wrappers.proto': wkt.file_google_protobuf_wrappers,
};

const jsonName = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/**
 * `messages`: `{ Name: [[number, field, type, label, typeName?, oneof?], ...] }`; `enums`:
 * `{ Name: ['VALUE_0', 'VALUE_1', ...] }` (numbered in order). Returns the file registry.
 */
function buildFile(fileName, pkg, messages, enums = {}) {
  const messageType = Object.entries(messages).map(([name, fields]) => {
    const oneofs = [];
    const field = fields.map(([number, fieldName, type, label, typeName, oneof]) => {
      const f = { name: fieldName, number, type, label, jsonName: jsonName(fieldName) };
      if (typeName) f.typeName = typeName;
      if (oneof) {
        if (!oneofs.includes(oneof)) oneofs.push(oneof);
        f.oneofIndex = oneofs.indexOf(oneof);
      }
      return f;
    });
    return { name, field, oneofDecl: oneofs.map((n) => ({ name: n })) };
  });
  const enumType = Object.entries(enums).map(([name, values]) => ({ name, value: values.map((v, number) => ({ name: v, number })) }));
  const proto = create(wkt.FileDescriptorProtoSchema, {
    name: fileName, package: pkg, syntax: 'proto3', dependency: Object.keys(WELL_KNOWN), messageType, enumType,
  });
  return createFileRegistry(proto, (name) => WELL_KNOWN[name]);
}

module.exports = { T, ONE, MANY, buildFile };
