// The one wire model, from Node (twin of tests/python/test_wire_model.py): the scalekit.v1 schemas
// come from core's descriptor set, and our messages encode exactly as the official package's do
// (the same values, the same bytes: same field numbers, same types).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { ROOT } from './gateway.mjs';
import { officialPackage } from '../../scripts/sdk_parity.mjs';

const require = createRequire(import.meta.url);
const ours = {
  pb: require('@bufbuild/protobuf'),
  wkt: require('@bufbuild/protobuf/wkt'),
  files: ['connected_accounts/connected_accounts_pb', 'tools/tools_pb'].map((f) => require(`@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/${f}`)),
};

/** The official package's schemas, with its own copy of @bufbuild/protobuf. */
function official() {
  const lib = officialPackage();
  const from = createRequire(join(lib, 'index.js'));
  return {
    pb: from('@bufbuild/protobuf'),
    files: ['connected_accounts/connected_accounts_pb', 'tools/tools_pb'].map((f) => require(join(lib, 'pkg', 'grpc', 'scalekit', 'v1', `${f}.js`))),
  };
}

const WELL_KNOWN = {
  'google.protobuf.Timestamp': '2026-01-02T03:04:05.500Z',
  'google.protobuf.BoolValue': true,
  'google.protobuf.Struct': { text: 't', number: 2.5, list: [true, null], object: { k: 'v' } },
};

/** Every field of `message` set (the first member of each oneof), nested messages too, as proto JSON. */
function sample(message, depth = 0) {
  const out = {};
  if (depth > 4) return out;
  for (const field of message.fields) {
    if (field.oneof && !field.proto.proto3Optional && field.oneof.fields[0] !== field) continue;
    const one = () => {
      if (field.message) return WELL_KNOWN[field.message.typeName] ?? sample(field.message, depth + 1);
      if (field.enum) return field.enum.values.at(-1).name;
      return { 9: `${field.name}-value`, 8: true, 1: 0.25, 2: 0.25 }[field.scalar] ?? field.number + 300;
    };
    out[field.jsonName] = field.fieldKind === 'list' ? [one(), one()] : one();
  }
  return out;
}

const schemas = (side) => side.files.flatMap((m) => Object.values(m).filter((v) => v?.kind === 'message'));
const hex = (bytes) => Buffer.from(bytes).toString('hex');

describe('wire model', () => {
  it('builds the schemas from the native descriptor set', () => {
    const { wireDescriptorSet } = require(join(ROOT, 'bindings-node', 'native.js'));
    const set = ours.pb.fromBinary(ours.wkt.FileDescriptorSetSchema, wireDescriptorSet());
    const [accounts] = ours.files;
    const file = set.file.find((f) => f.name === 'scalekit/v1/connected_accounts/connected_accounts.proto');
    const numbers = Object.fromEntries(file.messageType.find((m) => m.name === 'ConnectedAccount').field.map((f) => [f.name, f.number]));
    assert.deepEqual(Object.fromEntries(accounts.ConnectedAccountSchema.fields.map((f) => [f.name, f.number])), numbers);
    assert.equal(numbers.token_expires_at, 6);
    // The enums are ready at load and agree with the schema's.
    for (const value of accounts.ConnectorTypeSchema.values) assert.equal(accounts.ConnectorType[value.name], value.number);
    assert.equal(accounts.ConnectorType.KEY_PAIR, 13);
  });

  it('encodes every official message exactly as the official package does', () => {
    const theirs = official();
    const mine = new Map(schemas(ours).map((s) => [s.typeName, s]));
    let compared = 0;
    for (const schema of schemas(theirs)) {
      const ourSchema = mine.get(schema.typeName);
      if (!ourSchema) continue;
      const json = sample(schema);
      const expected = hex(theirs.pb.toBinary(schema, theirs.pb.fromJson(schema, json)));
      // Strict: a field the official message has and ours lacks is refused here.
      const actual = hex(ours.pb.toBinary(ourSchema, ours.pb.fromJson(ourSchema, json)));
      assert.equal(actual, expected, `${schema.typeName} encodes differently`);
      compared += 1;
    }
    assert.ok(compared >= 20, `only ${compared} messages compared`);
  });

  it('would see a renumbered field', () => {
    const [accounts] = ours.files;
    const json = sample(accounts.ConnectedAccountSchema);
    const proto = ours.pb.clone(ours.wkt.FileDescriptorProtoSchema, accounts.file_scalekit_v1_connected_accounts_connected_accounts.proto);
    const account = proto.messageType.find((m) => m.name === 'ConnectedAccount');
    account.field.find((f) => f.name === 'token_expires_at').number = 5;
    account.field.find((f) => f.name === 'authorization_details').number = 6;
    const wellKnown = { 'google/protobuf/struct.proto': ours.wkt.file_google_protobuf_struct, 'google/protobuf/timestamp.proto': ours.wkt.file_google_protobuf_timestamp };
    const renumbered = ours.pb.createFileRegistry(proto, (name) => wellKnown[name]).getMessage(accounts.ConnectedAccountSchema.typeName);
    const encode = (schema) => hex(ours.pb.toBinary(schema, ours.pb.fromJson(schema, json)));
    assert.notEqual(encode(renumbered), encode(accounts.ConnectedAccountSchema));
  });
});
