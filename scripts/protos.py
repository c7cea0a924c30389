#!/usr/bin/env python3
"""Fetch the Temporal API protos and generate code from them (build time only).

The protos are not kept in this repository. They come from a pinned,
sha256-checked registry package: the source distribution of the official
``temporalio`` Python SDK on PyPI, which vendors the upstream API protos. The
download is cached per machine, so a rebuild is offline.

Outputs, under ``--out``:
  proto/           the extracted .proto files (service.proto files stripped of
                   HTTP/Nexus annotation options, which need google.api)
  python/temporalio/api/**   Python modules (protoc 3.21 gencode, which loads
                   on protobuf runtimes 3.20 through 7.x), imports rewritten to
                   ``temporalio.api``, one ``__init__.py`` per package that
                   re-exports its messages and enums, a ``py.typed`` marker
  python/temporalio/bridge/proto/**   the same for the coresdk messages
                   (``temporal/sdk/core/*``: workflow activations, completions,
                   commands, activity results), imports rewritten likewise
  python/temporalio/api/_service_rpcs.pyi   typed signatures of every RPC of
                   WorkflowService and OperatorService, made from their
                   service.proto: the bases type checkers see for
                   ``temporalio.service.WorkflowService``/``OperatorService``
  c/               protobuf-c sources for the C core (API messages, the
                   google.protobuf well-known types and google.rpc.Status)
  c/sources.txt    the list of generated .pb-c.c files
Re-running with the same inputs is a no-op (a stamp file records them).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "temporalio"
VERSION = "1.35.0"
SDIST = f"{PACKAGE}-{VERSION}.tar.gz"
SHA256 = "c7a14f29909f8d847f78de49305af89c0ec5aea39272cd4050124386ac3ca295"
ROOT_IN_SDIST = f"{PACKAGE}-{VERSION}/temporalio/bridge/sdk-core/crates/protos/protos/"
# What we take from the sdist: the Temporal API, google.rpc.Status, and the
# language-neutral "coresdk" messages between a core and its language side
# (workflow activations and completions, commands, activity results), which
# sdk-core keeps under local/ and which are the boundary of our workflow worker.
TAKE = ("api_upstream/temporal/api/", "google/rpc/status.proto", "local/temporal/sdk/core/")
CORESDK = "temporal/sdk/core/"
WKT = ["any", "duration", "empty", "field_mask", "struct", "timestamp", "wrappers"]
SYSTEM_INCLUDE = Path("/usr/include")
GENERATOR_VERSION = "6"  # bump when the generated output changes shape


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "temporalio-c"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_sdist() -> Path:
    """Return the cached, hash-checked sdist, downloading it through pip once."""
    target = cache_dir() / SDIST
    if target.exists() and sha256_of(target) == SHA256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            PACKAGE,
            f"{PACKAGE}=={VERSION}",
            "-d",
            tmp,
        ]
        subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)
        got = Path(tmp) / SDIST
        digest = sha256_of(got)
        if digest != SHA256:
            raise SystemExit(f"protos: {SDIST} sha256 is {digest}, expected {SHA256}")
        shutil.move(str(got), target)
    return target


_CUSTOM_OPTION = re.compile(r"option\s*\(\s*[\w.]+\s*\)[\w.]*\s*=\s*")


def strip_custom_options(text: str) -> str:
    """Drop `option (x.y) = ...;` statements and imports of annotation protos.

    The HTTP (google.api) and Nexus annotations on service methods are not
    needed to call the service and would drag google.api into the Python
    package, where it clashes with googleapis-common-protos.
    """
    text = re.sub(r'import\s+"(google/api|nexusannotations)/[^"]+";\n', "", text)
    out, i = [], 0
    while True:
        m = _CUSTOM_OPTION.search(text, i)
        if not m:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i : m.start()])
        j = m.end()
        if text[j] == "{":
            depth = 0
            while True:
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
        j = text.index(";", j)
        i = j + 1


def extract(sdist: Path, dest: Path) -> list[str]:
    """Extract the wanted protos into dest; return their relative paths."""
    names = []
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            if not (member.isfile() and member.name.endswith(".proto")):
                continue
            rel = (
                member.name[len(ROOT_IN_SDIST) :] if member.name.startswith(ROOT_IN_SDIST) else None
            )
            if rel is None or not rel.startswith(TAKE):
                continue
            for prefix in ("api_upstream/", "local/"):
                rel = rel[len(prefix) :] if rel.startswith(prefix) else rel
            data = tar.extractfile(member).read().decode()
            if rel.endswith("/service.proto"):
                data = strip_custom_options(data)
            path = dest / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(data)
            names.append(rel)
    return sorted(names)


def run(cmd: list[str]) -> None:
    """Run a generator; its "Import ... is unused" warnings (the coresdk protos
    have several) are dropped, anything else it says is shown."""
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    noise = re.compile(r"warning: Import .* is unused\.$")
    for line in p.stderr.splitlines():
        if not noise.search(line):
            print(line, file=sys.stderr)
    if p.returncode:
        raise subprocess.CalledProcessError(p.returncode, cmd)


# Where each proto tree's Python modules go: the API under temporalio.api,
# the coresdk messages under temporalio.bridge.proto (the official SDK's
# module paths, so typings written against them keep working).
PY_PACKAGES = (("temporal/api/", "temporalio/api"), (CORESDK, "temporalio/bridge/proto"))


def gen_python(proto_dir: Path, names: list[str], out: Path) -> None:
    tmp = out / "_raw"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    protos = [n for n in names if n.startswith(tuple(src for src, _ in PY_PACKAGES))]
    run(
        [
            "protoc",
            f"-I{proto_dir}",
            f"-I{SYSTEM_INCLUDE}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            *protos,
        ]
    )
    shutil.rmtree(out / "temporalio", ignore_errors=True)
    for src, dest in PY_PACKAGES:
        pkg_root = out / dest
        for path in sorted((tmp / src).rglob("*")):
            if path.is_dir():
                continue
            text = path.read_text()
            for s, d in PY_PACKAGES:
                mod_s, mod_d = s.rstrip("/").replace("/", "."), d.replace("/", ".")
                text = re.sub(
                    rf"^(from|import) {re.escape(mod_s)}\.", rf"\1 {mod_d}.", text, flags=re.M
                )
            if path.suffix == ".pyi":
                text = fix_stub(text)
            target = pkg_root / path.relative_to(tmp / src)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        write_package_inits(pkg_root)
        (pkg_root / "py.typed").write_text("")
    shutil.rmtree(tmp)
    write_service_stubs(proto_dir, out / "temporalio" / "api")
    # temporalio/bridge itself: a package of generated code only.
    (out / "temporalio" / "bridge" / "__init__.py").write_text(
        '"""Generated at build time: the coresdk messages (workflow activations and\n'
        'completions) under temporalio.bridge.proto; do not edit."""\n'
    )


def fix_stub(text: str) -> str:
    """What protoc 3.21's ``.pyi`` output gets wrong for a type checker.

    A message with a field named ``self`` gets ``def __init__(self, ...,
    self: bool = ...)``, a syntax error that stops the checker: the method's
    own parameter is renamed. The values of a top-level enum are declared at
    module level only: they are declared on the enum class too, where the
    runtime has them (``QueryRejectCondition.QUERY_REJECT_CONDITION_NONE``).
    """
    text = re.sub(r"^(\s*def __init__\()self(, .*\bself: )", r"\1_self\2", text, flags=re.M)
    values: dict[str, list[str]] = {}
    for name, enum in re.findall(r"^(\w+): (\w+)$", text, flags=re.M):
        values.setdefault(enum, []).append(name)

    def add_values(m: re.Match[str]) -> str:
        names = values.get(m.group(1), [])
        return m.group(0) + "".join(f"    {n}: _ClassVar[{m.group(1)}]\n" for n in names)

    return re.sub(
        r"^class (\w+)\(int, metaclass=_enum_type_wrapper\.EnumTypeWrapper\):\n"
        r"    __slots__ = \[\]\n",
        add_values,
        text,
        flags=re.M,
    )


# The services whose typed RPC signatures are generated, and their
# temporalio.service class (one async method per RPC, in snake_case).
SERVICES = ("workflowservice", "operatorservice")
_RPC = re.compile(r"\s*rpc\s+(\w+)\s*\(\s*(\w+)\s*\)\s*returns\s*\(\s*(\w+)\s*\)")


def snake(name: str) -> str:
    """The method name of an RPC (as temporalio.service._services names it)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def service_rpcs(proto: Path) -> tuple[str, list[tuple[str, str, str, str]]]:
    """The service name and ``[(rpc, request, response, doc)]`` of a
    service.proto (doc: the comment above the rpc, without api-linter notes)."""
    service, rpcs, comment, linter = "", [], [], False
    for line in proto.read_text().splitlines():
        s = line.strip()
        m = re.match(r"service\s+(\w+)", s)
        if m:
            service, comment = m.group(1), []
        elif s.startswith("//"):
            text = s[2:].strip()
            linter = linter or "(--" in text
            if not linter:
                comment.append(text)
            linter = linter and "--)" not in text
        elif (r := _RPC.match(line)) is not None:
            rpcs.append((*r.groups(), "\n".join(comment).strip()))
            comment = []
        elif s.startswith("rpc") or "stream " in s:
            raise SystemExit(f"protos: unexpected rpc shape in {proto}: {s!r}")
        elif s:
            comment = []
    if not service or not rpcs:
        raise SystemExit(f"protos: no service or no rpc in {proto}")
    return service, rpcs


def write_service_stubs(proto_dir: Path, pkg_root: Path) -> None:
    lines = [
        '"""Generated at build time from the Temporal API service protos; do not edit.',
        "",
        "Typed signatures of the RPC methods of temporalio.service.WorkflowService",
        'and OperatorService (their bases for type checkers only)."""',
        "",
        "from datetime import timedelta",
        "from typing import Mapping, Optional, Union",
        "",
    ]
    lines += [f"from temporalio.api.{s}.v1 import request_response_pb2 as _{s}" for s in SERVICES]
    options = (
        "*, retry: bool = ..., metadata: Optional[Mapping[str, Union[str, bytes]]] = ..., "
        "timeout: Union[None, float, timedelta] = ..."
    )
    for s in SERVICES:
        service, rpcs = service_rpcs(proto_dir / "temporal" / "api" / s / "v1" / "service.proto")
        lines += [
            "",
            "",
            f"class {service}RPCs:",
            f'    """Every RPC of temporal.api.{s}.v1.{service}."""',
        ]
        for rpc, req, resp, doc in rpcs:
            doc = doc.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
            doc = (doc + "\n\n" if doc else "") + f"{rpc}({req}) -> {resp}"
            lines += [
                "",
                f"    async def {snake(rpc)}(self, req: _{s}.{req}, {options}) -> _{s}.{resp}:",
                '        """' + doc.replace("\n", "\n        ").replace("        \n", "\n") + '"""',
            ]
    (pkg_root / "_service_rpcs.pyi").write_text("\n".join(lines) + "\n")


def public_names(pyi: Path) -> list[str]:
    """Top-level messages and enums (and enum values) declared in a .pyi stub."""
    names = []
    for line in pyi.read_text().splitlines():
        m = re.match(r"class (\w+)\(", line) or re.match(r"(\w+): \w+$", line)
        if m and not m.group(1).startswith("_") and m.group(1) != "DESCRIPTOR":
            names.append(m.group(1))
    return names


def write_package_inits(pkg_root: Path) -> None:
    for d in [pkg_root, *sorted(p for p in pkg_root.rglob("*") if p.is_dir())]:
        lines = ['"""Generated at build time from the Temporal API protos; do not edit."""']
        exports: list[str] = []
        # The root re-exports nothing: importing one subpackage (e.g.
        # temporalio.bridge.proto.workflow_activation) must not load the
        # modules beside it (core_interface_pb2 pulls in the whole API).
        for pyi in sorted(d.glob("*_pb2.pyi")) if d != pkg_root else ():
            mod = pyi.name[: -len(".pyi")]
            names = [n for n in public_names(pyi) if n not in exports]
            if names:
                lines.append(f"from .{mod} import (")
                lines += [f"    {n}," for n in names]
                lines.append(")")
                exports += names
        if exports:
            lines.append("__all__ = [")
            lines += [f'    "{n}",' for n in exports]
            lines.append("]")
        (d / "__init__.py").write_text("\n".join(lines) + "\n")


def gen_c(proto_dir: Path, names: list[str], out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    # The C core needs no service definitions (it calls methods by name).
    # nor protometa (options on descriptors, which would need descriptor.proto).
    # Of the coresdk messages, external_data (local-activity marker data) uses
    # proto3 `optional`, which protobuf-c 1.4 cannot compile; core_interface
    # only bundles the others. The core reads the few marker fields itself.
    skip = (CORESDK + "external_data/", CORESDK + "core_interface.proto")
    protos = [
        n
        for n in names
        if not n.endswith("/service.proto") and "/protometa/" not in n and not n.startswith(skip)
    ]
    run(["protoc-c", f"-I{proto_dir}", f"-I{SYSTEM_INCLUDE}", f"--c_out={out}", *protos])
    wkt = [f"google/protobuf/{w}.proto" for w in WKT]
    run(["protoc-c", f"-I{SYSTEM_INCLUDE}", f"--c_out={out}", *wkt])
    sources = sorted(str(p) for p in out.rglob("*.pb-c.c"))
    (out / "sources.txt").write_text("\n".join(sources) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--no-python", action="store_true", help="skip the Python modules")
    args = ap.parse_args()
    out: Path = args.out.resolve()
    stamp = out / "stamp"
    want = f"{SHA256} {GENERATOR_VERSION} python={not args.no_python}\n"
    if stamp.exists() and stamp.read_text() == want:
        return
    sdist = fetch_sdist()
    proto_dir = out / "proto"
    shutil.rmtree(proto_dir, ignore_errors=True)
    names = extract(sdist, proto_dir)
    gen_c(proto_dir, names, out / "c")
    if not args.no_python:
        gen_python(proto_dir, names, out / "python")
    stamp.write_text(want)


if __name__ == "__main__":
    main()
