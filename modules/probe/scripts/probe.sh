#!/bin/sh
# runner-reaper machine probe (SSM document step, aws:runShellScript, as root).
#
# Prints ONE line of JSON (lambda/src/adapters/probe-answer.ts, version 1):
#   {"probe":"runner-reaper","version":1,"busy":false,"workers":0,
#    "idleSince":"2026-12-01T10:00:00Z","now":"2026-12-01T10:05:00Z","detail":"..."}
#
# busy       a job runs on this machine: some process named Runner.Worker exists. The
#            runner's Listener starts one Runner.Worker per job, from its bin folder, and
#            it lives until the job (hooks included) is over. Counted machine-wide: the
#            reaper terminates the whole instance, so any runner's job on it would die.
# idleSince  when the last job ended: the last write to the newest _diag/Worker_*.log
#            (the Worker flushes its trace on every line, up to its exit); when no job
#            ever ran, when the runner started: the time in the newest _diag/Runner_*.log
#            name (Runner_yyyyMMdd-HHmmss-utc.log, created when the Listener starts);
#            null when neither exists.
# Why these, with the actions/runner files and version read: README.md beside this file.
#
# Strict: anything it cannot read or does not expect ends the probe with no JSON (exit
# code 2, a reason on stderr), or answers busy; the reaper keeps the instance on either.
#
# The runner root comes from RUNNER_REAPER_RUNNER_ROOT (the SSM document sets it from its
# runnerRoot parameter); the default is the github-aws-runners Linux path.

set -u
LC_ALL=C
export LC_ALL

fail() {
  printf 'runner-reaper probe: %s\n' "$1" >&2
  exit 2
}

root=${RUNNER_REAPER_RUNNER_ROOT:-/opt/actions-runner}
case $root in
  /*) ;;
  *) fail "the runner root must be an absolute path" ;;
esac
case $root in
  *[!A-Za-z0-9._/-]*) fail "the runner root may only contain letters, digits and . _ / -" ;;
esac
[ -d "$root" ] || fail "no runner root at $root"
real_root=$(cd -P -- "$root" 2>/dev/null && pwd -P) || fail "cannot resolve the runner root $root"
case $real_root in
  *[!A-Za-z0-9._/-]*) fail "the resolved runner root may only contain letters, digits and . _ / -" ;;
esac

now_epoch=$(date -u +%s) || fail "date failed"
case $now_epoch in
  '' | *[!0-9]*) fail "unexpected output of date +%s" ;;
esac

iso_of_epoch() {
  date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || fail "date -d @$1 failed"
}
now=$(iso_of_epoch "$now_epoch") || exit 2

# The process table. Every numbered /proc entry is a process (threads live below it).
[ -r "/proc/$$/comm" ] || fail "cannot see its own process in /proc: the process table is unreadable"
seen=0
self_seen=0
workers=0
ours=0
unreadable=0
for dir in /proc/[0-9]*; do
  [ -d "$dir" ] || continue
  pid=${dir#/proc/}
  comm=
  if ! { IFS= read -r comm <"$dir/comm"; } 2>/dev/null; then
    # Gone meanwhile is normal; present but unreadable is a process it cannot judge.
    [ -d "$dir" ] && unreadable=$((unreadable + 1))
    continue
  fi
  seen=$((seen + 1))
  [ "$pid" = "$$" ] && self_seen=1
  [ "$comm" = "Runner.Worker" ] || continue
  workers=$((workers + 1))
  exe=$(readlink "$dir/exe" 2>/dev/null) || exe=
  case $exe in
    "$real_root"/*) ours=$((ours + 1)) ;;
  esac
done
[ "$self_seen" = 1 ] || fail "its own process is not in /proc (a /proc of another pid namespace?)"

diag=$real_root/_diag
idle_since=null
if [ "$workers" -gt 0 ]; then
  busy=true
  detail="a job runs: $workers Runner.Worker process(es), $ours under $real_root"
elif [ "$unreadable" -gt 0 ]; then
  busy=true
  detail="cannot tell: $unreadable process(es) in /proc could not be read"
else
  busy=false
  last_end=
  first_start=
  if [ -d "$diag" ]; then
    set -- "$diag"/Worker_*.log
    if [ -e "$1" ]; then
      last_end=$(stat -c %Y -- "$@" 2>/dev/null | sort -n | tail -n 1)
      case $last_end in
        '' | *[!0-9]*) fail "cannot read the times of $diag/Worker_*.log" ;;
      esac
    fi
    set -- "$diag"/Runner_*.log
    if [ -e "$1" ]; then
      # Pathname expansion is sorted (LC_ALL=C): the last name is the newest.
      for newest; do :; done
      name=${newest##*/}
      stamp=${name#Runner_}
      stamp=${stamp%-utc.log}
      case $stamp in
        [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9]) ;;
        *) fail "unexpected runner log name $name" ;;
      esac
      first_start=$(printf '%s\n' "$stamp" | sed 's/^\(....\)\(..\)\(..\)-\(..\)\(..\)\(..\)$/\1-\2-\3T\4:\5:\6Z/')
    fi
  fi
  if [ -n "$last_end" ]; then
    idle_since="\"$(iso_of_epoch "$last_end")\"" || exit 2
    detail="no Runner.Worker among $seen processes; the last job ended at the last write of the newest Worker log"
  elif [ -n "$first_start" ]; then
    idle_since="\"$first_start\""
    detail="no Runner.Worker among $seen processes; no job has run since the runner started"
  else
    detail="no Runner.Worker among $seen processes; no runner logs in $diag yet"
  fi
fi

printf '{"probe":"runner-reaper","version":1,"busy":%s,"workers":%s,"idleSince":%s,"now":"%s","detail":"%s"}\n' \
  "$busy" "$workers" "$idle_since" "$now" "$detail"
