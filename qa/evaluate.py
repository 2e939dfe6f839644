"""``python -m qa.evaluate``: the same as ``python -m qa.measure.evaluate`` (kept so the documented commands stay short)."""
import runpy

if __name__ == "__main__":
    runpy.run_module("qa.measure.evaluate", run_name="__main__", alter_sys=True)
