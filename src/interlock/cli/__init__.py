"""The `interlock` command line: one thin sub-command group per capability."""
