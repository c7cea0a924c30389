"""Integrations with third-party libraries, each an optional dependency
(e.g. :mod:`temporalio.contrib.pydantic` needs ``pydantic`` v2). Importing
this package imports none of them."""
