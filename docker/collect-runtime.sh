#!/usr/bin/env bash
# Docker build step: copies every jar the services and kvctl need into DEST/lib and writes one class-path file per
# process into DEST/classpath (the same per-process class path scripts/dev-stack.sh uses), and the processes' default
# JVM options (config/jvm) into DEST/jvm.
#   collect-runtime.sh SRC DEST
set -euo pipefail
ROOT=$1
DEST=$2
. "$ROOT/scripts/lib/devstack.sh"
mkdir -p "$DEST/lib" "$DEST/classpath" "$DEST/jvm"
cp "$ROOT"/config/jvm/*.options "$DEST/jvm/"

# copy_cp CLASSPATH -> the same class path with each entry copied into DEST/lib
copy_cp() {
  local out="" entry name
  while IFS= read -r entry; do
    [ -z "$entry" ] && continue
    name=$(basename "$entry")
    if [ -e "$DEST/lib/$name" ] && ! cmp -s "$entry" "$DEST/lib/$name"; then
      name=$(basename "$(dirname "$(dirname "$entry")")")-$name # two different jars, same file name
    fi
    cp "$entry" "$DEST/lib/$name"
    out+="${out:+:}/opt/kvpipe/lib/$name"
  done < <(tr ':' '\n' <<<"$1")
  echo "$out"
}

for module in "${DS_SERVICE_MODULES[@]}"; do
  copy_cp "$(ds_process_classpath "$module")" >"$DEST/classpath/$module.txt"
done
kvctl_jar=$(ls "$ROOT"/kvctl/target/kvctl-*.jar | head -n 1)
copy_cp "$kvctl_jar:$(tr -d '\n' <"$ROOT/kvctl/target/kvctl-classpath.txt")" >"$DEST/classpath/kvctl.txt"
