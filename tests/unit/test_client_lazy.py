"""The stand-ins of temporalio/client/_lazy.py have exactly the attributes
of the mixins they stand for (so the method resolution order finds the same
method), and resolve to them on first use."""

from __future__ import annotations

import importlib
import subprocess
import sys

from temporalio.client import _lazy


def _own_attributes(cls: type) -> list:
    return [n for n in vars(cls) if not (n.startswith("__") and n.endswith("__"))]


def test_every_stand_in_lists_exactly_the_real_mixins_attributes() -> None:
    for module, mixins in _lazy.MIXINS.items():
        mod = importlib.import_module(module)
        real = {n for n, c in vars(mod).items() if isinstance(c, type) and n.endswith("Mixin")}
        assert real == set(mixins), (
            f"{module} has mixins {sorted(real)}, _lazy lists {sorted(mixins)}"
        )
        for mixin, names in mixins.items():
            assert sorted(names) == sorted(_own_attributes(getattr(mod, mixin))), f"{mixin}"


def test_a_stand_in_resolves_to_the_real_method_on_first_use() -> None:
    code = (
        "import sys\n"
        "import temporalio.client as c\n"
        "assert 'temporalio.client._schedule' not in sys.modules\n"
        "f = c.Client.create_schedule\n"
        "import temporalio.client._schedule as s\n"
        "assert f is s._ScheduleClientMixin.create_schedule, f\n"
        "assert c.Client.create_schedule is f\n"
        "assert c.OutboundInterceptor.describe_schedule is s._ScheduleOutboundMixin.describe_schedule\n"
        "assert c.ScheduleHandle is s.ScheduleHandle\n"
        "assert 'ScheduleHandle' in dir(c)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_importing_the_client_loads_none_of_the_lazy_modules() -> None:
    lazy = sorted(_lazy.MIXINS) + ["temporalio.activity", "asyncio", "logging"]
    code = (
        f"import sys, temporalio.client\nprint(' '.join(m for m in {lazy!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"loaded at import: {out.stdout.strip()}"
