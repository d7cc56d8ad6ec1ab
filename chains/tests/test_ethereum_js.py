"""The wallet pages' amounts (static/js/lib/ethereum.js), run in node: wei to and from
the native coin exactly, fees per gas in gwei, native amounts by the quantity rule."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ETHEREUM_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "lib" / "ethereum.js"

# (export, arguments, text); BigInt answers are compared as their digits.
TABLE = [
    ("toWei", ["0.01", 18], "10000000000000000"),
    ("toWei", [".5", 18], "500000000000000000"),
    ("toWei", ["1000", 18], "1000000000000000000000"),
    ("toWei", ["0.000000000000000001", 18], "1"),
    ("toWei", ["0.0000000000000000001", 18], None),  # past the coin's places
    ("toWei", ["-1", 18], None),
    ("toWei", ["1e3", 18], None),
    ("toWei", ["1.2.3", 18], None),
    ("toWei", [".", 18], None),
    ("fromWei", ["2000000000000000", 18], "0.002"),
    ("fromWei", ["0x3635c9adc5dea00000", 18], "1000"),
    ("fromWei", ["1", 18], "0.000000000000000001"),
    ("gweiText", ["1.5"], "1.5 gwei"),
    ("gweiText", ["12.3456789"], "12.35 gwei"),
    ("gweiText", ["1234.5"], "1,234.5 gwei"),
    ("gweiText", ["0.001"], "0.001 gwei"),
    ("gweiText", ["0.000123456"], "0.000123 gwei"),
    ("gweiText", ["0"], "0 gwei"),
    ("gweiText", [None], "—"),
    ("nativeText", ["0.00004988", "ETH"], "0.00004988 ETH"),
    ("nativeText", ["999.98995013", "ETH"], "999.98995013 ETH"),
    ("nativeText", ["1000", "ETH"], "1,000 ETH"),
    ("nativeText", ["0.000000000021", "ETH"], "< 0.00000001 ETH"),
    ("nativeText", [None, "ETH"], "—"),
    ("shortHex", ["0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1"], "0x90F8…c9C1"),
]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run ethereum.js")
def test_wallet_amounts_read_as_a_person_reads_them():
    script = (
        f"import({json.dumps(ETHEREUM_JS.as_uri())}).then((eth) => {{"
        f"  const rows = {json.dumps([[name, args] for name, args, _ in TABLE])};"
        "  const text = (v) => (v === null ? null : String(v));"
        "  console.log(JSON.stringify(rows.map(([name, args]) => text(eth[name](...args)))));"
        "});"
    )
    answer = subprocess.run(
        ["node", "--no-warnings", "-e", script], capture_output=True, text=True, check=True
    )

    got = json.loads(answer.stdout)
    assert got == [text for _, _, text in TABLE]
