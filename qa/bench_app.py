"""``python -m qa.bench_app``: the same as ``python -m qa.measure.bench_app`` (kept so the documented commands stay short)."""
import runpy

if __name__ == "__main__":
    runpy.run_module("qa.measure.bench_app", run_name="__main__", alter_sys=True)
