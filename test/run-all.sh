#!/usr/bin/env bash
# npm test: installs what is missing, then runs every tier: the unit, schema, script and browser tests
# (jest), the real tier (test/real/run.sh) and the node tier (test/node/run.sh). Arguments go to the
# first jest run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/install-prerequisites.sh
npx jest "$@"
bash test/real/run.sh
bash test/node/run.sh
