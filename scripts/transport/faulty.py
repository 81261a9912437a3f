#!/usr/bin/env python3
"""A faulty target for the transport figures of docs/performance.md.

    python3 scripts/transport/faulty.py MODE PORT

GET / answers 200 (the target is reachable); every other request gets the
fault of MODE: `hang` (never answers) or `endless` (a 200 whose JSON body
never ends). Loopback only; stop it with Ctrl-C.
"""
import http.server
import socketserver
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self):
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        if self.path == "/":
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
            return
        if MODE == "hang":
            threading.Event().wait()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        chunk = b" " * 65536
        try:
            while True:
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = answer


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


MODE = sys.argv[1]
Server(("127.0.0.1", int(sys.argv[2])), Handler).serve_forever()
