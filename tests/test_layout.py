"""The package's layout as the README's map states it: ``apis/`` is folders
by subsystem whose imports run one way, and modules and functions short
enough to read whole."""
import ast
from pathlib import Path

import pytest

import indexnet_plugin

PACKAGE = Path(indexnet_plugin.__file__).parent
APIS = PACKAGE / 'apis'
# Each subsystem may import only the ones before it (README, "The package").
LAYERS = ('inputs', 'cutout', 'runtimes', 'inference', 'loading', 'convert',
          'video', 'distributed', 'cli')
# Past these a module holds several components, a function several steps.
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def imported_subsystems(path: Path):
    """The ``apis`` subsystems a module of ``apis/<subsystem>/`` imports."""
    own = path.relative_to(APIS).parts[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        module = node.module or ''
        if node.level == 0 and module.startswith('indexnet_plugin.apis'):
            parts = module.split('.')[2:]
        elif node.level == 2:  # from ..<subsystem> import or from .. import
            parts = module.split('.') if module else ['']
        else:  # same subsystem, or outside apis/ (models, fileio)
            continue
        target = parts[0] if parts else ''
        if target != own:
            yield target, node.lineno


def test_apis_holds_only_subsystem_folders():
    assert [p.name for p in APIS.glob('*.py')] == ['__init__.py']
    assert sorted(p.name for p in APIS.iterdir()
                  if p.is_dir() and p.name != '__pycache__') == sorted(LAYERS)


@pytest.mark.parametrize('subsystem', LAYERS)
def test_imports_run_one_way(subsystem):
    allowed = LAYERS[:LAYERS.index(subsystem)]
    wrong = [
        f'{path.relative_to(PACKAGE)}:{line} imports {target or "apis"}'
        for path in sorted((APIS / subsystem).glob('*.py'))
        for target, line in imported_subsystems(path)
        if target not in allowed
    ]
    assert wrong == [], f'{subsystem} may import only {allowed}'


def test_modules_and_functions_stay_small():
    too_long = []
    for path in sorted(PACKAGE.rglob('*.py')):
        source = path.read_text()
        name = path.relative_to(PACKAGE)
        if source.count('\n') > MAX_MODULE_LINES:
            too_long.append(f'{name}: {source.count(chr(10))} lines')
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f'{name}:{node.lineno} {node.name}: '
                                    f'{length} lines')
    assert too_long == []
