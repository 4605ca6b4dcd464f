"""A registry that fails on demand: a reverse proxy on the loopback port
the test environment's engines reach over plain HTTP
(DOCKER_BUILD_TEST_FAULT_REGISTRY_PORT), in front of the test registry,
answering 500 to the push of one manifest (a tag) while `failing` is set
and passing everything else through."""

import http.client
import http.server
import os
import threading

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class FailingRegistry:
    def __init__(self, upstream, repository, tag):
        self.upstream = upstream
        self.refused = f"/v2/{repository}/manifests/{tag}"
        self.failing = True
        self.refusals = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one_request(self):
                # A client that tries TLS first (as Docker does for an
                # insecure registry) must read an HTTP answer to fall back
                # to plain HTTP, as from the registry itself.
                if self.rfile.peek(1)[:1] == b"\x16":
                    self.wfile.write(b"HTTP/1.0 400 Bad Request\r\n\r\nplain HTTP only\n")
                    self.close_connection = True
                    return
                super().handle_one_request()

            def body(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def forward(self):
                body = self.body()
                if proxy.failing and self.command == "PUT" and self.path.split("?")[0] == proxy.refused:
                    proxy.refusals += 1
                    refusal = b'{"errors":[{"code":"UNKNOWN","message":"storage is failing (injected)"}]}'
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(refusal)))
                    self.end_headers()
                    self.wfile.write(refusal)
                    return
                connection = http.client.HTTPConnection(proxy.upstream, timeout=120)
                # Clients repeat some headers (one Accept per media type):
                # all of their values go on.
                headers = {}
                for key in set(self.headers.keys()):
                    if key.lower() not in HOP_BY_HOP:
                        headers[key] = ", ".join(self.headers.get_all(key))
                headers["Content-Length"] = str(len(body))
                connection.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST", "PATCH") else None, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                self.send_response(response.status)
                head = self.command == "HEAD"
                for key, value in response.getheaders():
                    # A HEAD answer keeps the size of what a GET would send.
                    if key.lower() not in HOP_BY_HOP and (head or key.lower() != "content-length"):
                        self.send_header(key, value)
                if not head:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                connection.close()

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward

        port = int(os.environ.get("DOCKER_BUILD_TEST_FAULT_REGISTRY_PORT", "5003"))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
