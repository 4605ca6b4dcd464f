#!/usr/bin/env python3
"""A small stand-in for the Pulumi deployment engine, for tests and the
demo on machines without the Pulumi CLI.

It serves the ResourceMonitor and Engine services with the official SDK's
generated stubs, launches the provider plugin as the engine does, runs a
Python program, and carries out `preview`, `up`, `refresh` and `destroy`
the engine's way (Check, Diff, then Create/Update/Delete), keeping the
stack's state in a JSON file between runs. Python programs run through
`run_program.py`, Node.js programs (`runtime: nodejs`, compiled to
JavaScript) through `@pulumi/pulumi`'s own `cmd/run` entry point from the
program's node_modules. Only what a docker-build program needs is
supported: custom resources of one provider, stack outputs, secrets,
updates and create-before-delete replacements. Usage:

    engine.py up --program examples/python [--stack dev] [--config key=value ...]
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import threading
from concurrent import futures

import grpc
import yaml
from google.protobuf import empty_pb2, struct_pb2
from google.protobuf.json_format import MessageToDict
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc, resource_pb2, resource_pb2_grpc

from signatures import SECRET_SIG, SIG

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROVIDER_TYPE = "pulumi:providers:docker-build"
MAX_MESSAGE = 400 * 1024 * 1024
GRPC_OPTIONS = [("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", MAX_MESSAGE)]


def struct(mapping):
    s = struct_pb2.Struct()
    s.update(mapping)
    return s


def plain(value):
    """A value for display: secrets shown as [secret], whole numbers as
    whole numbers (the wire carries only doubles)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        if value.get(SIG) == SECRET_SIG:
            return "[secret]"
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class Provider:
    """The plugin process and a client for it."""

    def __init__(self, binary, program, engine_address, config):
        self.process = subprocess.Popen([str(binary), engine_address], cwd=program, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        port = int(self.process.stdout.readline().decode().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=GRPC_OPTIONS)
        grpc.channel_ready_future(channel).result(timeout=10)
        self.stub = provider_pb2_grpc.ResourceProviderStub(channel)
        self.stub.GetPluginInfo(empty_pb2.Empty())
        self.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine_address, configure_with_urn=True))
        news = struct(config)
        checked = self.stub.CheckConfig(provider_pb2.CheckRequest(urn="urn:pulumi:providers:docker-build::default", news=news))
        if checked.failures:
            raise SystemExit("provider configuration: " + "; ".join(f"{f.property}: {f.reason}" for f in checked.failures))
        self.stub.Configure(provider_pb2.ConfigureRequest(args=checked.inputs, acceptSecrets=True, acceptResources=True, sends_old_inputs=True, sends_old_inputs_to_delete=True))

    def close(self):
        try:
            self.stub.Cancel(empty_pb2.Empty(), timeout=5)
        except grpc.RpcError:
            pass
        self.process.terminate()
        self.process.wait(timeout=10)


class Deployment(resource_pb2_grpc.ResourceMonitorServicer, engine_pb2_grpc.EngineServicer):
    def __init__(self, args, state):
        self.args = args
        self.state = state
        self.dry_run = args.command == "preview"
        self.seen = set()
        self.steps = []
        self.lock = threading.Lock()
        self.provider = None
        self.explicit = {}
        self.registrations = []
        self.stack_outputs = {}
        self.failed = False

    # Engine service: log lines from the provider.
    def Log(self, request, context):
        if request.ephemeral:
            return empty_pb2.Empty()
        severity = engine_pb2.LogSeverity.Name(request.severity).lower()
        if severity != "debug" or self.args.verbose:
            name = request.urn.rsplit("::", 1)[-1] if request.urn else "provider"
            print(f"  {severity}: [{name}] {request.message}", flush=True)
        return empty_pb2.Empty()

    # The Node.js SDK keeps the stack resource with the engine.
    def GetRootResource(self, request, context):
        return engine_pb2.GetRootResourceResponse(urn=getattr(self, "root_urn", ""))

    def SetRootResource(self, request, context):
        self.root_urn = request.urn
        return engine_pb2.SetRootResourceResponse()

    # Resource monitor.
    def SupportsFeature(self, request, context):
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id in ("secrets",))

    def GetDeploymentInfo(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "use SupportsFeature")

    def SignalAndWaitForShutdown(self, request, context):
        return empty_pb2.Empty()

    def RegisterResourceOutputs(self, request, context):
        if request.urn.endswith("::pulumi:pulumi:Stack::" + self.stack_name()):
            self.stack_outputs = MessageToDict(request.outputs)
        return empty_pb2.Empty()

    def stack_name(self):
        return f"{self.args.project}-{self.args.stack}"

    def urn(self, type_, name):
        return f"urn:pulumi:{self.args.stack}::{self.args.project}::{type_}::{name}"

    def RegisterResource(self, request, context):
        urn = self.urn(request.type, request.name)
        if self.args.record:
            return self.record_registration(urn, request)
        if not request.custom:
            return resource_pb2.RegisterResourceResponse(urn=urn, id="")
        if request.type == PROVIDER_TYPE:
            return self.register_provider(urn, request)
        if request.type.startswith("pulumi:providers:"):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"the stand-in engine only runs docker-build providers, not {request.type}")
        if not request.type.startswith("docker-build:"):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"the stand-in engine only deploys docker-build resources, not {request.type}")
        provider = self.provider_for(request.provider).stub
        old = self.state["resources"].get(urn)
        news = request.object
        try:
            checked = provider.Check(provider_pb2.CheckRequest(urn=urn, type=request.type, name=request.name, news=news, olds=struct(old["inputs"]) if old else None))
            if checked.failures:
                for failure in checked.failures:
                    print(f"  error: [{request.name}] {failure.property}: {failure.reason}", flush=True)
                self.failed = True
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "invalid inputs")
            inputs = checked.inputs
            if old:
                diff = provider.Diff(provider_pb2.DiffRequest(id=old["id"], urn=urn, olds=struct(old["outputs"]), news=inputs, old_inputs=struct(old["inputs"]), type=request.type, name=request.name))
                if diff.changes != provider_pb2.DiffResponse.DIFF_SOME:
                    self.record(" ", "same", request.name, [], request.type)
                    self.seen.add(urn)
                    return resource_pb2.RegisterResourceResponse(urn=urn, id=old["id"], object=struct(old["outputs"]))
                if diff.replaces:
                    # Create the replacement, then delete the old one: the
                    # engine's default order, reversed when the provider asks
                    # for deleteBeforeReplace.
                    def delete_old():
                        if not self.dry_run:
                            provider.Delete(provider_pb2.DeleteRequest(id=old["id"], urn=urn, properties=struct(old["outputs"]), old_inputs=struct(old["inputs"]), type=request.type, name=request.name))
                    if diff.deleteBeforeReplace:
                        delete_old()
                    created = provider.Create(provider_pb2.CreateRequest(urn=urn, properties=inputs, preview=self.dry_run, type=request.type, name=request.name))
                    if not diff.deleteBeforeReplace:
                        delete_old()
                    identifier, outputs = created.id, created.properties
                    self.record("+-", "replace", request.name, sorted(diff.replaces), request.type)
                else:
                    updated = provider.Update(provider_pb2.UpdateRequest(id=old["id"], urn=urn, olds=struct(old["outputs"]), news=inputs, old_inputs=struct(old["inputs"]), preview=self.dry_run, type=request.type, name=request.name))
                    identifier, outputs = old["id"], updated.properties
                    self.record("~", "update", request.name, sorted(diff.diffs), request.type)
            else:
                created = provider.Create(provider_pb2.CreateRequest(urn=urn, properties=inputs, preview=self.dry_run, type=request.type, name=request.name))
                identifier, outputs = created.id, created.properties
                self.record("+", "create", request.name, [], request.type)
        except grpc.RpcError as error:
            self.failed = True
            print(f"  error: [{request.name}] {error.details()}", flush=True)
            context.abort(grpc.StatusCode.UNKNOWN, error.details())
        self.seen.add(urn)
        if not self.dry_run:
            self.state["resources"][urn] = {"type": request.type, "id": identifier, "provider": request.provider, "inputs": MessageToDict(inputs), "outputs": MessageToDict(outputs)}
        return resource_pb2.RegisterResourceResponse(urn=urn, id=identifier, object=outputs)

    def register_provider(self, urn, request):
        """An explicit provider resource: its own plugin process, configured
        with its inputs, for the resources that name it."""
        identifier = f"explicit-{request.name}"
        config = MessageToDict(request.object)
        with self.lock:
            self.explicit[f"{urn}::{identifier}"] = Provider(self.args.provider, self.args.program, self.address, config)
        self.seen.add(urn)
        if not self.dry_run:
            self.state["resources"][urn] = {"type": PROVIDER_TYPE, "id": identifier, "inputs": config, "outputs": config}
        return resource_pb2.RegisterResourceResponse(urn=urn, id=identifier, object=request.object)

    def provider_for(self, reference):
        """The provider a resource names (`<urn>::<id>`), else the default
        one configured from the stack's `docker-build:` settings."""
        with self.lock:
            if reference and reference in self.explicit:
                return self.explicit[reference]
            if reference and not reference.startswith(f"urn:pulumi:{self.args.stack}::{self.args.project}::pulumi:providers:docker-build::default"):
                urn, _, _ = reference.rpartition("::")
                stored = self.state["resources"].get(urn)
                if stored is not None:
                    self.explicit[reference] = Provider(self.args.provider, self.args.program, self.address, stored["inputs"])
                    return self.explicit[reference]
            if self.provider is None:
                self.provider = Provider(self.args.provider, self.args.program, self.address, self.provider_config())
            return self.provider

    def record_registration(self, urn, request):
        """`--record`: note what the program registered and answer with
        it, calling no provider (to compare what two SDKs send)."""
        with self.lock:
            self.registrations.append({"type": request.type, "name": request.name, "custom": request.custom, "provider": request.provider.rpartition("::")[0].rpartition("::")[2] if request.provider else "", "object": MessageToDict(request.object)})
        identifier = f"recorded-{request.name}" if request.custom else ""
        return resource_pb2.RegisterResourceResponse(urn=urn, id=identifier, object=request.object)

    def record(self, mark, verb, name, detail, type_="docker-build:index:Image"):
        with self.lock:
            self.steps.append((mark, verb, name, detail))
        suffix = f" ({', '.join(detail)})" if detail else ""
        print(f" {mark} {type_} {name} {verb}{suffix}", flush=True)

    def provider_config(self):
        prefix = "docker-build:"
        return {k[len(prefix):]: v for k, v in self.args.config.items() if k.startswith(prefix)}


def load_state(path):
    if path.exists():
        return json.loads(path.read_text())
    return {"resources": {}, "outputs": {}}


def run_program(deployment, monitor_address):
    config = {k if ":" in k else f"{deployment.args.project}:{k}": v for k, v in deployment.args.config.items()}
    if deployment.args.runtime == "nodejs":
        return run_node_program(deployment, monitor_address, config)
    request = {
        "config": config,
        "secret_keys": [],
        "project": deployment.args.project,
        "stack": deployment.args.stack,
        "monitor": monitor_address,
        "engine": monitor_address,
        "dry_run": deployment.dry_run,
        "program": str(deployment.args.program),
    }
    driver = pathlib.Path(__file__).with_name("run_program.py")
    result = subprocess.run([sys.executable, str(driver)], input=json.dumps(request).encode(), cwd=deployment.args.program)
    return result.returncode


def run_node_program(deployment, monitor_address, config):
    """As the Node.js language host does: `@pulumi/pulumi/cmd/run` from the
    program's own node_modules, configuration in PULUMI_CONFIG."""
    program = deployment.args.program
    run = program / "node_modules" / "@pulumi" / "pulumi" / "cmd" / "run"
    if not run.exists():
        print(f"error: {run} is missing: install the program's dependencies first", file=sys.stderr)
        return 1
    flags = [
        f"--monitor={monitor_address}",
        f"--engine={monitor_address}",
        f"--project={deployment.args.project}",
        f"--stack={deployment.args.stack}",
        f"--root-directory={program}",
        f"--pwd={program}",
        "--parallel=4",
        "--organization=organization",
    ]
    if deployment.dry_run:
        flags.append("--dry-run")
    env = dict(os.environ, PULUMI_CONFIG=json.dumps(config), PULUMI_CONFIG_SECRET_KEYS="[]")
    return subprocess.run(["node", str(run), *flags, str(program)], cwd=program, env=env).returncode


def runtime_of(project):
    """`runtime: python` or `runtime: {name: nodejs, ...}` from Pulumi.yaml."""
    runtime = project.get("runtime", "python")
    return runtime["name"] if isinstance(runtime, dict) else runtime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["preview", "up", "refresh", "destroy"])
    parser.add_argument("--program", required=True, type=pathlib.Path)
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--state", type=pathlib.Path)
    parser.add_argument("--provider", type=pathlib.Path, default=pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug" / "pulumi-resource-docker-build")
    parser.add_argument("--config", action="append", default=[], help="key=value; provider settings as docker-build:key")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--record", type=pathlib.Path, help="write what the program registers to this file; call no provider")
    args = parser.parse_args()
    args.program = args.program.resolve()
    project = yaml.safe_load((args.program / "Pulumi.yaml").read_text())
    args.project = project["name"]
    args.runtime = runtime_of(project)
    if args.runtime not in ("python", "nodejs"):
        raise SystemExit(f"the stand-in engine runs python and nodejs programs, not {args.runtime}")
    args.config = dict(item.split("=", 1) for item in args.config)
    state_path = args.state or args.program / f".stack-{args.stack}.json"
    state = load_state(state_path)

    deployment = Deployment(args, state)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=GRPC_OPTIONS)
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(deployment, server)
    engine_pb2_grpc.add_EngineServicer_to_server(deployment, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    deployment.address = f"127.0.0.1:{port}"
    print(f"{args.command}: {args.project}/{args.stack}", flush=True)
    status = 0
    try:
        if args.command in ("preview", "up"):
            status = run_program(deployment, deployment.address)
            if status == 0 and not deployment.failed and args.command == "up":
                for urn in providers_last([u for u in state["resources"] if u not in deployment.seen], state):
                    delete(deployment, urn, state)
                state["outputs"] = deployment.stack_outputs
        elif args.command == "refresh":
            refresh(deployment, state)
        elif args.command == "destroy":
            for urn in providers_last(list(state["resources"]), state):
                delete(deployment, urn, state)
            state["outputs"] = {}
    finally:
        for provider in [deployment.provider, *deployment.explicit.values()]:
            if provider:
                provider.close()
        server.stop(0)
    if args.record:
        # Resources register concurrently: their order means nothing.
        registrations = sorted(deployment.registrations, key=lambda r: (r["type"], r["name"]))
        recorded = {"registrations": registrations, "outputs": deployment.stack_outputs}
        args.record.write_text(json.dumps(recorded, indent=2, sort_keys=True))
        return status
    if args.command != "preview":
        state_path.write_text(json.dumps(state, indent=2))
    changes = [step for step in deployment.steps if step[1] not in ("same", "refreshed")]
    if status == 0 and not deployment.failed:
        print("no changes" if not changes else f"{len(changes)} change(s)")
        outputs = deployment.stack_outputs if args.command in ("preview", "up") else state["outputs"]
        for key, value in sorted(outputs.items()):
            print(f"  output {key}: {json.dumps(plain(value))}")
    return 1 if status or deployment.failed else 0


def ensure_provider(deployment, entry=None):
    return deployment.provider_for((entry or {}).get("provider", "")).stub


def delete(deployment, urn, state):
    old = state["resources"][urn]
    if old["type"] != PROVIDER_TYPE:
        ensure_provider(deployment, old).Delete(provider_pb2.DeleteRequest(id=old["id"], urn=urn, properties=struct(old["outputs"]), old_inputs=struct(old["inputs"]), type=old["type"]))
    del state["resources"][urn]
    deployment.record("-", "delete", urn.rsplit("::", 1)[-1], [], old["type"])


def providers_last(urns, state):
    """Resources before the explicit providers they may need."""
    return sorted(urns, key=lambda urn: state["resources"][urn]["type"] == PROVIDER_TYPE)


def refresh(deployment, state):
    for urn, old in list(state["resources"].items()):
        if old["type"] == PROVIDER_TYPE:
            continue
        read = ensure_provider(deployment, old).Read(provider_pb2.ReadRequest(id=old["id"], urn=urn, properties=struct(old["outputs"]), inputs=struct(old["inputs"]), type=old["type"]))
        name = urn.rsplit("::", 1)[-1]
        if not read.id:
            del state["resources"][urn]
            deployment.record("-", "gone", name, [], old["type"])
        else:
            state["resources"][urn].update(id=read.id, outputs=MessageToDict(read.properties), inputs=MessageToDict(read.inputs))
            deployment.record(" ", "refreshed", name, [], old["type"])


if __name__ == "__main__":
    sys.exit(main())
