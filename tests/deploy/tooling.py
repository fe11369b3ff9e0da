"""What the deploy tests share: the repository root, YAML, and the rule for a missing tool.

A developer without kubectl or hadolint gets a skip; CI (CI=true) must have them, so there it is a failure.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[2]

try:
    import yaml
except ImportError:  # pyyaml comes with the dev extras
    yaml = None


def missing(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def tool(name: str, hint: str) -> str:
    """The executable ``name``, from the venv running the tests first (pip-installed tools land there), then PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        missing(f"{name} is not installed: {hint}")
    return found


def load_yaml_documents(text: str) -> list[dict[str, Any]]:
    if yaml is None:
        missing("PyYAML is not installed: pip install -e '.[dev]'")
    return [doc for doc in yaml.safe_load_all(text) if doc]
