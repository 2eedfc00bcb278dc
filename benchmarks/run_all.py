"""`make bench`: every benchmark, each in its own process (peak memory is per process).

The figures the README's results table quotes: ingest MB/s, the paper-scale pipeline end to end
(per stage, dbt, the June re-crawl's model calls per new text, a re-run's calls), ingest + dbt at
10× paper scale, and sentiment inference. The corpora are generated once into data/bench/ (the
10× one takes about 10 minutes and 8 GiB).
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = [
    ["ingest.py", "--scale", "paper"],
    ["pipeline.py", "--scale", "paper", "--embedding-model", "static"],  # the static model: faster, lower κ
    ["pipeline.py", "--scale", "paper"],  # the default embeddings (USE multilingual): the ≤ 10 min / ≤ 3 GiB target
    ["pipeline.py", "--scale", "paper", "--no-models"],
    ["pipeline.py", "--scale", "paper10", "--no-models"],
    ["sentiment_throughput.py"],
]

if __name__ == "__main__":
    failed = 0
    for script, *args in RUNS:
        print(f"\n=== {script} {' '.join(args)}", flush=True)
        failed |= subprocess.call([sys.executable, str(HERE / script), *args], cwd=HERE)
    sys.exit(failed)
