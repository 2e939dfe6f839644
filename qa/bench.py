"""``python -m qa.bench``: the same as ``python -m qa.measure.bench`` (kept so the documented commands stay short)."""
import runpy

if __name__ == "__main__":
    runpy.run_module("qa.measure.bench", run_name="__main__", alter_sys=True)
