"""Fixtures that launch the provider binary the way the Pulumi engine does,
with an Engine service (from the official SDK's generated stubs) to receive
its log lines."""

import os
import pathlib
import subprocess
import threading
from concurrent import futures

import grpc
import pytest
from pulumi.runtime.proto import engine_pb2_grpc, provider_pb2_grpc
from google.protobuf import empty_pb2

ROOT = pathlib.Path(__file__).resolve().parents[2]
MAX_MESSAGE = 400 * 1024 * 1024


def provider_binary() -> pathlib.Path:
    """The binary built by `cargo build`; tests never build it themselves."""
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = target / "debug" / "pulumi-resource-docker-build"
    if not binary.exists():
        pytest.fail(f"{binary} is missing: run `cargo build` first (scripts/test does)")
    return binary


class Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self):
        self.logs = []
        self.lock = threading.Lock()

    def Log(self, request, context):
        with self.lock:
            self.logs.append(request)
        return empty_pb2.Empty()


@pytest.fixture
def engine():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    service = Engine()
    engine_pb2_grpc.add_EngineServicer_to_server(service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    service.address = f"127.0.0.1:{port}"
    yield service
    server.stop(0)


@pytest.fixture
def program(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY app.txt /\n")
    (tmp_path / "app.txt").write_text("hello\n")
    return tmp_path


@pytest.fixture
def provider(engine, program):
    process = subprocess.Popen(
        [str(provider_binary()), engine.address],
        cwd=program,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    port = int(process.stdout.readline().decode().strip())
    channel = grpc.insecure_channel(
        f"127.0.0.1:{port}",
        options=[("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", MAX_MESSAGE)],
    )
    grpc.channel_ready_future(channel).result(timeout=10)
    yield provider_pb2_grpc.ResourceProviderStub(channel)
    channel.close()
    process.terminate()
    process.wait(timeout=10)
