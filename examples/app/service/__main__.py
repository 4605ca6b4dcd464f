"""Reads a text file and prints, as one JSON line, its first line, its
word count and its size compressed with Brotli and Zstandard: enough to
show that the compiled dependencies load and work.

    python3 -m service greeting.txt
"""

import json
import sys

import brotli
import regex
import zstandard


def report(text):
    """What the service says about `text`."""
    data = text.encode()
    return {
        "greeting": text.splitlines()[0] if text else "",
        "words": len(regex.findall(r"\p{L}+", text)),
        "bytes": len(data),
        "brotli": len(brotli.compress(data)),
        "zstd": len(zstandard.ZstdCompressor(level=19).compress(data)),
    }


def main(argv):
    with open(argv[1], encoding="utf-8") as greeting:
        print(json.dumps(report(greeting.read())))


if __name__ == "__main__":
    main(sys.argv)
