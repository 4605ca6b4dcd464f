#!/usr/bin/env python3
"""The repository tracks sources, never what is built or downloaded from
them: no package or archive (wheels, tarballs, zips, jars), no compiled
object, and no other binary file. `git ls-files` is read; every tracked
file must be one of the source kinds below or decode as UTF-8 text with
no NUL byte. Exits 1 naming each offender."""
import pathlib
import subprocess
import sys

ARTIFACTS = (
    ".whl", ".egg", ".tar", ".tar.gz", ".tgz", ".zip", ".jar", ".deb",
    ".so", ".a", ".o", ".rlib", ".exe", ".dll", ".dylib", ".pyc", ".node",
)


def offenders(root):
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True
    ).stdout.split(b"\0")
    for name in (n.decode() for n in listed if n):
        if name.endswith(ARTIFACTS):
            yield name, "a package, archive or compiled file"
            continue
        path = root / name
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            yield name, "not UTF-8 text"
            continue
        if b"\0" in data:
            yield name, "holds NUL bytes"


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    found = list(offenders(root))
    for name, why in found:
        print(f"{name}: {why}; build or fetch it instead of committing it", file=sys.stderr)
    print(f"tracked files: {len(found)} artifacts")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
