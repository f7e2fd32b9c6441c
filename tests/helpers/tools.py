"""Running the environment's console tools from the repository."""
import subprocess

from .paths import BIN, REPO


def run_tool(args: list,
             timeout: int = 900,
             **kwargs) -> subprocess.CompletedProcess:
    """Run a console tool of the environment (``args[0]``, e.g. ``'mim'``)
    from the repository; assert it succeeded, showing the ends of its
    output otherwise."""
    result = subprocess.run([BIN / args[0], *args[1:]],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=timeout,
                            **kwargs)
    assert result.returncode == 0, (
        f'{" ".join(map(str, args))} failed:\n{result.stdout[-3000:]}\n'
        f'{result.stderr[-5000:]}')
    return result
