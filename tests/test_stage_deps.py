"""dvc.yaml's code deps cannot drift: each stage lists exactly the library files its entry script can run
(its import closure, lazy imports included), so an edit re-runs the stages that run it and no others."""

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CODE = ("pipeline", "stages")


def _is_code(path: Path) -> bool:
    """A package __init__ holding only its docstring (and __version__) runs nothing worth a re-run."""
    if path.name != "__init__.py":
        return True
    body = ast.parse(path.read_text()).body
    return any(
        not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        and not (
            isinstance(node, ast.Assign) and all(getattr(t, "id", "").startswith("__") for t in node.targets)
        )
        for node in body
    )


def _module_file(dotted: str) -> Path | None:
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _named(path: Path) -> set[str]:
    """The module each project import statement anywhere in `path` names: `from a import b` names a.b
    when b is a module, else a."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {
                n if _module_file(n) else node.module for n in (f"{node.module}.{a.name}" for a in node.names)
            }
    return {n for n in names if n.split(".")[0] in CODE}


def _imported(path: Path) -> set[Path]:
    """The project files importing them executes: each named module and the packages around it."""
    parents = {".".join(n.split(".")[:depth]) for n in _named(path) for depth in range(1, n.count(".") + 2)}
    return {f for f in map(_module_file, parents) if f}


def closure(script: Path) -> set[str]:
    seen, todo = set(), [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo += _imported(path)
    return {p.relative_to(ROOT).as_posix() for p in seen if _is_code(p)}


def _stages() -> dict[str, dict]:
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    return {name: stage.get("do", stage) for name, stage in stages.items()}


def _listed(deps: list) -> list[str]:
    entries = [d if isinstance(d, str) else next(iter(d)) for d in deps]
    return [d.rstrip("/") for d in entries if d.split("/")[0] in CODE]


def _covers(dep: str, file: str) -> bool:
    return file == dep or file.startswith(dep + "/")


def suggested(runs: set[str]) -> list[str]:
    """The shortest exact list: a folder when every code file in it runs, else the files."""
    out: list[str] = []
    for file in sorted(runs):
        parts = file.split("/")
        folders = ["/".join(parts[:i]) for i in range(2, len(parts))]
        whole = next((d for d in folders if all(_covered_by_run(d, runs))), None)
        entry = whole or file
        if entry not in out:
            out.append(entry)
    return out


def _covered_by_run(folder: str, runs: set[str]):
    for path in (ROOT / folder).rglob("*.py"):
        if _is_code(path):
            yield path.relative_to(ROOT).as_posix() in runs


@pytest.mark.parametrize("name", sorted(_stages()))
def test_each_stage_lists_exactly_the_code_it_runs(name):
    stage = _stages()[name]
    script = next(w for w in stage["cmd"].split() if w.startswith("stages/") and w.endswith(".py"))
    runs = closure(ROOT / script)
    listed = _listed(stage["deps"])
    missing = sorted(f for f in runs if not any(_covers(d, f) for d in listed))
    folder_extra = [
        f"{d} (holds {f}, which it never imports)"
        for d in listed
        if (ROOT / d).is_dir()
        for f in sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / d).rglob("*.py") if _is_code(p))
        if f not in runs
    ]
    extra = [d for d in listed if not any(_covers(d, f) for f in runs)] + folder_extra
    assert not missing and not extra, (
        f"dvc.yaml stage {name}: runs but does not list {missing}; lists but never runs {extra}; "
        f"its exact code deps: {suggested(runs)}"
    )


def test_the_closure_follows_lazy_imports_and_packages():
    """The walk is what the check rests on: a lazy import inside a function counts, so does a package's
    __init__ with code, and a docstring-only __init__ does not."""
    runs = closure(ROOT / "stages" / "score_ov.py")
    assert "pipeline/tracks/ov_llm.py" in runs  # imported inside predict_sets, only for ov.predictor llm
    assert "pipeline/config/params.py" in runs
    assert "pipeline/tracks/__init__.py" not in runs
    assert "pipeline/cli/__init__.py" in closure(ROOT / "pipeline" / "cli" / "init.py")  # it builds the app
    assert "pipeline/demo/__init__.py" not in closure(ROOT / "stages" / "demo.py")


def _direct(path: Path) -> set[Path]:
    """The pipeline modules `path` names in its imports (not the packages around them)."""
    return {f for n in _named(path) if n.startswith("pipeline") and (f := _module_file(n))} - {path}


def test_pipeline_has_no_import_cycle():
    """Lazy imports count: a function-level import back into its importer is a cycle all the same."""
    graph = {p: _direct(p) for p in (ROOT / "pipeline").rglob("*.py")}
    done: set[Path] = set()

    def visit(node: Path, trail: list[Path]) -> None:
        for nxt in sorted(graph.get(node, set())):
            if nxt in trail:
                cycle = [*trail[trail.index(nxt) :], nxt]
                raise AssertionError(
                    "import cycle: " + " -> ".join(p.relative_to(ROOT).as_posix() for p in cycle)
                )
            if nxt not in done:
                visit(nxt, [*trail, nxt])
        done.add(node)

    for start in sorted(graph):
        visit(start, [start])


def params_read(files: set[str]) -> set[str]:
    """The params keys the code reads off a `params` object: `params.a.b` reads a.b; `params.a` alone
    reads some key of section a; `params.m()`, a method of Params, reads what m reads off `self`."""
    keys = set()
    for file in files:
        keys |= _read_off(ast.parse((ROOT / file).read_text()), "params")
    methods = {k: _read_off(m, "self") for k, m in _params_methods().items()}
    return {r for k in keys for r in methods.get(k, {k})}


def _read_off(tree: ast.AST, name: str) -> set[str]:
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == name:
            keys.add(node.attr)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == name
        ):
            keys.add(f"{node.value.attr}.{node.attr}")
    return keys


def _params_methods() -> dict[str, ast.FunctionDef]:
    tree = ast.parse((ROOT / "pipeline/config/params.py").read_text())
    params = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Params")
    return {n.name: n for n in params.body if isinstance(n, ast.FunctionDef)}


def _declares(declared: list[str], key: str) -> bool:
    section = key.split(".")[0]
    if "." not in key:
        return any(d == section or d.startswith(section + ".") for d in declared)
    return any(d in (key, section) or key.startswith(d + ".") or d.startswith(key + ".") for d in declared)


@pytest.mark.parametrize("name", sorted(_stages()))
def test_each_stage_declares_the_params_it_reads(name):
    """A key a stage reads but dvc.yaml does not list would change its output without re-running it."""
    stage = _stages()[name]
    script = next(w for w in stage["cmd"].split() if w.startswith("stages/") and w.endswith(".py"))
    declared = [p if isinstance(p, str) else next(iter(p)) for p in stage.get("params", [])]
    code = {f for f in closure(ROOT / script) if not f.startswith("pipeline/config/")}  # checks, not reads
    undeclared = sorted(k for k in params_read(code) if not _declares(declared, k))
    assert not undeclared, f"dvc.yaml stage {name} reads params {undeclared} but lists only {declared}"
