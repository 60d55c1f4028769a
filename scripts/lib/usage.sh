# shellcheck shell=bash
# `kvpipe_usage_if_asked "$0" "$@"`: with -h or --help among the arguments, prints the script's header comment (its
# documentation: what it does, its options) and exits 0, before anything is installed, built or started.
kvpipe_usage_if_asked() {
  local script=$1; shift
  local a
  for a in "$@"; do
    if [ "$a" = -h ] || [ "$a" = --help ]; then
      sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$script"
      exit 0
    fi
  done
}
