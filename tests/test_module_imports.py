"""Imports run one way: the loop (cnn.train) <- the run folder (cnn.runs) <- a whole run (cnn.runner) <- the
command line (cnn.cli). Nothing in the engine imports the command line."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CNN = ROOT / "cnn"
LAYERS = ["train", "runs", "runner", "cli"]     # each may import those before it, never those after it


def _imported(path: Path) -> set[str]:
    """The cnn modules a file imports anywhere (late imports in functions too), except under TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(node) for stmt in ast.walk(tree) if isinstance(stmt, ast.If)
               and ast.unparse(stmt.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
               for body in stmt.body for node in ast.walk(body)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("cnn.")}
        elif isinstance(node, ast.ImportFrom):
            if node.module == "cnn" or (node.level == 1 and node.module is None):
                found |= {alias.name for alias in node.names}
            elif node.module and node.module.startswith("cnn."):
                found.add(node.module.split(".")[1])
            elif node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_importing_the_loop_loads_neither_the_run_folder_nor_the_runner_nor_the_command_line():
    code = "import sys, cnn.train; print(*(m for m in ('cnn.runs', 'cnn.runner', 'cnn.cli') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_runner_does_not_load_the_command_line():
    code = "import sys, cnn.runner; print('cnn.cli' in sys.modules, 'cnn.runs' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]


def test_each_layer_imports_only_the_layers_before_it_even_late():
    for i, name in enumerate(LAYERS):
        later = set(LAYERS[i + 1:])
        assert not _imported(CNN / f"{name}.py") & later, f"cnn.{name} imports {_imported(CNN / f'{name}.py') & later}"


def test_no_module_of_the_engine_imports_the_command_line():
    importers = [path.name for path in sorted(CNN.glob("*.py")) if path.name != "cli.py" and "cli" in _imported(path)]
    assert importers == []


def test_the_import_reader_sees_every_spelling(tmp_path):
    """The checks above are only as good as _imported: it must see each way of writing an import."""
    sample = tmp_path / "sample.py"
    sample.write_text("import cnn.cli\nfrom cnn import runs\nfrom cnn.runner import run\nfrom . import models\n"
                      "from .data import load\ndef f():\n    from cnn import train\n"
                      "if TYPE_CHECKING:\n    from cnn import ops\n", encoding="utf-8")
    assert _imported(sample) == {"cli", "runs", "runner", "models", "data", "train"}
