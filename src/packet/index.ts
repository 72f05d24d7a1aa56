// Public surface of the packet module. Workflow code should import './schema.js' directly:
// parse.ts and fingerprint.ts use Node builtins the workflow sandbox forbids.
export {
  AcceptanceCommandSchema,
  GREEN_LEVELS,
  GreenLevelSchema,
  MCP_SERVER_NAME_PATTERN,
  MergeModeSchema,
  PACKET_ID_PATTERN,
  PermissionModeSchema,
  ProviderNameSchema,
  ScriptedTurnSchema,
  StalenessPolicySchema,
  TaskPacketSchema,
} from './schema.js';
export type {
  AcceptanceCommand,
  GreenLevel,
  MergeMode,
  PermissionMode,
  ProviderName,
  ScriptedTurn,
  StalenessPolicy,
  TaskPacket,
  TaskPacketInput,
} from './schema.js';
export { formatPacketIssues, loadPacketFile, parsePacket, validatePacket } from './parse.js';
export type { PacketFormat, ParsePacketOptions } from './parse.js';
export { PACKET_JSON_SCHEMA_ID, packetJsonSchema } from './json-schema.js';
export { canonicalJson, packetFingerprint } from './fingerprint.js';
export { gitRefNameProblem, isValidGitRefName } from './git-ref-name.js';
