import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
# What mim (search, download, train) and indexnet_plugin.configs read from an
# installed OpenMMLab package, under <package>/.mim: the model index and the
# configs its metafile points to.
MIM_FILES = ('model-index.yml', 'configs')


def read_requirements(name: str) -> list:
    """Return the requirement lines of ``requirements/<name>.txt``."""
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith('#')]


class BuildPyWithMimFiles(build_py):
    """``build_py`` that also copies MIM_FILES into indexnet_plugin/.mim.

    The copy is made at build time, so the repository keeps one set of
    configs. Editable installs skip it: the package then sits next to the
    repository's configs/, which indexnet_plugin.configs reads in place.
    """

    def run(self):
        super().run()
        if self.editable_mode:
            return
        mim = Path(self.build_lib) / 'indexnet_plugin' / '.mim'
        shutil.rmtree(mim, ignore_errors=True)  # nothing left from a rebuild
        mim.mkdir(parents=True)
        for name in MIM_FILES:
            source = HERE / name
            if source.is_dir():
                shutil.copytree(
                    source,
                    mim / name,
                    ignore=shutil.ignore_patterns('__pycache__'))
            else:
                shutil.copy2(source, mim / name)


setup(
    name='indexnet_plugin',
    version='0.1.0',
    description='IndexNet deep image matting as an OpenMMLab (MMEditing 1.x) plugin',
    long_description=(HERE / 'README.md').read_text() if (HERE / 'README.md').exists() else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['indexnet_plugin', 'indexnet_plugin.*']),
    python_requires='>=3.8',
    install_requires=read_requirements('runtime'),
    extras_require={
        'mim': read_requirements('mminstall'),
        'tests': read_requirements('tests'),
        # indexnet-predict --auto-mask (indexnet_plugin.apis.inputs.person)
        'auto': read_requirements('auto'),
        'app': read_requirements('app'),
        # tools/quantize.py (indexnet_plugin.apis.convert.quantize)
        'quantize': read_requirements('quantize'),
        # indexnet-predict --ray (indexnet_plugin.apis.distributed)
        'ray': read_requirements('ray'),
        # indexnet-predict on video clips (indexnet_plugin.apis.video)
        'video': read_requirements('video'),
    },
    cmdclass={'build_py': BuildPyWithMimFiles},
    entry_points={
        'console_scripts': [
            'indexnet-predict = indexnet_plugin.apis.cli.predict:main',
            'indexnet-app = indexnet_plugin.app.cli:main',
        ],
    },
    license='Apache License 2.0',
)
