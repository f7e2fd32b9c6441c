"""Runtime support: safe loading of mmengine checkpoints, atomic writes."""
from .atomic_backend import BACKEND_NAME, AtomicLocalBackend
from .safe_checkpoint import allow_mmengine_checkpoints

__all__ = ['AtomicLocalBackend', 'BACKEND_NAME', 'allow_mmengine_checkpoints']
