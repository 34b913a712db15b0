#!/bin/sh
# Prepares the Temporal namespace Clusterflow runs in: waits for the frontend to serve,
# creates the namespace when missing, registers the custom search attributes of
# docs/api.md#search-attributes, and waits until a visibility query accepts every Keyword one (the
# namespace cache picks up a registration a few seconds later). Idempotent: it runs on
# every `docker compose up`, and the worker and API start only after it succeeded.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is the frontend, host:port}"
: "${TEMPORAL_NAMESPACE:?TEMPORAL_NAMESPACE is the namespace to prepare}"
: "${CLUSTERFLOW_SEARCH_ATTRIBUTES:?CLUSTERFLOW_SEARCH_ATTRIBUTES lists Name=Type pairs}"
RETENTION="${CLUSTERFLOW_NAMESPACE_RETENTION:-168h}"
ATTEMPTS="${SETUP_ATTEMPTS:-60}"
PAUSE_S="${SETUP_PAUSE_S:-2}"

say() { echo "[temporal-setup] $*"; }

# The temporal CLI, aimed at our frontend and namespace. Each call has a deadline: a frontend
# that accepted the connection but never answers must cost a retry, not the whole job.
t() { temporal "$@" --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE" --command-timeout "${SETUP_COMMAND_TIMEOUT:-30s}"; }

# retry WHAT COMMAND...: runs COMMAND until it succeeds, at most $ATTEMPTS times.
retry() {
  what="$1"
  shift
  n=1
  until "$@" >/tmp/setup-retry.out 2>&1; do
    if [ "$n" -ge "$ATTEMPTS" ]; then
      say "gave up on ${what} after ${n} attempts:"
      cat /tmp/setup-retry.out
      exit 1
    fi
    n=$((n + 1))
    sleep "$PAUSE_S"
  done
}

say "waiting for the Temporal frontend at ${TEMPORAL_ADDRESS}"
retry "the frontend health check" t operator cluster health

if t operator namespace describe >/dev/null 2>&1; then
  say "namespace ${TEMPORAL_NAMESPACE} exists"
else
  say "creating namespace ${TEMPORAL_NAMESPACE} (retention ${RETENTION})"
  # Another creator may win the race: describe again before failing.
  t operator namespace create --retention "$RETENTION" --description "Clusterflow workflows" \
    || t operator namespace describe >/dev/null
fi

probe=""
for pair in $CLUSTERFLOW_SEARCH_ATTRIBUTES; do
  name="${pair%%=*}"
  type="${pair#*=}"
  if [ -z "$name" ] || [ "$name" = "$pair" ] || [ -z "$type" ]; then
    say "malformed entry '${pair}' in CLUSTERFLOW_SEARCH_ATTRIBUTES (want Name=Type)"
    exit 1
  fi
  # One call per attribute: one already registered with this type is a no-op; one
  # registered with another type is an error worth stopping for.
  say "registering search attribute ${name} (${type})"
  retry "registering ${name}" t operator search-attribute create --name "$name" --type "$type"
  if [ "$type" = "Keyword" ]; then
    probe="${probe:+$probe AND }${name} = 'clusterflow-setup-probe'"
  fi
done

if [ -n "$probe" ]; then
  say "waiting until visibility queries accept them"
  retry "a visibility query on the new attributes" t workflow count --query "$probe"
fi
t operator search-attribute list
say "namespace ${TEMPORAL_NAMESPACE} is ready"
