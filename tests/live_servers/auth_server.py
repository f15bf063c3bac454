#!/usr/bin/env python3
"""An HTTP peer for cwmp-doctor's live-probe tests: an ACS endpoint or a CPE's connection-request
endpoint that demands Digest (RFC 7616, verified here with hashlib, independently of the client
under test) or Basic (RFC 7617), optionally over TLS.

Listens on 127.0.0.1, a free port; prints the port on the first line of stdout, then serves until
killed. Logs nothing (no credential ever reaches its output).

ACS role: GET -> 405 (Allow: POST); POST without valid credentials -> 401 with a challenge; an empty
authenticated POST -> 204; an authenticated Inform -> the answer chosen by --inform-answer.
CR role: GET on --path without valid credentials -> 401 with a challenge; with them -> --cr-status,
or 503 (--after-auth busy), or a reset without an answer (--after-auth reset); other paths -> 404.
"""
import argparse
import base64
import hashlib
import os
import re
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

P = argparse.ArgumentParser()
P.add_argument("--role", choices=["acs", "cr"], required=True)
P.add_argument("--auth", choices=["digest", "basic", "none"], default="digest")
P.add_argument("--user", default="cpe")
P.add_argument("--password", default="")
P.add_argument("--realm", default="cwmp-doctor-test")
P.add_argument("--qop", default="auth")
P.add_argument("--path", default="/cr")
P.add_argument("--cert")
P.add_argument("--key")
P.add_argument("--inform-answer", default="response",
               choices=["response", "fault", "html", "500", "hang", "malformed"])
P.add_argument("--after-auth", default="ok", choices=["ok", "busy", "reset"])
P.add_argument("--cr-status", type=int, default=200)
P.add_argument("--echo-authorization", action="store_true",
               help="the 401 body quotes the credentials received (Basic token, Digest response)")
ARGS = P.parse_args()

NONCES = set()
LOCK = threading.Lock()
MAX_BODY = 1 << 20

INFORM_RESPONSE = (b'<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" '
                   b'xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Header>'
                   b'<cwmp:ID soap-env:mustUnderstand="1">cwmp-doctor-1</cwmp:ID></soap-env:Header>'
                   b'<soap-env:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes>'
                   b'</cwmp:InformResponse></soap-env:Body></soap-env:Envelope>')
FAULT = (b'<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" '
         b'xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Body><soap-env:Fault>'
         b'<faultcode>Client</faultcode><faultstring>CWMP fault</faultstring><detail><cwmp:Fault>'
         b'<FaultCode>8002</FaultCode><FaultString>Internal error</FaultString></cwmp:Fault>'
         b'</detail></soap-env:Fault></soap-env:Body></soap-env:Envelope>')


def md5(text):
    return hashlib.md5(text.encode() if isinstance(text, str) else text).hexdigest()


def auth_params(value):
    """'Digest a="x, y", b=z' -> {'a': 'x, y', 'b': 'z'}"""
    return {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in re.finditer(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', value)}


def digest_ok(value, method, path, body):
    scheme, _, rest = value.partition(" ")
    if scheme.lower() != "digest":
        return False
    p = auth_params(rest)
    with LOCK:
        known = p.get("nonce") in NONCES
    if not known or p.get("username") != ARGS.user or p.get("realm") != ARGS.realm:
        return False
    if p.get("uri") != path or p.get("algorithm", "MD5").upper() != "MD5":
        return False
    ha1 = md5(f"{ARGS.user}:{ARGS.realm}:{ARGS.password}")
    qop = p.get("qop")
    if qop == "auth-int":
        ha2 = md5(f"{method}:{path}:{md5(body)}")
    else:
        ha2 = md5(f"{method}:{path}")
    if qop in ("auth", "auth-int"):
        if qop not in ARGS.qop.split(","):
            return False
        expected = md5(f"{ha1}:{p['nonce']}:{p.get('nc')}:{p.get('cnonce')}:{qop}:{ha2}")
    else:
        expected = md5(f"{ha1}:{p['nonce']}:{ha2}")
    return expected == p.get("response")


def basic_ok(value):
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        return base64.b64decode(token.strip()).decode() == f"{ARGS.user}:{ARGS.password}"
    except ValueError:
        return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=(), ctype=None):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authorized(self, method, body):
        if ARGS.auth == "none":
            return True
        value = self.headers.get("Authorization") or ""
        if ARGS.auth == "digest":
            return digest_ok(value, method, self.path, body)
        return basic_ok(value)

    def challenge(self):
        if ARGS.auth == "digest":
            nonce = os.urandom(12).hex()
            with LOCK:
                NONCES.add(nonce)
            value = (f'Digest realm="{ARGS.realm}", qop="{ARGS.qop}", nonce="{nonce}", '
                     f'opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm=MD5')
        else:
            value = f'Basic realm="{ARGS.realm}"'
        body = b""
        if ARGS.echo_authorization:
            got = self.headers.get("Authorization") or ""
            echoed = auth_params(got).get("response") or got.split(" ")[-1]
            body = f"bad credentials {echoed}".encode()
        self.reply(401, body=body, headers=[("WWW-Authenticate", value)],
                   ctype="text/plain" if body else None)

    def do_GET(self):
        if ARGS.role == "acs":
            self.reply(405, headers=[("Allow", "POST")])
            return
        if self.path != ARGS.path:
            self.reply(404)
            return
        if not self.authorized("GET", b""):
            self.challenge()
        elif ARGS.after_auth == "busy":
            self.reply(503)
        elif ARGS.after_auth == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        else:
            self.reply(ARGS.cr_status)

    def do_POST(self):
        length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
        body = self.rfile.read(length)
        if ARGS.role != "acs":
            self.reply(405, headers=[("Allow", "GET")])
        elif not self.authorized("POST", body):
            self.challenge()
        elif not body.strip():
            self.reply(204)
        elif b"Inform>" not in body:
            self.reply(400, b"not an Inform", ctype="text/plain")
        elif ARGS.inform_answer == "response":
            self.reply(200, INFORM_RESPONSE, [("Set-Cookie", "session=s1; Path=/")], 'text/xml; charset="utf-8"')
        elif ARGS.inform_answer == "fault":
            self.reply(200, FAULT, ctype="text/xml")
        elif ARGS.inform_answer == "html":
            self.reply(200, b"<html><body>Welcome to nginx!</body></html>", ctype="text/html")
        elif ARGS.inform_answer == "500":
            self.reply(500, b"Internal Server Error", ctype="text/plain")
        elif ARGS.inform_answer == "malformed":
            self.reply(200, INFORM_RESPONSE[:150], ctype="text/xml")
        else:
            time.sleep(3600)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if ARGS.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.cert, ARGS.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
