#!/usr/bin/env python3
"""TCP flows for the VM scenarios.

  tcpflows.py serve PORT            echo server (one thread per connection)
  tcpflows.py connect HOST PORT N   open N connections, exchange a line on
                                    each, then wait for a line on stdin and
                                    exchange another on each; prints the
                                    local ports in order and "done" at the
                                    end, exits non-zero if a connection broke
  tcpflows.py stream HOST PORT N [PAUSE]
                                    open N connections and keep each busy
                                    (send a numbered block, read its echo,
                                    check it, wait PAUSE s, default 0.02:
                                    busy loops would starve an emulated
                                    guest) until a line arrives on stdin;
                                    prints "streaming" once all are open,
                                    then "N connections, R round trips,
                                    B broken"; exits non-zero if one broke
"""
import socket
import sys
import threading


def serve(port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(256)

    def echo(conn):
        with conn:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                conn.sendall(data)

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def exchange(sock, text):
    sock.sendall(text.encode() + b"\n")
    got = b""
    while not got.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("connection closed")
        got += chunk
    if got.decode().strip() != text:
        raise ConnectionError(f"echo mismatch: {got!r}")


def connect(host, port, n):
    socks = []
    for i in range(n):
        s = socket.create_connection((host, port), timeout=10)
        socks.append(s)
        exchange(s, f"hello {i}")
    print(" ".join(str(s.getsockname()[1]) for s in socks), flush=True)
    sys.stdin.readline()
    for i, s in enumerate(socks):
        exchange(s, f"again {i}")
    for s in socks:
        s.close()
    print("done", flush=True)


def stream(host, port, n, pause):
    socks = [socket.create_connection((host, port), timeout=10) for _ in range(n)]
    stop = threading.Event()
    trips = [0] * n
    broken = []

    def run(i, sock):
        try:
            while not stop.is_set():
                exchange(sock, f"{i}:{trips[i]}:" + "x" * 1000)
                trips[i] += 1
                stop.wait(pause)
            sock.close()
        except OSError as e:
            broken.append(f"connection {i} after {trips[i]} round trips: {e}")

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(socks)]
    for t in threads:
        t.start()
    print("streaming", flush=True)
    sys.stdin.readline()
    stop.set()
    for t in threads:
        t.join()
    for b in broken:
        print(b, file=sys.stderr)
    print(f"{n} connections, {sum(trips)} round trips, {len(broken)} broken", flush=True)
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif sys.argv[1] == "stream":
        stream(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
               float(sys.argv[5]) if len(sys.argv) > 5 else 0.02)
    else:
        connect(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
