"""`make bench`: every benchmark script, each in its own process (peak memory is per process)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["ingest.py", "sentiment_throughput.py"]

if __name__ == "__main__":
    failed = 0
    for script in SCRIPTS:
        print(f"\n=== {script}")
        failed |= subprocess.call([sys.executable, str(HERE / script)], cwd=HERE)
    sys.exit(failed)
