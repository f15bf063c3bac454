#!/usr/bin/env python3
"""A UDP DNS responder for cwmp-doctor's live-probe tests (RFC 1035 §4.1 by hand).

Listens on 127.0.0.1, a free port; prints the port on the first line of stdout, then answers until
killed, by the first label of the name asked:
  nx.*       -> NXDOMAIN        servfail.* -> SERVFAIL      refused.* -> REFUSED
  silent.*   -> no answer at all
  anything else: A -> 127.0.0.1, other types -> NOERROR without a record.
"""
import socket
import struct


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    while True:
        data, peer = sock.recvfrom(4096)
        if len(data) < 12:
            continue
        tid, flags = struct.unpack("!HH", data[:4])
        labels, i = [], 12
        while i < len(data) and data[i] != 0:
            n = data[i]
            labels.append(data[i + 1:i + 1 + n].decode("ascii", "replace").lower())
            i += 1 + n
        if i + 5 > len(data):
            continue
        qtype = struct.unpack("!H", data[i + 1:i + 3])[0]
        question = data[12:i + 5]
        first = labels[0] if labels else ""

        def respond(rcode, answer=b"", count=0):
            head = struct.pack("!HHHHHH", tid, 0x8400 | (flags & 0x0100) | 0x0080 | rcode, 1, count, 0, 0)
            sock.sendto(head + question + answer, peer)

        if first == "silent":
            continue
        if first == "nx":
            respond(3)
        elif first == "servfail":
            respond(2)
        elif first == "refused":
            respond(5)
        elif qtype == 1:
            respond(0, b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1"), 1)
        else:
            respond(0)


if __name__ == "__main__":
    main()
