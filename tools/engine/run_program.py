"""Runs a Pulumi Python program against a resource monitor, as the CLI's
`pulumi-language-python-exec` does (that script ships with the CLI, not
with the SDK). Arguments arrive as JSON on stdin."""

import asyncio
import json
import os
import runpy
import sys

import pulumi
import pulumi.runtime


def main() -> int:
    args = json.load(sys.stdin)
    pulumi.runtime.set_all_config(args["config"], args["secret_keys"])
    pulumi.runtime.configure(
        pulumi.runtime.Settings(
            project=args["project"],
            stack=args["stack"],
            monitor=args["monitor"],
            engine=args["engine"],
            parallel=4,
            dry_run=args["dry_run"],
            organization="organization",
            root_directory=args["program"],
        )
    )
    os.chdir(args["program"])
    sys.path.insert(0, args["program"])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(
            pulumi.runtime.run_in_stack(lambda: runpy.run_path(os.path.join(args["program"], "__main__.py"), run_name="__main__"))
        )
    except Exception as error:  # the user's error, reported like the CLI does
        print(f"error: program failed: {error}", file=sys.stderr)
        return 32
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
