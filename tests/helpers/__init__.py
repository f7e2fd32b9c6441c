"""Helpers shared by the test folders, imported as ``helpers.<module>``.

pytest.ini puts ``tests/`` on ``sys.path``, so every test file imports the
same modules whatever was collected first (a bare ``from conftest import``
finds whichever ``conftest`` module was imported first). Fixtures stay in
the ``conftest.py`` files; everything else the tests share lives here:

* :mod:`helpers.paths`: the repository and the environment's executables;
* :mod:`helpers.models`: configs, the host's reference IndexNet, checkpoints,
  packed samples, a loopback HTTP server;
* :mod:`helpers.images`: the small image and trimap of the inference tests,
  the astronaut photo and a sky without a person;
* :mod:`helpers.cli`: indexnet-predict in the test process;
* :mod:`helpers.comp1k`: the one tiny synthetic Comp-1k.
"""
