"""The public shape of a module, as plain JSON: run both in this interpreter
(our SDK) and, as source text, in the peer virtualenv's (the official SDK),
so tests/unit/test_client_api_parity.py can compare the two.

Self-contained on purpose (standard library only): its source is sent to
the peer interpreter with ``python -I -c``.

shape(module) -> {
  "all": sorted public names of ``module.__all__`` (without one: the public
         classes and functions the module defines),
  "classes": {name: {
      "kind": "enum" | "dataclass" | "class",
      "module": the module defining it (``__module__``),
      "members": {member: {"kind": ..., "params": [[name, kind, default]]?}},
      "fields": [[name, default]]   (dataclasses),
      "enum": {member: value}       (enums),
  }} for every class in ``__all__``,
}
A parameter's or field's default is simplified: literals as their repr,
empty containers as "<empty>", enum members as "Enum.NAME", anything else
(sentinels, objects) as "<object>", no default as "<required>".
"""

import dataclasses
import enum
import functools
import importlib
import inspect
import json
import sys


def _default(value):
    if value is inspect.Parameter.empty or value is dataclasses.MISSING:
        return "<required>"
    if (
        value is None
        or isinstance(value, (bool, int, float, str, bytes))
        and not isinstance(value, enum.Enum)
    ):
        return repr(value)
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, (list, tuple, dict, set, frozenset)) and not value:
        return "<empty>"
    return "<object>"


def _params(fn, skip_first):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())
    if skip_first and params:
        params = params[1:]
    return [[p.name, p.kind.name, _default(p.default)] for p in params]


def _member(cls, name):
    getattr(cls, name)  # an attribute loaded on first use (ours: client/_lazy.py) loads now
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, staticmethod):
        fn = raw.__func__
        kind, skip = "staticmethod", False
    elif isinstance(raw, classmethod):
        fn = raw.__func__
        kind, skip = "classmethod", True
    elif isinstance(raw, (property, functools.cached_property)):
        return {"kind": "property"}
    elif inspect.isfunction(raw):
        fn = raw
        kind, skip = "method", True
    else:
        return {"kind": "attribute"}
    if inspect.iscoroutinefunction(fn):
        kind = "async " + kind
    elif inspect.isasyncgenfunction(fn):
        kind = "asyncgen " + kind
    out = {"kind": kind}
    params = _params(fn, skip)
    if params is not None:
        out["params"] = params
    return out


def _class_shape(cls):
    home = getattr(cls, "__module__", "")
    if issubclass(cls, enum.Enum):
        return {
            "kind": "enum",
            "module": home,
            "enum": {m.name: _default(m.value) for m in cls},
        }
    shape = {"kind": "class", "module": home, "members": {}}
    fields = set()
    if dataclasses.is_dataclass(cls):
        shape["kind"] = "dataclass"
        flds = [f for f in dataclasses.fields(cls) if not f.name.startswith("_")]
        shape["fields"] = [
            [f.name, _default(f.default if f.default_factory is dataclasses.MISSING else [])]
            for f in flds
        ]
        fields = {f.name for f in flds}
    names = [n for n in dir(cls) if not n.startswith("_") and n not in fields]
    if "__init__" in cls.__dict__ and shape["kind"] == "class":
        names.append("__init__")
    for name in names:
        try:
            shape["members"][name] = _member(cls, name)
        except AttributeError:
            continue
    return shape


def shape(module_name):
    mod = importlib.import_module(module_name)
    if hasattr(mod, "__all__"):
        names = sorted(n for n in mod.__all__ if not n.startswith("_"))
    else:  # the public classes and functions defined in the module
        names = sorted(
            n
            for n, obj in vars(mod).items()
            if not n.startswith("_")
            and (inspect.isclass(obj) or inspect.isfunction(obj))
            and getattr(obj, "__module__", None) == module_name
        )
    classes = {}
    for name in names:
        obj = getattr(mod, name, None)
        if inspect.isclass(obj):
            classes[name] = _class_shape(obj)
    return {"all": names, "classes": classes}


if __name__ == "__main__":
    print(json.dumps({m: shape(m) for m in sys.argv[1:]}))
