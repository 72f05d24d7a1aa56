import { describe, expect, expectTypeOf, it } from 'vitest';
import * as packetModule from '../../../src/packet/index.js';
import type { AcceptanceCommand, TaskPacket, TaskPacketInput } from '../../../src/packet/index.js';

describe('packet/index', () => {
  it('exposes exactly the public packet API', () => {
    expect(Object.keys(packetModule).sort()).toEqual(
      [
        'AcceptanceCommandSchema',
        'GREEN_LEVELS',
        'GreenLevelSchema',
        'MCP_SERVER_NAME_PATTERN',
        'MergeModeSchema',
        'PACKET_ID_PATTERN',
        'PACKET_JSON_SCHEMA_ID',
        'PermissionModeSchema',
        'ProviderNameSchema',
        'ScriptedTurnSchema',
        'StalenessPolicySchema',
        'TaskPacketSchema',
        'canonicalJson',
        'formatPacketIssues',
        'gitRefNameProblem',
        'isValidGitRefName',
        'loadPacketFile',
        'packetFingerprint',
        'packetJsonSchema',
        'parsePacket',
        'validatePacket',
      ].sort(),
    );
  });

  it('types the parsed packet with defaults resolved and the input with them optional', () => {
    expectTypeOf<TaskPacket['merge']['target']>().toEqualTypeOf<string>();
    expectTypeOf<TaskPacket['acceptance']['timeoutMs']>().toEqualTypeOf<number>();
    expectTypeOf<TaskPacket['acceptance']['targeted']>().toEqualTypeOf<AcceptanceCommand[]>();
    expectTypeOf<AcceptanceCommand>().toEqualTypeOf<{ run: string; name: string; timeoutMs?: number }>();
    expectTypeOf<TaskPacketInput['scope']>().toEqualTypeOf<
      { kind?: 'workspace' | 'module' | 'single_file' | 'custom' | undefined; paths?: string[] | undefined; writeManifest?: string[] | undefined } | undefined
    >();
    // A plain string is a valid command on input, never on output.
    expectTypeOf<string>().toExtend<NonNullable<TaskPacketInput['acceptance']['targeted']>[number]>();
    expectTypeOf<string>().not.toExtend<AcceptanceCommand>();
  });
});
