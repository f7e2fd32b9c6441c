from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_requirements(name: str) -> list:
    """Return the requirement lines of ``requirements/<name>.txt``."""
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith('#')]


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
    },
    entry_points={
        'console_scripts': ['indexnet-predict = indexnet_plugin.apis.cli:main'],
    },
    license='Apache License 2.0',
)
