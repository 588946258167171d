"""Failures of `pack init` with the exit codes the Node side maps to messages (docs/model-pack.md)."""
from __future__ import annotations


class PackInitError(Exception):
    code = "failed"
    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UsageError(PackInitError):
    code, exit_code = "usage", 2


class Unsupported(PackInitError):
    code, exit_code = "unsupported", 3


class CheckpointInvalid(PackInitError):
    code, exit_code = "checkpoint", 4


class MissingPackages(PackInitError):
    code, exit_code = "python-packages", 5


class DiskFull(PackInitError):
    code, exit_code = "disk-full", 6
