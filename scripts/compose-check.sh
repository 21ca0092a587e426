#!/usr/bin/env bash
# Validates compose/compose.yaml without a Docker engine (make compose-check).
#  1. `docker-compose -f compose/compose.yaml config -q` (apt docker-compose 1.29: schema, keys,
#     types, depends_on targets, ${VAR:-default} interpolation, env_file);
#  2. Quorum's own rules on the resolved file: every `command` is one of the eight executables;
#     exactly one bus; predictor services have no container_name and no ports (so they scale);
#     healthchecks are CMD form `<the service's executable> --health`; every service but the bus
#     depends on it and has the bus endpoints; environment names are the contract's (typo check).
# Usage: scripts/compose-check.sh [compose-file]   (default compose/compose.yaml)
# Exits 0 when all pass, 1 with one line per problem otherwise.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
file="${1:-compose/compose.yaml}"   # an argument checks another file (used to test this script)

if ! command -v docker-compose >/dev/null 2>&1; then
  echo "compose-check: docker-compose not found; run: bash scripts/bootstrap.sh" >&2
  exit 1
fi
if [ ! -f "$file" ]; then
  echo "compose-check: $file is missing" >&2
  exit 1
fi

if ! docker-compose -f "$file" config -q; then
  echo "compose-check: FAIL: docker-compose rejected $file (messages above)" >&2
  exit 1
fi

resolved="$(docker-compose -f "$file" config)"

QUORUM_RESOLVED="$resolved" python3 - "$file" <<'PY'
import os, sys, yaml

EXECUTABLES = ["quorum", "quorum-bus", "quorum-collector", "quorum-features", "quorum-predictor",
               "quorum-ensemble", "quorum-riskgate", "quorum-executor", "quorum-exchange-sim"]
# Executables that are not on the bus (no bus endpoints, no dependency on the bus service).
OFF_BUS = {"quorum-exchange-sim"}
# Environment names each executable reads (CONTRACT.md, ARCHITECTURE.md §4 and §6). Add a name here
# when an executable starts reading it.
COMMON = {"BUS_PUB_ENDPOINT", "BUS_SUB_ENDPOINT", "SERVICE_INSTANCE", "LOG_LEVEL", "DATA_DIR", "QUORUM_CONFIG"}
ENV = {
    "quorum": set(),
    "quorum-bus": {"BUS_FRONTEND_BIND", "BUS_BACKEND_BIND"},
    "quorum-collector": {"REPLAY_FILE", "SYMBOL", "INTERVAL", "REPLAY_SPEED", "REPLAY_FROM", "REPLAY_TO",
                         "REPLAY_WAIT_FOR_SUBSCRIBERS", "MODE", "BINANCE", "SYMBOLS", "INTERVALS", "STREAMS",
                         "DB_PATH", "HISTORY_PORT", "HISTORY_BIND", "BACKFILL_BARS", "BOOK_DEPTH",
                         "BOOK_SNAPSHOT_LIMIT", "BOOK_THROTTLE_MS", "BOOK_FULL_MS", "BOOK_PERSIST_MS",
                         "STALE_AFTER_MS", "PING_INTERVAL_MS", "WS_SILENCE_TIMEOUT_MS", "REST_MAX_RETRY_AFTER_MS",
                         "BUS_WAIT_MS"},
    "quorum-features": {"FEATURES", "SYMBOLS", "MAX_INTERPOLATED_GAP", "ORDERFLOW_FREQ", "ORDERFLOW_WALL_MULTIPLE",
                        "HISTORY_ENDPOINT", "HISTORY_INTERVALS", "HISTORY_BARS", "HISTORY_TIMEOUT_MS"},
    "quorum-predictor": {"MODEL_DIR", "MODEL_NAME", "MODEL_VERSION", "SYMBOLS"},
    "quorum-ensemble": {"ENSEMBLE_MODELS", "ENSEMBLE_THRESHOLD", "ENSEMBLE_MODE", "SYMBOLS", "REGIME_REFERENCE_SYMBOL",
                        "REGIME_REFERENCE_INTERVAL", "REGIME_SIGMA_FEATURE", "REGIME_CALM_BELOW", "REGIME_STORM_FROM",
                        "REGIME_CALM_DIVISION", "REGIME_NORMAL_DIVISION", "REGIME_STORM_MODELS", "VETO_THRESHOLD",
                        "EXIT_THRESHOLD", "STACK_MODEL", "STALE_AFTER_BARS"},
    "quorum-riskgate": {"DIVISION", "EQUITY", "RISK_PER_TRADE", "TARGET", "MAX_DAILY_LOSS", "REPUBLISH_MS",
                        "EXECUTOR_WAIT_MS", "SHADOW"},
    "quorum-executor": {"FEE_RATE", "MODE", "ENABLE_LIVE_TRADING"},
    "quorum-exchange-sim": {"SIM_KLINES", "SIM_HOST", "SIM_PORT", "SIM_SPEED", "SIM_START", "SIM_SEED",
                            "SIM_BOOK_STEP_MS", "SIM_BOOK_LEVELS", "SIM_LOG_LEVEL"},
}
REQUIRED = {"quorum-predictor": {"MODEL_NAME"}, "quorum-ensemble": {"ENSEMBLE_MODELS"}}

# Plus every key a service's own sources read through the environment reader (env.string("KEY", …)),
# so a key added to a service is known here without editing this list.
import re, pathlib
SOURCES = {"quorum-collector": "Services/Collector", "quorum-features": "Services/FeatureService",
           "quorum-predictor": "Services/Predictor", "quorum-ensemble": "Services/Ensemble",
           "quorum-riskgate": "Services/RiskGate", "quorum-executor": "Services/Executor", "quorum-bus": "Services/Bus"}
KEY = re.compile(r'env\.[a-zA-Z]+\(\s*"([A-Z][A-Z0-9_]*)"')
for exe, folder in SOURCES.items():
    for source in pathlib.Path(folder).rglob("*.swift"):
        ENV[exe] |= set(KEY.findall(source.read_text()))

path = sys.argv[1]
doc = yaml.safe_load(os.environ["QUORUM_RESOLVED"]) or {}
raw = yaml.safe_load(open(path)) or {}
services = doc.get("services") or {}
problems = []

def command_of(svc):
    cmd = svc.get("command")
    argv = cmd.split() if isinstance(cmd, str) else list(cmd or [])
    return argv[0] if argv else None

def env_of(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env

if not services:
    problems.append("no services defined")

bus_services = []
for name, svc in services.items():
    where = f"service '{name}'"
    cmd = svc.get("command")
    argv = cmd.split() if isinstance(cmd, str) else list(cmd or [])
    if not argv:
        problems.append(f"{where}: no `command` (must be one of: {', '.join(EXECUTABLES)})")
        continue
    exe = argv[0]
    if exe not in EXECUTABLES:
        problems.append(f"{where}: command '{exe}' is not one of the eight executables ({', '.join(EXECUTABLES)})")
        continue
    if "/" in exe:
        problems.append(f"{where}: command must be a plain executable name, got '{exe}'")
    if exe == "quorum-bus":
        bus_services.append(name)

    if exe == "quorum-predictor":
        raw_svc = (raw.get("services") or {}).get(name) or {}
        if "container_name" in svc or "container_name" in raw_svc:
            problems.append(f"{where}: predictor services must not set container_name (it blocks --scale)")
        if svc.get("ports") or raw_svc.get("ports"):
            problems.append(f"{where}: predictor services must not publish ports (replicas would collide on the host port)")

    hc = svc.get("healthcheck") or {}
    test = hc.get("test")
    if not isinstance(test, list) or len(test) < 3 or test[0] != "CMD" or test[1] != exe or "--health" not in test[2:]:
        problems.append(f"{where}: healthcheck.test must be [\"CMD\", \"{exe}\", \"--health\"], got {test!r}")

    env = env_of(svc)
    allowed = COMMON | ENV[exe]
    for key in sorted(env):
        if key not in allowed:
            problems.append(f"{where}: environment variable {key} is not read by {exe} "
                            f"(known: {', '.join(sorted(allowed))}; extend scripts/compose-check.sh if it is new)")
    bus_keys = [] if exe in OFF_BUS else ["BUS_PUB_ENDPOINT", "BUS_SUB_ENDPOINT"]
    for key in bus_keys + sorted(REQUIRED.get(exe, ())):
        if not env.get(key):
            problems.append(f"{where}: environment variable {key} must be set")

if len(bus_services) != 1:
    problems.append(f"exactly one service must run quorum-bus, found {len(bus_services)}: {bus_services}")
else:
    bus = bus_services[0]
    for name, svc in services.items():
        if name == bus or command_of(svc) in OFF_BUS:
            continue
        deps = svc.get("depends_on") or {}
        if bus not in deps:
            problems.append(f"service '{name}': must depend on the bus service '{bus}'")

if problems:
    for p in problems:
        print(f"compose-check: FAIL: {p}", file=sys.stderr)
    sys.exit(1)
order = [n for n in (raw.get("services") or {}) if n in services]
print(f"compose-check: OK: {path}: {len(services)} services ({', '.join(order)})")
PY
