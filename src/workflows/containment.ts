// What the lane workflow passes to and reads from the containment layers (docs/security.md):
// the sandbox inputs of every lane command, and the landing screen's verdict. Pure and
// workflow-safe (types only from the activity side).
import type { TaskPacket } from '../packet/schema.js';
import type { ScreenFinding } from '../git/screen.js';

/** The sandbox inputs of agent bash and every acceptance command of a lane. */
export function laneCommandSandbox(packet: TaskPacket): { permissionMode: TaskPacket['agent']['permissionMode']; sandbox: TaskPacket['sandbox']; secrets: string[] } {
  return { permissionMode: packet.agent.permissionMode, sandbox: packet.sandbox, secrets: packet.secrets };
}

/** One line naming the screen's findings, e.g. "passwd-link (symlinkOutside: -> /etc/passwd); …". */
export function describeScreenFindings(findings: readonly ScreenFinding[], max = 10): string {
  const lines = findings.slice(0, max).map((f) => `${f.path} (${f.kind}: ${f.detail})`);
  return findings.length > max ? `${lines.join('; ')}; and ${findings.length - max} more` : lines.join('; ');
}
