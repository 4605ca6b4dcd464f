#!/usr/bin/env python3
"""Functions in `src/` longer than a limit (default 60 lines), tests
excluded (`*_tests.rs`, `tests.rs`, `#[cfg(test)]` modules). A function
whose length comes from destructuring a spec may say so with a
`// long: destructures ...` comment on its first line; it is listed apart.

`--check` exits 1 when any unexplained one is found."""

import pathlib
import re
import sys

FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?fn\s+(\w+)")


def block_end(lines, start):
    """The index of the line closing the item that opens at `start`
    (the line itself for an item without a body)."""
    depth, opened = 0, False
    for j in range(start, len(lines)):
        code = re.sub(r"//.*", "", lines[j])
        code = re.sub(r'"(?:\\.|[^"\\])*"', '""', code)
        depth += code.count("{") - code.count("}")
        opened = opened or "{" in code
        if (opened and depth <= 0) or (not opened and code.rstrip().endswith(";")):
            return j
    return len(lines) - 1


def functions(path):
    """(name, first line, length, explained) of each non-test function."""
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("#[cfg(test)]"):
            # Skip the test-only item that follows (a module or a function).
            item = i + 1
            while item < len(lines) and lines[item].strip().startswith(("#[", "///")):
                item += 1
            i = block_end(lines, item) + 1
            continue
        match = FN.match(line)
        if match and not line.rstrip().endswith(";"):
            end = block_end(lines, i)
            explained = "long:" in line or "long:" in lines[i - 1]
            yield match.group(1), i + 1, end - i + 1, explained
            i = end + 1
            continue
        i += 1


def main():
    limit = 60
    src = pathlib.Path(__file__).resolve().parent.parent / "src"
    unexplained = 0
    for path in sorted(src.rglob("*.rs")):
        if path.name.endswith("_tests.rs") or path.name == "tests.rs":
            continue
        for name, line, length, explained in functions(path):
            if length > limit:
                tag = "explained" if explained else "too long"
                unexplained += not explained
                print(f"{path.relative_to(src.parent)}:{line} {name}: {length} lines ({tag})")
    print(f"{unexplained} functions over {limit} lines without a reason")
    return 1 if unexplained and "--check" in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main())
