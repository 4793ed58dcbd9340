'use strict';
/**
 * Builds protobuf-es schemas from compact field tables (no protoc, no codegen), so results are
 * real @bufbuild/protobuf messages: `toJson(Schema, msg)`, `timestampDate(...)` and
 * `create(Schema, ...)` work on them as on the official SDK's. @bufbuild/protobuf loads on the
 * first `buildFile` call, not with this module: the field-table constants below cost nothing, and
 * a plain `require('@scalekit-sdk/node')` does not pay for protobuf.
 */

const T = { STRING: 9, MESSAGE: 11, BOOL: 8, UINT32: 13, INT32: 5, DOUBLE: 1, ENUM: 14 };
const ONE = 1;
const MANY = 3;
/** In a field's oneof slot: a proto3 `optional` field (explicit presence: unset is `undefined`, not ''). */
const OPTIONAL = '?';

/** The well-known files our files import, by path (needs @bufbuild/protobuf/wkt). */
const wellKnown = (wkt) => ({
  'google/protobuf/struct.proto': wkt.file_google_protobuf_struct,
  'google/protobuf/timestamp.proto': wkt.file_google_protobuf_timestamp,
  'google/protobuf/wrappers.proto': wkt.file_google_protobuf_wrappers,
});

const jsonName = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/**
 * `messages`: `{ Name: [[number, field, type, label, typeName?, oneof?], ...] }` (oneof OPTIONAL: a
 * proto3 `optional` field, given its synthetic oneof as protoc does); `enums`:
 * `{ Name: ['VALUE_0', 'VALUE_1', ...] }` (numbered in order). Returns the file registry.
 */
function buildFile(fileName, pkg, messages, enums = {}) {
  const { create, createFileRegistry } = require('@bufbuild/protobuf');
  const wkt = require('@bufbuild/protobuf/wkt');
  const imports = wellKnown(wkt);
  const messageType = Object.entries(messages).map(([name, fields]) => {
    const oneofs = [];
    const field = fields.map(([number, fieldName, type, label, typeName, oneof]) => {
      const f = { name: fieldName, number, type, label, jsonName: jsonName(fieldName) };
      if (typeName) f.typeName = typeName;
      if (oneof === OPTIONAL) {
        f.proto3Optional = true;
        oneof = `_${fieldName}`;
      }
      if (oneof) {
        if (!oneofs.includes(oneof)) oneofs.push(oneof);
        f.oneofIndex = oneofs.indexOf(oneof);
      }
      return f;
    });
    // Synthetic oneofs (proto3 optional) come after the real ones, as protoc orders them.
    const order = [...oneofs.filter((n) => !n.startsWith('_')), ...oneofs.filter((n) => n.startsWith('_'))];
    for (const f of field) if (f.oneofIndex !== undefined) f.oneofIndex = order.indexOf(oneofs[f.oneofIndex]);
    return { name, field, oneofDecl: order.map((n) => ({ name: n })) };
  });
  const enumType = Object.entries(enums).map(([name, values]) => ({ name, value: values.map((v, number) => ({ name: v, number })) }));
  const proto = create(wkt.FileDescriptorProtoSchema, {
    name: fileName, package: pkg, syntax: 'proto3', dependency: Object.keys(imports), messageType, enumType,
  });
  return createFileRegistry(proto, (name) => imports[name]);
}

/**
 * Makes `names` of a module's `exports` load on first read: the first read (or write) of any of
 * them calls `build()` (name → value for all) and turns every one into the plain data property
 * it would have been, so the module looks the same afterwards as if built at load. The module
 * also assigns each name statically (`exports.X = void 0;`): Node's ESM import of a CommonJS
 * module (cjs-module-lexer) only names exports it sees assigned that way.
 */
function lazyExports(target, names, build) {
  const settle = () => {
    const values = build();
    for (const name of names) {
      Object.defineProperty(target, name, { value: values[name], writable: true, enumerable: true, configurable: true });
    }
  };
  for (const name of names) {
    Object.defineProperty(target, name, {
      enumerable: true,
      configurable: true,
      get() { settle(); return target[name]; },
      set(value) { settle(); target[name] = value; },
    });
  }
}

module.exports = { T, ONE, MANY, OPTIONAL, buildFile, lazyExports };
