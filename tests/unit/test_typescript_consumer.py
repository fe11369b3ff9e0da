"""A typed consumer in another language, from the contract alone (issue 13): TypeScript types generated from
contracts/schemas/ with quicktype (contracts/typescript/src/contract.ts, committed), a small consumer on them, and
a run that decodes every event example and golden payload with them (plus events of a later version: an unknown
session provider, an unknown error code)."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.node_tools import node_tool

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "contracts" / "typescript"


@pytest.fixture(scope="module")
def npm() -> str:
    """npm, with contracts/typescript installed (`make typescript-check`, run by `make lint`); CI never skips."""
    return node_tool("npm", TS, ("quicktype", "typescript"), "typescript-check")


def _run(command: list[str]) -> str:
    done = subprocess.run(command, cwd=TS, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_generated_types_match_the_schemas(npm: str, tmp_path: Path) -> None:
    """`npm run generate` into a temporary file gives the committed contract.ts: regenerate after a schema change."""
    script = json.loads((TS / "package.json").read_text())["scripts"]["generate"]
    args = shlex.split(script)
    args[args.index("-o") + 1] = str(tmp_path / "contract.ts")
    _run([str(TS / "node_modules" / ".bin" / args[0]), *args[1:]])
    committed = (TS / "src" / "contract.ts").read_text()
    assert (tmp_path / "contract.ts").read_text() == committed, "run `npm run generate --prefix contracts/typescript`"


def test_the_typescript_consumer_decodes_every_event_payload(npm: str) -> None:
    _run([npm, "run", "--silent", "build"])
    out = _run([npm, "run", "--silent", "check"])
    examples = len(list((ROOT / "contracts").glob("examples/*/session.*ed.json")))
    golden = len(list((ROOT / "contracts").glob("golden/v*/*.session.*ed.json")))
    assert f"({examples + golden} examples and golden payloads, 2 from a later version)" in out, out
