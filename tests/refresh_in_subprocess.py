"""Run one refresh in this process and print its outcome as JSON (used by the crash and concurrency tests).

python tests/refresh_in_subprocess.py WAREHOUSE_DIR RAW_ROOT [RAW_ROOT ...]
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import run_refresh  # noqa: E402

if __name__ == "__main__":
    refresh = run_refresh(Path(sys.argv[1]), *(Path(p) for p in sys.argv[2:]))
    print(json.dumps({"success": refresh.result.success, "run_id": refresh.result.run_id}))
