"""`interlock demo`: the example shop and the server as child processes, and the story told on them.

`shop` plans and starts the processes; `story` runs the chapters (contracts verified, the
inventory migration checked, traffic, a fault and its root cause) in the background.
"""

from interlock.demo.detach import start_detached, stop_detached
from interlock.demo.shop import (
    DEFAULT_FIRST_PORT,
    STUB_PROCESS,
    DemoRun,
    find_shop,
    server_spec,
    shop_specs,
    start_demo,
    stub_pacts,
    stub_spec,
    stub_urls,
)
from interlock.demo.story import Story, StoryTimings

__all__ = [
    "DEFAULT_FIRST_PORT",
    "STUB_PROCESS",
    "DemoRun",
    "Story",
    "StoryTimings",
    "find_shop",
    "server_spec",
    "shop_specs",
    "start_demo",
    "start_detached",
    "stop_detached",
    "stub_pacts",
    "stub_spec",
    "stub_urls",
]
