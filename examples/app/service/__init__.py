"""The example service: reports how well its greeting compresses."""
