"""The node checkers the contract tests run (contracts/asyncapi-check, schema-check, typescript): where node (or
npm) or a checker's packages are missing the test is skipped, saying which make target installs them; under CI it
fails instead, since CI must never skip these."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def node_tool(program: str, directory: Path, packages: tuple[str, ...], target: str) -> str:
    """The path of ``program`` (``node`` or ``npm``), once ``directory``'s ``packages`` are installed."""
    found = shutil.which(program)
    if found is None or not all((directory / "node_modules" / package).is_dir() for package in packages):
        reason = f"{program} or {directory.name}/node_modules missing: run `make {target}`"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found
