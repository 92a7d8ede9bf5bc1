"""Atomic writes for run directories: the core's helpers (kept here so existing imports stay short)."""

from kernest._files import atomic_path, write_atomic, write_text_atomic

__all__ = ["atomic_path", "write_atomic", "write_text_atomic"]
