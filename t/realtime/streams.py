"""Many raw event streams held by one process (the realtime tests' stream holders).

connect(port, token) sends one GET /events and returns its index; got[i] is what stream i
has read, ended[i] whether it ended (the relay closed it, or hang_up(i) did).
pump(timeout) reads what has come; until(cond) pumps until cond() holds or LIMIT seconds
pass. epoll (selectors), since select() stops at 1,024 descriptors.
"""
import selectors
import socket
import time

sel = selectors.DefaultSelector()
socks, got, ended = [], [], []


def connect(port, token):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("GET /events?types=clients:create HTTP/1.1\r\nHost: relay\r\n"
               "Accept: text/event-stream\r\nAuthorization: Bearer %s\r\n\r\n" % token).encode())
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, len(socks))
    socks.append(s)
    got.append(b"")
    ended.append(False)
    return len(socks) - 1


def hang_up(i):
    sel.unregister(socks[i])
    socks[i].close()
    ended[i] = True


def pump(timeout):
    for key, _ in sel.select(timeout):
        i = key.data
        while True:
            try:
                b = socks[i].recv(65536)
            except BlockingIOError:
                break
            if not b:
                ended[i] = True
                sel.unregister(socks[i])
                break
            got[i] += b


def until(cond, limit=30):
    end = time.time() + limit
    while not cond() and time.time() < end:
        pump(0.05)
    pump(0)
