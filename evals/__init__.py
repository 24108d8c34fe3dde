"""The evaluation harness: YAML scenario suites graded on final state, pass^k, the adversarial
safety suite and reports.
"""
