#!/usr/bin/env python3
"""Checks that each module under src/ includes only the modules it may depend on.

Usage: python3 scripts/check_layering.py SRC_DIR

Exits 1 listing every `#include "module/..."` in `src/<module>/...` that names a module the
including module may not depend on, every include of another module's `internal/` headers, and
every module directory missing from the table below; exits 0 otherwise. The last line is a summary
such as `layering: 42 files, 0 violations`.

The table mirrors docs/architecture.md ("Layering"): dependencies point down, never up. A new
module must be added here deliberately, with the modules it may use.
"""

import os
import re
import sys

ALL = "*"

# module: the modules it may include besides itself.
ALLOWED = {
    "core": [],
    "privacy": ["core"],
    "auth": ["core"],
    "sip": ["core"],
    "media": ["core"],
    "call": ["core", "sip", "media"],
    "acd": ["core"],
    "ivr": ["core", "media"],
    "channels": ["core"],
    "interaction": ["core", "call", "acd", "ivr", "channels"],
    "crm": ["core", "privacy"],
    "store": ["core", "privacy", "auth", "acd", "crm", "call", "interaction", "ivr"],
    "sync": ["core", "privacy"],
    "ai": ["core"],
    "stats": ["core"],
    "outbound": ["core", "acd"],
    "api": ["core", "auth", "acd", "call", "stats", "interaction", "privacy", "crm", "ivr", "outbound"],
    "server": [ALL],
}

SOURCE_SUFFIXES = (".h", ".hh", ".hpp", ".cc", ".cpp", ".cxx", ".ipp", ".inc")
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def may_include(module, target):
    allowed = ALLOWED[module]
    return target == module or ALL in allowed or target in allowed


def check_file(path, rel, module, module_dirs):
    """Returns the violations in one source file, as printable lines."""
    problems = []
    with open(path, encoding="utf-8", errors="replace") as source:
        for number, line in enumerate(source, start=1):
            match = INCLUDE.match(line)
            if not match:
                continue
            included = match.group(1)
            parts = included.split("/")
            target = parts[0]
            if len(parts) < 2 or (target not in ALLOWED and target not in module_dirs):
                continue  # a third-party or same-directory header, not a module's
            where = f"{rel}:{number}"
            if target not in ALLOWED:
                problems.append(f'{where}: includes "{included}" of module {target}, '
                                "which is not in the layering table")
            elif not may_include(module, target):
                allowed = ", ".join(ALLOWED[module]) or "nothing"
                problems.append(f'{where}: {module} may not include "{included}" '
                                f"({module} may depend on: {allowed})")
            if target != module and "internal" in parts[1:-1]:
                problems.append(f'{where}: includes "{included}", a private internal/ header '
                                f"of module {target}")
    return problems


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print("usage: check_layering.py SRC_DIR", file=sys.stderr)
        return 2
    src = argv[1]
    for module, allowed in ALLOWED.items():
        unknown = [name for name in allowed if name != ALL and name not in ALLOWED]
        assert not unknown, f"layering table: {module} names unknown modules {unknown}"
    display_root = os.path.dirname(os.path.abspath(src))
    module_dirs = sorted(name for name in os.listdir(src)
                         if os.path.isdir(os.path.join(src, name)))
    problems = []
    files = 0
    for module in module_dirs:
        if module not in ALLOWED:
            problems.append(f"{os.path.relpath(os.path.join(src, module), display_root)}: module {module} is not in the "
                            "layering table of scripts/check_layering.py; add it with the "
                            "modules it may depend on")
            continue
        for root, dirs, names in os.walk(os.path.join(src, module)):
            dirs.sort()
            for name in sorted(names):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.join(root, name)
                files += 1
                problems.extend(check_file(path, os.path.relpath(path, display_root), module,
                                           module_dirs))
    for problem in problems:
        print(problem)
    print(f"layering: {files} files, {len(problems)} violations")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
