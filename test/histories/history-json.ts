import { createRequire } from 'node:module';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';

/**
 * History <-> JSON, the same format as `temporal workflow show --output json` and the Web UI's download.
 *
 * These call the SDK's `historyToJSON` / `historyFromJSON` (@temporalio/common/lib/proto-utils). With this
 * project's lockfile they throw `TypeError: type must be a Type`: @temporalio/common, @temporalio/proto and
 * @temporalio/worker each get their own nested copy of protobufjs 8 (protobufjs 7 is hoisted for
 * @grpc/proto-loader), so protojson's `instanceof Type` check fails across copies. On exactly that error we run
 * the same conversion with the protojson of the copy @temporalio/proto's types were built with. The JSON is
 * identical (same protobufjs version, same type); only which module instance does the work differs.
 */

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { readonly ignoreUnknownFields?: boolean }): unknown;
}
interface Lookup {
  lookupType(name: string): unknown;
}

let aligned: { readonly protojson: ProtoJson; readonly historyType: unknown } | undefined;
function alignedProtoJson(): { readonly protojson: ProtoJson; readonly historyType: unknown } {
  if (!aligned) {
    // Resolve from @temporalio/proto's own location, then load with this module system's require (jest's in jest).
    const path = createRequire(require.resolve('@temporalio/proto')).resolve('protobufjs/ext/protojson');
    const protojson = require(path) as ProtoJson;
    const root = patchProtobufRoot(proto as unknown as Record<string, unknown>) as unknown as Lookup;
    aligned = { protojson, historyType: root.lookupType('temporal.api.history.v1.History') };
  }
  return aligned;
}

const isCopyMismatch = (err: unknown): boolean => err instanceof TypeError && err.message === 'type must be a Type';

/** JSON text of a history (2-space indented, as the SDK writes it). */
export function historyToJson(history: History): string {
  try {
    return historyToJSON(history);
  } catch (err) {
    if (!isCopyMismatch(err)) throw err;
    const { protojson, historyType } = alignedProtoJson();
    return JSON.stringify(protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2);
  }
}

/** A history from its parsed JSON. */
export function historyFromJson(json: unknown): History {
  try {
    return historyFromJSON(json);
  } catch (err) {
    if (!isCopyMismatch(err)) throw err;
    const { protojson, historyType } = alignedProtoJson();
    // Files written by historyToJson are canonical ProtoJSON: the SDK's fix-ups for older tctl exports are not needed.
    return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
  }
}
