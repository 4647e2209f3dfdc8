"""Root-cause analysis: one trace, or a time window against its baseline.

Evidence from traces, logs and resource metrics, judged by `stats`, ranked by `rank`.
"""
