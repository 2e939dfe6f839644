"""Measurement: answer quality (evaluate) and speed (bench, bench_app)."""
