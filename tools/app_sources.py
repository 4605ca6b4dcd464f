#!/usr/bin/env python3
"""Fetches the source distributions the example app's requirements pin
(examples/app/requirements.txt: `name==version --hash=sha256:...`) from
PyPI into a cache directory, checks each against its pinned hash, and
puts exactly those files into the app's vendor/ directory, which its
Dockerfile builds from with no network.

The cache keeps each file under its hash (`CACHE_DIR/<sha256>/<name>`),
so a pin already fetched is found without reading anything; a file that
fails its hash is never kept. PyPI is asked through its simple
JSON index (PEP 691) for the file whose sha256 is the pinned one, so the
pin, not a file name, says what is fetched.

Usage: app_sources.py REQUIREMENTS CACHE_DIR VENDOR_DIR
"""

import hashlib
import json
import pathlib
import re
import shutil
import sys
import urllib.request

INDEX = "https://pypi.org/simple"
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)\s+--hash=sha256:([0-9a-f]{64})\s*$")


def pins(requirements):
    """(name, version, sha256) for every requirement line; any other
    non-comment line is an error naming it."""
    found = []
    for number, line in enumerate(requirements.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        if not match:
            raise SystemExit(f"{requirements}:{number}: expected `name==version --hash=sha256:<hex>`, got {line!r}")
        found.append(match.groups())
    return found


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sdist_url(name, version, wanted):
    """The file name and URL of `name`'s source distribution whose sha256
    is `wanted`."""
    request = urllib.request.Request(f"{INDEX}/{name.lower()}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response)["files"]
    for file in files:
        if file.get("hashes", {}).get("sha256") == wanted and file["filename"].endswith((".tar.gz", ".zip")):
            return file["filename"], file["url"]
    raise SystemExit(f"PyPI has no source distribution of {name}=={version} with sha256 {wanted}")


def fetch(name, version, wanted, cache):
    """The cached file of this pin, fetched first when it is not cached."""
    home = cache / wanted
    cached = [f for f in home.glob("*") if not f.name.endswith(".partial")]
    if cached:
        return cached[0]
    filename, url = sdist_url(name, version, wanted)
    home.mkdir(parents=True, exist_ok=True)
    partial = home / f"{filename}.partial"
    print(f"[app-sources] fetching {filename}", file=sys.stderr)
    with urllib.request.urlopen(url, timeout=300) as response, open(partial, "wb") as out:
        shutil.copyfileobj(response, out)
    if sha256(partial) != wanted:
        partial.unlink()
        raise SystemExit(f"{url} does not have the pinned sha256 {wanted}")
    return partial.rename(home / filename)


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__.strip().splitlines()[-1])
    requirements, cache, vendor = (pathlib.Path(arg) for arg in sys.argv[1:])
    cache.mkdir(parents=True, exist_ok=True)
    vendor.mkdir(parents=True, exist_ok=True)
    wanted = {}
    for name, version, digest in pins(requirements):
        wanted[digest] = fetch(name, version, digest, cache)
    names = {source.name for source in wanted.values()}
    for present in vendor.iterdir():
        if present.name not in names:
            present.unlink()
    for digest, source in wanted.items():
        target = vendor / source.name
        if not target.exists() or sha256(target) != digest:
            shutil.copyfile(source, target)


if __name__ == "__main__":
    main()
