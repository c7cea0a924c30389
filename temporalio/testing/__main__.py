"""``python -m temporalio.testing COMMAND [ARGS...]``: run COMMAND with
TEMPORAL_TEST_TARGET set to a fresh local dev server, then stop the server."""

from temporalio.testing._devserver import _main

_main()
