"""The README's curl walkthrough works verbatim against the running system."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(
        r"<!-- walkthrough:start -->\s*```bash\n(.*?)```\s*<!-- walkthrough:end -->", text, re.S
    )
    assert block, "README lost its walkthrough markers"
    return block.group(1)


def test_readme_walkthrough_runs(stack):
    script = walkthrough().replace("http://127.0.0.1:8080", stack.gateway_url)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout
    assert '"employee_no":"E10001"' in out and "张伟" in out
    assert "unknown department_code 'NOPE'" in out
    assert '"created":1' in out
    assert "department-cycle" in out
    assert '"status":"awarded"' in out and "完成课程 设备操作基础 2 课时" in out
    assert '"rule_id":"course.per_class_hour"' in out
    assert '"status":"fulfilled"' in out
