#!/bin/sh
# Quick pre-commit check for developers: types, lint, diagrams (the parts of npm test that
# do not run the test files). Fails on the first problem.
set -e
npx tsc -p tsconfig.json --noEmit
npx eslint --max-warnings 0 .
npx tsx scripts/viz.ts --check
