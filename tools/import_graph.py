#!/usr/bin/env python3
"""The import graph of the crate's `src/`: which module uses which.

Reads every `.rs` file under `src/` (tests excluded: `*_tests.rs`, `tests.rs`
and `#[cfg(test)]` blocks), resolves `crate::`, `super::` and `self::`
paths to files, and reports

- cycles between files (strongly connected components of more than one),
- arrows between top-level modules that run against the layer order
  below (a module may use only modules of its own or a lower layer).

`--check` exits 1 on any; `--dot` prints the module graph.
"""

import pathlib
import re
import sys

# Top-level modules, highest layer first: each may use only its own layer
# and the ones below it.
LAYERS = [
    ["main", "cli"],
    ["rpc", "logging"],
    ["image", "index"],
    ["provider", "fakes"],
    ["buildkit", "registry", "ecr", "context"],
    ["build"],
    ["model", "credential", "schema"],
    ["wire", "failure", "timings"],
]

USE = re.compile(r"\b(?:crate|super|self)(?:::\w+)+")


def module_of(path, src):
    """`image/cache.rs` → ("image", "cache"); `image/mod.rs` → ("image",)."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    return tuple(parts)


def strip_tests(text):
    """The text without comments and `#[cfg(test)]` items (a module or a
    function)."""
    out, depth, skipping, pending = [], 0, False, False
    for line in (re.sub(r"//.*", "", line) for line in text.splitlines()):
        if line.strip().startswith("#[cfg(test)]"):
            pending = True
            continue
        if pending and not skipping:
            if line.rstrip().endswith(";"):
                pending = False
                continue
            skipping, depth = True, 0
        if skipping:
            depth += line.count("{") - line.count("}")
            if depth <= 0 and "}" in line:
                skipping = pending = False
            continue
        out.append(line)
    return "\n".join(out)


def expand(text):
    """`use a::{b, c::{d}}` written out as `a::b`, `a::c::d`."""
    found = []
    for match in re.finditer(r"\buse\s+([^;]+);", text):
        found.extend(flatten(match.group(1).replace("\n", " ")))
    found.extend(m.group(0) for m in USE.finditer(re.sub(r"\buse\s+[^;]+;", "", text)))
    return found


def flatten(tree):
    tree = tree.strip()
    brace = tree.find("{")
    if brace < 0:
        return [tree.split(" as ")[0].strip()]
    prefix, inner = tree[:brace], tree[brace + 1:tree.rfind("}")]
    parts, depth, current = [], 0, ""
    for char in inner:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += char == "{"
        depth -= char == "}"
        current += char
    parts.append(current)
    return [p for part in parts if part.strip() for p in flatten(prefix + part.strip())]


def reexports(modules):
    """For each module, the items it re-exports from its own children
    (`pub use child::{A, B}`), by name → that child."""
    table = {}
    for module, path in modules.items():
        items = {}
        for match in re.finditer(r"\bpub use\s+([^;]+);", path.read_text()):
            for used in flatten(match.group(1).replace("\n", " ")):
                steps = used.split("::")
                if len(steps) >= 2 and module + (steps[0],) in modules:
                    items[steps[-1]] = module + (steps[0],)
        table[module] = items
    return table


def resolve(path, here, modules, table):
    """The file a `crate::`/`super::`/`self::` path names: the longest
    module prefix, followed through a parent's re-export of a child."""
    steps = path.split("::")
    if steps[0] == "crate":
        base, rest = (), steps[1:]
    elif steps[0] in ("super", "self"):
        base = here if steps[0] == "self" else here[:-1]
        rest = steps[1:]
        while rest and rest[0] == "super":
            base, rest = base[:-1], rest[1:]
    else:
        return None
    candidate = base
    for step in rest:
        if candidate + (step,) in modules:
            candidate = candidate + (step,)
        elif step in table.get(candidate, {}):
            candidate = table[candidate][step]
        else:
            break
    return candidate


def graph(src):
    files = [p for p in src.rglob("*.rs") if not p.name.endswith("_tests.rs") and p.name != "tests.rs"]
    modules = {module_of(p, src): p for p in files}
    table = reexports(modules)
    edges = {}
    for module, path in modules.items():
        targets = {resolve(used, module, modules, table) for used in expand(strip_tests(path.read_text()))}
        # A parent naming its own children (re-exports) is not an arrow.
        edges[module] = {t for t in targets if t is not None and t != module and t[:len(module)] != module}
    return modules, edges


def cycles(edges):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def layer(top):
    for number, names in enumerate(LAYERS):
        if top in names:
            return number
    return None


def upward(edges):
    found = []
    for source, targets in edges.items():
        for target in targets:
            a, b = layer(source[0]), layer(target[0])
            if source[0] != target[0] and (a is None or b is None or b < a):
                found.append(("::".join(source), "::".join(target)))
    return sorted(found)


def name(module):
    return "::".join(module) or "crate"


def main():
    src = pathlib.Path(__file__).resolve().parent.parent / "src"
    modules, edges = graph(src)
    if "--dot" in sys.argv:
        tops = sorted({(s[0], t[0]) for s, ts in edges.items() for t in ts if s[0] != t[0]})
        print("digraph crate {")
        for s, t in tops:
            print(f'  "{s}" -> "{t}";')
        print("}")
        return 0
    problems = 0
    for component in cycles(edges):
        problems += 1
        print("cycle:", " <-> ".join(name(m) for m in component))
    for source, target in upward(edges):
        problems += 1
        print(f"upward: {source} -> {target}")
    print(f"{len(modules)} files, {sum(len(t) for t in edges.values())} arrows, {problems} problems")
    return 1 if problems and "--check" in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main())
