"""Mutation check: do the tests notice when a method's or a check's numbers change?

Applies single-line mutations to seedbed/methods/ and seedbed/checks.py, one at a
time, in a scratch copy of the repository, and runs the fast unit tests of the
methods and checks against each. A mutant is killed when the tests fail (or hang
past the timeout). Prints the killed share and every survivor; exits 1 when less
than --min-killed (default 95%) is killed.

Mutations, found by reading the code (ast), not listed by hand:
- constants: every number in a module-level constant, a GenerationParams(...) call,
  a Field(...) default or a function's default argument (n -> n + 1; a float moves
  by 0.05 toward the middle of its range);
- list members: each string of a module-level tuple or list (the blocklist, the
  stops, the operations) and of a GenerationParams stop list, left out;
- comparison operators: each <, <=, >, >= in checks.py and the methods' checks,
  moved across its boundary (< to <=, ...);
- removed statements: each one-line `x.append(...)` / `x.add(...)` call statement,
  replaced by `pass`.

    python bench/mutation_check.py            # run every mutant (minutes: CPU bound)
    python bench/mutation_check.py --list     # only list the mutants
    python bench/mutation_check.py --match self_instruct.py:92   # some mutants only
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = sorted(
    [ROOT / "seedbed" / "checks.py"]
    + [p for p in (ROOT / "seedbed" / "methods").glob("*.py") if p.name != "__init__.py"]
)
# Where comparison operators are mutated: the checks and the methods' own checks.
COMPARE_FILES = {
    "checks.py",
    "evol_instruct.py",
    "chataug.py",
    "self_instruct.py",
    "self_instruct_instances.py",
}
TESTS = ["tests/unit/methods", "tests/unit/test_checks.py"]
COPY = ["seedbed", "tests", "pyproject.toml"]
SWAP = {ast.Lt: "<=", ast.LtE: "<", ast.Gt: ">=", ast.GtE: ">"}
SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


@dataclass(frozen=True)
class Mutant:
    path: Path  # relative to the repository root
    line: int  # 1-based
    before: str
    after: str
    what: str

    def describe(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _shifted(value: float | int) -> float | int:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    return round(value - 0.05 if value >= 1.0 else value + 0.05, 4)


def _replace(line: str, start: int, end: int, text: str) -> str:
    return line[:start] + text + line[end:]


class _Finder(ast.NodeVisitor):
    """Collects the mutants of one file."""

    def __init__(self, path: Path, lines: list[str]) -> None:
        self.path, self.lines = path, lines
        self.found: list[Mutant] = []
        self.depth = 0  # inside a function

    def _add(self, node: ast.AST, start: int, end: int, text: str, what: str) -> None:
        if node.lineno != node.end_lineno:
            return  # single-line mutations only
        line = self.lines[node.lineno - 1]
        mutated = _replace(line, start, end, text)
        if mutated != line:
            self.found.append(Mutant(self.path, node.lineno, line, mutated, what))

    def _number(self, node: ast.AST, why: str) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            if isinstance(node.value, bool):
                return
            new = repr(_shifted(node.value))
            self._add(
                node, node.col_offset, node.end_col_offset, new, f"{why} {node.value} -> {new}"
            )

    def _members(self, node: ast.AST, why: str) -> None:
        if not isinstance(node, ast.Tuple | ast.List):
            return
        for element in node.elts:
            if isinstance(element, ast.Constant) and isinstance(element.value, str):
                line = self.lines[element.lineno - 1]
                end = element.end_col_offset
                rest = line[end:]
                cut = (
                    end + (len(rest) - len(rest.lstrip(", ")))
                    if rest.lstrip().startswith(",")
                    else end
                )
                self._add(element, element.col_offset, cut, "", f"{why}: drop {element.value!r}")

    def _constant(self, targets: list[ast.expr], value: ast.expr | None) -> None:
        names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        if self.depth or value is None or not names or not names[0].isupper():
            return
        why = f"constant {', '.join(names)}"
        self._number(value, why)
        self._members(value, why)
        if isinstance(value, ast.Tuple):  # MIN_WORDS, MAX_WORDS = 4, 150
            for element in value.elts:
                self._number(element, why)
        if isinstance(value, ast.Dict):  # one-line entries of a constant table
            for key, item in zip(value.keys, value.values, strict=True):
                if key is not None and key.lineno == item.end_lineno:
                    line = self.lines[key.lineno - 1]
                    self._add(key, 0, len(line), "", f"{why}: drop entry {ast.unparse(key)}")

    def visit_Assign(self, node: ast.Assign) -> None:
        self._constant(node.targets, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._constant([node.target], node.value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name == "GenerationParams":
            for keyword in node.keywords:
                self._number(keyword.value, f"GenerationParams {keyword.arg}")
                self._members(keyword.value, f"GenerationParams {keyword.arg}")
        if name == "Field" and node.args:
            self._number(node.args[0], "Field default")
        self.generic_visit(node)

    def _function(self, node: ast.FunctionDef) -> None:
        defaults = node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
        for default in defaults:
            self._number(default, f"default of {node.name}()")
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = _function

    def visit_Compare(self, node: ast.Compare) -> None:
        if self.path.name in COMPARE_FILES and node.lineno == node.end_lineno:
            line = self.lines[node.lineno - 1]
            operands = [node.left, *node.comparators]
            for index, op in enumerate(node.ops):  # each of a chain: a <= b <= c
                if type(op) not in SWAP:
                    continue
                start, end = operands[index].end_col_offset, operands[index + 1].col_offset
                gap = line[start:end].replace(SYMBOL[type(op)], SWAP[type(op)], 1)
                what = f"comparison {SYMBOL[type(op)]} -> {SWAP[type(op)]} (#{index + 1})"
                self._add(node, start, end, gap, what)
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if (
            self.depth
            and isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in ("append", "add")
        ):
            line = self.lines[node.lineno - 1]
            indent = line[: len(line) - len(line.lstrip())]
            what = f"removed statement {line.strip()[:60]}"
            self._add(node, 0, len(line), f"{indent}pass", what)
        self.generic_visit(node)


def find_mutants() -> list[Mutant]:
    mutants = []
    for path in TARGETS:
        text = path.read_text(encoding="utf-8")
        finder = _Finder(path.relative_to(ROOT), text.splitlines())
        finder.visit(ast.parse(text))
        mutants += finder.found
    return mutants


def run_tests(workdir: Path, timeout: float) -> bool:
    """True when the tests pass (the mutant survives)."""
    command = [sys.executable, "-m", "pytest", *TESTS, "-x", "-q", "-m", "not slow"]
    command += ["-p", "no:randomly", "-o", "addopts=", "--no-header", "-p", "no:cacheprovider"]
    try:
        result = subprocess.run(
            command, cwd=workdir, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--min-killed", type=float, default=95.0, help="percent (default 95)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant")
    parser.add_argument(
        "--match", action="append", help="only mutants whose description contains this (repeat)"
    )
    args = parser.parse_args(argv)
    mutants = find_mutants()
    if args.match:
        mutants = [m for m in mutants if any(text in m.describe() for text in args.match)]
    if args.list:
        for mutant in mutants:
            print(mutant.describe())
        print(f"{len(mutants)} mutants")
        return 0
    with tempfile.TemporaryDirectory(prefix="seedbed-mutants-") as scratch:
        work = Path(scratch)
        for name in COPY:
            source = ROOT / name
            if source.is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
                shutil.copytree(source, work / name, ignore=ignore)
            else:
                shutil.copy2(source, work / name)
        if not run_tests(work, args.timeout):
            print("The tests fail without any mutation: fix them first.", file=sys.stderr)
            return 2
        survivors, started = [], time.monotonic()
        for number, mutant in enumerate(mutants, start=1):
            target = work / mutant.path
            original = target.read_text(encoding="utf-8")
            lines = original.splitlines(keepends=True)
            ending = lines[mutant.line - 1][len(mutant.before) :]
            lines[mutant.line - 1] = mutant.after + ending
            target.write_text("".join(lines), encoding="utf-8")
            try:
                survived = run_tests(work, args.timeout)
            finally:
                target.write_text(original, encoding="utf-8")
            if survived:
                survivors.append(mutant)
            mark = "SURVIVED" if survived else "killed"
            print(f"[{number}/{len(mutants)}] {mark}: {mutant.describe()}", flush=True)
    killed = len(mutants) - len(survivors)
    share = 100.0 * killed / len(mutants) if mutants else 100.0
    seconds = time.monotonic() - started
    print(f"\n{killed} of {len(mutants)} mutants killed ({share:.1f}%) in {seconds:.0f} s")
    for mutant in survivors:
        print(f"  survivor {mutant.describe()}")
        print(f"    - {mutant.before.strip()}\n    + {mutant.after.strip()}")
    return 0 if share >= args.min_killed else 1


if __name__ == "__main__":
    sys.exit(main())
