'use strict';
/**
 * The `scalekit.v1.*` schemas, built from the one descriptor set core compiles from `core/proto`
 * (the addon's `wireDescriptorSet()`): no field is written down in JavaScript, so a field means
 * the same, by name and by number, here, in Python and in the gateway. The generated modules
 * under `pkg/grpc/` (scripts/wire_types.py) name their exports and call `defineSchemas`;
 * @bufbuild/protobuf loads when a schema is first read, not with the package.
 */

let registry;

/** Every file of the descriptor set, the well-known ones resolved to @bufbuild/protobuf/wkt's. */
function wireRegistry() {
  if (registry) return registry;
  const { createFileRegistry, fromBinary } = require('@bufbuild/protobuf');
  const wkt = require('@bufbuild/protobuf/wkt');
  const { wireDescriptorSet } = require('../native.js');
  const wellKnown = {
    'google/protobuf/struct.proto': wkt.file_google_protobuf_struct,
    'google/protobuf/timestamp.proto': wkt.file_google_protobuf_timestamp,
    'google/protobuf/wrappers.proto': wkt.file_google_protobuf_wrappers,
  };
  const set = fromBinary(wkt.FileDescriptorSetSchema, wireDescriptorSet());
  const ours = set.file.filter((file) => !file.name.startsWith('google/protobuf/'));
  const byName = Object.fromEntries(set.file.map((file) => [file.name, file]));
  const files = ours.map((file) => createFileRegistry(file, (name) => wellKnown[name] ?? byName[name]));
  registry = createFileRegistry(...files);
  return registry;
}

/**
 * Makes `names` of a module's `exports` load on first read: the first read (or write) of any of
 * them builds every one and turns it into the plain data property it would have been, so the
 * module looks the same afterwards as if built at load. The module also assigns each name
 * statically (`exports.X = void 0;`): Node's ESM import of a CommonJS module (cjs-module-lexer)
 * only names exports it sees assigned that way.
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

/**
 * The schemas of `fileName` as a generated module exports them: `fileExport` (the file), then
 * `<Message>Schema` and `<Enum>Schema` for each message and enum.
 */
function defineSchemas(target, fileName, fileExport, names) {
  lazyExports(target, names, () => {
    const file = wireRegistry().getFile(fileName);
    return {
      [fileExport]: file,
      ...Object.fromEntries([...file.messages, ...file.enums].map((desc) => [`${desc.name}Schema`, desc])),
    };
  });
}

module.exports = { defineSchemas };
