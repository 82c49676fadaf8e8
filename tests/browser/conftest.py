"""The browser test is a script (make browser-test), not a unit test: pytest must not collect it."""

collect_ignore = ["run_browser_test.py"]
