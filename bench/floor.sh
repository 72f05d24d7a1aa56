#!/usr/bin/env bash
# The plain-script floor: exactly the steps of the benchmark lane, with nothing
# durable around them: worktree + branch, two model requests to the same mock
# model over HTTP, write the fix, run the tests, commit, merge on a candidate
# worktree, run the tests there, fast-forward main, remove worktrees and branches.
# Usage: floor.sh <repo> <worktree dir> <candidate dir> <mock url> <scenario>
set -euo pipefail
repo=$1 wt=$2 cand=$3 url=$4 scenario=$5
branch="floor/$scenario"
export GIT_AUTHOR_NAME=floor GIT_AUTHOR_EMAIL=floor@lanes.local GIT_COMMITTER_NAME=floor GIT_COMMITTER_EMAIL=floor@lanes.local

git -C "$repo" worktree add -q -b "$branch" "$wt" main

ask() {
  curl -sS --fail -X POST "$url/v1/messages" -H 'content-type: application/json' \
    -H 'x-api-key: floor' -H 'anthropic-version: 2023-06-01' --data-binary "$1"
}
prompt="Add multiply(a, b) to src/math.js so the tests pass. [[mock:$scenario]]"
tools='[{"name":"write_file","description":"Write a file","input_schema":{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}},"required":["path","content"]}}]'
first=$(jq -n --arg p "$prompt" --argjson t "$tools" '{model:"claude-sonnet-4-5",max_tokens:4096,tools:$t,messages:[{role:"user",content:$p}]}')
reply=$(ask "$first")
call=$(jq -c '.content[] | select(.type == "tool_use")' <<<"$reply")
jq -j '.input.content' <<<"$call" >"$wt/$(jq -r '.input.path' <<<"$call")"
second=$(jq -n --arg p "$prompt" --argjson t "$tools" --argjson r "$reply" --argjson c "$call" \
  '{model:"claude-sonnet-4-5",max_tokens:4096,tools:$t,messages:[{role:"user",content:$p},{role:"assistant",content:$r.content},{role:"user",content:[{type:"tool_result",tool_use_id:$c.id,content:"ok"}]}]}')
ask "$second" >/dev/null

(cd "$wt" && node --test test/ >/dev/null)
git -C "$wt" add -A
git -C "$wt" commit -q -m "Add multiply"

git -C "$repo" worktree add -q -b "$branch-candidate" "$cand" main
git -C "$cand" merge -q --no-ff -m "Merge $branch" "$branch"
(cd "$cand" && node --test test/ >/dev/null)
git -C "$repo" merge -q --ff-only "$(git -C "$cand" rev-parse HEAD)"

git -C "$repo" worktree remove --force "$cand"
git -C "$repo" worktree remove "$wt"
git -C "$repo" branch -q -D "$branch-candidate" "$branch"
