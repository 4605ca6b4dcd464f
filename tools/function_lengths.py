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


def functions(path):
    lines = path.read_text().splitlines()
    in_tests = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("#[cfg(test)]"):
            break  # test modules come last in this crate's files
        match = FN.match(line)
        if match and not line.rstrip().endswith(";"):
            depth, start, opened = 0, i, False
            j = i
            while j < len(lines):
                code = re.sub(r"//.*", "", lines[j])
                code = re.sub(r'"(?:\\.|[^"\\])*"', '""', code)
                depth += code.count("{") - code.count("}")
                opened = opened or "{" in code
                if opened and depth <= 0:
                    break
                j += 1
            yield match.group(1), start + 1, j - start + 1, "long:" in lines[start] or "long:" in lines[start - 1]
            i = j + 1
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
