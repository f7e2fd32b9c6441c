"""tools/bootstrap.sh: a no-op when up to date, loud when a step fails."""
import os
import os.path as osp
import subprocess
import sys

from helpers.paths import REPO

from indexnet_plugin.host import HOST

BOOTSTRAP = osp.join(REPO, 'tools', 'bootstrap.sh')
VENV = osp.dirname(osp.dirname(sys.executable))


def bootstrap(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(['bash', BOOTSTRAP, *args],
                          capture_output=True,
                          text=True,
                          timeout=120,
                          env=dict(os.environ, **env))


def test_environment_of_this_run_is_up_to_date():
    """`make test` bootstraps first, so the stamp matches the sources."""
    result = bootstrap('--check', INDEXNET_VENV=VENV, INDEXNET_HOST=HOST)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f'[bootstrap] {VENV} is up to date'


def test_missing_python_fails_loudly_and_leaves_no_stamp(tmp_path):
    venv = tmp_path / 'venv'
    result = bootstrap(INDEXNET_VENV=str(venv), INDEXNET_PYTHON='python-that-does-not-exist')
    assert result.returncode != 0
    assert 'python-that-does-not-exist not found; set INDEXNET_PYTHON' in result.stderr
    assert '[bootstrap] FAILED at step: create virtual environment' in result.stderr
    assert not (venv / '.bootstrap-stamp').exists()


def test_check_reports_a_missing_environment(tmp_path):
    result = bootstrap('--check', INDEXNET_VENV=str(tmp_path / 'none'))
    assert result.returncode == 1
    assert 'is missing or out of date' in result.stdout
    assert not (tmp_path / 'none').exists()


def test_unknown_host_is_refused(tmp_path):
    result = bootstrap(INDEXNET_VENV=str(tmp_path / 'venv'), INDEXNET_HOST='mmedt')
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "[bootstrap] INDEXNET_HOST must be mmedit or mmagic, got 'mmedt'")
    assert not (tmp_path / 'venv').exists()


def test_a_venv_of_the_other_host_is_out_of_date():
    """The stamp names the host: one host's venv never passes for the other's."""
    other = 'mmagic' if HOST == 'mmedit' else 'mmedit'
    result = bootstrap('--check', INDEXNET_VENV=VENV, INDEXNET_HOST=other)
    assert result.returncode == 1
    assert 'is missing or out of date' in result.stdout
