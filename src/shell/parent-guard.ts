// An agent CLI outlives a SIGKILLed worker: it ignores the broken stdout pipe and
// finishes its task alone, so the retried pass would resume a session that already
// ran on. The guard is the process group's leader: it runs the command and, when the
// worker process is gone, kills the whole group within half a second.

/** $1 = worker pid, then the command and its arguments; stdin goes to the command. */
// (A background job's stdin is /dev/null unless redirected from a saved descriptor.)
const GUARD_SCRIPT = `worker=$1; shift
exec 3<&0
"$@" <&3 3<&- &
child=$!
while kill -0 "$child" 2>/dev/null; do
  kill -0 "$worker" 2>/dev/null || kill -KILL 0
  sleep 0.5
done
wait "$child"`;

/** The file and arguments that run `file args…` under the guard, watching `workerPid`. */
export function guardedCommand(file: string, args: readonly string[], workerPid = process.pid): { file: string; args: string[] } {
  return { file: '/bin/sh', args: ['-c', GUARD_SCRIPT, 'lanes-agent-guard', String(workerPid), file, ...args] };
}
