#!/usr/bin/env python3
"""Checks the audit benchmark's corpus so it cannot rot silently.

Two corpora share one layout: `corpus/` (the tuned corpus, written while the auditor was being
developed) and `heldout/` (the held-out corpus, written without running the auditor). Every case
folder `<corpus>/<framework>/<case>/` holds a vulnerable and a safe version, either as
one file each (`vulnerable.<ext>`, `safe.<ext>`) or, where a tool only recognises a file by its
place (GitHub Actions workflows under `.github/workflows/`), as folders `vulnerable/` and `safe/`
with the same layout inside. Checked here:

- every case has both versions, with the same extension or layout;
- every vulnerable version has one or two marked lines, every safe version none;
- markers name a CWE the corpus is meant to cover;
- every Python file compiles under the running Python (`compile()`), so bandit on this Python
  analyses every file;
- JavaScript/TypeScript files are non-empty with balanced brackets, YAML parses (when PyYAML is
  there), Dockerfiles have a FROM.

Markers: a trailing comment `expect: CWE-89` on the line where a scanner should report (`#`,
`//` or `{/* */}` in JSX), or, in files without trailing comments (Dockerfile), a comment line
`# expect-next-line: CWE-798` just above it.

    python3 tests/audit-bench/check_corpus.py                 # both corpora
    python3 tests/audit-bench/check_corpus.py heldout         # one: tuned, heldout or a path

The harness (`run`) imports this module and uses `load_corpus()`.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"  # the tuned corpus
HELDOUT = HERE / "heldout"  # the held-out corpus
# name -> (folder, label). The labels say how far each corpus' figures can be trusted.
CORPORA = {
    "tuned": (CORPUS, "tuned corpus (used while developing the auditor)"),
    "heldout": (HELDOUT, "held-out corpus (written without running the auditor)"),
}
FRAMEWORKS = ("flask", "fastapi", "django", "python", "express", "react", "config")
PARTS = {
    "flask": "python",
    "fastapi": "python",
    "django": "python",
    "python": "python",
    "express": "js",
    "react": "js",
    "config": "config",
}
# The CWEs the corpus covers (labels outside this set are typos).
COVERED_CWES = {
    89, 78, 94, 95, 22, 79, 601, 502, 327, 328, 330, 338, 295, 347, 942, 306, 489, 215, 611, 90,
    643, 614, 1004, 798,
    # added with the held-out corpus: SSRF, fast password hashes, containers running as root or
    # privileged, unpinned base images and actions
    918, 916, 250, 1357,
}
MARKER = re.compile(r"expect(?P<next>-next-line)?:\s*(?P<cwes>CWE-\d+(?:\s*,\s*CWE-\d+)*)")
ANY_MARKER = re.compile(r"expect(-next-line)?\s*:\s*CWE", re.IGNORECASE)
PY_EXT = {".py"}
JS_EXT = {".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs"}
MAX_MARKED_LINES = 2


@dataclass
class Unit:
    """One version (vulnerable or safe) of a case: its files and marked lines."""

    kind: str  # "vulnerable" or "safe"
    files: list[Path] = field(default_factory=list)
    # corpus-relative posix path -> {1-based line: {cwe, ...}}
    markers: dict[str, dict[int, set[int]]] = field(default_factory=dict)

    @property
    def marked_lines(self) -> int:
        return sum(len(lines) for lines in self.markers.values())

    @property
    def cwes(self) -> set[int]:
        return {c for lines in self.markers.values() for cs in lines.values() for c in cs}


@dataclass
class Case:
    framework: str
    name: str
    vulnerable: Unit
    safe: Unit
    root: Path = CORPUS  # the corpus folder the case belongs to

    @property
    def id(self) -> str:
        return f"{self.framework}/{self.name}"

    @property
    def part(self) -> str:
        return PARTS[self.framework]


def rel(path: Path, root: Path = CORPUS) -> str:
    """`path` relative to the corpus folder `root`, as a posix string (`flask/x/vulnerable.py`)."""
    return path.resolve().relative_to(root.resolve()).as_posix()


def resolve_corpus(name_or_path: str) -> tuple[Path, str]:
    """(folder, label) for `tuned`, `heldout` or a path to a folder with the same layout."""
    if name_or_path in CORPORA:
        return CORPORA[name_or_path]
    path = Path(name_or_path).resolve()
    for folder, label in CORPORA.values():
        if path == folder.resolve():
            return folder, label
    return path, f"corpus at {path}"


def parse_markers(text: str) -> dict[int, set[int]]:
    """{1-based line: {cwe}} for the markers in a file's text."""
    out: dict[int, set[int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        m = MARKER.search(line)
        if not m:
            continue
        target = number + 1 if m.group("next") else number
        cwes = {int(c) for c in re.findall(r"CWE-(\d+)", m.group("cwes"))}
        out.setdefault(target, set()).update(cwes)
    return out


def _unit_files(case_dir: Path, kind: str) -> list[Path]:
    files = sorted(p for p in case_dir.glob(f"{kind}.*") if p.is_file())
    folder = case_dir / kind
    if folder.is_dir():
        files += sorted(p for p in folder.rglob("*") if p.is_file())
    return files


def load_corpus(corpus: Path = CORPUS) -> list[Case]:
    """Every case, in a fixed order (framework order above, then case name)."""
    cases = []
    for framework in FRAMEWORKS:
        fw_dir = corpus / framework
        if not fw_dir.is_dir():
            continue
        for case_dir in sorted(p for p in fw_dir.iterdir() if p.is_dir()):
            units = {}
            for kind in ("vulnerable", "safe"):
                unit = Unit(kind, _unit_files(case_dir, kind))
                for f in unit.files:
                    markers = parse_markers(f.read_text(encoding="utf-8", errors="replace"))
                    if markers:
                        unit.markers[rel(f, corpus)] = markers
                units[kind] = unit
            cases.append(Case(framework, case_dir.name, units["vulnerable"], units["safe"], corpus))
    return cases


def _layout(unit: Unit, case_dir: Path) -> list[str]:
    """The files of a unit with the 'vulnerable'/'safe' word taken out, to compare versions."""
    out = []
    for f in unit.files:
        r = f.relative_to(case_dir).as_posix()
        out.append(r.split(".", 1)[1] if "/" not in r else r.split("/", 1)[1])
    return sorted(out)


def _balanced(text: str) -> str | None:
    """None if (), [] and {} balance outside strings and comments; else what is wrong."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            i = text.find("\n", i)
            i = n if i < 0 else i
            continue
        if c == "/" and nxt == "*":
            end = text.find("*/", i + 2)
            if end < 0:
                return "unterminated block comment"
            i = end + 2
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c == "`":
            # A template literal: skip its text; `${` opens code, whose closing } ends it.
            stack.append("`")
            i += 1
            while i < n:
                if text[i] == "\\":
                    i += 2
                elif text[i] == "`":
                    stack.pop()
                    i += 1
                    break
                elif text.startswith("${", i):
                    stack.append("${")
                    i += 2
                    break
                else:
                    i += 1
            continue
        if c in "([{":
            stack.append(c)
        elif c in ")]}":
            if c == "}" and stack and stack[-1] == "${":
                stack.pop()
                # back inside the template literal's text
                i += 1
                while i < n:
                    if text[i] == "\\":
                        i += 2
                    elif text[i] == "`":
                        stack.pop()
                        i += 1
                        break
                    elif text.startswith("${", i):
                        stack.append("${")
                        i += 2
                        break
                    else:
                        i += 1
                continue
            if not stack or stack[-1] != pairs[c]:
                line = text.count("\n", 0, i) + 1
                return f"unbalanced {c!r} on line {line}"
            stack.pop()
        i += 1
    if stack:
        return f"unclosed {stack[-1]!r}"
    return None


def check(corpus: Path = CORPUS, verbose: bool = True) -> list[str]:
    """The problems found; empty when the corpus is sound."""
    problems: list[str] = []
    try:
        import yaml  # type: ignore
    except ImportError:
        yaml = None
    if not corpus.is_dir():
        problems.append(f"{corpus}: no such folder")
        if verbose:
            print(f"corpus check: {problems[0]}", file=sys.stderr)
        return problems
    known = set(FRAMEWORKS)
    for d in sorted(p for p in corpus.iterdir() if p.is_dir()):
        if d.name not in known:
            problems.append(f"{d.name}: not a known framework folder ({', '.join(FRAMEWORKS)})")
    cases = load_corpus(corpus)
    if not cases:
        problems.append(f"no cases under {corpus}")
    for case in cases:
        case_dir = corpus / case.framework / case.name
        for unit in (case.vulnerable, case.safe):
            if not unit.files:
                problems.append(f"{case.id}: no {unit.kind} version")
        if case.vulnerable.files and case.safe.files and _layout(case.vulnerable, case_dir) != _layout(case.safe, case_dir):
            problems.append(f"{case.id}: vulnerable and safe versions differ in extension or layout")
        if case.vulnerable.files:
            if case.vulnerable.marked_lines == 0:
                problems.append(f"{case.id}: the vulnerable version has no `expect: CWE-n` marker")
            elif case.vulnerable.marked_lines > MAX_MARKED_LINES:
                problems.append(f"{case.id}: {case.vulnerable.marked_lines} marked lines (at most {MAX_MARKED_LINES})")
            if len(case.vulnerable.cwes) > 1:
                problems.append(f"{case.id}: more than one CWE marked ({sorted(case.vulnerable.cwes)}); keep one primary vulnerability")
            for cwe in sorted(case.vulnerable.cwes - COVERED_CWES):
                problems.append(f"{case.id}: CWE-{cwe} is not one the corpus covers (typo?)")
        for f in case.safe.files:
            if ANY_MARKER.search(f.read_text(encoding="utf-8", errors="replace")):
                problems.append(f"{rel(f, corpus)}: a safe version must have no marker")
        for unit in (case.vulnerable, case.safe):
            for f in unit.files:
                problems += _check_file(f, yaml, corpus)
                text = f.read_text(encoding="utf-8", errors="replace")
                lines = text.splitlines()
                for line_no in unit.markers.get(rel(f, corpus), {}):
                    if line_no > len(lines) or not lines[line_no - 1].strip() or ANY_MARKER.search(lines[line_no - 1]) and lines[line_no - 1].lstrip().startswith(("#", "//", "{/*")):
                        problems.append(f"{rel(f, corpus)}:{line_no}: a marker must trail the code line it labels (or use expect-next-line above it)")
    if verbose:
        where = _display(corpus)
        if problems:
            print(f"corpus check ({where}): {len(problems)} problem(s)", file=sys.stderr)
            for p in problems:
                print(f"  {p}", file=sys.stderr)
        else:
            by_fw: dict[str, int] = {}
            for c in cases:
                by_fw[c.framework] = by_fw.get(c.framework, 0) + 1
            files = sum(len(c.vulnerable.files) + len(c.safe.files) for c in cases)
            summary = ", ".join(f"{fw} {n}" for fw, n in by_fw.items())
            print(f"corpus ok ({where}): {len(cases)} cases, {files} files ({summary}); Python files compile under {sys.version.split()[0]}")
    return problems


def _display(corpus: Path) -> str:
    try:
        return corpus.resolve().relative_to(HERE.parent.parent).as_posix()
    except ValueError:
        return str(corpus)


def _check_file(f: Path, yaml, corpus: Path = CORPUS) -> list[str]:
    name = rel(f, corpus)
    text = f.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        return [f"{name}: empty"]
    ext = f.suffix.lower()
    if ext in PY_EXT:
        try:
            compile(text, str(f), "exec", dont_inherit=True)
        except SyntaxError as e:
            return [f"{name}:{e.lineno}: does not compile under Python {sys.version.split()[0]}: {e.msg}"]
    elif ext in JS_EXT:
        problem = _balanced(text)
        if problem:
            return [f"{name}: {problem}"]
    elif ext in {".yml", ".yaml"}:
        if yaml is not None:
            try:
                yaml.safe_load(text)
            except yaml.YAMLError as e:
                return [f"{name}: YAML does not parse: {e}"]
    elif f.name.lower().endswith("dockerfile"):
        if not re.search(r"^FROM\s", text, re.MULTILINE):
            return [f"{name}: a Dockerfile without FROM"]
    return []


def main(argv: list[str]) -> int:
    """Checks the corpora named in argv (`tuned`, `heldout` or paths), both when none is named."""
    names = argv or list(CORPORA)
    failed = False
    for name in names:
        folder, _ = resolve_corpus(name)
        failed |= bool(check(folder))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
