"""The plugin's configs by name (``'indexnet_mobv2'``), installed or in a clone.

A wheel carries the repository's ``configs/`` as ``indexnet_plugin/.mim/configs``
(the OpenMMLab layout ``mim`` reads; ``setup.py`` copies it at build time). In a
clone or an editable install the package sits next to ``configs/`` itself, and
that folder is used. A config name is the file name without ``.py`` of a
top-level config there (``_base_`` files are not names).

Example::

    >>> from indexnet_plugin.configs import resolve_config
    >>> resolve_config('indexnet_mobv2')      # the packaged file
    >>> resolve_config('my/indexnet.py')      # an existing path, unchanged
"""
from pathlib import Path
from typing import List, Union

PACKAGE_DIR = Path(__file__).resolve().parent
# Installed from a wheel: the copy made by setup.py; clone or editable
# install: the repository's own folder.
CONFIG_DIRS = (PACKAGE_DIR / '.mim' / 'configs', PACKAGE_DIR.parent / 'configs')
DEFAULT_CONFIG = 'indexnet_mobv2'


def config_dir() -> Path:
    """The folder holding the plugin's configs.

    Returns:
        Path: ``indexnet_plugin/.mim/configs`` of an installed wheel, else the
        repository's ``configs/``.

    Raises:
        FileNotFoundError: Neither exists (a broken install).
    """
    for folder in CONFIG_DIRS:
        if folder.is_dir():
            return folder
    raise FileNotFoundError(
        'indexnet_plugin has no configs: looked in ' +
        ' and '.join(f"'{folder}'" for folder in CONFIG_DIRS) +
        '; reinstall the package')


def config_names() -> List[str]:
    """Names of the plugin's configs, sorted."""
    return sorted(path.stem for path in config_dir().glob('*.py'))


def resolve_config(config: Union[str, Path]) -> Path:
    """The config file for a path or a config name.

    Args:
        config: Path of a config file, or a name from :func:`config_names`
            (no folder; with or without ``.py``).

    Returns:
        Path: ``config`` itself when it is a file, else the named config.

    Raises:
        FileNotFoundError: A missing file, or an unknown name (the message
            lists the known names).
    """
    path = Path(config)
    if path.is_file():
        return path
    if len(path.parts) != 1 or path.suffix not in ('', '.py'):
        raise FileNotFoundError(f"config '{config}': file not found")
    named = config_dir() / f'{path.stem}.py'
    if not named.is_file():
        raise FileNotFoundError(
            f"config '{config}': no such file or config name; known names: "
            f"{', '.join(config_names())}")
    return named
