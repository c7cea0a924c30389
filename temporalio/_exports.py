"""Names a package re-exports from modules it imports on first use (a
module-level ``__getattr__``, PEP 562), so importing the package stays cheap.
Standard library only."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Sequence, Tuple


def lazy_exports(
    package: str, namespace: Dict[str, Any], sources: Mapping[str, Sequence[str]]
) -> Tuple[Callable[[str], Any], Callable[[], List[str]]]:
    """The ``__getattr__`` and ``__dir__`` of the module ``package`` whose
    globals are ``namespace``: each name of ``sources`` (module -> names)
    is imported from its module on first access and then kept in
    ``namespace``. Another name raises :class:`AttributeError`."""
    home = {name: module for module, names in sources.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> List[str]:
        return sorted(set(namespace) | set(home))

    return __getattr__, __dir__
