"""The performance benchmark: ``python -m bench`` (``./dev bench``). See bench/README.md.

One run, side by side, in headless Chromium against the stub with 10,000
deliveries and 500 staff: load time (app vs bare Pyodide), event-to-DOM
latency under streams (app vs a plain-JavaScript reference page), final DOM
correctness, long tasks, and a soak with forced reconnects. It is a script,
not a test: it prints one table and writes JSON to bench/results/.
"""
