"""What the telemetry pages show: traces, RED, the live map, logs, resources and RCA.

Pure shaping of store answers into rows and SVG; `pages` is the one function per page.
"""
